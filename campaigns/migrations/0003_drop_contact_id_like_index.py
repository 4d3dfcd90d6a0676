"""Drop the ``varchar_pattern_ops`` index Django adds to a CharField primary key.

Contact ids are UUIDs that nothing searches with LIKE; the extra index only made
every claim and every import slower.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0002_dialer_claims")]

    operations = [
        migrations.RunSQL(
            sql="""
            DO $$
            DECLARE name text;
            BEGIN
                SELECT indexname INTO name FROM pg_indexes
                WHERE tablename = 'campaigns_contact' AND indexdef LIKE '%varchar_pattern_ops%' AND indexdef LIKE '%(id %';
                IF name IS NOT NULL THEN EXECUTE format('DROP INDEX %I', name); END IF;
            END $$;
            """,
            reverse_sql=migrations.RunSQL.noop,
        )
    ]

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0008_do_not_call_scope")]

    operations = [
        migrations.AddField(
            model_name="contact",
            name="tz_key",
            field=models.CharField(blank=True, db_default="", max_length=200),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(
                condition=models.Q(("scheduled", False), ("status", "pending")),
                fields=["campaign", "tz_key"],
                name="contact_due_zone",
            ),
        ),
    ]

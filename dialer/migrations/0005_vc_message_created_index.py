# Retention (RETENTION_DAYS) finds old voice connector messages by their creation time. Built CONCURRENTLY:
# the outbox is written on every call end, and a plain CREATE INDEX would block those writes while it runs.

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('dialer', '0004_predictive_calls'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='voiceconnectormessage',
            index=models.Index(fields=['created_at'], name='vc_message_created'),
        ),
    ]

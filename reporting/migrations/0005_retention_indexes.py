# Retention (RETENTION_DAYS) finds old rows by time, and the dashboard reads the calls ended in its window by
# released_at. Built CONCURRENTLY: these tables are written on every call, and a plain CREATE INDEX on a table of
# millions of rows would block the dialer's writes while it runs.

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('reporting', '0004_agent_state_history'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='callhistory',
            index=models.Index(fields=['released_at'], name='call_history_released'),
        ),
        AddIndexConcurrently(
            model_name='agenthistory',
            index=models.Index(fields=['occurred_at'], name='agent_history_time'),
        ),
        AddIndexConcurrently(
            model_name='attemptrecord',
            index=models.Index(fields=['created_at'], name='attempt_record_created'),
        ),
        AddIndexConcurrently(
            model_name='agentupdate',
            index=models.Index(fields=['received_at'], name='agent_update_received'),
        ),
    ]

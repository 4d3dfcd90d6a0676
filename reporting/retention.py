"""Retention of reporting's rows: call and agent history, saved attempt records, applied agent updates.

Only rows whose work is done go: an attempt record the receiver has not saved, an agent update still
queued or in the error queue (rejected) stays whatever its age.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from campaigns.retention import Pruned, delete_in_batches, retention_cutoff
from reporting.models import AgentHistory, AgentUpdate, AgentUpdateState, AttemptRecord, CallHistory


def prune_old_rows(now: datetime | None = None) -> dict[str, Pruned]:
    """Delete what is older than RETENTION_DAYS, table by table, in bounded batches (nothing when it is 0)."""
    cutoff = retention_cutoff(now or timezone.now())
    if cutoff is None:
        return {}
    return {
        # A call that never got its end (none should outlive the stale sweep) goes by its dial time.
        "call_history": delete_in_batches(
            CallHistory.objects.filter(Q(released_at__lt=cutoff) | Q(released_at__isnull=True, dialing_at__lt=cutoff))
        ),
        "agent_history": delete_in_batches(AgentHistory.objects.filter(occurred_at__lt=cutoff)),
        "attempt_records": delete_in_batches(
            AttemptRecord.objects.filter(created_at__lt=cutoff, saved_at__isnull=False)
        ),
        "agent_updates": delete_in_batches(
            AgentUpdate.objects.filter(received_at__lt=cutoff, state=AgentUpdateState.APPLIED)
        ),
    }

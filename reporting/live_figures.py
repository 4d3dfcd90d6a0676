"""The history's figures of the last minutes for the wallboard: each read through an index on time, so its cost
follows the calls of those minutes, never how many contacts or how much history there is."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Q

from reporting.models import AgentUpdate, AgentUpdateState, CallHistory
from reporting.stats import LIVE_ANSWERS, LOST_ANSWERS


def answers_since(since: datetime) -> dict[str, tuple[int, int]]:
    """Per campaign, (live answers, abandoned or dropped) among the calls ended since ``since``
    (index ``call_history_released``)."""
    rows = (
        CallHistory.objects.filter(released_at__gte=since)
        .order_by()
        .values_list("campaign_id")
        .annotate(
            live=Count("id", filter=Q(call_result_code__in=LIVE_ANSWERS)),
            lost=Count("id", filter=Q(call_result_code__in=LOST_ANSWERS)),
        )
    )
    return {campaign_id: (live, lost) for campaign_id, live, lost in rows}


def dialed_per_switch(since: datetime) -> dict[str, int]:
    """Calls dialed since ``since`` per switch name (index ``call_history_dialing``)."""
    rows = (
        CallHistory.objects.filter(dialing_at__gte=since).order_by().values_list("switch_name").annotate(n=Count("id"))
    )
    return dict(rows)


def rejected_updates(*, at_most: int) -> int:
    """Agent updates waiting in the error queue, counted no further than ``at_most`` (partial index
    ``agent_update_error_queue``): a queue of a million is "more than ``at_most``", not a million-row count."""
    rejected = AgentUpdate.objects.filter(state=AgentUpdateState.REJECTED).order_by().values("pk")[: at_most + 1]
    return rejected.count()

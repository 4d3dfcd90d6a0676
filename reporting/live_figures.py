"""The history's figures of the last minutes for the wallboard: each read through an index on time, so its cost
follows the calls of those minutes, never how many contacts or how much history there is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Count, Q

from reporting.models import AgentUpdate, AgentUpdateState, CallHistory
from reporting.stats import LIVE_ANSWERS, LOST_ANSWERS, WINDOW, Tally


@dataclass(frozen=True)
class Answers:
    """A campaign's calls ended over the statistics window, and the live answers and losses among the recent ones."""

    calls: int = 0
    live: int = 0
    lost: int = 0
    live_recent: int = 0
    lost_recent: int = 0

    @property
    def tally(self) -> Tally:
        """As the statistics count them, for their hit ratio and overdial rate."""
        return Tally(attempts=self.calls, live_answers=self.live, lost_answers=self.lost)


# Shared by every operator's wallboard for this long: one query per interval however many screens poll.
ANSWERS_CACHE_SECONDS = 2


def answers(now: datetime, *, recent: timedelta) -> dict[str, Answers]:
    """Per campaign, the calls ended over WINDOW and the recent part of them, counted now in one grouped query
    (index ``call_history_released``): the figures of one card agree with each other, unlike counts cached for
    half a minute beside counts of now."""
    cached: dict[str, Answers] | None = cache.get("wallboard:answers")
    if cached is not None:
        return cached
    since_recent = now - recent
    rows = (
        CallHistory.objects.filter(released_at__gte=now - WINDOW)
        .order_by()
        .values_list("campaign_id")
        .annotate(
            calls=Count("id"),
            live=Count("id", filter=Q(call_result_code__in=LIVE_ANSWERS)),
            lost=Count("id", filter=Q(call_result_code__in=LOST_ANSWERS)),
            live_recent=Count("id", filter=Q(call_result_code__in=LIVE_ANSWERS, released_at__gte=since_recent)),
            lost_recent=Count("id", filter=Q(call_result_code__in=LOST_ANSWERS, released_at__gte=since_recent)),
        )
    )
    found = {campaign_id: Answers(*figures) for campaign_id, *figures in rows}
    cache.set("wallboard:answers", found, ANSWERS_CACHE_SECONDS)
    return found


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

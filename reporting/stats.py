"""Campaign statistics (seed 002, ``reference/ocs.md`` definitions): pure computations, and their inputs read
from the history over a sliding window."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Min, Q
from django.utils import timezone

from campaigns.choices import ContactStatus
from campaigns.models import Campaign, Contact
from reporting.models import AgentHistory, CallHistory

WINDOW = timedelta(hours=1)
# Statistics kept between two periodic refreshes (``refresh_statistics``, every CONTACT_COUNTS_INTERVAL), and a
# while past them: the status API and the admin read them and never count a campaign's contacts on a request.
# Should the refreshes stop, entries expire and the next read computes its campaign once.
CACHE_SECONDS = 5
# OCS result codes (reference/ocs.md): 33 Answer, 26 Dropped, 21 Abandoned — all answered by a live party.
LIVE_ANSWERS = (33, 26, 21)
LOST_ANSWERS = (26, 21)


@dataclass(frozen=True)
class Tally:
    """Counts over the window for a campaign or a calling list."""

    attempts: int = 0
    live_answers: int = 0
    lost_answers: int = 0
    remaining: int = 0
    busy_seconds: float = 0.0
    logged_in_seconds: float = 0.0
    # How long the campaign has dialed: from the dialing of the first call that ended in the window, to now.
    dialing_seconds: float = WINDOW.total_seconds()


def hit_ratio(t: Tally) -> float | None:
    """Live answers ÷ attempts; unknown before the first attempt."""
    return round(t.live_answers / t.attempts, 4) if t.attempts else None


def overdial_rate(t: Tally) -> float | None:
    """(Abandoned + dropped) ÷ live answers; unknown before the first live answer."""
    return round(t.lost_answers / t.live_answers, 4) if t.live_answers else None


def busy_factor(t: Tally) -> float | None:
    """Agents' busy time ÷ logged-in time; unknown without agent activity."""
    return round(t.busy_seconds / t.logged_in_seconds, 4) if t.logged_in_seconds else None


# A campaign that has dialed for less than this is measured over this much: two calls in its first second do not
# make a rate of two per second.
MIN_DIALING_SECONDS = 60.0


def time_to_complete(t: Tally) -> float | None:
    """Seconds to finish the remaining contacts at the rate they were completed; unknown without completions.

    The rate is over the time the campaign dialed within the window, not the whole window: a campaign that
    completed 900 calls in its first 15 minutes goes on at 1 a second, not at 900 an hour.
    """
    if not t.attempts:
        return None
    return round(t.remaining / (t.attempts / max(t.dialing_seconds, MIN_DIALING_SECONDS)), 1)


def as_gsw(t: Tally, *, campaign_level: bool) -> dict[str, Any]:
    values: dict[str, Any] = {"GSW_STAT_HIT_RATIO": hit_ratio(t), "GSW_STAT_TIME_TO_COMPLETE": time_to_complete(t)}
    if campaign_level:
        values |= {"GSW_STAT_BUSY_FACTOR": busy_factor(t), "GSW_STAT_OVERDIAL_RATE": overdial_rate(t)}
    return values


def agent_time(events: Sequence[tuple[str, str, datetime]]) -> tuple[float, float]:
    """(busy seconds, logged-in seconds) from agent activity (pure).

    Busy runs from ``connected`` to ``wrapup_done`` (or to ``released`` when no wrap-up follows);
    with no login events, an agent counts as logged in from its first activity in the window to its last.
    """
    busy = logged_in = 0.0
    by_agent: dict[str, list[tuple[datetime, str]]] = {}
    for agent, activity, at in events:
        by_agent.setdefault(agent, []).append((at, activity))
    for timeline in by_agent.values():
        timeline.sort()
        logged_in += (timeline[-1][0] - timeline[0][0]).total_seconds()
        started: datetime | None = None
        released: datetime | None = None
        for at, activity in timeline:
            if activity == "connected":
                busy += _closed(started, released)
                started, released = at, None
            elif activity == "released" and started is not None:
                released = at
            elif activity == "wrapup_done" and started is not None:
                busy += (at - started).total_seconds()
                started = released = None
        busy += _closed(started, released)
    return busy, logged_in


BUSY_STATES = frozenset({"talking", "wrapup"})


def state_time(changes: Sequence[tuple[str, str, datetime]], *, since: datetime, now: datetime) -> tuple[float, float]:
    """(busy seconds, logged-in seconds) over [since, now) from the states agents entered (pure).

    ``changes`` are (agent, state, occurred_at), each agent's last change before ``since`` included: it
    is the state the agent was in when the window opened. Busy is talking + wrap-up (section 5b); logged
    in is every state but ``logged_out``.
    """
    busy = logged_in = 0.0
    by_agent: dict[str, list[tuple[datetime, str]]] = {}
    for agent, state, at in changes:
        by_agent.setdefault(agent, []).append((at, state))
    for timeline in by_agent.values():
        timeline.sort()
        ends = [at for at, _ in timeline[1:]] + [now]
        for (at, state), end in zip(timeline, ends, strict=True):
            seconds = max(0.0, (min(end, now) - max(at, since)).total_seconds())
            logged_in += seconds if state != "logged_out" else 0.0
            busy += seconds if state in BUSY_STATES else 0.0
    return busy, logged_in


STATES_IN_WINDOW = """
SELECT agent_extension, state, occurred_at FROM reporting_agentstatechange
WHERE queue_name = %(queue)s AND occurred_at >= %(since)s AND occurred_at < %(now)s
UNION ALL
(SELECT DISTINCT ON (agent_extension) agent_extension, state, occurred_at FROM reporting_agentstatechange
 WHERE queue_name = %(queue)s AND occurred_at < %(since)s ORDER BY agent_extension, occurred_at DESC)
"""


def queue_agent_time(queue_name: str, *, since: datetime, now: datetime) -> tuple[float, float] | None:
    """Busy and logged-in seconds of a queue's agents from their reported states; None when none is known."""
    with connection.cursor() as cursor:
        cursor.execute(STATES_IN_WINDOW, {"queue": queue_name, "since": since, "now": now})
        changes = cursor.fetchall()
    return state_time(changes, since=since, now=now) if changes else None


def _closed(started: datetime | None, released: datetime | None) -> float:
    """A busy spell that ended without a wrap-up event counts until the release."""
    return (released - started).total_seconds() if started is not None and released is not None else 0.0


@dataclass(frozen=True)
class Penetration:
    """How far a calling list has been worked: its contacts, those dialed at least once, done, and remaining."""

    name: str
    contacts: int
    dialed: int
    done: int
    remaining: int
    pending: int


def penetration(campaign_id: str) -> list[Penetration]:
    """Each calling list of the campaign (one grouped query over the campaign's contacts, paid by the periodic
    refresh of the statistics, not by a page): remaining counts pending and stopped contacts."""
    rows = (
        Contact.objects.filter(campaign_id=campaign_id)
        .order_by()
        .values_list("contact_list__name")
        .annotate(
            contacts=Count("id"),
            dialed=Count("id", filter=Q(attempts__gt=0)),
            done=Count("id", filter=Q(status__in=(ContactStatus.ENDED, ContactStatus.FAILED))),
            remaining=Count("id", filter=Q(status__in=(ContactStatus.PENDING, ContactStatus.STOPPED))),
            pending=Count("id", filter=Q(status=ContactStatus.PENDING)),
        )
    )
    return sorted((Penetration(name or "", *figures) for name, *figures in rows), key=lambda row: row.name)


def tallies(
    campaign_id: str, now: datetime | None = None, worked: list[Penetration] | None = None
) -> tuple[Tally, dict[str, Tally]]:
    """The campaign's tally and one per calling list, from the history of the last WINDOW (and the lists'
    pending contacts, read unless ``worked`` gives them)."""
    until = now or timezone.now()
    since = until - WINDOW
    counts = {
        "attempts": Count("id"),
        "live_answers": Count("id", filter=Q(call_result_code__in=LIVE_ANSWERS)),
        "lost_answers": Count("id", filter=Q(call_result_code__in=LOST_ANSWERS)),
    }
    ended = CallHistory.objects.filter(campaign_id=campaign_id, released_at__gte=since).order_by()
    remaining = {
        row.name: row.pending for row in (penetration(campaign_id) if worked is None else worked) if row.pending
    }
    rows = ended.values("contact_list").annotate(**counts).values_list("contact_list", *counts)
    per_list = {row[0]: dict(zip(counts, row[1:], strict=True)) for row in rows}
    total = ended.aggregate(**counts, first=Min("dialing_at"))
    first = total.pop("first")
    dialing = (until - first).total_seconds() if first is not None else WINDOW.total_seconds()
    lists = {
        name: Tally(remaining=remaining.get(name, 0), dialing_seconds=dialing, **per_list.get(name, {}))
        for name in set(per_list) | set(remaining)
    }
    busy, logged_in = _agent_seconds(campaign_id, since=since, now=until)
    campaign = Tally(
        remaining=sum(remaining.values()), busy_seconds=busy, logged_in_seconds=logged_in, dialing_seconds=dialing,
        **total,
    )  # fmt: skip
    return campaign, lists


def _agent_seconds(campaign_id: str, *, since: datetime, now: datetime) -> tuple[float, float]:
    """From the agent states of the campaign's queue when the voice connector reports them, else (as before
    agent states existed) from agent activity, with logged-in time taken from first to last activity."""
    queue = Campaign.objects.filter(campaign_id=campaign_id).values_list("queue_name", flat=True).first()
    from_states = queue_agent_time(queue, since=since, now=now) if queue else None
    if from_states is not None:
        return from_states
    activity = AgentHistory.objects.filter(campaign_id=campaign_id, occurred_at__gte=since)
    return agent_time(list(activity.values_list("agent_extension", "activity", "occurred_at")))


def campaign_statistics(campaign_id: str, *, fresh: bool = False) -> dict[str, Any]:
    """Statistics for notifications (``fresh``), the status API and the admin (kept in Redis between refreshes)."""
    return timed_statistics(campaign_id, fresh=fresh)[0]


def timed_statistics(campaign_id: str, *, fresh: bool = False) -> tuple[dict[str, Any], float]:
    """A campaign's statistics and when they were computed (epoch seconds)."""
    key = f"stats:{campaign_id}"
    cached: tuple[dict[str, Any], float] | None = None if fresh else cache.get(key)
    if cached is not None:
        return cached
    computed_at = time.time()
    worked = penetration(campaign_id)
    campaign, lists = tallies(campaign_id, worked=worked)
    stats = as_gsw(campaign, campaign_level=True) | {
        "dialed": campaign.attempts,
        "answered": campaign.live_answers,
        "abandoned": campaign.lost_answers,
        "GSW_CALLING_LISTS": [
            {"GSW_CALLING_LIST": name, **as_gsw(tally, campaign_level=False)} for name, tally in sorted(lists.items())
        ],
        "lists": [asdict(row) for row in worked],
    }
    cache.set(key, (stats, computed_at), _kept_seconds())
    return stats, computed_at


def refresh_statistics() -> int:
    """Compute every campaign's statistics ahead of the reads (beat, every CONTACT_COUNTS_INTERVAL); how many.

    Each counts the campaign's pending contacts per calling list, a cost that grows with the contacts: paid here
    in the background once per interval, not by every poll of the status API or view of the admin.
    """
    campaign_ids = list(Campaign.objects.values_list("campaign_id", flat=True))
    for campaign_id in campaign_ids:
        timed_statistics(campaign_id, fresh=True)
    return len(campaign_ids)


def _kept_seconds() -> float:
    return max(float(CACHE_SECONDS), 3 * float(settings.CONTACT_COUNTS_INTERVAL))

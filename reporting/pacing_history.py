"""A predictive campaign's history for its pacing (SPEC 5b), from the calls and agent states of the window.

Answered to the dialer's ``pacing_history_requested``: hit ratio, mean time to answer, live answers and
overdial rate from the call history; mean talk and wrap-up times and the busy factor from the states
agents entered. Kept for a few seconds in the cache: the cycle asks once a second per campaign, and a
history over hours hardly moves in that time.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db import connection

from reporting.stats import LIVE_ANSWERS, LOST_ANSWERS, STATES_IN_WINDOW, state_time

CACHE_SECONDS = 5

_CALLS = f"""
SELECT count(*) FILTER (WHERE call_result_code IS NOT NULL),
       count(*) FILTER (WHERE call_result_code IN {LIVE_ANSWERS}),
       count(*) FILTER (WHERE call_result_code IN {LOST_ANSWERS}),
       avg(extract(epoch FROM answered_at - dialing_at)::float8)
           FILTER (WHERE call_result_code IN {LIVE_ANSWERS} AND answered_at IS NOT NULL),
       avg(extract(epoch FROM released_at - agent_answered_at)::float8)
           FILTER (WHERE agent_answered_at IS NOT NULL AND released_at IS NOT NULL)
FROM reporting_callhistory WHERE campaign_id = %s AND dialing_at >= %s
"""


def state_means(changes: Sequence[tuple[str, str, datetime]]) -> dict[str, float]:
    """Mean seconds of each state's completed spells, from (agent, state, occurred_at) changes (pure)."""
    spells: dict[str, list[float]] = {}
    by_agent: dict[str, list[tuple[datetime, str]]] = {}
    for agent, state, at in changes:
        by_agent.setdefault(agent, []).append((at, state))
    for timeline in by_agent.values():
        timeline.sort()
        for (start, state), (end, _) in itertools.pairwise(timeline):
            spells.setdefault(state, []).append((end - start).total_seconds())
    return {state: sum(values) / len(values) for state, values in spells.items()}


def pacing_history(campaign_id: str, queue_name: str, *, since: datetime, now: datetime) -> dict[str, Any]:
    """The fields of ``dialer.pacing.History`` for one campaign over [since, now)."""
    key = f"pacing-history:{campaign_id}"
    cached: dict[str, Any] | None = cache.get(key)
    if cached is not None:
        return cached
    with connection.cursor() as cursor:
        cursor.execute(_CALLS, [campaign_id, since])
        outcomes, live, lost, answer_seconds, bridged_seconds = cursor.fetchone()
        cursor.execute(STATES_IN_WINDOW, {"queue": queue_name, "since": since, "now": now})
        changes = cursor.fetchall()
    means = state_means(changes)
    busy, logged_in = state_time(changes, since=since, now=now) if changes else (0.0, 0.0)
    history = {
        "live_answers": int(live),
        "hit_ratio": live / outcomes if outcomes else 0.0,
        "mean_answer_seconds": float(answer_seconds or 0.0),
        "mean_talk_seconds": means.get("talking", float(bridged_seconds or 0.0)),
        "mean_wrapup_seconds": means.get("wrapup", 0.0),
        "overdial_rate": lost / live if live else 0.0,
        "busy_factor": busy / logged_in if logged_in else 0.0,
    }
    cache.set(key, history, CACHE_SECONDS)
    return history

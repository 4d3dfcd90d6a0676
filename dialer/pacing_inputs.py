"""What the predictive pacing decision is given, read for one campaign in one query (SPEC 5b).

Agent states of the campaign's queue (ready agents; how long each talking or wrapping-up agent has been
so), its calls in flight (ringing, with their ring time — a claim not yet sent counts as a call that has just
started ringing, or a second cycle would place its calls again; answered and waiting for an agent) and its
history over ``ABANDON_WINDOW``, which reporting answers through a signal (the dialer never imports it).
The query reads the agent state table of one queue, the campaign's calls in progress through the index of
active contacts, and its waiting predictive calls: its cost does not depend on how many contacts wait.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection

from campaigns.choices import ContactStatus, OptimizeBy
from campaigns.models import Campaign
from dialer.models import AgentStateName
from dialer.pacing import History, PacingInput
from dialer.signals import pacing_history_requested

_SNAPSHOT = f"""
SELECT
    (SELECT count(*) FROM dialer_agentstate
     WHERE queue_name = %(queue)s AND confirmed_at >= %(fresh)s AND state = '{AgentStateName.READY}'),
    (SELECT coalesce(array_agg(extract(epoch FROM %(now)s - occurred_at)::float8), '{{}}') FROM dialer_agentstate
     WHERE queue_name = %(queue)s AND confirmed_at >= %(fresh)s AND state = '{AgentStateName.TALKING}'),
    (SELECT coalesce(array_agg(extract(epoch FROM %(now)s - occurred_at)::float8), '{{}}') FROM dialer_agentstate
     WHERE queue_name = %(queue)s AND confirmed_at >= %(fresh)s AND state = '{AgentStateName.WRAPUP}'),
    (SELECT coalesce(array_agg(greatest(0, extract(epoch FROM %(now)s - coalesce(dial_time, %(now)s)))::float8),
         '{{}}') FROM campaigns_contact
     WHERE campaign_id = %(campaign)s AND status = '{ContactStatus.DIALED}' AND answered_at IS NULL),
    (SELECT count(*) FROM dialer_predictivecall
     WHERE campaign_id = %(campaign)s AND routed_at IS NULL AND abandoned_at IS NULL)
"""

NO_HISTORY = History(
    live_answers=0, hit_ratio=0.0, mean_answer_seconds=0.0, mean_talk_seconds=0.0, mean_wrapup_seconds=0.0,
    overdial_rate=0.0, busy_factor=0.0,
)  # fmt: skip


def pacing_input(campaign: Campaign, *, budget: int, now: datetime) -> PacingInput:
    """The decision's input for ``campaign`` now; ``budget``: the calls this cycle may still place (slots, throttle)."""
    fresh = now - timedelta(seconds=settings.AGENT_STATE_TTL)
    params: dict[str, Any] = {
        "queue": campaign.queue_name,
        "campaign": campaign.campaign_id,
        "now": now,
        "fresh": fresh,
    }
    with connection.cursor() as cursor:
        cursor.execute(_SNAPSHOT, params)
        ready, talking, wrapping_up, ringing, waiting = cursor.fetchone()
    return PacingInput(
        ready_agents=int(ready),
        talking=[float(s) for s in talking],
        wrapping_up=[float(s) for s in wrapping_up],
        ringing=[float(s) for s in ringing],
        waiting_calls=int(waiting),
        history=history(campaign, now=now),
        free_slots=budget,
        throttle_budget=budget,
        optimize_by=OptimizeBy(campaign.optimize_by),
        optimize_goal=campaign.optimize_goal,
        max_dial_ratio=campaign.max_dial_ratio,
        abandon_rate_limit=settings.ABANDON_RATE_LIMIT,
        abandon_timeout=settings.ABANDON_TIMEOUT,
    )


def history(campaign: Campaign, *, now: datetime) -> History:
    """The campaign's history over ``ABANDON_WINDOW`` as reporting knows it; none without a receiver."""
    since = now - timedelta(seconds=settings.ABANDON_WINDOW)
    names = {f.name for f in fields(History)}
    for _, answer in pacing_history_requested.send(
        sender=None, campaign_id=campaign.campaign_id, queue_name=campaign.queue_name, since=since, now=now
    ):
        if isinstance(answer, dict) and names <= set(answer):
            return History(**{name: answer[name] for name in names})
    return NO_HISTORY

"""Reporting's side of the dialer's signals: the call history, written in the dialer's transaction.

Each receiver is one SQL statement that reads what it needs from the contact row
itself: the dialer's hot paths (placing a call, applying an end) pay one round
trip for the history, not an ORM read and write.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.dispatch import receiver

from campaigns.signals import campaign_changed
from dialer.signals import (
    agent_states_applied,
    call_attempt_changed,
    call_attempts_ended,
    call_progressed,
    pacing_history_requested,
    predial_race_check,
    status_requested,
)
from reporting.attempt_records import queue_attempt_records
from reporting.models import AttemptRecord
from reporting.pacing_history import pacing_history
from reporting.stats import timed_statistics
from reporting.tasks import send_status_notification

_OPEN = """
INSERT INTO reporting_callhistory (attempt_guid, contact_id, campaign_id, contact_list, call_id, customer_number,
    campaign_type, dialing_mode, switch_name, agent_extension, dialing_at, call_result, hangup_cause, disposition)
SELECT gen_random_uuid(), c.id, c.campaign_id, l.name, c.call_id, c.customer_number, c.campaign_type,
    c.dialing_mode, c.switch_name, c.agent_extension, coalesce(c.dial_time, %(at)s), '', '', ''
FROM campaigns_contact c JOIN campaigns_contactlist l ON l.id = c.contact_list_id
WHERE c.id = %(contact_id)s
ON CONFLICT (call_id) DO NOTHING
"""
# Ended: complete each attempt's row, creating it if the send was never recorded (a stale claim).
_CLOSE = """
INSERT INTO reporting_callhistory (attempt_guid, contact_id, campaign_id, contact_list, call_id, customer_number,
    campaign_type, dialing_mode, switch_name, agent_extension, dialing_at, answered_at, released_at, call_result,
    call_result_code, hangup_cause, disposition)
SELECT gen_random_uuid(), c.id, c.campaign_id, l.name, c.call_id, c.customer_number, c.campaign_type,
    c.dialing_mode, c.switch_name, e.agent, coalesce(c.dial_time, c.claimed_at, e.at),
    CASE WHEN e.answered THEN c.answered_at END, e.at, e.result, e.code, e.cause, ''
FROM unnest(%s::varchar[], %s::timestamptz[], %s::varchar[], %s::int[], %s::varchar[], %s::bool[], %s::varchar[])
    AS e(contact_id, at, result, code, cause, answered, agent)
JOIN campaigns_contact c ON c.id = e.contact_id
JOIN campaigns_contactlist l ON l.id = c.contact_list_id
ON CONFLICT (call_id) DO UPDATE SET released_at = EXCLUDED.released_at, answered_at = EXCLUDED.answered_at,
    call_result = EXCLUDED.call_result, call_result_code = EXCLUDED.call_result_code,
    hangup_cause = EXCLUDED.hangup_cause, agent_extension = EXCLUDED.agent_extension
"""


@receiver(call_attempt_changed, dispatch_uid="reporting.call_history_opened")
def open_call_history(sender: object, *, contact_id: str, call_id: str, change: str, at: datetime, **_: Any) -> None:
    """One CallHistory row per attempt, opened when the call is dialed."""
    if change == "dialed":
        with connection.cursor() as cursor:
            cursor.execute(_OPEN, {"contact_id": contact_id, "at": at})
        queue_attempt_records([call_id], sequences=(0,))


@receiver(call_attempts_ended, dispatch_uid="reporting.call_history_closed")
def close_call_history(sender: object, *, ends: list[dict[str, Any]], **_: Any) -> None:
    """The attempts' rows completed with their results, for a whole batch in one statement."""
    columns = ("contact_id", "at", "call_result", "result_code", "hangup_cause", "answered", "agent_extension")
    with connection.cursor() as cursor:
        cursor.execute(_CLOSE, [[end[column] for end in ends] for column in columns])
    queue_attempt_records([end["call_id"] for end in ends], sequences=(0, 1))


_STATE_CHANGES = """
INSERT INTO reporting_agentstatechange (agent_extension, queue_name, state, occurred_at)
SELECT * FROM unnest(%s::varchar[], %s::varchar[], %s::varchar[], %s::timestamptz[])
ON CONFLICT (queue_name, agent_extension, occurred_at) DO NOTHING
"""


@receiver(agent_states_applied, dispatch_uid="reporting.agent_state_history")
def keep_agent_state_history(sender: object, *, changes: list[tuple[Any, ...]], **_: Any) -> None:
    """Each state an agent entered, once (a confirmation repeats the time and adds nothing)."""
    with connection.cursor() as cursor:
        cursor.execute(_STATE_CHANGES, [list(column) for column in zip(*changes, strict=True)])


# The first report of each stage counts (CHANNEL_PROGRESS and then CHANNEL_PROGRESS_MEDIA both mean ringing):
# one statement for a whole batch of the listener's events.
_PROGRESSED = """
UPDATE reporting_callhistory h SET
    ringing_at = coalesce(h.ringing_at, v.ringing), agent_answered_at = coalesce(h.agent_answered_at, v.bridged)
FROM (
    SELECT call_id, min(at) FILTER (WHERE stage = 'ringing') AS ringing,
        min(at) FILTER (WHERE stage = 'agent_answered') AS bridged
    FROM unnest(%s::uuid[], %s::varchar[], %s::timestamptz[]) AS p(call_id, stage, at) GROUP BY call_id
) v
WHERE h.call_id = v.call_id
"""


@receiver(call_progressed, dispatch_uid="reporting.call_history_progressed")
def time_call_history(sender: object, *, progress: list[tuple[str, str, datetime]], **_: Any) -> None:
    """GSW_RINGING and GSW_AGENT_ANSWERED of the attempts: when their calls rang, and when the agent was bridged."""
    with connection.cursor() as cursor:
        cursor.execute(_PROGRESSED, [list(column) for column in zip(*progress, strict=True)])


@receiver(campaign_changed, dispatch_uid="reporting.status_notification")
def queue_status_notification(sender: object, *, campaign_id: str, action: str, actor: str, **_: Any) -> None:
    """Campaign services send this after commit; the POST goes to a worker (seed 002: no retries)."""
    if settings.STATUS_NOTIFICATION_URL:
        send_status_notification.delay(campaign_id, action, actor)


@receiver(predial_race_check, dispatch_uid="reporting.predial_race_check")
def earlier_record_unsaved(sender: object, *, contact_id: str, **_: Any) -> bool:
    """Seed 004's race: an earlier attempt record of this contact is not saved by the external system yet."""
    return AttemptRecord.objects.filter(contact_id=contact_id, saved_at__isnull=True).exists()


@receiver(status_requested, dispatch_uid="reporting.statistics_in_status")
def statistics_for_status(sender: object, *, campaign_ids: list[str], **_: Any) -> dict[str, dict[str, Any]]:
    """Each campaign's statistics for the dialer status API, as last computed, with their age."""
    now = time.time()
    answer = {}
    for campaign_id in campaign_ids:
        statistics, computed_at = timed_statistics(campaign_id)
        answer[campaign_id] = {"statistics": statistics, "statistics_age_seconds": round(now - computed_at, 1)}
    return answer


@receiver(pacing_history_requested, dispatch_uid="reporting.pacing_history")
def history_for_pacing(
    sender: object, *, campaign_id: str, queue_name: str, since: datetime, now: datetime, **_: Any
) -> dict[str, Any]:
    return pacing_history(campaign_id, queue_name, since=since, now=now)

"""Ending sent calls, many at a time, once per call, with their history and notifications.

The move itself is ``lifecycle.finish`` (one set-based statement for the batch):
the listener applies ends as fast as a busy switch reports them, and a call
reported twice (hangup and failed originate, or a replay) is ended once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from campaigns import lifecycle
from campaigns.choices import ContactStatus
from campaigns.signals import on_commit_once
from dialer.commit_hooks import cycle_request
from dialer.end_chat import end_chat_payload
from dialer.models import MessageKind
from dialer.outbox import OutboxMessage, queue_messages
from dialer.results import CallEnd
from dialer.retries import RULE_RESULTS, retry_time
from dialer.signals import call_attempts_ended


@dataclass(frozen=True)
class CallEndReport:
    call_id: str
    end: CallEnd
    at: datetime


@transaction.atomic(savepoint=False)
def end_calls(reports: Sequence[CallEndReport]) -> set[str]:
    """End the sent calls still ``dialed``; returns the call ids that this call ended.

    Each attempt is closed here whatever the contact becomes (ended, failed, or pending again when
    the originate placed no call): its history row and record 1 are written with the same end.
    """
    by_call = {r.call_id: r for r in reports}
    retries = _retry_times(list(by_call.values()))
    finishes = [
        lifecycle.Finish(
            r.call_id,
            ContactStatus.PENDING if r.call_id in retries else r.end.status,
            r.end.call_result,
            r.end.hangup_cause,
            r.at,
            r.end.attempted,
            retries.get(r.call_id),
        )
        for r in by_call.values()
    ]
    ended = lifecycle.finish(finishes)
    if not ended:
        return set()
    call_attempts_ended.send(sender=None, ends=[_reported(row, by_call[row["call_id"]]) for row in ended])
    queue_messages([message for row in ended for message in _messages(row, by_call[row["call_id"]])])
    for switch_name in sorted({row["switch_name"] for row in ended}):
        on_commit_once(cycle_request(switch_name))  # the switch whose slots freed
    return {row["call_id"] for row in ended}


@transaction.atomic(savepoint=False)
def end_unsent_calls(call_ids: Sequence[str], end: CallEnd, *, at: datetime) -> set[str]:
    """Claims settled before any call (``end.status`` failed): their attempt is reported like a call's."""
    rows = lifecycle.fail_unsent_calls(call_ids, result=end.call_result, now=at)
    if not rows:
        return set()
    reports = {row["call_id"]: CallEndReport(row["call_id"], end, at) for row in rows}
    call_attempts_ended.send(sender=None, ends=[_reported(row, reports[row["call_id"]]) for row in rows])
    queue_messages([message for row in rows for message in _messages(row, reports[row["call_id"]])])
    return set(reports)


_RULES = f"""
SELECT c.call_id, c.attempts, c.end_time, g.retry_rules FROM campaigns_contact c
JOIN campaigns_campaign g ON g.campaign_id = c.campaign_id
WHERE c.call_id = ANY(%s::uuid[]) AND c.status = '{ContactStatus.DIALED}'
"""


def _retry_times(reports: list[CallEndReport]) -> dict[str, datetime]:
    """Calls whose contact is dialed again, and from when: an originate that placed no call (after
    GATEWAY_DOWN_RETRY), or an end its campaign's retry rules retry."""
    retries = {
        r.call_id: r.at + timedelta(seconds=settings.GATEWAY_DOWN_RETRY)
        for r in reports
        if r.end.status == ContactStatus.PENDING
    }
    ruled = [r for r in reports if r.end.status == ContactStatus.ENDED and r.end.result_code in RULE_RESULTS]
    if not ruled:
        return retries
    with connection.cursor() as cursor:
        cursor.execute(_RULES, [[r.call_id for r in ruled]])
        # Django leaves jsonb undecoded on raw queries (its JSONField decodes it).
        facts = {str(cid): (attempts, end, json.loads(rules)) for cid, attempts, end, rules in cursor.fetchall()}
    for report in ruled:
        if report.call_id not in facts:
            continue
        attempts, window_end, rules = facts[report.call_id]
        at = retry_time(
            rules, result_code=report.end.result_code, attempts=attempts, ended_at=report.at, window_end=window_end
        )
        if at is not None:
            retries[report.call_id] = at
    return retries


def _reported(row: dict[str, Any], report: CallEndReport) -> dict[str, Any]:
    """What reporting is told of one end: ids and plain values."""
    end = report.end
    return {
        "contact_id": row["id"],
        "call_id": row["call_id"],
        "at": report.at,
        "call_result": end.call_result,
        "hangup_cause": end.hangup_cause,
        "result_code": int(end.result_code),
        "answered": end.answered,
        "agent_extension": row["agent_extension"],
    }


def _messages(row: dict[str, Any], report: CallEndReport) -> list[OutboxMessage]:
    """The delivery notification, and END_CHAT when the customer left before the agent came."""
    messages = [OutboxMessage(MessageKind.CALL_RESULT, row["id"], row["call_id"], _call_result(row, report))]
    end = report.end
    if row["agent_extension"] and (end.dropped_before_agent or end.frees_agent):
        reason = "customer hung up before the agent was connected" if end.dropped_before_agent else end.call_result
        payload = end_chat_payload(
            contact_id=row["id"], call_id=row["call_id"], campaign_contact_id=row["campaign_contact_id"],
            agent_extension=row["agent_extension"], reason=reason,
        )  # fmt: skip
        messages.append(OutboxMessage(MessageKind.END_CHAT, row["id"], row["call_id"], payload))
    return messages


def _call_result(row: dict[str, Any], report: CallEndReport) -> dict[str, object]:
    """The delivery notification of SPEC.md section 5."""

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": row["id"],
        "call_id": row["call_id"],
        "campaign_id": row["campaign_id"],
        "campaign_contact_id": row["campaign_contact_id"],
        "status": row["status"],
        "retry_at": iso(row["retry_at"]) if row["status"] == ContactStatus.PENDING else None,
        "call_result": report.end.call_result,
        "hangup_cause": report.end.hangup_cause,
        "dial_time": iso(row["dial_time"]),
        "answer_time": iso(row["answered_at"]),
        "end_time": iso(report.at),
        "agent_extension": row["agent_extension"],
    }

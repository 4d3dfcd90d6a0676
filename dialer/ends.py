"""Ending calls, many at a time: ``dialed`` → ``ended`` once per call, with its history and notifications.

Set-based SQL (one UPDATE … FROM unnest … RETURNING for the batch): the listener
applies ends as fast as a busy switch reports them, and a call reported twice
(hangup and failed originate, or a replay) is ended once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from campaigns.choices import ContactStatus
from campaigns.signals import on_commit_once
from dialer.calls import end_chat_payload
from dialer.commit_hooks import request_cycle
from dialer.models import MessageKind
from dialer.outbox import OutboxMessage, queue_messages
from dialer.results import CallEnd
from dialer.signals import call_attempts_ended


@dataclass(frozen=True)
class CallEndReport:
    call_id: str
    end: CallEnd
    at: datetime


_COLUMNS = ("id", "call_id", "campaign_id", "campaign_contact_id", "dial_time", "answered_at", "agent_extension")
_END = f"""
UPDATE campaigns_contact c SET status = 'ended', call_result = v.result, hangup_cause = v.cause, ended_at = v.at,
    updated_at = v.at
FROM unnest(%s::uuid[], %s::varchar[], %s::varchar[], %s::timestamptz[]) AS v(call_id, result, cause, at)
WHERE c.call_id = v.call_id AND c.status = 'dialed'
RETURNING {", ".join("c." + column for column in _COLUMNS)}
"""


@transaction.atomic(savepoint=False)
def end_calls(reports: Sequence[CallEndReport]) -> set[str]:
    """End the calls still ``dialed``; returns the call ids that this call ended."""
    if not reports:
        return set()
    by_call = {r.call_id: r for r in reports}
    params: list[Any] = [
        list(by_call),
        [r.end.call_result for r in by_call.values()],
        [r.end.hangup_cause for r in by_call.values()],
        [r.at for r in by_call.values()],
    ]
    with connection.cursor() as cursor:
        cursor.execute(_END, params)
        ended = [dict(zip(_COLUMNS, row, strict=True)) for row in cursor.fetchall()]
    if not ended:
        return set()
    for row in ended:
        row["call_id"] = str(row["call_id"])
    call_attempts_ended.send(sender=None, ends=[_reported(row, by_call[row["call_id"]]) for row in ended])
    queue_messages([message for row in ended for message in _messages(row, by_call[row["call_id"]])])
    on_commit_once(request_cycle)
    return {row["call_id"] for row in ended}


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
    if report.end.dropped_before_agent:
        payload = end_chat_payload(
            contact_id=row["id"], call_id=row["call_id"], campaign_contact_id=row["campaign_contact_id"],
            agent_extension=row["agent_extension"], reason="customer hung up before the agent was connected",
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
        "status": ContactStatus.ENDED,
        "call_result": report.end.call_result,
        "hangup_cause": report.end.hangup_cause,
        "dial_time": iso(row["dial_time"]),
        "answer_time": iso(row["answered_at"]),
        "end_time": iso(report.at),
        "agent_extension": row["agent_extension"],
    }

"""Ending sent calls, many at a time, once per call, with their history and notifications.

The move itself is ``lifecycle.finish`` (one set-based statement for the batch):
the listener applies ends as fast as a busy switch reports them, and a call
reported twice (hangup and failed originate, or a replay) is ended once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from campaigns import lifecycle
from campaigns.signals import on_commit_once
from dialer.commit_hooks import request_cycle
from dialer.end_chat import end_chat_payload
from dialer.models import MessageKind
from dialer.outbox import OutboxMessage, queue_messages
from dialer.results import CallEnd
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
    finishes = [
        lifecycle.Finish(r.call_id, r.end.status, r.end.call_result, r.end.hangup_cause, r.at, r.end.attempted)
        for r in by_call.values()
    ]
    ended = lifecycle.finish(finishes)
    if not ended:
        return set()
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
        "call_result": report.end.call_result,
        "hangup_cause": report.end.hangup_cause,
        "dial_time": iso(row["dial_time"]),
        "answer_time": iso(row["answered_at"]),
        "end_time": iso(report.at),
        "agent_extension": row["agent_extension"],
    }

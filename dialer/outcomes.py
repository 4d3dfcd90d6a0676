"""Applying what the switch reports: job results, answers and hangups (each applied once).

``handle_event`` is the listener's unit of work: pure wiring from a parsed event
to a service below, returning a word that tests and logs can read.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from campaigns.choices import ContactStatus
from campaigns.models import Contact
from campaigns.signals import on_commit_once
from dialer import transitions
from dialer.calls import queue_end_chat
from dialer.commit_hooks import request_cycle
from dialer.ends import CallEndReport, end_calls
from dialer.esl.responses import JobResult, UnexpectedResponse, parse_job_result
from dialer.esl.wire import Event
from dialer.results import INVALID_GATEWAY, STALE, CallEnd, ResultCode, decide_call_end

logger = logging.getLogger(__name__)
# A claim whose originate was never confirmed as sent (its worker died) is given up as Stale after
# this long, or after STALE_CALL_TIMEOUT when that is shorter. It may have reached the switch, so it
# is never sent again.
UNSENT_CLAIM_TIMEOUT = timedelta(seconds=60)


def apply_events(events: Sequence[Event]) -> list[str]:
    """Apply a batch of events in one transaction; returns what each did ("ended", "duplicate", ...).

    Call ends are collected and applied together (set-based SQL, one commit), which is what lets
    one listener keep up with a busy switch. A database error rolls the whole batch back, and the
    caller keeps all of it to retry.
    """
    with transaction.atomic():
        outcomes: list[str] = []
        ends: dict[str, CallEndReport] = {}
        end_positions: list[tuple[int, str]] = []
        for event in events:
            reported = reported_end(event)
            if reported is None:
                outcomes.append(_apply_other(event))
            elif reported.call_id in ends:
                outcomes.append("duplicate")
            else:
                ends[reported.call_id] = reported
                end_positions.append((len(outcomes), reported.call_id))
                outcomes.append("")
        applied = end_calls(list(ends.values()))
        for position, call_id in end_positions:
            outcomes[position] = "ended" if call_id in applied else "duplicate"
        return outcomes


def handle_event(event: Event) -> str:
    """Apply one switch event (a batch of one)."""
    return apply_events([event])[0]


def reported_end(event: Event) -> CallEndReport | None:
    """The end of a call this event reports: a hangup, or an originate that failed in the network."""
    if event.name == "CHANNEL_HANGUP_COMPLETE" and _is_uuid(event.get("Unique-ID")):
        answered = event.variable("answer_epoch", "0") not in ("", "0")
        bridged = event.variable("bridge_epoch", "0") not in ("", "0") or bool(event.variable("last_bridge_to"))
        # The agent originate sets sip_h_X-agentExtension; it comes back as a channel variable.
        agent_call = bool(event.variable("sip_h_X-agentExtension"))
        cause = event.get("Hangup-Cause") or event.variable("hangup_cause") or "NORMAL_UNSPECIFIED"
        end = decide_call_end(cause=cause, answered=answered, bridged=bridged, agent_call=agent_call)
        return CallEndReport(event.get("Unique-ID"), end, _event_time(event))
    result = _failed_originate(event)
    if result is not None and result.value not in _GATEWAY_FAILURES:
        end = decide_call_end(cause=result.value, answered=False, bridged=False, agent_call=False)
        return CallEndReport(event.get("Job-UUID"), end, _event_time(event))
    return None


def _apply_other(event: Event) -> str:
    if event.name == "CHANNEL_ANSWER":
        answered = transitions.mark_answered(event.get("Unique-ID"), at=_event_time(event))
        return "answered" if answered else "ignored"
    result = _failed_originate(event)
    if result is not None:
        return apply_gateway_failure(event.get("Job-UUID"), result.value)
    return "accepted" if event.name == "BACKGROUND_JOB" else "ignored"


_GATEWAY_FAILURES = ("GATEWAY_DOWN", "INVALID_GATEWAY")


def _failed_originate(event: Event) -> JobResult | None:
    """The ``-ERR`` of a BACKGROUND_JOB for one of our originates (its Job-UUID is the call id)."""
    if event.name != "BACKGROUND_JOB" or event.get("Job-Command") != "originate":
        return None
    if not _is_uuid(event.get("Job-UUID")):
        return None
    try:
        result = parse_job_result(event.body)
    except UnexpectedResponse:
        logger.warning("unreadable originate result for %s: %r", event.get("Job-UUID"), event.body[:80])
        return None
    return None if result.ok else result


def _event_time(event: Event) -> datetime:
    micros = event.get("Event-Date-Timestamp")
    return datetime.fromtimestamp(int(micros) / 1_000_000, tz=UTC) if micros.isdigit() else timezone.now()


def apply_gateway_failure(call_id: str, cause: str) -> str:
    """GATEWAY_DOWN / INVALID_GATEWAY (reported only by the BACKGROUND_JOB: no channel events)."""
    contact = Contact.objects.filter(call_id=call_id, status=ContactStatus.DIALED).first()
    if contact is None:
        return "duplicate"
    now = timezone.now()
    if cause == "GATEWAY_DOWN":
        transitions.back_to_pending(call_id, source=ContactStatus.DIALED, now=now)
    else:
        transitions.to_failed(call_id, source=ContactStatus.DIALED, result=INVALID_GATEWAY, now=now)
    if contact.agent_extension:
        queue_end_chat(contact, reason=cause)
    on_commit_once(request_cycle)
    return cause.lower()


def _is_uuid(value: str) -> bool:
    return len(value) == 36 and value.count("-") == 4


def end_stale_calls(call_ids: Sequence[str]) -> int:
    """Give calls nobody will report on the result ``Stale`` (in one batch); they are not dialed again."""
    end, now = CallEnd(STALE, "", ResultCode.STALE, answered=False), timezone.now()
    return len(end_calls([CallEndReport(call_id, end, now) for call_id in call_ids]))


def sweep_stale_calls(now: datetime | None = None) -> dict[str, int]:
    """Calls with no end after STALE_CALL_TIMEOUT, claims never sent, agent requests never answered."""
    now = now or timezone.now()
    dialed = Contact.objects.filter(status=ContactStatus.DIALED)
    stale = dialed.filter(dial_time__lt=now - timedelta(seconds=settings.STALE_CALL_TIMEOUT))
    unsent_timeout = min(UNSENT_CLAIM_TIMEOUT, timedelta(seconds=settings.STALE_CALL_TIMEOUT))
    unsent = dialed.filter(dial_time__isnull=True, claimed_at__lt=now - unsent_timeout)
    ended = end_stale_calls([str(cid) for cid in stale.union(unsent).values_list("call_id", flat=True)])
    unanswered = Contact.objects.filter(
        status=ContactStatus.AGENT_PENDING,
        claimed_at__lt=now - timedelta(seconds=settings.AGENT_RESERVATION_TIMEOUT),
    ).update(status=ContactStatus.PENDING, updated_at=now)
    return {"stale": ended, "agent requests expired": unanswered}

"""Applying what the switch reports: job results, ringing, answers, bridges and hangups (each applied once).

``handle_event`` is the listener's unit of work: pure wiring from a parsed event
to a service below, returning a word that tests and logs can read.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from campaigns import lifecycle
from campaigns.choices import ContactStatus
from campaigns.models import Contact
from dialer import predictive
from dialer.calls import release_unsent
from dialer.ends import CallEndReport, end_calls
from dialer.esl.commands import UUID
from dialer.esl.responses import JobResult, UnexpectedResponse, parse_job_result
from dialer.esl.wire import Event
from dialer.models import AgentReservation
from dialer.results import (
    STALE,
    CallEnd,
    ResultCode,
    abandoned_end,
    decide_call_end,
    decide_predictive_end,
    not_placed,
    not_placed_end,
)
from dialer.signals import call_progressed

logger = logging.getLogger(__name__)
# A claim whose originate was never stamped as sending (its worker died, or a reservation's cycle never came)
# certainly never reached the switch: after this long it goes back to pending.
UNSENT_CLAIM_TIMEOUT = timedelta(seconds=60)
# Reservations nobody took (their contact was claimed again meanwhile) are dropped after this long.
RESERVATION_RETENTION = timedelta(hours=1)
# Events that time an attempt without ending it: ringing (180 / 183) and the agent's answer (the bridge).
_PROGRESS = {"CHANNEL_PROGRESS": "ringing", "CHANNEL_PROGRESS_MEDIA": "ringing", "CHANNEL_BRIDGE": "agent_answered"}


def apply_events(events: Sequence[Event]) -> list[str]:
    """Apply a batch of events in one transaction; returns what each did ("ended", "duplicate", ...).

    Call ends and the ringing / bridge times are collected and applied together (set-based SQL, one
    commit), which is what lets one listener keep up with a busy switch. Any error rolls the whole
    batch back and is raised: the caller keeps the events to retry, or applies them one by one to
    find the one that fails.
    """
    with transaction.atomic():
        outcomes: list[str] = []
        ends: dict[str, CallEndReport] = {}
        end_positions: list[tuple[int, str]] = []
        progress: list[tuple[str, str, datetime]] = []
        job_ends: set[str] = set()
        for event in events:
            reported = reported_end(event)
            stage = _progress_stage(event)
            if stage is not None:
                progress.append((event.get("Unique-ID"), stage, _event_time(event)))
                outcomes.append(stage)
            elif reported is None:
                outcomes.append(_apply_other(event))
            elif reported.call_id in ends and not (reported.call_id in job_ends and event.name != "BACKGROUND_JOB"):
                outcomes.append("duplicate")
            else:  # a hangup replaces an originate's -ERR reported before it in the batch
                if event.name == "BACKGROUND_JOB":
                    job_ends.add(reported.call_id)
                else:
                    job_ends.discard(reported.call_id)
                ends[reported.call_id] = reported
                end_positions.append((len(outcomes), reported.call_id))
                outcomes.append("")
        if progress:
            call_progressed.send(sender=None, progress=progress)
        applied = end_calls(_predictive_ends(ends, job_ends))
        for position, call_id in end_positions:
            outcomes[position] = "ended" if call_id in applied else "duplicate"
        return outcomes


def handle_event(event: Event) -> str:
    """Apply one switch event (a batch of one)."""
    return apply_events([event])[0]


def reported_end(event: Event) -> CallEndReport | None:
    """The end of a call this event reports: a hangup, or an originate that failed or placed no call."""
    if event.name == "CHANNEL_HANGUP_COMPLETE" and _is_uuid(event.get("Unique-ID")):
        answered = event.variable("answer_epoch", "0") not in ("", "0")
        bridged = event.variable("bridge_epoch", "0") not in ("", "0") or bool(event.variable("last_bridge_to"))
        cause = event.get("Hangup-Cause") or event.variable("hangup_cause") or "NORMAL_UNSPECIFIED"
        if _is_predictive(event):  # abandoned ones are told apart by the dialer's record (_predictive_ends)
            end = decide_predictive_end(
                cause=cause, answered=answered, bridged=bridged, abandoned=False,
                destination=event.get("Caller-Destination-Number"), abandon_extension=settings.ABANDON_EXTENSION,
            )  # fmt: skip
            return CallEndReport(event.get("Unique-ID"), end, _event_time(event))
        # The agent originate sets sip_h_X-agentExtension; it comes back as a channel variable.
        agent_call = bool(event.variable("sip_h_X-agentExtension"))
        end = decide_call_end(cause=cause, answered=answered, bridged=bridged, agent_call=agent_call)
        return CallEndReport(event.get("Unique-ID"), end, _event_time(event))
    result = _failed_originate(event)
    if result is None:
        return None
    placement = not_placed(result.value)
    if placement is not None:
        end = not_placed_end(placement, result.value)
    else:
        end = decide_call_end(cause=result.value, answered=False, bridged=False, agent_call=False)
    return CallEndReport(event.get("Job-UUID"), end, _event_time(event))


def _apply_other(event: Event) -> str:
    call_id = event.get("Unique-ID")
    if event.name == "CHANNEL_ANSWER" and _is_uuid(call_id):
        answered = lifecycle.mark_answered(call_id, at=_event_time(event))
        # An agent call of a PREDICTIVE contact whose agent was reserved first carries the agent already.
        if answered and _is_predictive(event) and not event.variable("sip_h_X-agentExtension"):
            predictive.note_answered(call_id, answered_at=_answer_time(event))
        return "answered" if answered else "ignored"
    # CHANNEL_PARK follows the originate's own +OK (FreeSWITCH: 0.5-2.3 ms after it), and only &park() calls
    # raise it: no statement for the result of every other originate.
    if event.name == "CHANNEL_PARK" and _is_uuid(call_id):
        return "parked" if predictive.note_parked(call_id, at=_event_time(event)) else "ignored"
    return "accepted" if event.name == "BACKGROUND_JOB" else "ignored"


def _is_predictive(event: Event) -> bool:
    """A call placed ahead of its agent: its originate set ``sip_h_X-CallType=PREDICTIVE``."""
    return event.variable("sip_h_X-CallType") == "PREDICTIVE"


def _answer_time(event: Event) -> datetime:
    """When the switch answered the call (what the customer hears), else when the event was raised."""
    micros = event.get("Caller-Channel-Answered-Time")
    if micros.isdigit() and int(micros) > 0:
        return datetime.fromtimestamp(int(micros) / 1_000_000, tz=UTC)
    return _event_time(event)


def _predictive_ends(ends: dict[str, CallEndReport], job_ends: set[str]) -> list[CallEndReport]:
    """The ends to apply, as the dialer's own record of predictive calls tells them apart.

    An originate's ``-ERR`` (``job_ends``) never ends a call whose answer was seen: FreeSWITCH reported a
    bridged call's originate as ``-ERR ORIGINATOR_CANCEL`` when the transfer came early; its hangup ends it.
    A hangup of a call the dialer abandoned is ``Abandoned`` (its cause is NORMAL_CLEARING like every other).
    """
    answered: set[str] = set()
    if job_ends:
        seen = Contact.objects.filter(call_id__in=list(job_ends), answered_at__isnull=False)
        answered = {str(call_id) for call_id in seen.values_list("call_id", flat=True)}
    kept = [r for r in ends.values() if r.call_id not in answered]
    abandoned = predictive.close([r.call_id for r in kept if r.end.answered])
    return [
        CallEndReport(r.call_id, abandoned_end(r.end.hangup_cause), r.at) if r.call_id in abandoned else r for r in kept
    ]


def _progress_stage(event: Event) -> str | None:
    """ "ringing" or "agent_answered" for the events that time an attempt (each call's first one counts)."""
    stage = _PROGRESS.get(event.name)
    return stage if stage is not None and _is_uuid(event.get("Unique-ID")) else None


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


def _is_uuid(value: str) -> bool:
    return re.fullmatch(UUID, value) is not None


def end_stale_calls(call_ids: Sequence[str]) -> int:
    """Give calls nobody will report on the result ``Stale`` (in one batch); they are not dialed again."""
    end, now = CallEnd(STALE, "", ResultCode.STALE, answered=False), timezone.now()
    with transaction.atomic():
        predictive.close(list(call_ids))
        return len(end_calls([CallEndReport(call_id, end, now) for call_id in call_ids]))


def sweep_stale_calls(now: datetime | None = None) -> dict[str, int]:
    """Calls with no end after STALE_CALL_TIMEOUT; claims never sent; agent requests never answered."""
    now = now or timezone.now()
    stale = Contact.objects.filter(
        status=ContactStatus.DIALED, dial_time__lt=now - timedelta(seconds=settings.STALE_CALL_TIMEOUT)
    )
    ended = end_stale_calls([str(cid) for cid in stale.values_list("call_id", flat=True)])
    unsent = Contact.objects.filter(
        status=ContactStatus.DIALED, dial_time__isnull=True, claimed_at__lt=now - UNSENT_CLAIM_TIMEOUT
    )
    unanswered = Contact.objects.filter(
        status=ContactStatus.AGENT_PENDING,
        claimed_at__lt=now - timedelta(seconds=settings.AGENT_RESERVATION_TIMEOUT),
    )
    # A claim never sent is first in line again; a reservation that never came waits like one refused.
    released = {
        kind: sum(release_unsent(contact, reason=kind, retry_after=delay, now=now) == kind for contact in contacts)
        for kind, contacts, delay in (
            ("unsent claims released", unsent, 0),
            ("agent requests expired", unanswered, settings.VOICE_CONNECTOR_RETRY),
        )
    }
    AgentReservation.objects.filter(created_at__lt=now - RESERVATION_RETENTION).delete()
    return {"stale": ended, **released}

"""A predictive call after its answer (SPEC 5b): the agent request, the hand-over to the agent, or the abandon.

The listener notes the answer (``note_answered``) and the originate's own result (``note_parked``) in its
transaction; the work that talks to the voice connector or the switch runs on the `answered` queue, started
once that transaction commits. Each step is a compare-and-swap on the ``PredictiveCall`` row, so a call is
handed to its agent or abandoned, never both, and each at most once, whichever worker or cycle gets there:

* ``ask_agent``: one outstanding agent request per call, with ``"answered": true``.
* ``route``: only once the originate's result has arrived (a transfer before it made FreeSWITCH 1.10.12 report
  a bridged call as ``-ERR ORIGINATOR_CANCEL``) and while the customer has waited less than
  ``ABANDON_TIMEOUT``; the agent's variables first, their ``+OK`` awaited, then the transfer to ``agent``.
* ``abandon``: no agent in time: recorded first, then the call is sent to ``ABANDON_EXTENSION`` or killed.

A reservation that can no longer reach its call (abandoned, ended, a second one) frees its agent with END_CHAT.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from campaigns.choices import ContactStatus
from campaigns.models import Contact
from dialer import voice_connector
from dialer.calls import Reservation, agent_request_payload
from dialer.end_chat import queue_end_chat
from dialer.esl.client import SwitchClient, SwitchUnavailable
from dialer.esl.commands import agent_queue_name
from dialer.esl.predictive_commands import build_agent_variables, build_kill, build_transfer
from dialer.models import AgentReservation, PredictiveCall
from dialer.switches import client_for_call

logger = logging.getLogger(__name__)
AGENT_EXTENSION = "agent"
# After NO_AGENT_AVAILABLE the agent is asked for again this soon, while the customer may still wait.
ASK_AGAIN_SECONDS = 0.25


def _later(task: str, call_id: str, *, countdown: float = 0) -> None:
    """Start a dialing-queue task for one call once the current transaction commits."""
    transaction.on_commit(lambda: current_app.send_task(f"dialer.tasks.{task}", args=[call_id], countdown=countdown))


_ANSWERED = f"""
INSERT INTO dialer_predictivecall (call_id, contact_id, campaign_id, switch_name, answered_at)
SELECT c.call_id, c.id, c.campaign_id, c.switch_name, %s FROM campaigns_contact c
WHERE c.call_id = %s AND c.status = '{ContactStatus.DIALED}' AND c.agent_extension = ''
ON CONFLICT (call_id) DO NOTHING
"""


def note_answered(call_id: str, *, answered_at: datetime) -> bool:
    """The customer answered a predictive call (inside the listener's transaction): ask for an agent now,
    and abandon the call if none is connected within ``ABANDON_TIMEOUT`` of the switch's answer time."""
    with connection.cursor() as cursor:
        cursor.execute(_ANSWERED, [answered_at, call_id])
        if cursor.rowcount != 1:
            return False
    _later("ask_agent_for_answered_call", call_id)
    waited = (timezone.now() - answered_at).total_seconds()
    _later("abandon_unrouted_call", call_id, countdown=max(0.0, settings.ABANDON_TIMEOUT - waited))
    return True


def note_parked(call_id: str, *, at: datetime) -> bool:
    """The originate's own result has arrived: the call may be transferred (at once if an agent waits)."""
    updated = PredictiveCall.objects.filter(call_id=call_id, parked_at__isnull=True).update(parked_at=at)
    if updated and AgentReservation.objects.filter(call_id=call_id).exists():
        _later("route_answered_call", call_id)
    return bool(updated)


def ask_agent(call_id: str) -> str:
    """Post the agent request of an answered call (one outstanding per call)."""
    now = timezone.now()
    with transaction.atomic():
        taken = PredictiveCall.objects.filter(
            call_id=call_id, requested_at__isnull=True, routed_at__isnull=True, abandoned_at__isnull=True
        ).update(requested_at=now)
    contact = Contact.objects.select_related("campaign").filter(call_id=call_id).first()
    if not taken or contact is None:
        return "not waiting"
    try:
        voice_connector.post("agent-requests", {**agent_request_payload(contact), "answered": True})
    except voice_connector.VoiceConnectorError as exc:
        logger.warning("agent request for answered call %s failed: %s", call_id, exc)
        PredictiveCall.objects.filter(call_id=call_id).update(requested_at=None)
        return "voice connector down"
    return "requested"


class LateReservation(Exception):
    """The call can no longer take an agent (routed, abandoned, ended, or a second reservation)."""


def is_predictive(contact: Contact) -> bool:
    """A contact whose call was placed ahead of its agent and answered (its reservation comes after the answer)."""
    if contact.status != ContactStatus.DIALED or contact.call_id is None:
        return False
    return PredictiveCall.objects.filter(call_id=contact.call_id).exists()


def apply_reservation(contact: Contact, reservation: Reservation | None) -> str:
    """The voice connector's answer for an answered predictive call (from the web: nothing waits on the switch)."""
    call_id = str(contact.call_id)
    with transaction.atomic():
        call = PredictiveCall.objects.select_for_update().filter(call_id=call_id).first()
        waiting = call is not None and call.routed_at is None and call.abandoned_at is None
        if reservation is None:
            if waiting and call is not None:
                call.requested_at = None
                call.save(update_fields=["requested_at"])
                left = settings.ABANDON_TIMEOUT - (timezone.now() - call.answered_at).total_seconds()
                if left > 2 * ASK_AGAIN_SECONDS:
                    _later("ask_agent_for_answered_call", call_id, countdown=ASK_AGAIN_SECONDS)
            return "no agent"
        contact.agent_extension = reservation.agent_extension
        late = not waiting or AgentReservation.objects.filter(call_id=call_id).exists()
        if late:
            queue_end_chat(contact, reason="the call no longer waits for an agent")
        else:
            _store(contact, reservation, parked=call is not None and call.parked_at is not None)
    if late:
        raise LateReservation(f"contact {contact.id}: its call no longer waits for an agent")
    return "reserved"


def _store(contact: Contact, reservation: Reservation, *, parked: bool) -> None:
    """Keep the reservation for ``route``, started now if the originate's result has arrived."""
    call_id = str(contact.call_id)
    AgentReservation.objects.create(
        call_id=call_id,
        contact_id=contact.id,
        agent_extension=reservation.agent_extension,
        service_identifier=reservation.service_identifier,
        queue_name=reservation.queue_name,
        queue_type=reservation.queue_type,
    )
    if parked:
        _later("route_answered_call", call_id)


_ROUTE = """
UPDATE dialer_predictivecall SET routed_at = %(now)s
WHERE call_id = %(call)s AND routed_at IS NULL AND abandoned_at IS NULL AND parked_at IS NOT NULL
  AND answered_at > %(now)s - %(timeout)s
"""


@dataclass(frozen=True)
class _Route:
    contact: Contact
    reservation: Reservation


def route(call_id: str, *, client: SwitchClient | None = None) -> str:
    """Hand an answered, parked call to its reserved agent: variables, their ``+OK``, then the transfer."""
    taken = _take_route(call_id)
    if isinstance(taken, str):
        return taken
    contact, reservation = taken.contact, taken.reservation
    queue = agent_queue_name(
        reserved=reservation.queue_name, contact_queue=contact.queue_name, routing_mode=contact.routing_mode,
        resource_id=contact.resource_id, campaign_queue=contact.campaign.queue_name,
    )  # fmt: skip
    variables = build_agent_variables(
        call_id=call_id, service_identifier=reservation.service_identifier, queue_type=reservation.queue_type,
        queue_name=queue, agent_extension=reservation.agent_extension,
    )  # fmt: skip
    try:
        client = client or client_for_call(contact.switch_name)  # the switch that holds the call
        reply = client.api(variables)
        if not reply.startswith("+OK"):
            logger.info("call %s is gone before its agent (%s)", call_id, reply.splitlines()[0] if reply else "")
            return "customer gone"
        reply = client.command(build_transfer(call_id=call_id, extension=AGENT_EXTENSION, domain=settings.EFSWITCH_IP))
    except SwitchUnavailable as exc:
        # Nothing more can be sent: the customer hangs up while parked (Dropped) and the end frees the agent.
        logger.warning("call %s could not be handed to its agent: %s", call_id, exc)
        return "switch down"
    return "routed" if reply.startswith("+OK") else "customer gone"


@transaction.atomic
def _take_route(call_id: str) -> _Route | str:
    """The compare-and-swap of routing, with the reservation it consumes; a word when it cannot be routed now."""
    call = PredictiveCall.objects.select_for_update().filter(call_id=call_id).first()
    if call is None:
        return "ended"
    if call.parked_at is None and call.routed_at is None and call.abandoned_at is None:
        return "not parked yet"  # note_parked starts the route when the originate's result arrives
    stored = AgentReservation.objects.filter(call_id=call_id).first()
    if stored is None:
        return "no reservation"
    stored.delete()
    contact = Contact.objects.select_related("campaign").get(pk=call.contact_id)
    contact.agent_extension = stored.agent_extension
    with connection.cursor() as cursor:
        params: dict[str, Any] = {"now": timezone.now(), "call": call_id, "timeout": _timeout()}
        cursor.execute(_ROUTE, params)
        routed = cursor.rowcount == 1
    if not routed:
        queue_end_chat(contact, reason="no longer waiting for an agent")
        return "too late"
    Contact.objects.filter(call_id=call_id, status=ContactStatus.DIALED).update(agent_extension=stored.agent_extension)
    reservation = Reservation(stored.agent_extension, stored.service_identifier, stored.queue_name, stored.queue_type)
    return _Route(contact, reservation)


_ABANDON = """
UPDATE dialer_predictivecall SET abandoned_at = %(now)s
WHERE call_id = ANY(%(calls)s::uuid[]) AND routed_at IS NULL AND abandoned_at IS NULL
  AND answered_at <= %(now)s - %(timeout)s
RETURNING call_id, switch_name
"""


def abandon(call_ids: list[str], *, client: SwitchClient | None = None) -> int:
    """Calls whose customer waited ``ABANDON_TIMEOUT`` with no agent: recorded abandoned, then sent to the abandon
    message or killed. A reservation that comes for them later is refused and its agent freed."""
    if not call_ids:
        return 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            params: dict[str, Any] = {"now": timezone.now(), "calls": call_ids, "timeout": _timeout()}
            cursor.execute(_ABANDON, params)
            abandoned = {str(call_id): switch_name for call_id, switch_name in cursor.fetchall()}
        for stored in AgentReservation.objects.filter(call_id__in=list(abandoned)):
            contact = Contact.objects.get(pk=stored.contact_id)
            contact.agent_extension = stored.agent_extension
            queue_end_chat(contact, reason="the call was abandoned before its agent was connected")
            stored.delete()
    for call_id, switch_name in abandoned.items():
        command = (
            build_transfer(call_id=call_id, extension=settings.ABANDON_EXTENSION, domain=settings.EFSWITCH_IP)
            if settings.ABANDON_EXTENSION
            else build_kill(call_id=call_id)
        )
        try:
            (client or client_for_call(switch_name)).command(command)  # the switch that holds the call
        except SwitchUnavailable as exc:
            logger.warning("abandoned call %s: %s not sent: %s", call_id, command.command, exc)
    if abandoned:
        logger.info("%d answered calls abandoned: no agent within %.1f s", len(abandoned), settings.ABANDON_TIMEOUT)
    return len(abandoned)


def overdue(switch: str, *, now: datetime) -> list[str]:
    """Answered calls of ``switch`` past ``ABANDON_TIMEOUT`` with no agent (the cycle's backstop to the timer)."""
    since = now - timedelta(seconds=settings.ABANDON_TIMEOUT)
    return [
        str(call_id)
        for call_id in PredictiveCall.objects.filter(
            switch_name=switch, routed_at__isnull=True, abandoned_at__isnull=True, answered_at__lte=since
        ).values_list("call_id", flat=True)
    ]


def waiting_routes(switch: str) -> list[str]:
    """Parked calls of ``switch`` whose agent is reserved but not yet handed the call (a lost task's backstop)."""
    reserved = AgentReservation.objects.values("call_id")
    return [
        str(call_id)
        for call_id in PredictiveCall.objects.filter(
            switch_name=switch, routed_at__isnull=True, abandoned_at__isnull=True, parked_at__isnull=False,
            call_id__in=reserved,
        ).values_list("call_id", flat=True)
    ]  # fmt: skip


_CLOSE = "DELETE FROM dialer_predictivecall WHERE call_id = ANY(%s::uuid[]) RETURNING call_id, abandoned_at IS NOT NULL"


def close(call_ids: list[str]) -> set[str]:
    """Calls that ended (inside the listener's transaction): their rows go; returns those that were abandoned.

    An agent reserved for one of them and never handed it is freed with END_CHAT.
    """
    if not call_ids:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(_CLOSE, [call_ids])
        rows = cursor.fetchall()
    if not rows:
        return set()
    closed = [str(call_id) for call_id, _ in rows]
    for stored in AgentReservation.objects.filter(call_id__in=closed):
        contact = Contact.objects.filter(pk=stored.contact_id).first()
        if contact is not None:
            contact.agent_extension = stored.agent_extension
            queue_end_chat(contact, reason="the customer hung up before the agent was connected")
        stored.delete()
    return {str(call_id) for call_id, was_abandoned in rows if was_abandoned}


def _timeout() -> timedelta:
    return timedelta(seconds=settings.ABANDON_TIMEOUT)

"""Placing calls: the gateway check, the originate, and the agent request (seed 001).

Each function runs after the claim has committed and never holds a transaction
open across ESL or HTTP: it talks to the peer, then records the outcome with a
short conditional update (from the status it left the contact in).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from campaigns.choices import ContactStatus
from campaigns.models import Contact
from dialer import transitions, voice_connector
from dialer.esl.client import SwitchClient, SwitchUnavailable
from dialer.esl.commands import ApiCommand, agent_queue_name, build_agent_originate, build_ivr_originate
from dialer.esl.responses import GatewayState
from dialer.models import MessageKind
from dialer.outbox import queue_message
from dialer.results import INVALID_GATEWAY, NO_IVR_NUMBER, SWITCH_ERROR
from dialer.signals import call_attempt_changed
from dialer.throttle import Throttle

logger = logging.getLogger(__name__)


class PlaceOutcome:
    SENT = "sent"
    GATEWAY_INVALID = "gateway invalid"
    GATEWAY_DOWN = "gateway down"
    SWITCH_DOWN = "switch down"
    GONE = "no longer claimed"
    AGENT_REQUESTED = "agent requested"
    VOICE_CONNECTOR_DOWN = "voice connector down"
    NO_IVR = "no IVR number"


@dataclass(frozen=True)
class Reservation:
    """The voice connector's "agent reserved" answer, already validated."""

    agent_extension: str
    service_identifier: str
    queue_name: str
    queue_type: str


def place_ivr_call(contact: Contact, *, client: SwitchClient, throttle: Throttle) -> str:
    """Check the gateway, then originate to the IVR (status stays ``dialed``)."""
    if not (contact.ivr or settings.DEFAULT_IVR):
        logger.error("contact %s has no IVR number and DEFAULT_IVR is not set", contact.id)
        return _record(contact, PlaceOutcome.NO_IVR, ContactStatus.DIALED)
    command = build_ivr_originate(
        call_id=str(contact.call_id),
        gateway_id=contact.gateway_id,
        customer_number=contact.customer_number,
        ivr_number=contact.ivr or settings.DEFAULT_IVR,
        domain=settings.EFSWITCH_IP,
    )
    return _originate(contact, command, client=client, throttle=throttle, source=ContactStatus.DIALED)


def place_agent_call(contact: Contact, reservation: Reservation, *, client: SwitchClient, throttle: Throttle) -> str:
    """An agent is reserved: move ``agent_pending`` → ``dialed`` and originate the bridged call."""
    now = timezone.now()
    reserved = Contact.objects.filter(call_id=contact.call_id, status=ContactStatus.AGENT_PENDING).update(
        status=ContactStatus.DIALED, agent_extension=reservation.agent_extension, updated_at=now
    )
    if not reserved:
        return PlaceOutcome.GONE
    contact.agent_extension = reservation.agent_extension
    command = build_agent_originate(
        call_id=str(contact.call_id),
        gateway_id=contact.gateway_id,
        customer_number=contact.customer_number,
        service_identifier=reservation.service_identifier,
        dialing_mode=contact.dialing_mode,
        queue_type=reservation.queue_type,
        queue_name=agent_queue_name(
            reserved=reservation.queue_name,
            contact_queue=contact.queue_name,
            routing_mode=contact.routing_mode,
            resource_id=contact.resource_id,
            campaign_queue=contact.campaign.queue_name,
        ),
        agent_extension=reservation.agent_extension,
        domain=settings.EFSWITCH_IP,
    )
    return _originate(contact, command, client=client, throttle=throttle, source=ContactStatus.DIALED)


def _originate(contact: Contact, command: ApiCommand, *, client: SwitchClient, throttle: Throttle, source: str) -> str:
    call_id = str(contact.call_id)
    try:
        state = client.gateway_state(contact.gateway_id)
        if state is GatewayState.UP:
            throttle.wait_for_slot()
            client.bgapi(command, job_uuid=call_id)
    except SwitchUnavailable as exc:
        logger.warning("contact %s not dialed, the switch is down: %s", contact.id, exc)
        return _record(contact, PlaceOutcome.SWITCH_DOWN, source)
    if state is GatewayState.UNKNOWN:
        return _record(contact, PlaceOutcome.GATEWAY_INVALID, source)
    if state is GatewayState.DOWN:
        return _record(contact, PlaceOutcome.GATEWAY_DOWN, source)
    return _record(contact, PlaceOutcome.SENT, source)


@transaction.atomic
def _record(contact: Contact, outcome: str, source: str) -> str:
    """Apply what happened at the switch, in one short transaction (compare-and-swap on the status).

    The commit does not wait for the WAL flush: if the database crashed in that instant the
    contact would fall back to "claimed, not confirmed sent", which ends as Stale and is never
    redialed — so nothing unsafe is traded for not waiting on the disk once per call.
    """
    relaxed_commit()
    call_id, now = str(contact.call_id), timezone.now()
    if outcome == PlaceOutcome.SENT:
        if transitions.mark_sent(call_id, now=now):
            call_attempt_changed.send(sender=None, contact_id=contact.id, call_id=call_id, change="dialed", at=now)
        return outcome
    if outcome == PlaceOutcome.GATEWAY_DOWN:
        applied = transitions.back_to_pending(call_id, source=source, now=now)
    else:
        results = {PlaceOutcome.GATEWAY_INVALID: INVALID_GATEWAY, PlaceOutcome.NO_IVR: NO_IVR_NUMBER}
        applied = transitions.to_failed(call_id, source=source, result=results.get(outcome, SWITCH_ERROR), now=now)
    if applied and contact.agent_extension:
        queue_end_chat(contact, reason=outcome)
    return outcome if applied else PlaceOutcome.GONE


def relaxed_commit() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")


def end_chat_payload(
    *, contact_id: str, call_id: str, campaign_contact_id: str, agent_extension: str, reason: str
) -> dict[str, str]:
    """The END_CHAT request of SPEC.md section 5."""
    return {
        "id": contact_id,
        "call_id": call_id,
        "campaign_contact_id": campaign_contact_id,
        "agent_extension": agent_extension,
        "reason": reason,
    }


def queue_end_chat(contact: Contact, *, reason: str) -> None:
    """Ask the voice connector to END_CHAT so the reserved agent is freed."""
    call_id = str(contact.call_id)
    payload = end_chat_payload(
        contact_id=contact.id,
        call_id=call_id,
        campaign_contact_id=contact.campaign_contact_id,
        agent_extension=contact.agent_extension,
        reason=reason,
    )
    queue_message(kind=MessageKind.END_CHAT, contact_id=contact.id, call_id=call_id, payload=payload)


def request_agent(contact: Contact) -> str:
    """Post the call information to the voice connector; if it cannot be reached, the contact waits again."""
    payload = {
        "id": contact.id,
        "call_id": str(contact.call_id),
        "campaign_id": contact.campaign_id,
        "campaign_contact_id": contact.campaign_contact_id,
        "customer_number": contact.customer_number,
        "dialing_mode": contact.dialing_mode,
        "routing_mode": contact.routing_mode,
        "resource_id": contact.resource_id,
        "queue_name": contact.queue_name,
    }
    try:
        voice_connector.post("agent-requests", payload)
    except voice_connector.VoiceConnectorError as exc:
        logger.warning("agent request for contact %s failed, back to pending: %s", contact.id, exc)
        transitions.back_to_pending(str(contact.call_id), source=ContactStatus.AGENT_PENDING, now=timezone.now())
        return PlaceOutcome.VOICE_CONNECTOR_DOWN
    return PlaceOutcome.AGENT_REQUESTED

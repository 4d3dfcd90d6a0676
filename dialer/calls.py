"""Placing calls: the gateway check, the originate, and the agent request (seed 001).

Each function runs after the claim has committed and never holds a transaction
open across ESL or HTTP. The order of a call is fixed: gateway check, throttle
slot, a live connection, then the compare-and-swap that stamps the dial time
(``lifecycle.mark_sending``, committed), and only then the originate. Whatever
fails before that stamp placed no call: the contact goes back to ``pending``. A
failure after it may have reached the switch: that call ends ``Switch Error``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from campaigns import lifecycle
from campaigns.models import Contact
from dialer import voice_connector
from dialer.end_chat import queue_end_chat
from dialer.ends import CallEndReport, end_calls
from dialer.esl.client import SwitchClient
from dialer.esl.commands import ApiCommand, agent_queue_name, build_agent_originate, build_ivr_originate
from dialer.esl.predictive_commands import build_predictive_originate
from dialer.results import INVALID_GATEWAY, LOST_ORIGINATE, NO_IVR_NUMBER, Placement, placement_for
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
    ivr = contact.ivr or settings.DEFAULT_IVR
    if not ivr:
        logger.error("contact %s has no IVR number and DEFAULT_IVR is not set", contact.id)
        return _fail_unsent(contact, NO_IVR_NUMBER, PlaceOutcome.NO_IVR)
    command = build_ivr_originate(
        call_id=str(contact.call_id),
        gateway_id=contact.gateway_id,
        customer_number=contact.customer_number,
        ivr_number=ivr,
        domain=settings.EFSWITCH_IP,
        ring_timeout=contact.campaign.ring_timeout,
    )
    return _originate(contact, command, client=client, throttle=throttle)


def place_agent_call(contact: Contact, reservation: Reservation, *, client: SwitchClient, throttle: Throttle) -> str:
    """The contact's agent is reserved (it is ``dialed``, not yet sent): originate the bridged call."""
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
        ring_timeout=contact.campaign.ring_timeout,
    )
    return _originate(contact, command, client=client, throttle=throttle)


def place_predictive_call(contact: Contact, *, client: SwitchClient, throttle: Throttle) -> str:
    """Call the customer ahead of any agent (SPEC 5b): the answered call waits parked for the agent it gets."""
    command = build_predictive_originate(
        call_id=str(contact.call_id),
        gateway_id=contact.gateway_id,
        customer_number=contact.customer_number,
        caller_id=contact.campaign.caller_id,
        domain=settings.EFSWITCH_IP,
        ring_timeout=contact.campaign.ring_timeout,
    )
    return _originate(contact, command, client=client, throttle=throttle)


def _originate(contact: Contact, command: ApiCommand, *, client: SwitchClient, throttle: Throttle) -> str:
    """Raises ``SwitchUnavailable`` (or anything unexpected) only while nothing of the call was sent."""
    placement = placement_for(client.gateway_state(contact.gateway_id))
    if placement is Placement.INVALID:
        return _fail_unsent(contact, INVALID_GATEWAY, PlaceOutcome.GATEWAY_INVALID)
    if placement is Placement.LATER:
        return release_unsent(contact, reason=PlaceOutcome.GATEWAY_DOWN, retry_after=settings.GATEWAY_DOWN_RETRY)
    client.ensure_alive()
    if not _mark_sending(contact):
        return PlaceOutcome.GONE
    # The slot is taken last, right before the command leaves: a probe of an idle connection or a slow commit
    # between the two would send the call late, and the switch would see it closer to the next slot's holder
    # than the rate allows (measured: six originates in 932 ms at 5 calls/s). The dial time stamped above is
    # still before the command leaves; at most one poll interval before it.
    throttle.wait_for_slot()
    call_id = str(contact.call_id)
    try:
        client.bgapi(command, job_uuid=call_id)
    except Exception:
        # The command may have reached the switch: this call is never sent again.
        logger.exception("contact %s: the originate may or may not have reached the switch", contact.id)
        end_calls([CallEndReport(call_id, LOST_ORIGINATE, timezone.now())])
        return PlaceOutcome.SWITCH_DOWN
    return PlaceOutcome.SENT


@transaction.atomic
def _mark_sending(contact: Contact) -> bool:
    """The compare-and-swap before sending, with the attempt's history row and record 0 in its transaction."""
    call_id, now = str(contact.call_id), timezone.now()
    if not lifecycle.mark_sending(call_id, now=now):
        return False
    call_attempt_changed.send(sender=None, contact_id=contact.id, call_id=call_id, change="dialed", at=now)
    return True


@transaction.atomic
def release_unsent(contact: Contact, *, reason: str, retry_after: float = 0, now: datetime | None = None) -> str:
    """The claim placed no call: back to ``pending`` (no attempt), and a reserved agent is freed.

    ``retry_after`` seconds (section 5a's delays): the contact is not dialable before then, while the
    contacts behind it in its campaign are.
    """
    now = now or timezone.now()
    retry_at = now + timedelta(seconds=retry_after) if retry_after else None
    if not lifecycle.release([str(contact.call_id)], now=now, retry_at=retry_at):
        return PlaceOutcome.GONE
    queue_end_chat(contact, reason=reason)
    return reason


@transaction.atomic
def _fail_unsent(contact: Contact, result: str, outcome: str) -> str:
    if not lifecycle.fail_unsent(str(contact.call_id), result=result, now=timezone.now()):
        return PlaceOutcome.GONE
    queue_end_chat(contact, reason=outcome)
    return outcome


def agent_request_payload(contact: Contact) -> dict[str, Any]:
    """The call information of an agent request (seed 001)."""
    return {
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


def request_agent(contact: Contact) -> str:
    """Post the call information to the voice connector; if it cannot be reached, the contact waits again."""
    try:
        voice_connector.post("agent-requests", agent_request_payload(contact))
    except voice_connector.VoiceConnectorError as exc:
        logger.warning("agent request for contact %s failed, back to pending: %s", contact.id, exc)
        return release_unsent(
            contact, reason=PlaceOutcome.VOICE_CONNECTOR_DOWN, retry_after=settings.VOICE_CONNECTOR_RETRY
        )
    return PlaceOutcome.AGENT_REQUESTED

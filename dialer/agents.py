"""The voice connector's answer to an agent request (seed 001, agent campaigns).

The web never talks to the switch: an "agent reserved" answer is stored and the
contact's switch places the call in its next cycle (asked for at once, on the
dialing queue). What the switch looks like now is read from what the listener and
workers last saw.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from campaigns import lifecycle
from campaigns.choices import ContactStatus
from campaigns.models import Contact
from dialer import predictive, switch_state
from dialer.calls import Reservation, release_unsent
from dialer.commit_hooks import request_cycle
from dialer.end_chat import queue_end_chat
from dialer.reservations import AlreadyReserved, store_reservation

AGENT_RESERVED = "AGENT_RESERVED"
NO_AGENT_AVAILABLE = "NO_AGENT_AVAILABLE"
logger = logging.getLogger(__name__)


class ContactNotFound(Exception):
    pass


class NotAwaitingAgent(Exception):
    """The contact is not ``agent_pending`` (answered twice, or too late)."""


class SwitchDown(Exception):
    """The contact's switch is down: the contact waits again and the agent is freed."""


def apply_reservation(contact_id: str, status: str, reservation: Reservation | None) -> str:
    """No agent: the contact waits for a later cycle. Agent reserved: its call is placed by the next cycle."""
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None:
        raise ContactNotFound(contact_id)
    if predictive.is_predictive(contact):  # answered and parked, waiting for this agent (SPEC 5b)
        try:
            return predictive.apply_reservation(contact, reservation)
        except predictive.LateReservation as exc:
            raise NotAwaitingAgent(str(exc)) from exc
    if contact.status != ContactStatus.AGENT_PENDING:
        if reservation is not None and contact.call_id is not None:  # a late or repeated one: its agent is freed
            contact.agent_extension = reservation.agent_extension
            with transaction.atomic():
                queue_end_chat(contact, reason="the contact no longer waits for an agent")
        raise NotAwaitingAgent(f"contact {contact_id} is {contact.status}, not agent_pending")
    if status == NO_AGENT_AVAILABLE or reservation is None:
        now = timezone.now()
        with transaction.atomic():
            retry_at = now + timedelta(seconds=settings.NO_AGENT_RETRY)
            if not lifecycle.release([str(contact.call_id)], now=now, retry_at=retry_at):
                raise NotAwaitingAgent(f"contact {contact_id} changed meanwhile")
        contact.refresh_from_db(fields=["status"])
        return contact.status
    contact.agent_extension = reservation.agent_extension
    if not switch_state.listener_connected(contact.switch_name):
        release_unsent(contact, reason="the switch is down")
        raise SwitchDown(f"contact {contact_id}: the switch {contact.switch_name} is down")
    try:
        store_reservation(contact, reservation)
    except AlreadyReserved as exc:
        with transaction.atomic():
            queue_end_chat(contact, reason="a second reservation for one call")
        raise NotAwaitingAgent(str(exc)) from exc
    try:
        request_cycle(contact.switch_name)  # the contact's switch places the call
    except Exception:  # the beat's next cycle takes the reservation anyway
        logger.warning("could not ask for a cycle now for contact %s", contact_id, exc_info=True)
    return "reserved"


def settle_after_error(contact_id: str, agent_extension: str) -> None:
    """After an unexpected error in the callback: the contact is not lost, and the agent is freed."""
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None or contact.status not in (ContactStatus.AGENT_PENDING, ContactStatus.DIALED):
        return
    contact.agent_extension = contact.agent_extension or agent_extension
    release_unsent(contact, reason="the dialer could not accept the reservation")

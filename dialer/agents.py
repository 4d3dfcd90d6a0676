"""The voice connector's answer to an agent request (seed 001, agent campaigns)."""

from __future__ import annotations

from django.utils import timezone

from campaigns.choices import ContactStatus
from campaigns.models import Contact
from dialer import transitions
from dialer.calls import PlaceOutcome, Reservation, place_agent_call
from dialer.esl.client import switch_client
from dialer.throttle import configured_throttle

AGENT_RESERVED = "AGENT_RESERVED"
NO_AGENT_AVAILABLE = "NO_AGENT_AVAILABLE"


class ContactNotFound(Exception):
    pass


class NotAwaitingAgent(Exception):
    """The contact is not ``agent_pending`` (answered twice, or too late)."""


class SwitchDown(Exception):
    """The agent call could not be sent; the contact is recorded as failed and the agent released."""


def apply_reservation(contact_id: str, status: str, reservation: Reservation | None) -> str:
    """No agent: the contact waits for the next cycle. Agent reserved: dial it now."""
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None:
        raise ContactNotFound(contact_id)
    if contact.status != ContactStatus.AGENT_PENDING:
        raise NotAwaitingAgent(f"contact {contact_id} is {contact.status}, not agent_pending")
    if status == NO_AGENT_AVAILABLE or reservation is None:
        if not transitions.back_to_pending(
            str(contact.call_id), source=ContactStatus.AGENT_PENDING, now=timezone.now()
        ):
            raise NotAwaitingAgent(f"contact {contact_id} changed meanwhile")
        return ContactStatus.PENDING
    client = switch_client()
    outcome = place_agent_call(contact, reservation, client=client, throttle=configured_throttle(client.address.name))
    if outcome == PlaceOutcome.GONE:
        raise NotAwaitingAgent(f"contact {contact_id} changed meanwhile")
    if outcome == PlaceOutcome.SWITCH_DOWN:
        raise SwitchDown(f"contact {contact_id}: the switch cannot be reached")
    return outcome

"""Agent reservations between the voice connector's callback and the cycle that places the call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, connection, transaction

from campaigns import lifecycle
from campaigns.choices import ContactStatus
from campaigns.models import Contact
from dialer.calls import Reservation
from dialer.end_chat import queue_end_chat
from dialer.models import AgentReservation


class AlreadyReserved(Exception):
    """An agent is already reserved for this call."""


def store_reservation(contact: Contact, reservation: Reservation) -> None:
    """Keep the reservation for the cycle; a second one for the same call is refused."""
    try:
        with transaction.atomic():
            AgentReservation.objects.create(
                call_id=str(contact.call_id),
                contact_id=contact.id,
                agent_extension=reservation.agent_extension,
                service_identifier=reservation.service_identifier,
                queue_name=reservation.queue_name,
                queue_type=reservation.queue_type,
            )
    except IntegrityError as exc:
        raise AlreadyReserved(f"an agent is already reserved for contact {contact.id}") from exc


@dataclass(frozen=True)
class ReservedCall:
    contact_id: str
    reservation: Reservation


_TAKE = """
DELETE FROM dialer_agentreservation r USING campaigns_contact c
WHERE r.call_id = c.call_id AND c.switch_name = %s
  AND NOT EXISTS (SELECT 1 FROM dialer_predictivecall p WHERE p.call_id = r.call_id)
RETURNING r.call_id, r.contact_id, r.agent_extension, r.service_identifier, r.queue_name, r.queue_type, c.status
"""


@transaction.atomic
def take_reservations(switch: str, *, now: datetime) -> list[ReservedCall]:
    """This switch's reservations, each taken by one cycle only: their contacts move to ``dialed`` (unsent).

    Those of answered predictive calls are not this step's: ``predictive.route`` hands those calls over.

    A reservation whose contact stopped waiting meanwhile (its request expired, the sweep released it)
    is dropped, and its agent freed with END_CHAT.
    """
    with connection.cursor() as cursor:
        cursor.execute(_TAKE, [switch])
        rows = cursor.fetchall()
    taken = []
    for call_id, contact_id, agent, service, queue, queue_type, status in rows:
        reservation = Reservation(agent, service, queue, queue_type)
        if status == ContactStatus.AGENT_PENDING and lifecycle.reserve(str(call_id), agent_extension=agent, now=now):
            taken.append(ReservedCall(contact_id, reservation))
            continue
        contact = Contact.objects.filter(pk=contact_id, call_id=call_id).first()
        if contact is not None:
            contact.agent_extension = agent
            queue_end_chat(contact, reason="the contact no longer waits for an agent")
    return taken

"""Applying agent-generated updates (seed 000): dispositions, callbacks and agent activity.

A worker applies each queued update in its own transaction. An update the
database rejects (unknown contact, a contact in a call, a callback after the
contact's window, a value the table refuses) is moved to the error queue with
the reason — never dropped — and can be replayed once the cause is fixed.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, transaction
from django.utils import timezone

from campaigns import lifecycle
from campaigns.choices import ContactStatus
from campaigns.models import Contact
from reporting.models import AgentHistory, AgentUpdate, AgentUpdateState, CallHistory

logger = logging.getLogger(__name__)


class Rejected(Exception):
    """The update cannot be applied as it stands; the message is the reason kept in the error queue."""


def apply_update(update_id: int) -> str:
    """Apply one queued update; returns its new state."""
    try:
        with transaction.atomic():
            update = AgentUpdate.objects.select_for_update().filter(pk=update_id, state=AgentUpdateState.QUEUED).first()
            if update is None:
                return "not queued"
            _apply(update)
            AgentUpdate.objects.filter(pk=update_id).update(
                state=AgentUpdateState.APPLIED, applied_at=timezone.now(), attempts=update.attempts + 1, reason=""
            )
        return AgentUpdateState.APPLIED
    except (Rejected, DatabaseError) as exc:
        reason = f"{exc.__class__.__name__}: {exc}" if isinstance(exc, DatabaseError) else str(exc)
        AgentUpdate.objects.filter(pk=update_id, state=AgentUpdateState.QUEUED).update(
            state=AgentUpdateState.REJECTED, reason=reason[:2000]
        )
        logger.warning("agent update %s moved to the error queue: %s", update_id, reason)
        return AgentUpdateState.REJECTED


def replay(update_id: int) -> str:
    """Put a rejected update back in the queue and apply it again (the operator fixed the cause)."""
    AgentUpdate.objects.filter(pk=update_id, state=AgentUpdateState.REJECTED).update(state=AgentUpdateState.QUEUED)
    return apply_update(update_id)


def _apply(update: AgentUpdate) -> None:
    contact = Contact.objects.select_for_update().filter(pk=update.contact_id).first()
    if contact is None:
        raise Rejected(f"unknown contact {update.contact_id}")
    if update.disposition:
        _record_disposition(update, contact)
    if update.callback_time:
        _schedule_callback(update, contact)
    if update.activity:
        AgentHistory.objects.create(
            agent_extension=update.agent_extension,
            activity=update.activity,
            occurred_at=update.occurred_at,
            campaign_id=contact.campaign_id,
            contact_id=contact.id,
            call_id=update.call_id or contact.call_id,
        )


def _record_disposition(update: AgentUpdate, contact: Contact) -> None:
    attempts = CallHistory.objects.filter(contact_id=contact.id)
    attempt = (
        attempts.filter(call_id=update.call_id).first() if update.call_id else attempts.order_by("-dialing_at").first()
    )
    if attempt is None:
        raise Rejected(f"no call attempt {update.call_id or ''} of contact {contact.id} to carry the disposition")
    attempt.disposition = update.disposition
    attempt.save(update_fields=["disposition"])


def _schedule_callback(update: AgentUpdate, contact: Contact) -> None:
    """The contact is dialed again from the callback time (its window must still be open then)."""
    callback = update.callback_time
    assert callback is not None
    if contact.status not in (ContactStatus.ENDED, ContactStatus.FAILED):
        raise Rejected(f"contact {contact.id} is {contact.status}: a callback is scheduled once its call has ended")
    if callback >= contact.end_time:
        raise Rejected(
            f"callback {callback.isoformat()} is after the contact's end_time {contact.end_time.isoformat()}"
        )
    lifecycle.call_back(contact.pk, source=contact.status, at=callback, now=timezone.now())


def apply_queued(limit: int = 200) -> int:
    """Apply what is still queued (a sweep, in case a task was lost between commit and broker)."""
    queued = list(
        AgentUpdate.objects.filter(state=AgentUpdateState.QUEUED)
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(apply_update(update_id) == AgentUpdateState.APPLIED for update_id in queued)

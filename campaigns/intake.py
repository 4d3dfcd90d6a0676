"""Receiving contacts: all-or-nothing batches, idempotent replays, campaigns on first sight."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns import counts
from campaigns.calling_hours import zone_key
from campaigns.choices import HOLDING_STATES, Actor, CampaignAction, ContactStatus
from campaigns.models import Campaign, Contact, ContactList
from campaigns.signals import campaign_changed, send_on_commit
from campaigns.validation import ContactInput


@dataclass
class IntakeResult:
    created: list[str] = field(default_factory=list)
    replayed: list[str] = field(default_factory=list)


class IntakeConflict(Exception):
    """Some ids already exist with other content; nothing of the batch was written."""

    def __init__(self, conflicts: list[tuple[int, str]]) -> None:
        super().__init__(f"{len(conflicts)} contact id(s) already exist with other content")
        self.conflicts = conflicts


def receive_contacts(contacts: Sequence[ContactInput]) -> IntakeResult:
    """Store a validated batch in one transaction, or raise ``IntakeConflict`` and store nothing.

    A contact re-sent with the same content is a replay, not an error. Two
    requests racing to insert one id end in a unique violation for the loser;
    it is retried once and then sees the winner's row, so a conflicting race
    is still reported as a conflict, never silently dropped.
    """
    try:
        return _receive_once(contacts)
    except IntegrityError:
        return _receive_once(contacts)


@transaction.atomic
def _receive_once(contacts: Sequence[ContactInput]) -> IntakeResult:
    first: dict[str, ContactInput] = {}
    for contact in contacts:
        first.setdefault(contact.id, contact)
    stored = {
        row.id: stored_content(row) for row in Contact.objects.select_related("contact_list").filter(id__in=list(first))
    }
    conflicts = [
        (index, contact.id)
        for index, contact in enumerate(contacts)
        if stored.get(contact.id, first[contact.id].content()) != contact.content()
    ]
    if conflicts:
        raise IntakeConflict(conflicts)
    new = [contact for contact in first.values() if contact.id not in stored]
    rows = Contact.objects.bulk_create(build_contacts(new, received_at=timezone.now()))
    # Shown at once in the status API, /metrics and the admin, without counting the campaign again.
    counts.add_received_on_commit(Counter((row.campaign_id, row.status) for row in rows))
    return IntakeResult(created=[c.id for c in new], replayed=[i for i in first if i in stored])


def stored_content(row: Contact) -> tuple[Any, ...]:
    """A stored contact's campaign-manager fields, comparable with ``ContactInput.content``."""
    return ContactInput(
        id=row.id,
        customer_number=row.customer_number,
        campaign_type=row.campaign_type,
        gateway_id=row.gateway_id,
        campaign_contact_id=row.campaign_contact_id,
        campaign_id=row.campaign_id,
        start_time=row.start_time,
        end_time=row.end_time,
        priority=row.priority,
        ivr=row.ivr,
        dialing_mode=row.dialing_mode,
        routing_mode=row.routing_mode,
        resource_id=row.resource_id,
        queue_name=row.queue_name,
        contact_list=row.contact_list.name,
    ).content()


def build_contacts(contacts: Sequence[ContactInput], *, received_at: datetime) -> list[Contact]:
    """Unsaved rows for new contacts, in the order received.

    Each contact is received one microsecond after the previous one, so FIFO
    order inside a batch is the order of the batch.
    """
    campaigns = ensure_campaigns(contacts)
    lists = ensure_lists((c.campaign_id, c.contact_list) for c in contacts)
    step = timedelta(microseconds=1)
    return [
        Contact(
            id=c.id,
            customer_number=c.customer_number,
            campaign_type=c.campaign_type,
            gateway_id=c.gateway_id,
            campaign_contact_id=c.campaign_contact_id,
            campaign_id=c.campaign_id,
            start_time=c.start_time,
            end_time=c.end_time,
            priority=c.priority,
            ivr=c.ivr,
            dialing_mode=c.dialing_mode,
            routing_mode=c.routing_mode,
            resource_id=c.resource_id,
            queue_name=c.queue_name,
            contact_list=lists[(c.campaign_id, c.contact_list)],
            status=initial_status(campaigns[c.campaign_id]),
            received_time=received_at + index * step,
            time_zone=c.time_zone,
            tz_key=zone_key(own=c.time_zone, number=c.customer_number),
            # Loaded ahead of its time: it waits outside the dialing queue until then.
            scheduled=c.start_time > received_at,
            wake_at=c.start_time if c.start_time > received_at else None,
        )
        for index, c in enumerate(contacts)
    ]


def initial_status(campaign: Campaign) -> str:
    """Contacts that arrive for a stopped (or unloaded) campaign are stored ``stopped``."""
    return ContactStatus.STOPPED if campaign.state in HOLDING_STATES else ContactStatus.PENDING


def ensure_campaigns(contacts: Iterable[ContactInput]) -> dict[str, Campaign]:
    """The campaigns of these contacts, creating (and announcing) those seen for the first time.

    A campaign created from its first contacts is ``running``: seed 001 dials
    contacts as they arrive, with no separate start.
    """
    firsts: dict[str, ContactInput] = {}
    for contact in contacts:
        firsts.setdefault(contact.campaign_id, contact)
    known = {c.campaign_id: c for c in Campaign.objects.filter(campaign_id__in=list(firsts))}
    fresh = [
        Campaign(campaign_id=cid, name=cid, campaign_type=c.campaign_type, dialing_mode=c.dialing_mode)
        for cid, c in firsts.items()
        if cid not in known
    ]
    if fresh:
        Campaign.objects.bulk_create(fresh, ignore_conflicts=True)
        for campaign in fresh:
            send_on_commit(
                campaign_changed, campaign_id=campaign.campaign_id, action=CampaignAction.LOAD, actor=Actor.CLIENT
            )
        known.update(
            (c.campaign_id, c) for c in Campaign.objects.filter(campaign_id__in=[f.campaign_id for f in fresh])
        )
    return known


def ensure_lists(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], ContactList]:
    """The calling lists named by (campaign_id, list name) pairs, created when new."""
    wanted = set(keys)
    ContactList.objects.bulk_create(
        [ContactList(campaign_id=cid, name=name) for cid, name in wanted], ignore_conflicts=True
    )
    campaign_ids = {cid for cid, _ in wanted}
    return {
        (row.campaign_id, row.name): row
        for row in ContactList.objects.filter(campaign_id__in=campaign_ids, name__in={n for _, n in wanted})
    }

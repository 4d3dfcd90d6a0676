"""Campaign control: start, stop and purge (seed 001), shared by the API, the admin and commands.

Each is one conditional UPDATE (or DELETE) from the expected status inside a
transaction, so a contact the dialer has just claimed is never moved back. Each is recorded in the
campaign's audit trail (``by``: who asked, see ``campaigns.audit``) in that same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from campaigns import audit, counts, lifecycle
from campaigns.choices import ACTIVE_STATUSES, Actor, AuditAction, CampaignAction, CampaignState, ContactStatus
from campaigns.models import Campaign, Contact
from campaigns.signals import campaign_changed, send_on_commit


class CampaignNotFound(Exception):
    """No contacts carry this campaign id (seed 001: a Not Found error)."""


class ActiveContactsNotPurgeable(Exception):
    """Contacts in a call cannot be purged: their results are still to come."""


@dataclass(frozen=True)
class ControlResult:
    campaign_id: str
    affected: int

    def as_dict(self) -> dict[str, Any]:
        return {"campaign_id": self.campaign_id, "affected": self.affected}


def start_campaign(campaign_id: str, *, actor: str = Actor.CLIENT, by: str = audit.UNATTRIBUTED) -> ControlResult:
    """Stopped contacts go back to ``pending`` and the campaign runs."""
    return _move(
        campaign_id,
        lambda campaign: lifecycle.resume_campaign(campaign, now=timezone.now()),
        CampaignState.RUNNING,
        CampaignAction.START,
        actor,
        by,
    )


def stop_campaign(campaign_id: str, *, actor: str = Actor.CLIENT, by: str = audit.UNATTRIBUTED) -> ControlResult:
    """Pending contacts are held as ``stopped``; calls already placed finish normally."""
    return _move(campaign_id, lifecycle.hold_campaign, CampaignState.STOPPED, CampaignAction.STOP, actor, by)


def unload_campaign(campaign_id: str, *, actor: str = Actor.CLIENT, by: str = audit.UNATTRIBUTED) -> ControlResult:
    """Take the campaign out of service: pending contacts are held as ``stopped``, new ones arrive stopped."""
    return _move(
        campaign_id, lifecycle.hold_campaign, CampaignState.UNLOADED, CampaignAction.UNLOAD, actor, by, empty_ok=True
    )


@transaction.atomic
def purge_campaign(
    campaign_id: str, *, statuses: tuple[str, ...] = (ContactStatus.PENDING,), by: str = audit.UNATTRIBUTED
) -> ControlResult:
    """Delete the campaign's contacts in ``statuses`` (seed 001: the pending ones)."""
    if set(statuses) & set(ACTIVE_STATUSES):
        raise ActiveContactsNotPurgeable(f"contacts in {', '.join(ACTIVE_STATUSES)} are in a call and cannot be purged")
    _lock_campaign_with_contacts(campaign_id)
    deleted, _ = Contact.objects.filter(campaign_id=campaign_id, status__in=statuses).delete()
    audit.record(campaign_id, AuditAction.PURGE, by=by, affected=deleted, detail=f"statuses: {', '.join(statuses)}")
    counts.recount_on_commit(campaign_id)
    return ControlResult(campaign_id, deleted)


@transaction.atomic
def _move(
    campaign_id: str,
    move_contacts: Callable[[str], int],
    state: str,
    action: str,
    actor: str,
    by: str,
    *,
    empty_ok: bool = False,
) -> ControlResult:
    campaign = _lock_campaign_with_contacts(campaign_id, empty_ok=empty_ok)
    affected = move_contacts(campaign_id)
    previous = campaign.state
    if campaign.state != state:
        campaign.state = state
        campaign.save(update_fields=["state", "updated_at"])
    # start / stop / unload are named alike in notifications (CampaignAction) and in the trail (AuditAction).
    changes = audit.settings_changes({"state": previous}, {"state": state})
    audit.record(campaign_id, AuditAction(action), by=by, affected=affected, changes=changes)
    send_on_commit(campaign_changed, campaign_id=campaign_id, action=action, actor=actor)
    return ControlResult(campaign_id, affected)


def _lock_campaign_with_contacts(campaign_id: str, *, empty_ok: bool = False) -> Campaign:
    """Lock the campaign row so concurrent controls apply one after the other.

    Seed 001's Not Found is for a campaign no contact carries. Unload is ours and also takes a campaign
    a purge has emptied (``empty_ok``): otherwise it would stay "running", reported every interval, for ever.
    """
    campaign = Campaign.objects.select_for_update().filter(campaign_id=campaign_id).first()
    if campaign is None:
        raise CampaignNotFound(f"no campaign {campaign_id!r}")
    if not empty_ok and not Contact.objects.filter(campaign_id=campaign_id).exists():
        raise CampaignNotFound(f"no contacts with campaign_id {campaign_id!r}")
    return campaign

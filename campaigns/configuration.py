"""Creating and changing a campaign's configuration (API and admin share these).

Each change is recorded in the campaign's audit trail (``by``: who asked, see ``campaigns.audit``) with
every changed field's old and new value, in the transaction that makes it.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from campaigns import audit
from campaigns.choices import Actor, AuditAction, CampaignAction, CampaignState
from campaigns.models import Campaign
from campaigns.signals import campaign_changed, send_on_commit

EDITABLE_FIELDS = (
    "name", "dialing_mode", "queue_name", "default_ivr", "template_name", "tenant_name", "ring_timeout",
    "retry_rules", "max_concurrent_calls", "calling_hours", "time_zone", "caller_id", "optimize_by", "optimize_goal",
    "max_dial_ratio",
)  # fmt: skip


@transaction.atomic
def create_campaign(
    *, campaign_id: str, actor: str = Actor.CLIENT, by: str = audit.UNATTRIBUTED, **fields: Any
) -> Campaign:
    """A campaign made ahead of its contacts is ``loaded``: it dials once started."""
    fields.setdefault("name", campaign_id)
    campaign = Campaign.objects.create(campaign_id=campaign_id, state=CampaignState.LOADED, **fields)
    initial = audit.settings_changes({}, {**fields, "state": CampaignState.LOADED})
    audit.record(campaign_id, AuditAction.CREATE, by=by, changes=initial)
    send_on_commit(campaign_changed, campaign_id=campaign_id, action=CampaignAction.LOAD, actor=actor)
    return campaign


@transaction.atomic
def update_campaign(
    campaign_id: str, *, actor: str = Actor.CLIENT, by: str = audit.UNATTRIBUTED, **changes: Any
) -> Campaign:
    """Apply configuration changes; a new dialing mode is a reported event (seed 002).

    A request that changes nothing (every value already set) leaves no entry in the audit trail.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    campaign = Campaign.objects.select_for_update().get(campaign_id=campaign_id)
    mode_changed = "dialing_mode" in changes and changes["dialing_mode"] != campaign.dialing_mode
    changed = audit.settings_changes({name: getattr(campaign, name) for name in changes}, changes)
    if changed:
        audit.record(campaign_id, AuditAction.UPDATE, by=by, changes=changed)
    for name, value in changes.items():
        setattr(campaign, name, value)
    campaign.save(update_fields=[*changes, "updated_at"])
    if mode_changed:
        send_on_commit(campaign_changed, campaign_id=campaign_id, action=CampaignAction.SET_DIALING_MODE, actor=actor)
    return campaign

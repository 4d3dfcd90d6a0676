"""Creating and changing a campaign's configuration (API and admin share these)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from campaigns.choices import Actor, CampaignAction, CampaignState
from campaigns.models import Campaign
from campaigns.signals import campaign_changed, send_on_commit

EDITABLE_FIELDS = (
    "name", "dialing_mode", "queue_name", "default_ivr", "template_name", "tenant_name", "ring_timeout",
    "retry_rules", "max_concurrent_calls", "calling_hours", "time_zone", "caller_id", "optimize_by", "optimize_goal",
    "max_dial_ratio",
)  # fmt: skip


@transaction.atomic
def create_campaign(*, campaign_id: str, actor: str = Actor.CLIENT, **fields: Any) -> Campaign:
    """A campaign made ahead of its contacts is ``loaded``: it dials once started."""
    fields.setdefault("name", campaign_id)
    campaign = Campaign.objects.create(campaign_id=campaign_id, state=CampaignState.LOADED, **fields)
    send_on_commit(campaign_changed, campaign_id=campaign_id, action=CampaignAction.LOAD, actor=actor)
    return campaign


@transaction.atomic
def update_campaign(campaign_id: str, *, actor: str = Actor.CLIENT, **changes: Any) -> Campaign:
    """Apply configuration changes; a new dialing mode is a reported event (seed 002)."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    campaign = Campaign.objects.select_for_update().get(campaign_id=campaign_id)
    mode_changed = "dialing_mode" in changes and changes["dialing_mode"] != campaign.dialing_mode
    for name, value in changes.items():
        setattr(campaign, name, value)
    campaign.save(update_fields=[*changes, "updated_at"])
    if mode_changed:
        send_on_commit(campaign_changed, campaign_id=campaign_id, action=CampaignAction.SET_DIALING_MODE, actor=actor)
    return campaign

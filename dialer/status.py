"""What the dialer status API reports: slots, active calls and per-campaign counts."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.db.models import Count

from campaigns.choices import ACTIVE_STATUSES, ContactStatus
from campaigns.models import Campaign, Contact
from dialer.esl.client import switch_client
from dialer.signals import status_requested


def active_call_count() -> int:
    """Calls in progress, always counted from the database (no counter that can drift)."""
    return Contact.objects.filter(status__in=ACTIVE_STATUSES).count()


def contact_counts_by_campaign() -> dict[str, dict[str, int]]:
    """Contacts per status for every campaign (every status present, zeros included)."""
    counts: dict[str, dict[str, int]] = {}
    for row in Contact.objects.order_by().values("campaign_id", "status").annotate(n=Count("id")):
        per_status = counts.setdefault(str(row["campaign_id"]), dict.fromkeys(ContactStatus.values, 0))
        per_status[row["status"]] = row["n"]
    return counts


def dialer_status() -> dict[str, Any]:
    active = active_call_count()
    counts = contact_counts_by_campaign()
    campaigns = list(Campaign.objects.all())
    extra: dict[str, dict[str, Any]] = {}
    for _, answer in status_requested.send(sender=None, campaign_ids=[c.campaign_id for c in campaigns]):
        for campaign_id, values in cast(dict[str, dict[str, Any]], answer).items():
            extra.setdefault(campaign_id, {}).update(values)
    return {
        "max_concurrent_calls": settings.MAX_CONCURRENT_CALLS,
        "active_calls": active,
        "free_slots": max(0, settings.MAX_CONCURRENT_CALLS - active),
        "calls_per_second": settings.DIALER_CALLS_PER_SECOND,
        "switch": {
            "mode": settings.DIALER_SWITCH,
            "host": settings.ESL_HOST,
            "port": settings.ESL_PORT,
            "connected": switch_client().answers(),
        },
        "campaigns": [
            {
                "campaign_id": campaign.campaign_id,
                "state": campaign.state,
                "waiting_for_records": campaign.waiting_for_records,
                "contacts": counts.get(campaign.campaign_id, dict.fromkeys(ContactStatus.values, 0)),
                **extra.get(campaign.campaign_id, {}),
            }
            for campaign in campaigns
        ],
    }

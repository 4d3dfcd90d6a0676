"""Why a pending contact is not being dialed now: the operator's answer, read from the rules of section 5a."""

from __future__ import annotations

from datetime import datetime

from campaigns.calling_hours import is_open, next_open, zones_for
from campaigns.choices import CampaignState, ContactStatus
from campaigns.dnc import suppressed
from campaigns.models import Contact


def reasons_not_dialed(contact: Contact, *, now: datetime) -> list[str]:
    """Every reason that keeps ``contact`` from being dialed at ``now``; empty when it is due."""
    if contact.status != ContactStatus.PENDING:
        return [f"its status is {contact.status}: only pending contacts are dialed"]
    campaign = contact.campaign
    reasons = []
    if campaign.state != CampaignState.RUNNING:
        reasons.append(f"campaign {campaign.campaign_id} is {campaign.state}")
    if campaign.waiting_for_records:
        reasons.append("its campaign waits for attempt records to be saved (wait condition)")
    if contact.start_time > now:
        reasons.append(f"its window opens at {contact.start_time.isoformat()}")
    if contact.end_time <= now:
        reasons.append(f"its window closed at {contact.end_time.isoformat()}")
    if contact.retry_at and contact.retry_at > now:
        reasons.append(f"its retry time is {contact.retry_at.isoformat()} (after {contact.call_result or 'no call'})")
    zones = zones_for(contact.tz_key, campaign_zone=campaign.time_zone)
    if campaign.calling_hours and not is_open(campaign.calling_hours, zones, now):
        opens = next_open(campaign.calling_hours, zones, now)
        when = f"they open at {opens.isoformat()}" if opens else "they do not open within a week"
        reasons.append(f"outside its calling hours in {', '.join(zones)}: {when}")
    if suppressed([contact.customer_number], campaign_id=contact.campaign_id, now=now):
        reasons.append("its number is on the do-not-call list (it ends Do Not Call when claimed)")
    return reasons

"""What the dialer status API reports: slots, active calls and per-campaign counts."""

from __future__ import annotations

import time
from typing import Any, cast

from django.conf import settings
from django.db.models import Count

from campaigns.choices import ACTIVE_STATUSES, ContactStatus
from campaigns.models import Campaign, Contact
from dialer import switch_state
from dialer.esl.client import SwitchAddress, configured_switch
from dialer.esl.probe import probe_event_socket
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


def switch_health(address: SwitchAddress) -> dict[str, Any]:
    """What is known of a switch now, without waiting on it.

    Read from what its listener and the workers last saw (with its age). Only when nothing fresh is
    known is the event socket asked, with a one-second deadline; the answer is shared like the rest.
    """
    name = address.name
    listening = switch_state.listener_connected(name)
    seen = switch_state.last_seen(name)
    if not listening and (seen is None or seen.age > switch_state.FRESH_SECONDS):
        seen = _probe(address)
    return {
        "name": name,
        "host": address.host,
        "port": address.port,
        "connected": listening or (seen is not None and seen.ok),
        "listener_connected": listening,
        "seen_seconds_ago": None if seen is None else round(seen.age, 1),
        "error": "" if seen is None or seen.ok else seen.error,
    }


def _probe(address: SwitchAddress) -> switch_state.Seen:
    """Ask the event socket itself (one second at most), and share the answer."""
    try:
        probe_event_socket(address.host, address.port, address.password)
    except OSError as exc:
        seen = switch_state.Seen(ok=False, at=time.time(), error=f"{exc.__class__.__name__}: {exc}")
    else:
        seen = switch_state.Seen(ok=True, at=time.time(), error="")
    switch_state.note(address.name, ok=seen.ok, error=seen.error)
    return seen


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
        "switch": {"mode": settings.DIALER_SWITCH, **switch_health(configured_switch())},
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

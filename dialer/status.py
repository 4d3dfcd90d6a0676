"""What the dialer status API reports: slots, active calls and per-campaign counts."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, cast

from django.conf import settings

from campaigns.choices import ACTIVE_STATUSES
from campaigns.counts import contact_counts
from campaigns.models import Campaign, Contact
from dialer import switch_state
from dialer.esl.client import SwitchAddress
from dialer.esl.probe import probe_event_socket
from dialer.signals import status_requested
from dialer.switches import listed_switches, switch_summary


def active_call_count() -> int:
    """Calls in progress, always counted from the database (no counter that can drift)."""
    return Contact.objects.filter(status__in=ACTIVE_STATUSES).count()


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
    """Slots, the switch and each campaign with its contacts per status.

    The counts never read every contact (``campaigns/counts.py``): ``dialed`` and ``agent_pending`` are counted
    now, the other statuses come from the last count, whose time and age each campaign carries
    (``counted_at``, ``counts_age_seconds``).
    """
    active = active_call_count()
    listed = listed_switches()
    enabled = [switch for switch in listed if switch.enabled]
    slots = sum(switch.max_concurrent_calls for switch in enabled)
    campaigns = list(Campaign.objects.all())
    counts = contact_counts([c.campaign_id for c in campaigns])
    extra: dict[str, dict[str, Any]] = {}
    for _, answer in status_requested.send(sender=None, campaign_ids=[c.campaign_id for c in campaigns]):
        for campaign_id, values in cast(dict[str, dict[str, Any]], answer).items():
            extra.setdefault(campaign_id, {}).update(values)
    return {
        "max_concurrent_calls": slots,
        "active_calls": active,
        "free_slots": max(0, slots - active),
        "calls_per_second": sum(switch.calls_per_second for switch in enabled),
        # The first enabled switch, as one-switch clients read it; every switch is under "switches".
        "switch": {"mode": settings.DIALER_SWITCH, **(switch_health(enabled[0].address) if enabled else {})},
        "switches": switch_summary(switches=listed),
        "campaigns": [
            {
                "campaign_id": campaign.campaign_id,
                "state": campaign.state,
                "waiting_for_records": campaign.waiting_for_records,
                "contacts": counts[campaign.campaign_id].contacts,
                "counted_at": _isoformat(counts[campaign.campaign_id].counted_at),
                "counts_age_seconds": counts[campaign.campaign_id].age_seconds,
                **extra.get(campaign.campaign_id, {}),
            }
            for campaign in campaigns
        ],
    }


def _isoformat(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()

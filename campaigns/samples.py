"""Plausible contacts for the demo, the benchmarks and the tests: one generator for all three."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

from campaigns.choices import CampaignType, DialingMode, RoutingMode


def sample_contacts(
    count: int,
    *,
    campaign_id: str,
    campaign_type: str = CampaignType.IVR,
    gateway_id: str = "gw1",
    start: datetime,
    window: timedelta = timedelta(days=7),
    first_number: int = 4915100000000,
) -> Iterator[dict[str, str]]:
    """Contact rows as the campaign manager would send them (all values as text, as in a CSV)."""
    end = start + window
    agent = campaign_type == CampaignType.AGENT
    for n in range(count):
        row = {
            "id": str(uuid.uuid4()),
            "customer_number": f"+{first_number + n}",
            "campaign_type": campaign_type,
            "gateway_id": gateway_id,
            "campaign_contact_id": f"{campaign_id}-{n}",
            "campaign_id": campaign_id,
            "start_time": start.isoformat(),
            "end_time": end.isoformat(),
            "priority": str(1 + n % 10),
        }
        if agent:
            row |= {
                "dialing_mode": DialingMode.PROGRESSIVE,
                "routing_mode": RoutingMode.QUEUE,
                "resource_id": "sales",
                "queue_name": "Sales_Queue",
            }
        yield row

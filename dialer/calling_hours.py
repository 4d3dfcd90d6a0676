"""Calling hours at the cycle: due contacts whose hours have closed wait, per campaign and zone, until they open.

Run in the claim's transaction, before the plan, so that no contact is claimed outside
its hours. Its cost is one index walk per running campaign with hours (over the zones
its due contacts are in, one probe each) and an update of the contacts that stop being
due — never the contacts already waiting.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Q

from campaigns import lifecycle
from campaigns.calling_hours import is_open, next_open, zones_for
from campaigns.choices import CampaignState
from campaigns.models import Campaign

# Hours that never open within a week (a campaign with hours on no day) are looked at again this often.
RECHECK = timedelta(days=1)

# The distinct zone keys of a campaign's due contacts, by a loose scan of ``contact_due_zone``.
_ZONE_KEYS = """
WITH RECURSIVE keys(tz_key) AS (
    (SELECT tz_key FROM campaigns_contact
     WHERE campaign_id = %(c)s AND status = 'pending' AND NOT scheduled ORDER BY tz_key LIMIT 1)
    UNION ALL
    SELECT (SELECT x.tz_key FROM campaigns_contact x
            WHERE x.campaign_id = %(c)s AND x.status = 'pending' AND NOT x.scheduled AND x.tz_key > k.tz_key
            ORDER BY x.tz_key LIMIT 1)
    FROM keys k WHERE k.tz_key IS NOT NULL
)
SELECT tz_key FROM keys WHERE tz_key IS NOT NULL
"""


def due_zone_keys(campaign_id: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(_ZONE_KEYS, {"c": campaign_id})
        return [key for (key,) in cursor.fetchall()]


def hold_closed_zones(*, now: datetime) -> int:
    """Put to wait the due contacts whose calling hours are closed now; returns how many."""
    campaigns = (
        Campaign.objects.filter(state=CampaignState.RUNNING)
        .exclude(Q(calling_hours={}))
        .values_list("campaign_id", "calling_hours", "time_zone")
    )
    groups: list[tuple[str, str, datetime]] = []
    for campaign_id, hours, zone in campaigns:
        for key in due_zone_keys(campaign_id):
            zones = zones_for(key, campaign_zone=zone)
            if not is_open(hours, zones, now):
                groups.append((campaign_id, key, next_open(hours, zones, now) or now + RECHECK))
    return lifecycle.hold_until(groups)

"""Wait conditions (seed 004): a campaign with too many unsaved attempt records stays running but is not dialed."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import connection

from campaigns.models import Campaign

logger = logging.getLogger(__name__)
# Unsaved records per campaign, counted no further than the threshold needs (index ``attempt_record_unsaved``):
# refreshed with every dialed and ended call, it must not grow dearer as a receiver's backlog grows.
_BACKLOG = """
SELECT g.campaign_id, (
    SELECT count(*) FROM (
        SELECT 1 FROM reporting_attemptrecord r WHERE r.campaign_id = g.campaign_id AND r.saved_at IS NULL LIMIT %s
    ) s
)
FROM unnest(%s::varchar[]) AS g(campaign_id)
"""


def refresh_wait_conditions(campaign_ids: Iterable[str]) -> None:
    """Enter the condition above HISTORY_WAIT_CONDITION_THRESHOLD unsaved records; clear it below."""
    ids = set(campaign_ids)
    if not ids:
        return
    threshold = settings.HISTORY_WAIT_CONDITION_THRESHOLD
    with connection.cursor() as cursor:
        cursor.execute(_BACKLOG, [threshold + 1, sorted(ids)])
        backlog = dict(cursor.fetchall())
    for campaign in Campaign.objects.filter(campaign_id__in=ids).only(
        "id", "campaign_id", "name", "waiting_for_records"
    ):
        unsaved = backlog.get(campaign.campaign_id, 0)
        if unsaved > threshold and _switch(campaign, waiting=True):
            logger.warning(
                "Wait condition has been activated for Campaign Group %s (DBID %d)", campaign.name, campaign.id
            )
        elif unsaved < threshold and _switch(campaign, waiting=False):
            logger.warning(
                "Wait condition has been cleared for Campaign Group %s (DBID %d)", campaign.name, campaign.id
            )


def _switch(campaign: Campaign, *, waiting: bool) -> bool:
    """Flip the flag from the other value (conditional: only one process logs the change)."""
    return bool(
        Campaign.objects.filter(pk=campaign.pk, waiting_for_records=not waiting).update(waiting_for_records=waiting)
    )

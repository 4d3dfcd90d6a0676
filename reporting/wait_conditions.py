"""Wait conditions (seed 004): a campaign with too many unsaved attempt records stays running but is not dialed."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Count

from campaigns.models import Campaign
from reporting.models import AttemptRecord

logger = logging.getLogger(__name__)


def refresh_wait_conditions(campaign_ids: Iterable[str]) -> None:
    """Enter the condition above HISTORY_WAIT_CONDITION_THRESHOLD unsaved records; clear it below."""
    ids = set(campaign_ids)
    if not ids:
        return
    threshold = settings.HISTORY_WAIT_CONDITION_THRESHOLD
    backlog = dict(
        AttemptRecord.objects.filter(campaign_id__in=ids, saved_at__isnull=True)
        .order_by()
        .values_list("campaign_id")
        .annotate(n=Count("id"))
    )
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

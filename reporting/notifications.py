"""Campaign status notifications (seed 002): one POST per change, and periodically for active campaigns.

No retries, as in the seed: a receiver that is down costs one logged failure and
never touches dialing. The POST runs in a Celery task (queued by
``reporting.receivers``), never in the request or the transaction that changed the campaign.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Final

import requests
from django.conf import settings

from campaigns.choices import Actor, CampaignAction, CampaignState, DialingMode, OptimizeBy
from campaigns.models import Campaign
from reporting.attempts import DIAL_MODES
from reporting.stats import campaign_statistics

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 5.0
# GSW_CAMPAIGN_GROUP_STATE (ocs.md, "ours"): loaded or stopped → 3 InActive, running → 5 Running, unloaded → 0.
STATES: Final = {CampaignState.LOADED: 3, CampaignState.STOPPED: 3, CampaignState.RUNNING: 5, CampaignState.UNLOADED: 0}
# GSW_CAMPAIGN_GROUP_ACTION: the CM request that caused the notification.
ACTIONS: Final = {
    CampaignAction.LOAD: 7,
    CampaignAction.UNLOAD: 8,
    CampaignAction.START: 9,
    CampaignAction.STOP: 10,
    CampaignAction.SET_DIALING_MODE: 11,
}
# Periodic notifications carry the last action; ours is the one that put the campaign in its state.
LAST_ACTION_OF_STATE: Final = {
    CampaignState.LOADED: CampaignAction.LOAD,
    CampaignState.RUNNING: CampaignAction.START,
    CampaignState.STOPPED: CampaignAction.STOP,
    CampaignState.UNLOADED: CampaignAction.UNLOAD,
}
ACTORS: Final = {Actor.CLIENT: 1, Actor.DIALER: 2}


def build_notification(
    campaign: Campaign, *, action: str, actor: str, statistics: dict[str, Any], at: float
) -> dict[str, Any]:
    """The JSON body of seed 002 with the values of ``reference/ocs.md`` (pure)."""
    body: dict[str, Any] = {
        "GSW_USER_EVENT": "CampaignGroupState",
        "GSW_DATE_TIME": f"{at:.3f}",
        "GSW_TENANT_NAME": campaign.tenant_name or settings.TENANT_NAME,
        "GSW_TENANT_CCID": settings.TENANT_CCID,
        "GSW_CAMPAIGN_GROUP_NAME": campaign.name,
        "GSW_CAMPAIGN_GROUP_GUID": str(campaign.guid),
        "GSW_CAMPAIGN_GROUP_DBID": str(campaign.pk),
        "GSW_GROUP_NAME": campaign.queue_name or campaign.name,
        "GSW_CAMPAIGN_NAME": campaign.name,
        "GSW_QUEUE_NAME": campaign.queue_name,
        "GSW_CAMPAIGN_GROUP_STATE": STATES[CampaignState(campaign.state)],
        "GSW_CAMPAIGN_GROUP_ACTION": ACTIONS[CampaignAction(action)],
        "GSW_CAMPAIGN_GROUP_ACTOR": ACTORS.get(Actor(actor), 0) if actor in Actor.values else 0,
        "GSW_STAT_BUSY_FACTOR": statistics.get("GSW_STAT_BUSY_FACTOR"),
        "GSW_STAT_HIT_RATIO": statistics.get("GSW_STAT_HIT_RATIO"),
        "GSW_STAT_OVERDIAL_RATE": statistics.get("GSW_STAT_OVERDIAL_RATE"),
        "GSW_STAT_TIME_TO_COMPLETE": statistics.get("GSW_STAT_TIME_TO_COMPLETE"),
        "GSW_CALLING_LISTS": statistics.get("GSW_CALLING_LISTS", []),
    }
    if campaign.template_name:
        body["GSW_CAMPAIGN_TEMPLATE_NAME"] = campaign.template_name
    if campaign.state == CampaignState.RUNNING and campaign.dialing_mode in DIAL_MODES:
        body["GSW_DIAL_MODE"] = DIAL_MODES[campaign.dialing_mode]
        if campaign.dialing_mode == DialingMode.PREDICTIVE:
            body["GSW_OPTIMIZE_BY"] = OPTIMIZE_BY[OptimizeBy(campaign.optimize_by)]
            body["GSW_OPTIMIZE_GOAL"] = round(campaign.optimize_goal * 100, 2)  # a percentage (reference/ocs.md)
    return body


# reference/ocs.md: GSW_OPTIMIZE_BY 1 busy factor, 2 overdial rate (predictive only).
OPTIMIZE_BY: Final = {OptimizeBy.BUSY_FACTOR: 1, OptimizeBy.OVERDIAL_RATE: 2}


def notify(campaign_id: str, *, action: str, actor: str, periodic: bool = False) -> str:
    """POST the campaign's state once; returns the receiver's status, or why nothing was sent."""
    url = settings.STATUS_NOTIFICATION_URL
    campaign = Campaign.objects.filter(campaign_id=campaign_id).first()
    if not url or campaign is None:
        return "not sent"
    body = build_notification(
        campaign, action=action, actor=actor, statistics=campaign_statistics(campaign_id, fresh=True), at=time.time()
    )
    code, kind = ("81001", "periodic HTTP status") if periodic else ("81000", "HTTP status")
    logger.debug(
        "%s Sending %s notification CampaignGroupState for Campaign Group %s to %s", code, kind, campaign.name, url
    )
    try:
        response = requests.post(url, json=body, timeout=TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        logger.warning("status notification for %s not delivered (no retry): %s", campaign.name, exc)
        return "failed"
    return str(response.status_code)


def notify_active_campaigns() -> int:
    """The periodic notification for every active (running) campaign."""
    running = Campaign.objects.filter(state=CampaignState.RUNNING).values_list("campaign_id", "state")
    for campaign_id, state in running:
        notify(campaign_id, action=LAST_ACTION_OF_STATE[CampaignState(state)], actor=Actor.DIALER, periodic=True)
    return len(running)

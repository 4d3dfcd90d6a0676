"""Pre-dial validation (seed 004) when PREDIAL_VALIDATION_URL is set.

Before a contact is dialed its fields are POSTed: 200 allows, 409 denies (the
contact fails with ``Cancel Record``), anything else leaves it for the next
cycle. A contact whose earlier attempt record the external system has not saved
yet is neither validated nor dialed (the race condition): it gets
VALIDATION_RACE_CONDITION_CALL_RESULT. Whether records are unsaved is reporting's
knowledge; the dialer asks through the ``predial_race_check`` signal.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from enum import StrEnum

import requests
from django.conf import settings
from django.utils import timezone

from campaigns import lifecycle
from campaigns.models import Contact
from dialer.signals import predial_race_check

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 5.0
DENIED_RESULT = "Cancel Record"


class Verdict(StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"
    RACE = "race condition"
    RETRY = "retry"


def check_before_dialing(contact: Contact) -> Verdict:
    """Validate a claimed contact; a verdict other than ALLOWED has already been applied to it."""
    if not settings.PREDIAL_VALIDATION_URL:
        return Verdict.ALLOWED
    call_id, now = str(contact.call_id), timezone.now()
    if any(unsaved for _, unsaved in predial_race_check.send(sender=None, contact_id=contact.id)):
        logger.warning("Predial check aborted due to race condition for phone %s", contact.customer_number)
        result = settings.VALIDATION_RACE_CONDITION_CALL_RESULT
        lifecycle.fail_unsent(call_id, result=result, now=now)
        return Verdict.RACE
    verdict = _ask(contact)
    if verdict is Verdict.DENIED:
        lifecycle.fail_unsent(call_id, result=DENIED_RESULT, now=now)
    elif verdict is Verdict.RETRY:
        lifecycle.release([call_id], now=now, retry_at=now + timedelta(seconds=settings.VOICE_CONNECTOR_RETRY))
    return verdict


def _ask(contact: Contact) -> Verdict:
    body = {
        "id": contact.id,
        "customer_number": contact.customer_number,
        "campaign_id": contact.campaign_id,
        "campaign_contact_id": contact.campaign_contact_id,
        "campaign_type": contact.campaign_type,
        "attempts": contact.attempts,
    }
    try:
        response = requests.post(settings.PREDIAL_VALIDATION_URL, json=body, timeout=TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        logger.warning("pre-dial validation of %s not answered, tried next cycle: %s", contact.id, exc)
        return Verdict.RETRY
    if response.status_code == 200:
        return Verdict.ALLOWED
    if response.status_code == 409:
        return Verdict.DENIED
    logger.warning("pre-dial validation of %s answered %s, tried next cycle", contact.id, response.status_code)
    return Verdict.RETRY

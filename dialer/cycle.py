"""One scheduler cycle (SPEC.md section 5): count, plan, claim, then place the calls.

``try_dial_next_batch`` is the unit of work called by beat, by the refill after a
call ends, and by tests. The claim commits before any command is sent.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from campaigns.choices import ContactStatus
from campaigns.models import Contact
from dialer import transitions
from dialer.calls import PlaceOutcome, place_ivr_call, request_agent
from dialer.claims import Claim, active_calls, campaign_queues, claim_contacts, lock_switch_for_claims
from dialer.esl.client import SwitchClient, switch_client
from dialer.planner import CampaignQueue, plan
from dialer.predial import Verdict, check_before_dialing
from dialer.results import EXPIRED
from dialer.throttle import Throttle, configured_throttle

logger = logging.getLogger(__name__)


def free_slots(switch: str, throttle: Throttle) -> int:
    """Call slots minus active calls, capped by what the throttle lets out before the next cycle."""
    open_slots = settings.MAX_CONCURRENT_CALLS - active_calls(switch)
    budget = throttle.free_within(max(settings.DIALER_POLL_INTERVAL, 1.0))
    return max(0, min(open_slots, budget))


@transaction.atomic
def claim_next_batch(switch: str, throttle: Throttle) -> list[Claim]:
    """Plan and claim under a per-switch lock; another cycle running now makes this one a no-op."""
    if not lock_switch_for_claims(switch):
        return []
    slots = free_slots(switch, throttle)
    if slots == 0:
        return []
    now = timezone.now()
    return claim_contacts(plan(queues_for(slots, now=now), slots), now=now, switch=switch)


def queues_for(slots: int, *, now: datetime) -> list[CampaignQueue]:
    """The campaign queues the planner needs, read no deeper than it can use.

    First each running campaign's next contact (one index probe each). With no
    more slots than campaigns that is all the plan needs; otherwise no campaign
    can take more than ``slots - campaigns + 1``, so counts stop there. Either
    way the cost does not depend on how many contacts wait.
    """
    heads = campaign_queues(now=now, cap=1)
    if slots <= len(heads):
        return heads
    return campaign_queues(now=now, cap=slots - len(heads) + 1)


def expire_contacts() -> int:
    """Pending contacts whose window has closed leave ``pending`` (failed, result ``Expired``)."""
    now = timezone.now()
    return Contact.objects.filter(status=ContactStatus.PENDING, end_time__lte=now).update(
        status=ContactStatus.FAILED, call_result=EXPIRED, ended_at=now, updated_at=now
    )


def try_dial_next_batch(client: SwitchClient | None = None) -> int:
    """Run one cycle; returns how many contacts were claimed."""
    client = client or switch_client()
    expire_contacts()
    # Seed 003: while the event socket is down nothing new is claimed.
    if not client.is_available():
        return 0
    throttle = configured_throttle(client.address.name)
    claims = claim_next_batch(client.address.name, throttle)
    contacts = Contact.objects.in_bulk([c.contact_id for c in claims])
    switch_down = False
    for claim in claims:
        contact = contacts[claim.contact_id]
        if switch_down and not claim.is_agent:
            # Never attempted: safe to dial later, unlike the one whose command was lost.
            transitions.back_to_pending(claim.call_id, source=ContactStatus.DIALED, now=timezone.now())
        elif check_before_dialing(contact) is not Verdict.ALLOWED:
            continue
        elif claim.is_agent:
            request_agent(contact)
        else:
            switch_down = place_ivr_call(contact, client=client, throttle=throttle) == PlaceOutcome.SWITCH_DOWN
    if claims:
        logger.info("cycle claimed %d contacts on %s", len(claims), client.address.name)
    return len(claims)

"""One scheduler cycle (SPEC.md section 5): count, plan, claim, then place the calls.

``try_dial_next_batch`` is the unit of work called by beat, by the refill after a
call ends, and by tests. The claim commits before any command is sent. A switch is
dialed only while a listener of it is connected (its events would be lost
otherwise) and its event socket answers. Whatever goes wrong while the claimed
calls are placed, the claims not yet sent go back to ``pending``: an error never
leaves a contact holding a slot undialed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from campaigns import lifecycle
from campaigns.choices import CampaignType, DialingMode
from campaigns.dnc import suppressed
from campaigns.lifecycle import DialAhead
from campaigns.models import Campaign, Contact
from dialer import predictive, switch_state
from dialer.agent_pacing import over_allowance
from dialer.calling_hours import hold_closed_zones
from dialer.calls import (
    PlaceOutcome,
    place_agent_call,
    place_ivr_call,
    place_predictive_call,
    release_unsent,
    request_agent,
)
from dialer.claims import Claim, active_calls, campaign_queues, claim_contacts, lock_switch_for_claims
from dialer.ends import end_unsent_calls
from dialer.esl.client import SwitchClient, SwitchUnavailable, switch_client
from dialer.pacing import calls_to_place
from dialer.pacing_inputs import pacing_input
from dialer.planner import CampaignQueue, plan
from dialer.predial import Verdict, check_before_dialing
from dialer.reservations import ReservedCall, take_reservations
from dialer.results import ABANDONED, EXPIRED, SUPPRESSED
from dialer.routing import ANY_CONTACT, Route, end_contacts_on_no_switch, route_for
from dialer.switches import SwitchConfig, configured_switches
from dialer.throttle import Throttle

logger = logging.getLogger(__name__)


def free_slots(switch: str, throttle: Throttle, *, reserved: int = 0, lines: int | None = None) -> int:
    """The switch's call slots (``lines``, default MAX_CONCURRENT_CALLS) minus its active calls, capped by what
    the throttle lets out before the next cycle.

    ``reserved`` calls of this cycle (agents reserved, already holding their slots) go first.
    """
    open_slots = (lines or settings.MAX_CONCURRENT_CALLS) - active_calls(switch)
    budget = throttle.free_within(max(settings.DIALER_POLL_INTERVAL, 1.0)) - reserved
    return max(0, min(open_slots, budget))


@transaction.atomic
def claim_next_batch(
    switch: str, throttle: Throttle, *, reserved: int = 0, lines: int | None = None, route: Route = ANY_CONTACT
) -> list[Claim]:
    """Plan and claim under a per-switch lock; another cycle running now makes this one a no-op.

    ``lines``: the switch's call slots (default MAX_CONCURRENT_CALLS); ``route``: the gateways it dials now when
    several switches dial (default: any contact).
    """
    if route.gateways == () or not lock_switch_for_claims(switch):
        return []
    lines = lines or settings.MAX_CONCURRENT_CALLS
    slots = free_slots(switch, throttle, reserved=reserved, lines=lines)
    if slots == 0:
        return []
    now = timezone.now()
    hold_closed_zones(now=now)
    queues = queues_for(slots, now=now, switch=switch, gateways=route.gateways)
    queues, ahead = paced(queues, budget=slots, now=now)
    allocations = plan(queues, slots, lines=lines)
    return claim_contacts(allocations, now=now, switch=switch, ahead=ahead, gateways=route.gateways)


def paced(queues: list[CampaignQueue], *, budget: int, now: datetime) -> tuple[list[CampaignQueue], DialAhead]:
    """Predictive campaigns (SPEC 5b) take no more lines than their pacing decision places now.

    A campaign is paced when its dialing mode is PREDICTIVE, it has a caller id and the voice connector
    reports its queue's agents; otherwise its contacts wait for their agents as in progressive dialing.
    """
    ids = [q.campaign_id for q in queues if q.eligible > 0]
    campaigns = Campaign.objects.filter(
        campaign_id__in=ids, campaign_type=CampaignType.AGENT, dialing_mode=DialingMode.PREDICTIVE
    ).exclude(caller_id="")
    limits: dict[str, int] = {}
    for campaign in campaigns:
        decision = pacing_input(campaign, budget=budget, now=now)
        if decision.logged_in:
            limits[campaign.campaign_id] = calls_to_place(decision)
            logger.debug(
                "pacing %s: %d ready, %d in flight, %d live answers, overdial %.3f: %d calls",
                campaign.campaign_id, decision.ready_agents, decision.in_flight, decision.history.live_answers,
                decision.history.overdial_rate, limits[campaign.campaign_id],
            )  # fmt: skip
    if not limits:
        return queues, DialAhead()
    paced_queues = [
        replace(q, max_lines=min(q.max_lines or q.demand, q.active + limits[q.campaign_id]))
        if q.campaign_id in limits
        else q
        for q in queues
    ]
    lockout = now - timedelta(seconds=settings.ABANDON_LOCKOUT)
    return paced_queues, DialAhead(list(limits), ABANDONED, lockout)


def queues_for(slots: int, *, now: datetime, switch: str, gateways: Sequence[str] | None = None) -> list[CampaignQueue]:
    """The campaign queues the planner needs, read no deeper than it can use.

    First each running campaign's next contact (one index probe each). With no
    more slots than campaigns that is all the plan needs; otherwise no campaign
    can take more than ``slots - campaigns + 1``, so counts stop there. Either
    way the cost does not depend on how many contacts wait. Every campaign's count
    has the same cap, so that the planner's shares follow the lines each holds. ``gateways``: only their
    contacts (one probe per campaign and gateway), None: every contact.
    """
    heads = campaign_queues(now=now, cap=1, switch=switch, gateways=gateways)
    dialable = sum(1 for q in heads if q.eligible)
    if slots <= dialable:
        return heads
    return campaign_queues(now=now, cap=slots - dialable + 1, switch=switch, gateways=gateways)


def expire_contacts() -> int:
    """Pending contacts whose window has closed leave ``pending`` (failed, result ``Expired``)."""
    return lifecycle.expire(now=timezone.now(), result=EXPIRED)


def can_dial(client: SwitchClient) -> bool:
    """Seed 003: nothing new is placed while the event socket is down or nobody listens to the switch."""
    name = client.address.name
    if not switch_state.listener_connected(name):
        logger.info("no listener follows %s: not dialing", name)
        return False
    return client.is_available()


def try_dial_next_batch(client: SwitchClient | None = None, *, switch: SwitchConfig | None = None) -> int:
    """Run one cycle of ``switch``; returns how many calls it placed or requested agents for (reserved calls
    included).

    Without ``switch``: the configured switch ``client`` talks to, else the first enabled one (with no switch
    rows, ``default`` from the settings). Its own client, throttle, slots and lock; with several switches, only
    the contacts of the gateways it dials now (``dialer.routing``).
    """
    enabled = configured_switches()
    config = switch or _switch_of(client, enabled)
    if config is None:
        logger.info("no enabled switch: not dialing")
        return 0
    client = client or switch_client(config.address)
    expire_contacts()
    lifecycle.wake_due(now=timezone.now())
    if not can_dial(client):
        return 0
    name = config.name
    throttle = Throttle(name, config.calls_per_second)
    settle_predictive_calls(name, client=client)
    reserved = take_reservations(name, now=timezone.now())
    route = route_for(config, client, enabled)
    end_contacts_on_no_switch(config, client, enabled)
    claims = claim_next_batch(name, throttle, reserved=len(reserved), lines=config.max_concurrent_calls, route=route)
    place_all(reserved, claims, client=client, throttle=throttle)
    if claims or reserved:
        logger.info("cycle on %s: %d reserved agent calls, %d claims", name, len(reserved), len(claims))
    return len(claims) + len(reserved)


def _switch_of(client: SwitchClient | None, enabled: list[SwitchConfig]) -> SwitchConfig | None:
    """The enabled switch named as ``client``'s address (a caller's own client), else the first enabled one."""
    named = [config for config in enabled if client is not None and config.name == client.address.name]
    return next(iter(named or enabled), None)


def settle_predictive_calls(switch: str, *, client: SwitchClient) -> None:
    """The backstop of the answered-call tasks: abandon what waited too long, route what has its agent."""
    predictive.abandon(predictive.overdue(switch, now=timezone.now()), client=client)
    for call_id in predictive.waiting_routes(switch):
        predictive.route(call_id, client=client)


def place_all(reserved: list[ReservedCall], claims: list[Claim], *, client: SwitchClient, throttle: Throttle) -> None:
    """Reserved agents' calls first (they hold agents), then IVR calls, then agent requests.

    Agent requests go last so that a slow voice connector never delays a call of this cycle.
    """
    ids = [r.contact_id for r in reserved] + [c.contact_id for c in claims]
    contacts = Contact.objects.select_related("campaign").in_bulk(ids)
    blocked = _suppress([contacts[c.contact_id] for c in claims])
    agents = [contacts[c.contact_id] for c in claims if c.is_agent and c.contact_id not in blocked]
    for contact in over_allowance(agents, now=timezone.now()):
        release_unsent(contact, reason="no ready agent in its queue", retry_after=settings.NO_AGENT_RETRY)
        blocked.add(contact.id)
    claims = [c for c in claims if c.contact_id not in blocked]
    steps: list[tuple[Contact, ReservedCall | None]] = [(contacts[r.contact_id], r) for r in reserved]
    steps += [(contacts[c.contact_id], None) for c in claims if not c.is_agent]
    steps += [(contacts[c.contact_id], None) for c in claims if c.is_agent]
    ahead = {c.contact_id for c in claims if c.ahead}
    for index, (contact, reservation) in enumerate(steps):
        try:
            outcome = _place(contact, reservation, client=client, throttle=throttle, ahead=contact.id in ahead)
        except Exception as exc:
            _give_back([c for c, _ in steps[index:]])
            if not isinstance(exc, SwitchUnavailable):
                raise  # a defect: logged with its traceback by the task; nothing stays claimed
            logger.warning(
                "switch %s unavailable, %d claims put back: %s", client.address.name, len(steps) - index, exc
            )
            return
        if outcome == PlaceOutcome.SWITCH_DOWN:
            _give_back([c for c, _ in steps[index + 1 :]])
            return


def _suppress(claimed: list[Contact]) -> set[str]:
    """Claimed contacts whose number is on the do-not-call list end ``Do Not Call`` (reported, never dialed)."""
    by_campaign: dict[str, list[Contact]] = {}
    for contact in claimed:
        by_campaign.setdefault(contact.campaign_id, []).append(contact)
    now = timezone.now()
    listed: list[Contact] = []
    for campaign_id, group in by_campaign.items():
        numbers = suppressed([c.customer_number for c in group], campaign_id=campaign_id, now=now)
        listed += [c for c in group if c.customer_number in numbers]
    if listed:
        end_unsent_calls([str(c.call_id) for c in listed], SUPPRESSED, at=now)
        logger.info("%d claimed contacts are on the do-not-call list: not dialed", len(listed))
    return {c.id for c in listed}


def _place(
    contact: Contact, reservation: ReservedCall | None, *, client: SwitchClient, throttle: Throttle, ahead: bool
) -> str:
    if reservation is not None:  # taking it set the contact's agent, read with the contact above
        return place_agent_call(contact, reservation.reservation, client=client, throttle=throttle)
    if check_before_dialing(contact) is not Verdict.ALLOWED:
        return "not allowed"
    if ahead:
        return place_predictive_call(contact, client=client, throttle=throttle)
    if contact.campaign_type == CampaignType.AGENT:
        return request_agent(contact)
    return place_ivr_call(contact, client=client, throttle=throttle)


def _give_back(contacts: list[Contact]) -> None:
    """Claims never sent go back to ``pending``; the reserved agents among them are freed."""
    for contact in contacts:
        release_unsent(contact, reason="the call could not be placed now")

"""The wallboard: the figures an operator keeps open all day, per switch and per campaign, and what needs a human.

The figures are gathered by ``read_wallboard`` from what is already kept small: the switches' rows and Redis,
the contact count snapshots and the live contacts (``campaigns/counts.py``), the statistics computed ahead by beat
(``reporting.stats``), agent states, and the history of the last minutes through its time indexes. Nothing reads
a campaign's contacts, so a poll costs the same with ten contacts or ten million (``bench/wallboard.py``). What
is shown and which alerts are raised are pure functions of those figures (``campaign_figures``, ``alerts``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from campaigns.choices import CampaignState, CampaignType, ContactStatus, DialingMode
from campaigns.counts import CampaignCounts, contact_counts
from campaigns.models import Campaign
from dialer.models import AgentState, AgentStateName
from dialer.pacing_inputs import pacing_input
from dialer.switches import SwitchConfig, active_calls_per_switch, last_known_connection, listed_switches
from reporting.live_figures import Answers, answers, dialed_per_switch, rejected_updates
from reporting.stats import WINDOW, hit_ratio, overdial_rate, timed_statistics

# The call history and the campaigns: what the pages built from both need.
CALL_PERMISSIONS = ("reporting.view_callhistory", "campaigns.view_campaign")
# How often the page asks for its figures again (htmx polling), in seconds.
REFRESH_SECONDS = 5
RECENT = timedelta(minutes=15)
# Calls dialed over this much make a switch's calls per second.
RATE_SPAN = timedelta(seconds=60)
# The error queue is counted no further: past it the wallboard says "more than".
ERROR_QUEUE_COUNTED = 999
# Counts older than this many count intervals mean the periodic tasks (beat) are not running.
STALE_INTERVALS = 5
BUSY_STATES = (AgentStateName.TALKING, AgentStateName.WRAPUP, AgentStateName.RESERVED)


@dataclass(frozen=True)
class SwitchFigures:
    """One switch: whether it answers, its lines in use against its slots, and the calls it is sent per second."""

    name: str
    enabled: bool
    connected: bool
    listener_connected: bool
    lines_in_use: int
    slots: int
    calls_per_second: float
    max_calls_per_second: float


@dataclass(frozen=True)
class Agents:
    """A queue's agents as the voice connector last confirmed them."""

    ready: int = 0
    busy: int = 0
    not_ready: int = 0


@dataclass(frozen=True)
class CampaignFigures:
    """One campaign as the wallboard and its page show it (``None``: not known yet)."""

    pk: int
    campaign_id: str
    name: str
    state: str
    campaign_type: str
    dialing_mode: str
    queue_name: str
    waiting_for_records: bool
    finished: bool
    dialable_now: int
    waiting: int
    done: int
    in_progress: int
    answered_recent: int
    abandoned_recent: int
    dialed_window: int
    answered_window: int
    abandoned_window: int
    hit_ratio: float | None
    overdial_rate: float | None
    overdial_cap: float
    busy_factor: float | None
    dial_level: float | None
    agents: Agents | None
    time_to_complete: float | None
    counts_age_seconds: float | None
    statistics_age_seconds: float


@dataclass(frozen=True)
class Alert:
    """Something that needs a human now, with the page where it is dealt with."""

    level: str  # "error" or "warning"
    text: str
    link: str


@dataclass(frozen=True)
class Wallboard:
    """Everything the wallboard draws but its alerts (which depend on what the operator may see)."""

    switches: list[SwitchFigures]
    campaigns: list[CampaignFigures]
    queues: dict[str, Agents]
    lines_in_use: int
    slots: int
    calls_per_second: float
    at: datetime


def switch_figures(
    switch: SwitchConfig, *, lines_in_use: int, dialed: int, connection: Mapping[str, bool]
) -> SwitchFigures:
    """A switch's row from its configuration, its active calls and the calls dialed over ``RATE_SPAN``."""
    return SwitchFigures(
        name=switch.name,
        enabled=switch.enabled,
        connected=connection["connected"],
        listener_connected=connection["listener_connected"],
        lines_in_use=lines_in_use,
        slots=switch.max_concurrent_calls if switch.enabled else 0,
        calls_per_second=round(dialed / RATE_SPAN.total_seconds(), 2),
        max_calls_per_second=switch.calls_per_second,
    )


def campaign_figures(
    campaign: Campaign,
    *,
    counts: CampaignCounts,
    statistics: Mapping[str, Any],
    statistics_age_seconds: float,
    recent: Answers,
    agents: Agents | None,
    dial_level: float | None,
) -> CampaignFigures:
    """A campaign's figures from its counts, statistics, calls ended lately and agents (pure).

    The calls, answers, hit ratio and overdial rate are those of the calls ended lately, counted now; busy factor
    and time to complete come from the statistics (computed ahead by beat: they count the campaign's contacts).

    Finished: running with nothing left to dial and no call in progress — it stays running (new contacts may
    come) but the operator sees that it has done its work.
    """
    contacts = counts.contacts
    pending = contacts[ContactStatus.PENDING]
    waiting = min(pending, counts.scheduled) + contacts[ContactStatus.STOPPED]
    dialable = pending - min(pending, counts.scheduled)
    in_progress = contacts[ContactStatus.DIALED] + contacts[ContactStatus.AGENT_PENDING]
    return CampaignFigures(
        pk=campaign.pk,
        campaign_id=campaign.campaign_id,
        name=campaign.name,
        state=campaign.state,
        campaign_type=campaign.campaign_type,
        dialing_mode=campaign.dialing_mode,
        queue_name=campaign.queue_name,
        waiting_for_records=campaign.waiting_for_records,
        finished=campaign.state == CampaignState.RUNNING and not (pending or in_progress),
        dialable_now=dialable,
        waiting=waiting,
        done=contacts[ContactStatus.ENDED] + contacts[ContactStatus.FAILED],
        in_progress=in_progress,
        answered_recent=recent.live_recent,
        abandoned_recent=recent.lost_recent,
        dialed_window=recent.calls,
        answered_window=recent.live,
        abandoned_window=recent.lost,
        hit_ratio=hit_ratio(recent.tally),
        overdial_rate=overdial_rate(recent.tally),
        overdial_cap=float(settings.ABANDON_RATE_LIMIT),
        busy_factor=statistics.get("GSW_STAT_BUSY_FACTOR"),
        dial_level=dial_level,
        agents=agents,
        time_to_complete=0.0 if not pending else statistics.get("GSW_STAT_TIME_TO_COMPLETE"),
        counts_age_seconds=counts.age_seconds,
        statistics_age_seconds=statistics_age_seconds,
    )


def alerts(
    switches: Iterable[SwitchFigures],
    campaigns: Iterable[CampaignFigures],
    *,
    error_queue: int | None,
    counts_age_seconds: float | None,
    links: Mapping[str, str],
) -> list[Alert]:
    """What needs a human, worst first (pure): switches that do not answer or have no listener, no switch to dial
    through, campaigns held by a wait condition, rejected agent updates, counts that stopped being refreshed."""
    found: list[Alert] = []
    enabled = [s for s in switches if s.enabled]
    if not enabled:
        found.append(Alert("error", "No switch is enabled: nothing can be dialed.", links["switches"]))
    for switch in enabled:
        if not switch.connected:
            text = f"Switch {switch.name} is not answering: its calls cannot be placed."
            found.append(Alert("error", text, links["switches"]))
        elif not switch.listener_connected:
            text = f"No event listener is connected to switch {switch.name}: its call ends are not being recorded."
            found.append(Alert("error", text, links["switches"]))
    for campaign in campaigns:
        if campaign.waiting_for_records:
            text = (
                f"Campaign {campaign.campaign_id} is not dialed: it waits for attempt records to be saved by the "
                "external system (wait condition)."
            )
            found.append(Alert("warning", text, links["campaigns"]))
    if error_queue:
        many = f"More than {ERROR_QUEUE_COUNTED}" if error_queue > ERROR_QUEUE_COUNTED else f"{error_queue:,}"
        text = f"{many} agent update{'s' if error_queue != 1 else ''} rejected in the error queue."
        found.append(Alert("warning", text, links["error_queue"]))
    stale = STALE_INTERVALS * float(settings.CONTACT_COUNTS_INTERVAL)
    if counts_age_seconds is not None and counts_age_seconds > stale:
        text = f"Contact counts are {counts_age_seconds:,.0f} s old: are the periodic tasks (beat) running?"
        found.append(Alert("warning", text, links["campaigns"]))
    return sorted(found, key=lambda alert: alert.level != "error")


def queue_agents(now: datetime) -> dict[str, Agents]:
    """Every queue's agents confirmed within AGENT_STATE_TTL: one grouped query over the agent state table."""
    fresh = now - timedelta(seconds=settings.AGENT_STATE_TTL)
    tally: dict[str, dict[str, int]] = {}
    rows = (
        AgentState.objects.filter(confirmed_at__gte=fresh)
        .order_by()
        .values_list("queue_name", "state")
        .annotate(n=Count("pk"))
    )
    for queue, state, n in rows:
        tally.setdefault(queue, {})[state] = n
    return {
        queue: Agents(
            ready=states.get(AgentStateName.READY, 0),
            busy=sum(states.get(state, 0) for state in BUSY_STATES),
            not_ready=states.get(AgentStateName.NOT_READY, 0),
        )
        for queue, states in sorted(tally.items())
    }


def dial_level(campaign: Campaign, now: datetime) -> float | None:
    """Calls in flight per ready agent, for a predictive campaign with ready agents (SPEC 5b)."""
    if campaign.campaign_type != CampaignType.AGENT or campaign.dialing_mode != DialingMode.PREDICTIVE:
        return None
    level = pacing_input(campaign, budget=0, now=now).dial_level
    return None if level is None else round(level, 2)


def read_campaigns(campaigns: list[Campaign], now: datetime, queues: Mapping[str, Agents]) -> list[CampaignFigures]:
    """The figures of ``campaigns``: two count queries, one for recent answers, the cached statistics."""
    counts = contact_counts([c.campaign_id for c in campaigns])
    recent = answers(now, recent=RECENT)
    return [
        _with_statistics(
            campaign,
            counts[campaign.campaign_id],
            recent.get(campaign.campaign_id, Answers()),
            agents=queues.get(campaign.queue_name) if campaign.queue_name else None,
            dial_level=dial_level(campaign, now),
        )
        for campaign in campaigns
    ]


def figures_for_list(campaign: Campaign, counts: CampaignCounts) -> CampaignFigures:
    """A campaign's figures from counts already read, the calls ended lately (one query for every campaign, shared
    for a few seconds) and its cached statistics, for a list of many campaigns: agents and dial level (a query
    each) are left unknown."""
    recent = answers(timezone.now(), recent=RECENT).get(campaign.campaign_id, Answers())
    return _with_statistics(campaign, counts, recent, agents=None, dial_level=None)


def _with_statistics(
    campaign: Campaign, counts: CampaignCounts, recent: Answers, *, agents: Agents | None, dial_level: float | None
) -> CampaignFigures:
    """``campaign_figures`` with the campaign's statistics as last computed, and their age."""
    statistics, computed_at = timed_statistics(campaign.campaign_id)
    return campaign_figures(
        campaign, counts=counts, statistics=statistics,
        statistics_age_seconds=max(0.0, round(time.time() - computed_at, 1)),
        recent=recent, agents=agents, dial_level=dial_level,
    )  # fmt: skip


def read_wallboard(now: datetime, *, with_switches: bool = True, with_campaigns: bool = True) -> Wallboard:
    """Every figure of the wallboard now (each part only when asked for: the operator may not see it)."""
    switches: list[SwitchFigures] = []
    if with_switches:
        active = active_calls_per_switch()
        dialed = dialed_per_switch(now - RATE_SPAN)
        switches = [
            switch_figures(
                switch,
                lines_in_use=active.get(switch.name, 0),
                dialed=dialed.get(switch.name, 0),
                connection=last_known_connection(switch.name),
            )
            for switch in listed_switches()
        ]
    queues = queue_agents(now) if with_campaigns else {}
    shown = Campaign.objects.exclude(state=CampaignState.UNLOADED).order_by("campaign_id")
    campaigns = read_campaigns(list(shown), now, queues) if with_campaigns else []
    return Wallboard(
        switches=switches,
        campaigns=campaigns,
        queues=queues,
        lines_in_use=sum(s.lines_in_use for s in switches),
        slots=sum(s.slots for s in switches),
        calls_per_second=round(sum(s.calls_per_second for s in switches), 2),
        at=now,
    )


def page_context(request: HttpRequest) -> dict[str, Any]:
    """The wallboard's figures for ``request``'s operator: only the parts the operator may see."""
    user = request.user
    with_switches = user.has_perm("dialer.view_switch")
    with_campaigns = user.has_perm("campaigns.view_campaign")
    board = read_wallboard(timezone.now(), with_switches=with_switches, with_campaigns=with_campaigns)
    links = {
        "switches": reverse("admin:dialer_switch_changelist"),
        "campaigns": reverse("admin:campaigns_campaign_changelist"),
        "error_queue": reverse("admin:reporting_agentupdate_changelist") + "?state__exact=rejected",
    }
    may_see_errors = user.has_perm("reporting.view_agentupdate")
    ages = [c.counts_age_seconds for c in board.campaigns if c.counts_age_seconds is not None]
    board_alerts = alerts(
        board.switches,
        board.campaigns,
        error_queue=rejected_updates(at_most=ERROR_QUEUE_COUNTED) if may_see_errors else None,
        counts_age_seconds=max(ages, default=None),
        links=links,
    )
    return {
        "title": "Wallboard",
        "wallboard": board,
        "alerts": board_alerts,
        "refresh_seconds": REFRESH_SECONDS,
        "window_minutes": int(WINDOW.total_seconds() // 60),
        "recent_minutes": int(RECENT.total_seconds() // 60),
        "base_template": "outbound/fragment.html" if getattr(request, "htmx", False) else "admin/base_site.html",
    }

"""The wallboard, the console's home page: what an operator sees per switch and campaign, and what needs a human."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.counts import CampaignCounts, refresh_counts
from campaigns.models import Campaign, Contact
from dialer import switch_state
from dialer.models import AgentState, Switch
from outbound.console import navigation
from outbound.templatetags.console import UNKNOWN, duration, percent
from outbound.wallboard import SwitchFigures, alerts, campaign_figures
from reporting import live_figures
from reporting.live_figures import Answers
from reporting.models import AgentUpdate, CallHistory
from tests.conftest import add_contacts
from tests.console_pages import text_of

LINKS = {"switches": "/s", "campaigns": "/c", "error_queue": "/e"}


def figures_of(page: str, campaign_id: str) -> dict[str, str]:
    """The figures shown on a campaign's card, by name ("in_progress" → "3")."""
    card = page.split(f'data-campaign="{campaign_id}"', 1)[1].split('class="ob-card"', 1)[0]
    return {name: text_of(value) for name, value in re.findall(r'<dd data-figure="(\w+)">(.*?)</dd>', card, re.S)}


def counts(**statuses: int) -> CampaignCounts:
    contacts = dict.fromkeys(("pending", "dialed", "agent_pending", "stopped", "ended", "failed"), 0) | statuses
    return CampaignCounts(contacts=contacts, counted_at=timezone.now(), age_seconds=1.0, scheduled=statuses.get("_", 0))


def figures(campaign: Campaign, contact_counts: CampaignCounts, **statistics):
    return campaign_figures(
        campaign, counts=contact_counts, statistics=statistics, statistics_age_seconds=0.0, recent=Answers(),
        agents=None, dial_level=None,
    )  # fmt: skip


def test_a_running_campaign_with_nothing_left_to_dial_shows_as_finished(db):
    campaign = Campaign.objects.create(campaign_id="c1", name="c1", state="running")
    assert figures(campaign, counts(ended=40, failed=2)).finished
    assert not figures(campaign, counts(ended=40, dialed=1)).finished  # a call is still on a line
    assert not figures(campaign, counts(ended=40, pending=1)).finished
    campaign.state = "stopped"
    assert not figures(campaign, counts(ended=40)).finished  # stopped says it all


def test_pending_contacts_split_into_dialable_now_and_waiting_for_later(db):
    campaign = Campaign.objects.create(campaign_id="c1", name="c1", state="stopped")
    shown = figures(campaign, CampaignCounts(
        contacts=counts(pending=10, stopped=4, ended=3, failed=1, dialed=2, agent_pending=1).contacts,
        counted_at=None, age_seconds=None, scheduled=6,
    ))  # fmt: skip
    assert (shown.dialable_now, shown.waiting, shown.done, shown.in_progress) == (4, 10, 4, 3)


def test_nothing_left_means_no_time_to_complete_and_figures_read_in_units(db):
    campaign = Campaign.objects.create(campaign_id="c1", name="c1", state="running")
    assert figures(campaign, counts(ended=5), GSW_STAT_TIME_TO_COMPLETE=900.0).time_to_complete == 0.0
    assert [duration(s) for s in (None, 0, 40, 900, 3900, 73450, 3 * 86400)] == [
        UNKNOWN, "done", "40 s", "15 min", "1 h 05 min", "20 h 24 min", "3 d 0 h",
    ]  # fmt: skip
    assert (percent(0.4251), percent(None), percent(0.03, 0)) == ("42.5 %", UNKNOWN, "3 %")


def switch(name: str, **state) -> SwitchFigures:
    values = {"enabled": True, "connected": True, "listener_connected": True} | state
    return SwitchFigures(name=name, lines_in_use=0, slots=10, calls_per_second=0, max_calls_per_second=5, **values)


def test_alerts_name_what_needs_a_human_worst_first(db, settings):
    settings.CONTACT_COUNTS_INTERVAL = 30
    waiting = figures(Campaign(campaign_id="c9", name="c9", state="running", waiting_for_records=True), counts())
    found = alerts(
        [switch("east"), switch("west", connected=False), switch("north", listener_connected=False),
         switch("old", enabled=False, connected=False)],
        [waiting], error_queue=1000, counts_age_seconds=400, links=LINKS,
    )  # fmt: skip
    assert [(a.level, a.text) for a in found] == [
        ("error", "Switch west is not answering: its calls cannot be placed."),
        ("error", "No event listener is connected to switch north: its call ends are not being recorded."),
        ("warning", "Campaign c9 is not dialed: it waits for attempt records to be saved by the external system "
                    "(wait condition)."),
        ("warning", "More than 999 agent updates rejected in the error queue."),
        ("warning", "Contact counts are 400 s old: are the periodic tasks (beat) running?"),
    ]  # fmt: skip
    assert alerts([switch("east")], [], error_queue=0, counts_age_seconds=30, links=LINKS) == []
    assert alerts([switch("old", enabled=False)], [], error_queue=None, counts_age_seconds=None, links=LINKS)[
        0
    ].text == ("No switch is enabled: nothing can be dialed.")


@pytest.fixture
def floor(db):
    """Two switches (one answering with its listener, one silent), a campaign with calls, agents and history."""
    Switch.objects.create(
        name="east", host="127.0.0.1", port=1, password="x", max_concurrent_calls=20, calls_per_second=5
    )
    Switch.objects.create(
        name="west", host="127.0.0.1", port=2, password="x", max_concurrent_calls=10, calls_per_second=2
    )
    switch_state.listener_beat("east")
    ids = add_contacts(6, "c1")
    Campaign.objects.filter(campaign_id="c1").update(queue_name="sales")
    Contact.objects.filter(id__in=ids[:2]).update(status="dialed", switch_name="east")
    Contact.objects.filter(id=ids[2]).update(
        status="pending", scheduled=True, retry_at=timezone.now() + timedelta(hours=1)
    )
    Contact.objects.filter(id=ids[3]).update(status="ended")
    now = timezone.now()
    for n, code in enumerate((33, 33, 21, 6)):
        CallHistory.objects.create(
            contact_id=f"h{n}", campaign_id="c1", customer_number="+491", campaign_type="IVR", switch_name="east",
            dialing_at=now - timedelta(seconds=30), released_at=now - timedelta(seconds=10), call_result_code=code,
        )  # fmt: skip
    for n, state in enumerate(("ready", "ready", "talking", "not_ready")):
        AgentState.objects.create(agent_extension=f"10{n}", queue_name="sales", state=state, occurred_at=now,
                                  confirmed_at=now)  # fmt: skip
    refresh_counts()


def test_the_wallboard_is_the_home_page_with_switches_campaigns_agents_and_alerts(operator, floor):
    page = operator.get("/admin/").content.decode()
    words = text_of(page)
    assert "Switches · 2 of 30 lines in use · 0.07 calls/s" in words  # 4 calls dialed in the last minute
    assert "Switch west is not answering" in words
    assert figures_of(page, "c1") == {
        "dialable_now": "2", "waiting": "1", "done": "1", "in_progress": "2",
        "answered_recent": "3", "abandoned_recent": "1", "answered_window": "3 of 4 calls", "abandoned_window": "1",
        "hit_ratio": "75.0 %", "overdial_rate": "33.3 % cap 3 %", "busy_factor": UNKNOWN,
        "time_to_complete": "45 s", "agents": "2 ready 1 busy",
    }  # fmt: skip
    assert 'hx-trigger="every 5s"' in page


def test_a_refresh_answers_the_figures_alone_and_they_follow_the_floor(operator, floor):
    first = operator.get("/admin/", HTTP_HX_REQUEST="true").content.decode()
    assert first.lstrip().startswith('<div id="wallboard"')
    assert "<html" not in first
    Contact.objects.filter(status="dialed").update(status="ended")
    again = operator.get("/admin/", HTTP_HX_REQUEST="true").content.decode()
    assert figures_of(first, "c1")["in_progress"] == "2"
    assert figures_of(again, "c1")["in_progress"] == "0"


def test_an_operator_sees_only_the_parts_of_the_wallboard_allowed_to_them(floor):
    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_campaign"))
    browser = Client()
    browser.login(username="viewer", password="pw")
    page = browser.get("/admin/").content.decode()
    assert 'data-campaign="c1"' in page
    assert 'data-switch="east"' not in page
    assert "Switch west" not in page
    AgentUpdate.objects.create(contact_id="x", state="rejected", reason="bad", occurred_at=timezone.now())
    assert "rejected in the error queue" not in text_of(browser.get("/admin/").content.decode())


def test_the_error_queue_shows_as_an_alert_with_a_link_to_it(operator, floor):
    AgentUpdate.objects.create(contact_id="x", state="rejected", reason="bad", occurred_at=timezone.now())
    page = operator.get("/admin/").content.decode()
    assert '<a class="ob-alert ob-warning" href="/admin/reporting/agentupdate/?state__exact=rejected"' in page
    assert "1 agent update rejected in the error queue." in text_of(page)


def test_a_poll_costs_the_same_queries_with_more_contacts(operator, floor, monkeypatch):
    monkeypatch.setattr(live_figures, "ANSWERS_CACHE_SECONDS", 0)  # each poll counts the calls ended lately
    operator.get("/admin/", HTTP_HX_REQUEST="true")  # statistics computed and cached, as beat keeps them
    with CaptureQueriesContext(connection) as few:
        operator.get("/admin/", HTTP_HX_REQUEST="true")
    add_contacts(300, "c1")
    refresh_counts()
    with CaptureQueriesContext(connection) as many:
        operator.get("/admin/", HTTP_HX_REQUEST="true")
    assert len(many.captured_queries) == len(few.captured_queries)
    assert not [
        q["sql"] for q in many.captured_queries if 'FROM "campaigns_contact"' in q["sql"] and "'pending'" in q["sql"]
    ]


def test_the_sidebar_offers_only_the_pages_one_may_open_and_marks_the_one_shown(operator, floor):
    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(*Permission.objects.filter(codename__in=["view_campaign", "view_callhistory"]))
    request = RequestFactory().get("/admin/reporting/callhistory/dashboard/")
    request.user = viewer
    shown = {item["title"]: item["active"] for group in navigation(request) for item in group["items"]}
    assert shown == {"Wallboard": False, "Calls over time": True, "Campaigns": False, "Calls": False}

"""The campaign page: figures in words, controls behind a confirmation that says what will happen, lists worked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.utils import timezone

from campaigns.models import Campaign, Contact
from outbound.campaign_page import consequence
from reporting.models import CallHistory
from reporting.stats import refresh_statistics
from tests.conftest import add_contacts
from tests.console_pages import list_rows, text_of


@pytest.fixture
def campaign(db):
    """c1: list A of 4 contacts (one dialed once and ended, one in a call), list B of 2 never dialed."""
    ids = add_contacts(4, "c1", contact_list="A") + add_contacts(2, "c1", contact_list="B")
    Contact.objects.filter(id=ids[0]).update(status="ended", attempts=1)
    Contact.objects.filter(id=ids[1]).update(status="dialed", attempts=1)
    now = timezone.now()
    CallHistory.objects.create(
        contact_id=ids[0], campaign_id="c1", contact_list="A", customer_number="+491", campaign_type="IVR",
        dialing_at=now - timedelta(minutes=2), released_at=now - timedelta(minutes=1), call_result="Answer",
        call_result_code=33,
    )  # fmt: skip
    refresh_statistics()
    return Campaign.objects.get(campaign_id="c1")


def controls_on(page: str) -> list[str]:
    return [verb for verb in ("start", "stop", "purge", "unload") if f'data-control="{verb}"' in page]


def page_of(browser: Client, campaign: Campaign) -> str:
    return browser.get(f"/admin/campaigns/campaign/{campaign.pk}/change/").content.decode()


def test_the_page_shows_figures_controls_links_lists_and_calls_over_time(operator, campaign):
    page = page_of(operator, campaign)
    words = text_of(page)
    assert "Dialable now 4 Waiting 0 Done 1 Calls in progress 1" in words
    assert controls_on(page) == ["stop", "purge", "unload"]  # it runs: no start
    for link in ("/admin/campaigns/contact/?campaign_id=c1", "/admin/reporting/callhistory/?campaign_id=c1"):
        assert f'href="{link}"' in page
        assert (
            len(list_rows(operator.get(link).content.decode())) == {"contact": 6, "callhistory": 1}[link.split("/")[3]]
        )
    # list, contacts, dialed at least once (share), done, remaining, hit ratio over the hour
    assert "A 4 2 (50 %) 1 2 100.0 %" in words
    assert "B 2 0 (0 %) 0 2" in words
    assert "<svg" in page
    assert "Answer 1" in words  # the chart's legend counts the campaign's call
    assert 'name="retry_rules"' in page  # its settings follow, in the form that validates them


def test_purge_says_how_many_contacts_it_will_delete_and_deletes_them_only_once_confirmed(operator, campaign):
    url = f"/admin/campaigns/campaign/{campaign.pk}/control/purge/"
    asked = text_of(operator.get(url).content.decode())
    assert "Purge will delete 4 pending contacts. This cannot be undone; the 1 call in progress finish normally." in (
        asked
    )
    assert Contact.objects.filter(status="pending").count() == 4
    done = operator.post(url, follow=True)
    assert done.redirect_chain[-1][0] == f"/admin/campaigns/campaign/{campaign.pk}/change/"
    assert "Campaign c1 purged: 4 contacts affected." in text_of(done.content.decode())
    assert not Contact.objects.filter(status="pending").exists()


def test_stop_then_start_from_the_page(operator, campaign):
    stop = f"/admin/campaigns/campaign/{campaign.pk}/control/stop/"
    assert "Stop will hold 4 pending contacts as stopped" in text_of(operator.get(stop).content.decode())
    operator.post(stop)
    assert Campaign.objects.get().state == "stopped"
    assert controls_on(page_of(operator, campaign)) == ["start", "purge", "unload"]
    start = f"/admin/campaigns/campaign/{campaign.pk}/control/start/"
    assert "Start will dial 4 contacts (4 stopped put back to pending)." in text_of(
        operator.get(start).content.decode()
    )
    operator.post(start)
    assert (Campaign.objects.get().state, Contact.objects.filter(status="pending").count()) == ("running", 4)


def test_an_operator_without_the_control_permission_sees_no_buttons_and_cannot_confirm(campaign):
    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_campaign"))
    browser = Client()
    browser.login(username="viewer", password="pw")
    assert "data-control=" not in page_of(browser, campaign)
    url = f"/admin/campaigns/campaign/{campaign.pk}/control/purge/"
    assert (browser.get(url).status_code, browser.post(url).status_code) == (403, 403)
    assert Contact.objects.filter(status="pending").count() == 4


def test_an_unknown_control_is_not_found(operator, campaign):
    assert operator.get(f"/admin/campaigns/campaign/{campaign.pk}/control/explode/").status_code == 404


IN_CALLS = "the 2 calls in progress finish normally."


@pytest.mark.parametrize(
    ("verb", "state", "said"),
    [
        ("start", "running", "It is already running; start will put 0 stopped contacts back to pending."),
        ("stop", "running", f"Stop will hold 4,812 pending contacts as stopped; {IN_CALLS}"),
        ("unload", "stopped", "Unload will take the campaign out of service: 4,812 pending contacts are held as "
                              f"stopped, new contacts arrive stopped, and it leaves the wallboard; {IN_CALLS}"),
    ],
)  # fmt: skip
def test_each_control_says_what_it_will_do(verb, state, said):
    assert consequence(verb, state, {"pending": 4812, "dialed": 1, "agent_pending": 1}) == said

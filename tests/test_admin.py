"""The operators' console: pages render, actions call the services, a CSV uploads as a list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from campaigns.counts import refresh_counts
from campaigns.models import Campaign, Contact, DoNotCall
from tests.conftest import add_contacts, contacts_payload
from tests.console_pages import list_rows, text_of


@pytest.fixture
def campaign(manager):
    manager.post("/api/v1/contacts/", contacts_payload(3, "c1"), format="json")
    DoNotCall.objects.create(customer_number="+4930999", reason="asked")
    return Campaign.objects.get(campaign_id="c1")


@pytest.mark.parametrize(
    "page",
    [
        "/admin/",
        "/admin/campaigns/campaign/",
        "/admin/campaigns/contact/",
        "/admin/campaigns/contact/?status__exact=pending&q=%2B4930",
        "/admin/campaigns/contactlist/",
        "/admin/campaigns/contactlist/import/",
        "/admin/campaigns/listimport/",
        "/admin/campaigns/donotcall/",
        "/admin/campaigns/apiclient/",
        "/admin/reporting/callhistory/",
        "/admin/reporting/agenthistory/",
    ],
)
def test_every_console_page_renders_for_an_operator(operator, campaign, page):
    assert operator.get(page).status_code == 200


def test_the_campaign_list_shows_contacts_in_words(operator, campaign):
    Contact.objects.filter(pk=Contact.objects.earliest("received_time").pk).update(status="ended")
    (row,) = list_rows(operator.get("/admin/campaigns/campaign/").content.decode())
    assert (row["state_shown"], row["dialable_now"], row["done"], row["in_progress"]) == ("running", "2", "1", "0")
    Contact.objects.filter(status="pending").update(status="ended")
    (row,) = list_rows(operator.get("/admin/campaigns/campaign/").content.decode())
    assert row["state_shown"] == "running"  # the counts are as last counted: finished once counted again
    refresh_counts()
    (row,) = list_rows(operator.get("/admin/campaigns/campaign/").content.decode())
    assert (row["state_shown"], row["time_to_complete"]) == ("running, finished", "done")


def test_the_contact_page_and_a_contact_render(operator, campaign):
    contact = Contact.objects.earliest("received_time")
    assert operator.get(f"/admin/campaigns/contact/{contact.pk}/change/").status_code == 200


@pytest.mark.parametrize(
    ("action", "status", "state", "done", "said"),
    [
        ("stop", "stopped", "stopped", "stopped", "Stop will hold 3 pending contacts as stopped"),
        ("purge", None, "running", "purged", "Purge will delete 3 pending contacts. This cannot be undone"),
    ],
)
def test_admin_actions_confirm_what_they_will_do_then_use_the_control_services(
    operator, campaign, action, status, state, done, said
):
    chosen = {"action": f"{action}_campaigns", "_selected_action": [campaign.pk]}
    asked = operator.post("/admin/campaigns/campaign/", chosen)
    assert said in text_of(asked.content.decode())
    assert Contact.objects.filter(status="pending").count() == 3  # nothing done before the confirmation
    response = operator.post("/admin/campaigns/campaign/", {**chosen, "confirmed": "yes"}, follow=True)
    assert f"Campaign c1 {done}: 3 contacts affected." in text_of(response.content.decode())
    assert set(Contact.objects.values_list("status", flat=True)) == ({status} if status else set())
    assert Campaign.objects.get().state == state


def test_start_action_releases_stopped_contacts(operator, campaign, manager):
    manager.post("/api/v1/campaigns/c1/stop/")
    chosen = {"action": "start_campaigns", "_selected_action": [campaign.pk], "confirmed": "yes"}
    operator.post("/admin/campaigns/campaign/", chosen)
    assert set(Contact.objects.values_list("status", flat=True)) == {"pending"}


def test_the_console_requires_a_login(db):
    assert Client().get("/admin/campaigns/campaign/").status_code == 302


def change_form(campaign: Campaign, **changes: object) -> dict[str, object]:
    """The campaign change form as the page posts it, with ``changes``."""
    fields = ("campaign_id", "name", "campaign_type", "dialing_mode", "queue_name", "default_ivr", "template_name",
              "tenant_name", "ring_timeout", "time_zone", "optimize_by", "optimize_goal", "max_dial_ratio")  # fmt: skip
    return {**{name: getattr(campaign, name) for name in fields}, **changes}


def test_the_campaign_page_shows_and_edits_the_ring_timeout(operator, campaign):
    url = f"/admin/campaigns/campaign/{campaign.pk}/change/"
    page = operator.get(url).content.decode()
    assert 'name="ring_timeout" value="25"' in page
    assert 'min="5" max="120"' in page  # the browser keeps to the range too
    assert operator.post(url, change_form(campaign, ring_timeout=45)).status_code == 302
    assert Campaign.objects.get().ring_timeout == 45


@pytest.mark.parametrize("bad", [4, 121, "abc"])
def test_the_campaign_page_refuses_a_ring_timeout_out_of_range(operator, campaign, bad):
    url = f"/admin/campaigns/campaign/{campaign.pk}/change/"
    response = operator.post(url, change_form(campaign, ring_timeout=bad))
    assert response.status_code == 200
    assert "ring_timeout" in response.context["adminform"].form.errors
    assert Campaign.objects.get().ring_timeout == 25


def test_the_campaign_form_takes_retry_rules_and_calling_hours_and_refuses_bad_ones(operator, campaign):
    url = f"/admin/campaigns/campaign/{campaign.pk}/change/"
    rules = '[{"result": "Busy", "delay": 300, "max_attempts": 3}]'
    hours = '{"mon": [["09:00", "20:00"]]}'
    form = change_form(campaign, retry_rules=rules, calling_hours=hours, time_zone="America/New_York")
    assert operator.post(url, form).status_code == 302
    saved = Campaign.objects.get()
    assert saved.retry_rules == [{"result": "Busy", "delay": 300, "max_attempts": 3}]
    assert (saved.calling_hours, saved.time_zone) == ({"mon": [["09:00", "20:00"]]}, "America/New_York")
    bad = change_form(saved, retry_rules='[{"result": "Engaged", "delay": 1, "max_attempts": 1}]', calling_hours=hours)
    page = operator.post(url, bad).content.decode()
    assert "is not one of" in page
    assert Campaign.objects.get().retry_rules == saved.retry_rules


def test_a_pending_contact_page_says_why_it_is_not_dialed_now(operator, campaign):
    [contact_id] = add_contacts(1, campaign.campaign_id)
    retry_at = timezone.now() + timedelta(hours=1)
    Contact.objects.filter(pk=contact_id).update(retry_at=retry_at, call_result="User busy")
    page = operator.get(f"/admin/campaigns/contact/{contact_id}/change/").content.decode()
    assert "why not dialed now" in page.lower()
    assert f"its retry time is {retry_at.isoformat()} (after User busy)" in page

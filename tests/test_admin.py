"""The operators' console: pages render, actions call the services, a CSV uploads as a list."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from campaigns.models import Campaign, Contact, DoNotCall
from tests.conftest import contacts_payload
from tests.test_import_contacts import FIELDS, rows


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
        "/admin/campaigns/donotcall/",
        "/admin/campaigns/apiclient/",
        "/admin/reporting/callhistory/",
        "/admin/reporting/agenthistory/",
    ],
)
def test_every_console_page_renders_for_an_operator(operator, campaign, page):
    assert operator.get(page).status_code == 200


def test_campaign_page_shows_counts_per_status(operator, campaign):
    Contact.objects.filter(pk=Contact.objects.earliest("received_time").pk).update(status="ended")
    page = operator.get("/admin/campaigns/campaign/").content.decode()
    assert '<td class="field-pending">2</td>' in page
    assert '<td class="field-ended">1</td>' in page


def test_the_contact_page_and_a_contact_render(operator, campaign):
    contact = Contact.objects.earliest("received_time")
    assert operator.get(f"/admin/campaigns/contact/{contact.pk}/change/").status_code == 200


@pytest.mark.parametrize(("action", "status", "state"), [("stop", "stopped", "stopped"), ("purge", None, "running")])
def test_admin_actions_use_the_control_services(operator, campaign, action, status, state):
    response = operator.post(
        "/admin/campaigns/campaign/",
        {"action": f"{action}_campaigns", "_selected_action": [campaign.pk]},
        follow=True,
    )
    assert f"Campaign c1: {action} affected 3 contacts." in response.content.decode()
    assert set(Contact.objects.values_list("status", flat=True)) == ({status} if status else set())
    assert Campaign.objects.get().state == state


def test_start_action_releases_stopped_contacts(operator, campaign, manager):
    manager.post("/api/v1/campaigns/c1/stop/")
    operator.post("/admin/campaigns/campaign/", {"action": "start_campaigns", "_selected_action": [campaign.pk]})
    assert set(Contact.objects.values_list("status", flat=True)) == {"pending"}


def test_a_csv_upload_imports_a_list_and_reports_bad_rows(operator, db):
    items = rows(4)
    items[2]["priority"] = "12"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS)
    writer.writeheader()
    writer.writerows(items)
    upload = SimpleUploadedFile("leads.csv", buffer.getvalue().encode(), content_type="text/csv")
    response = operator.post(
        "/admin/campaigns/contactlist/import/", {"campaign_id": "upl", "list_name": "Leads", "file": upload}
    )
    page = response.content.decode()
    assert "4 rows: 3 imported, 0 already present, 1 errors." in page
    assert "<td>4</td>" in page
    assert "priority" in page
    assert Contact.objects.filter(contact_list__name="Leads").count() == 3


def test_the_console_requires_a_login(db):
    assert Client().get("/admin/campaigns/campaign/").status_code == 302

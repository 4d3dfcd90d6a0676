"""The campaigns' audit trail: every control and settings change, who asked, when, and what it did."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.contrib.auth.models import Permission, User
from django.db import transaction
from django.test import Client

from campaigns.auth import client_name, create_api_client
from campaigns.choices import ApiRole
from campaigns.configuration import create_campaign, update_campaign
from campaigns.control import CampaignNotFound, purge_campaign, start_campaign, stop_campaign, unload_campaign
from campaigns.models import Campaign, CampaignAuditEntry, Contact
from tests.conftest import add_contacts, change_form

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def trail(campaign_id: str = "c1") -> list[tuple[str, str, int | None]]:
    """(action, by, affected) oldest first."""
    entries = CampaignAuditEntry.objects.filter(campaign_id=campaign_id).order_by("at", "id")
    return [(e.action, e.by, e.affected) for e in entries]


# --- The services record, in their own transaction ---


def test_each_control_records_who_when_what_and_how_many(db):
    add_contacts(3, "c1")
    with time_machine.travel(AT, tick=False):
        stop_campaign("c1", by="api:crm")
    with time_machine.travel(AT + timedelta(minutes=5), tick=False):
        start_campaign("c1", by="admin:alice")
    unload_campaign("c1", by="api:crm")
    assert trail() == [("stop", "api:crm", 3), ("start", "admin:alice", 3), ("unload", "api:crm", 3)]
    stop, start, unload = CampaignAuditEntry.objects.filter(campaign_id="c1").order_by("at", "id")
    assert (stop.at, start.at) == (AT, AT + timedelta(minutes=5))
    assert stop.changes == {"state": ["running", "stopped"]}
    assert unload.changes == {"state": ["running", "unloaded"]}


def test_a_purge_records_the_contacts_it_deleted_and_which_statuses(db):
    add_contacts(2, "c1")
    Contact.objects.filter(pk=Contact.objects.earliest("received_time").pk).update(status="ended")
    purge_campaign("c1", statuses=("pending", "ended"), by="command:purge_contacts")
    entry = CampaignAuditEntry.objects.get()
    assert (entry.action, entry.by, entry.affected) == ("purge", "command:purge_contacts", 2)
    assert entry.detail == "statuses: pending, ended"


def test_a_control_that_fails_or_rolls_back_leaves_no_entry(db):
    Campaign.objects.create(campaign_id="empty", name="empty")
    with pytest.raises(CampaignNotFound):
        stop_campaign("empty", by="api:crm")
    add_contacts(1, "c1")

    def stop_then_fail() -> None:
        with transaction.atomic():
            stop_campaign("c1", by="api:crm")
            raise RuntimeError("the caller's transaction fails after the stop")

    with pytest.raises(RuntimeError):
        stop_then_fail()
    assert not CampaignAuditEntry.objects.exists()
    assert Contact.objects.get().status == "pending"


def test_a_caller_that_does_not_say_who_is_recorded_as_unattributed(db):
    add_contacts(1, "c1")
    stop_campaign("c1")
    assert trail() == [("stop", "unattributed", 1)]


def test_creating_a_campaign_records_its_initial_settings(db):
    create_campaign(campaign_id="new", ring_timeout=40, by="api:crm")
    entry = CampaignAuditEntry.objects.get()
    assert (entry.campaign_id, entry.action, entry.by) == ("new", "create", "api:crm")
    assert entry.changes == {"ring_timeout": [None, 40], "name": [None, "new"], "state": [None, "loaded"]}


def test_a_settings_change_records_each_changed_field_old_and_new(db):
    create_campaign(campaign_id="c2", by="api:crm")
    update_campaign("c2", by="api:crm", ring_timeout=45, name="c2", retry_rules=[{"result": "Busy", "delay": 60,
                    "max_attempts": 2}])  # fmt: skip
    entry = CampaignAuditEntry.objects.get(action="update")
    assert entry.changes == {
        "ring_timeout": [25, 45],
        "retry_rules": [[], [{"result": "Busy", "delay": 60, "max_attempts": 2}]],
    }  # the name was sent unchanged: not a change


def test_a_settings_request_that_changes_nothing_records_nothing(db):
    create_campaign(campaign_id="c2", by="api:crm")
    update_campaign("c2", by="api:crm", ring_timeout=25)
    assert [e.action for e in CampaignAuditEntry.objects.all()] == ["create"]


def test_the_api_client_is_named_by_its_client_name(db):
    client, _ = create_api_client(name="crm-prod", role=ApiRole.CAMPAIGN_MANAGER)
    assert client_name(SimpleNamespace(user=client)) == "api:crm-prod"  # type: ignore[arg-type]


# --- The admin records its operator, and shows the trail ---


def action(browser: Client, verb: str, campaign: Campaign) -> None:
    chosen = {"action": f"{verb}_campaigns", "_selected_action": [campaign.pk], "confirmed": "yes"}
    browser.post("/admin/campaigns/campaign/", chosen)


def test_an_admin_action_records_the_operator(operator):
    add_contacts(3, "c1")
    campaign = Campaign.objects.get()
    action(operator, "stop", campaign)
    action(operator, "purge", campaign)  # nothing pending any more
    action(operator, "start", campaign)
    assert trail() == [("stop", "admin:ops", 3), ("purge", "admin:ops", 0), ("start", "admin:ops", 3)]


def test_an_admin_edit_records_the_changed_fields_and_the_operator(operator):
    add_contacts(1, "c1")
    campaign = Campaign.objects.get()
    url = f"/admin/campaigns/campaign/{campaign.pk}/change/"
    assert operator.post(url, change_form(campaign, ring_timeout=45, queue_name="sales")).status_code == 302
    entry = CampaignAuditEntry.objects.get()
    assert (entry.action, entry.by) == ("update", "admin:ops")
    assert entry.changes == {"queue_name": ["", "sales"], "ring_timeout": [25, 45]}
    operator.post(url, change_form(Campaign.objects.get()))  # saved again unchanged
    assert CampaignAuditEntry.objects.count() == 1


def test_a_campaign_added_and_renamed_in_the_admin_keeps_one_trail(operator):
    form = change_form(Campaign(campaign_id="draft", name="Draft", campaign_type="IVR"))
    assert operator.post("/admin/campaigns/campaign/add/", form).status_code == 302
    campaign = Campaign.objects.get()
    operator.post(f"/admin/campaigns/campaign/{campaign.pk}/change/", change_form(campaign, campaign_id="final"))
    assert trail("final") == [("create", "admin:ops", None), ("update", "admin:ops", None)]
    assert CampaignAuditEntry.objects.get(action="update").changes == {"campaign_id": ["draft", "final"]}


def test_deleting_a_campaign_in_the_admin_is_the_last_entry_of_its_trail(operator):
    campaign = Campaign.objects.create(campaign_id="gone", name="gone")
    response = operator.post(f"/admin/campaigns/campaign/{campaign.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Campaign.objects.exists()
    assert trail("gone") == [("delete", "admin:ops", None)]


def test_the_campaign_page_shows_the_newest_fifty_entries_newest_first_with_the_count(operator):
    add_contacts(1, "c1")
    campaign = Campaign.objects.get()
    for minute in range(60):
        CampaignAuditEntry.objects.create(
            campaign_id="c1", at=AT + timedelta(minutes=minute), action="stop", by=f"api:client-{minute}", affected=1
        )
    page = operator.get(f"/admin/campaigns/campaign/{campaign.pk}/change/").content.decode()
    assert "The newest 50 of 60 entries." in page
    assert "api:client-59" in page
    assert "api:client-10" in page
    assert "api:client-9<" not in page  # the oldest ten are in the full list only
    assert page.index("api:client-59") < page.index("api:client-58")
    assert "/admin/campaigns/campaignauditentry/?campaign_id=c1" in page


def test_the_audit_list_is_read_only_and_filters_by_campaign(operator):
    add_contacts(1, "c1")
    add_contacts(1, "c2")
    stop_campaign("c1", by="api:crm")
    stop_campaign("c2", by="api:erp")
    page = operator.get("/admin/campaigns/campaignauditentry/?campaign_id=c1").content.decode()
    assert "api:crm" in page
    assert "api:erp" not in page
    assert "state: &#x27;running&#x27; → &#x27;stopped&#x27;" in page
    entry = CampaignAuditEntry.objects.get(campaign_id="c1")
    assert operator.get("/admin/campaigns/campaignauditentry/add/").status_code == 403
    response = operator.post(f"/admin/campaigns/campaignauditentry/{entry.pk}/change/", {"by": "someone else"})
    assert response.status_code == 403
    assert operator.post(f"/admin/campaigns/campaignauditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert CampaignAuditEntry.objects.get(pk=entry.pk).by == "api:crm"


def test_the_trail_is_shown_only_to_operators_allowed_to_read_it(db):
    add_contacts(1, "c1")
    stop_campaign("c1", by="api:crm")
    campaign = Campaign.objects.get()
    user = User.objects.create_user("reader", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_campaign"))
    browser = Client()
    browser.force_login(user)
    url = f"/admin/campaigns/campaign/{campaign.pk}/change/"
    assert "api:crm" not in browser.get(url).content.decode()
    user.user_permissions.add(Permission.objects.get(codename="view_campaignauditentry"))
    assert "api:crm" in browser.get(url).content.decode()


# --- The API records its client (campaigns/api.py passes ``by=client_name(request)``) ---


def test_the_api_records_the_client_that_asked(manager):
    add_contacts(1, "c1")
    assert manager.post("/api/v1/campaigns/c1/stop/").status_code == 200
    assert manager.patch("/api/v1/campaigns/c1/", {"ring_timeout": 30}, format="json").status_code == 200
    assert manager.post("/api/v1/campaigns/", {"campaign_id": "c2"}, format="json").status_code == 201
    bys = {entry.action: entry.by for entry in CampaignAuditEntry.objects.all()}
    assert set(bys) == {"stop", "update", "create"}
    assert all(by.startswith("api:campaign_manager-Token-") for by in bys.values()), bys

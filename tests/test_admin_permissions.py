"""Who may do what in the operators' console: every page, action and custom view asks for its permission.

Staff status only lets a user sign in. A view-only operator reads every page but changes nothing (no campaign
control, no upload, no replay); a staff user with no permission is refused everything; each power is granted
by its own permission ("Can control campaigns", "Can import contacts", "Can import do-not-call entries").
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from campaigns.list_imports import queue_list_import
from campaigns.models import Campaign, Contact, DoNotCall, ListImport
from reporting.models import AgentUpdate
from tests.conftest import add_contacts

APPS = ("campaigns", "dialer", "reporting")
ACTIONS = ("start", "stop", "purge", "unload")


def staff(username: str, *codenames: str) -> Client:
    """A signed-in staff user holding exactly ``codenames`` ("app.codename"; "view:*" = every view permission)."""
    user = User.objects.create_user(username, password="pw", is_staff=True)
    for codename in codenames:
        if codename == "view:*":
            found = Permission.objects.filter(content_type__app_label__in=APPS, codename__startswith="view_")
        else:
            app_label, name = codename.split(".")
            found = Permission.objects.filter(content_type__app_label=app_label, codename=name)
        assert found.exists(), codename
        user.user_permissions.add(*found)
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.fixture
def viewer(db: None) -> Client:
    return staff("viewer", "view:*")


@pytest.fixture
def nobody(db: None) -> Client:
    return staff("nobody")


@pytest.fixture
def world(db: None) -> dict[str, object]:
    """A campaign with three pending contacts, a finished list import and a rejected agent update."""
    ids = add_contacts(3, "c1")
    job = queue_list_import(
        campaign_id="c1", list_name="Leads", file_name="leads.csv", content=b"id\n", uploaded_by="ops"
    )
    update = AgentUpdate.objects.create(
        contact_id=ids[0], agent_extension="1001", occurred_at=timezone.now() - timedelta(minutes=1),
        activity="reserved", state="rejected", reason="unknown contact (arrived late)",
    )  # fmt: skip
    return {"campaign": Campaign.objects.get(campaign_id="c1"), "contact": ids[0], "job": job, "update": update}


def read_pages(world: dict[str, object]) -> list[str]:
    """Every page a view permission opens, the custom ones included."""
    campaign, job = world["campaign"], world["job"]
    assert isinstance(campaign, Campaign)
    assert isinstance(job, ListImport)
    return [
        "/admin/campaigns/campaign/",
        f"/admin/campaigns/campaign/{campaign.pk}/change/",
        "/admin/campaigns/contact/",
        f"/admin/campaigns/contact/{world['contact']}/change/",
        "/admin/campaigns/contactlist/",
        "/admin/campaigns/listimport/",
        f"/admin/campaigns/listimport/{job.pk}/change/",
        "/admin/campaigns/donotcall/",
        "/admin/campaigns/apiclient/",
        "/admin/campaigns/campaignauditentry/",
        "/admin/reporting/callhistory/",
        "/admin/reporting/callhistory/dashboard/",
        "/admin/reporting/agenthistory/",
        "/admin/reporting/agentupdate/",
        "/admin/dialer/agentstate/",
        "/admin/dialer/agentstate/pacing/",
        "/admin/dialer/unappliedevent/",
    ]


WRITE_PAGES = [
    "/admin/campaigns/contactlist/import/",
    "/admin/campaigns/donotcall/import/",
    "/admin/campaigns/campaign/add/",
    "/admin/campaigns/contactlist/add/",
    "/admin/campaigns/donotcall/add/",
]


def statuses() -> list[str]:
    return sorted(Contact.objects.values_list("status", flat=True))


def list_upload(browser: Client) -> int:
    csv = b"id,customer_number\nx1,+4930123\n"
    form = {"campaign_id": "c9", "list_name": "Leads", "file": SimpleUploadedFile("leads.csv", csv, "text/csv")}
    return browser.post("/admin/campaigns/contactlist/import/", form).status_code


def dnc_upload(browser: Client) -> int:
    csv = b"customer_number,reason\n+4930555123,asked\n"
    form = {"file": SimpleUploadedFile("dnc.csv", csv, "text/csv")}
    return browser.post("/admin/campaigns/donotcall/import/", form).status_code


def run_action(browser: Client, action: str, campaign: Campaign) -> str:
    response = browser.post(
        "/admin/campaigns/campaign/",
        {"action": f"{action}_campaigns", "_selected_action": [campaign.pk], "confirmed": "yes"},
        follow=True,
    )
    return response.content.decode()


# --- A staff user with no permission: refused everywhere ---


def test_a_staff_user_without_permissions_reads_no_page(nobody, world):
    refused = {page: nobody.get(page).status_code for page in [*read_pages(world), *WRITE_PAGES]}
    assert refused == dict.fromkeys(refused, 403)


def test_a_staff_user_without_permissions_uploads_nothing_and_controls_nothing(nobody, world):
    jobs = ListImport.objects.count()
    assert list_upload(nobody) == 403
    assert dnc_upload(nobody) == 403
    assert ListImport.objects.count() == jobs
    assert not DoNotCall.objects.exists()
    for action in ACTIONS:
        run_action(nobody, action, world["campaign"])
    assert statuses() == ["pending"] * 3
    assert Campaign.objects.get().state == "running"


# --- A view-only operator: reads every page, changes nothing ---


def test_a_view_only_operator_reads_every_page(viewer, world):
    pages = {page: viewer.get(page).status_code for page in read_pages(world)}
    assert pages == dict.fromkeys(pages, 200)


def test_a_view_only_operator_opens_no_upload_or_add_page(viewer, world):
    refused = {page: viewer.get(page).status_code for page in WRITE_PAGES}
    assert refused == dict.fromkeys(refused, 403)


def test_a_view_only_operator_is_not_offered_the_upload_links(viewer, world):
    assert "/admin/campaigns/contactlist/import/" not in viewer.get("/admin/campaigns/contactlist/").content.decode()
    assert "/admin/campaigns/donotcall/import/" not in viewer.get("/admin/campaigns/donotcall/").content.decode()


def test_a_view_only_operator_cannot_upload_a_calling_list_nor_do_not_call_entries(viewer, world):
    jobs = ListImport.objects.count()
    assert list_upload(viewer) == 403
    assert dnc_upload(viewer) == 403
    assert ListImport.objects.count() == jobs
    assert not Contact.objects.filter(campaign_id="c9").exists()
    assert not DoNotCall.objects.exists()


def test_a_view_only_operator_is_not_offered_the_campaign_actions(viewer, world):
    page = viewer.get("/admin/campaigns/campaign/").content.decode()
    for action in (*ACTIONS, "delete_selected"):
        assert f'value="{action}' not in page, action


@pytest.mark.parametrize("action", ACTIONS)
def test_a_view_only_operator_posting_a_campaign_action_changes_nothing(viewer, world, action):
    page = run_action(viewer, action, world["campaign"])
    assert "affected" not in page
    assert statuses() == ["pending"] * 3
    assert Campaign.objects.get().state == "running"


def test_a_view_only_operator_cannot_edit_a_campaign(viewer, world):
    campaign = world["campaign"]
    response = viewer.post(f"/admin/campaigns/campaign/{campaign.pk}/change/", {"name": "hijacked"})
    assert response.status_code == 403
    assert Campaign.objects.get().name == campaign.name


def test_a_view_only_operator_cannot_replay_agent_updates(viewer, world):
    update = world["update"]
    page = viewer.get("/admin/reporting/agentupdate/").content.decode()
    assert 'value="replay_updates"' not in page
    viewer.post("/admin/reporting/agentupdate/", {"action": "replay_updates", "_selected_action": [update.pk]})
    assert AgentUpdate.objects.get().state == "rejected"


# --- Each power with its own permission ---


def test_the_control_permission_offers_and_runs_the_campaign_actions(world):
    controller = staff("controller", "campaigns.view_campaign", "campaigns.control_campaign")
    page = controller.get("/admin/campaigns/campaign/").content.decode()
    for action in ACTIONS:
        assert f'value="{action}_campaigns"' in page
    assert "Campaign c1 stopped: 3 contacts affected." in run_action(controller, "stop", world["campaign"])
    assert statuses() == ["stopped"] * 3
    assert "Campaign c1 started: 3 contacts affected." in run_action(controller, "start", world["campaign"])
    assert statuses() == ["pending"] * 3


def test_the_control_permission_alone_does_not_let_one_edit_or_upload(world):
    controller = staff("controller", "campaigns.view_campaign", "campaigns.control_campaign")
    assert controller.get("/admin/campaigns/campaign/add/").status_code == 403
    assert list_upload(controller) == 403


def test_the_import_permission_uploads_a_calling_list_and_shows_its_progress(world):
    importer = staff("importer", "campaigns.import_contacts")
    assert importer.get("/admin/campaigns/contactlist/import/").status_code == 200
    response = importer.post(
        "/admin/campaigns/contactlist/import/",
        {"campaign_id": "c9", "list_name": "Leads", "file": SimpleUploadedFile("leads.csv", b"id\n", "text/csv")},
        follow=True,
    )
    job = ListImport.objects.get(campaign_id="c9")
    assert response.redirect_chain[-1][0] == f"/admin/campaigns/listimport/{job.pk}/change/"
    assert response.status_code == 200
    assert "leads.csv" in response.content.decode()
    assert importer.get("/admin/campaigns/donotcall/import/").status_code == 403


def test_the_do_not_call_import_permission_imports_entries(world):
    importer = staff("dnc-importer", "campaigns.import_dnc", "campaigns.view_donotcall")
    assert 'href="/admin/campaigns/donotcall/import/"' in importer.get("/admin/campaigns/donotcall/").content.decode()
    assert dnc_upload(importer) == 200
    assert DoNotCall.objects.get().customer_number == "+4930555123"
    assert list_upload(importer) == 403


def test_the_change_permission_on_agent_updates_replays_them(world):
    replayer = staff("replayer", "reporting.view_agentupdate", "reporting.change_agentupdate")
    update = world["update"]
    response = replayer.post(
        "/admin/reporting/agentupdate/", {"action": "replay_updates", "_selected_action": [update.pk]}, follow=True
    )
    assert f"Update {update.pk}: applied." in response.content.decode()
    assert AgentUpdate.objects.get().state == "applied"


def test_the_dashboard_and_pacing_pages_need_their_view_permissions(world):
    history_only = staff("history", "reporting.view_callhistory")
    assert history_only.get("/admin/reporting/callhistory/").status_code == 200
    assert history_only.get("/admin/reporting/callhistory/dashboard/").status_code == 403
    both = staff("both", "reporting.view_callhistory", "campaigns.view_campaign")
    assert both.get("/admin/reporting/callhistory/dashboard/").status_code == 200
    agents = staff("agents", "dialer.view_agentstate", "campaigns.view_campaign")
    assert agents.get("/admin/dialer/agentstate/pacing/").status_code == 200


def test_an_import_report_needs_a_view_permission(world):
    job = world["job"]
    auditor = staff("auditor", "campaigns.view_listimport")
    assert auditor.get(f"/admin/campaigns/listimport/{job.pk}/change/").status_code == 200
    other = staff("other", "campaigns.view_campaign")
    assert other.get(f"/admin/campaigns/listimport/{job.pk}/change/").status_code == 403


def test_an_operator_with_every_permission_still_does_everything(operator, world):
    for page in [*read_pages(world), *WRITE_PAGES]:
        assert operator.get(page).status_code == 200, page
    assert "Campaign c1 stopped: 3 contacts affected." in run_action(operator, "stop", world["campaign"])
    assert dnc_upload(operator) == 200
    assert list_upload(operator) == 302

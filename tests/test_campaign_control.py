"""Start, stop and purge move exactly the contacts seed 001 names, and answer 404 when there are none."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from campaigns.choices import CampaignState, ContactStatus
from campaigns.models import Campaign, Contact
from tests.conftest import contacts_payload, error_fields

EVERY_STATUS = list(ContactStatus.values)


@pytest.fixture
def one_of_each(manager):
    """Campaign c1 with one contact in every status, and campaign c2 with two pending ones."""
    manager.post("/api/v1/contacts/", contacts_payload(len(EVERY_STATUS), "c1"), format="json")
    manager.post("/api/v1/contacts/", contacts_payload(2, "c2"), format="json")
    for contact, status in zip(
        Contact.objects.filter(campaign_id="c1").order_by("received_time"), EVERY_STATUS, strict=True
    ):
        Contact.objects.filter(pk=contact.pk).update(status=status)
    return {c.status: c.id for c in Contact.objects.filter(campaign_id="c1")}


def statuses(campaign_id: str) -> dict[str, str]:
    return dict(Contact.objects.filter(campaign_id=campaign_id).values_list("id", "status"))


def test_stop_holds_only_the_pending_contacts(manager, one_of_each):
    response = manager.post("/api/v1/campaigns/c1/stop/")
    assert response.status_code == 200
    assert response.json() == {"campaign_id": "c1", "affected": 1}
    after = statuses("c1")
    assert after[one_of_each["pending"]] == "stopped"
    for status in ("agent_pending", "dialed", "ended", "failed"):
        assert after[one_of_each[status]] == status
    assert Campaign.objects.get(campaign_id="c1").state == CampaignState.STOPPED
    assert set(statuses("c2").values()) == {"pending"}


def test_start_releases_only_the_stopped_contacts(manager, one_of_each):
    response = manager.post("/api/v1/campaigns/c1/start/")
    assert response.json() == {"campaign_id": "c1", "affected": 1}
    after = statuses("c1")
    assert after[one_of_each["stopped"]] == "pending"
    assert sorted(after.values()) == sorted(["pending", "pending", "agent_pending", "dialed", "ended", "failed"])
    assert Campaign.objects.get(campaign_id="c1").state == CampaignState.RUNNING


def test_purge_deletes_only_the_pending_contacts(manager, one_of_each):
    response = manager.post("/api/v1/campaigns/c1/purge/")
    assert response.json() == {"campaign_id": "c1", "affected": 1}
    assert one_of_each["pending"] not in statuses("c1")
    assert sorted(statuses("c1").values()) == sorted(s for s in EVERY_STATUS if s != "pending")
    assert len(statuses("c2")) == 2


def test_stop_then_start_is_a_round_trip(manager, one_of_each):
    manager.post("/api/v1/campaigns/c1/stop/")
    assert manager.post("/api/v1/campaigns/c1/start/").json()["affected"] == 2
    assert sorted(statuses("c1").values()).count("pending") == 2


def test_a_campaign_emptied_by_a_purge_can_still_be_unloaded(manager):
    manager.post("/api/v1/contacts/", contacts_payload(2, "c1"), format="json")
    assert manager.post("/api/v1/campaigns/c1/purge/").json()["affected"] == 2
    response = manager.post("/api/v1/campaigns/c1/unload/")
    assert response.json() == {"campaign_id": "c1", "affected": 0}
    assert Campaign.objects.get(campaign_id="c1").state == CampaignState.UNLOADED
    assert manager.post("/api/v1/campaigns/nobody/unload/").status_code == 404


@pytest.mark.parametrize("action", ["start", "stop", "purge"])
def test_it_returns_404_when_campaign_has_no_contacts(manager, action):
    response = manager.post(f"/api/v1/campaigns/nobody/{action}/")
    assert response.status_code == 404
    assert "nobody" in response.json()["detail"]


@pytest.mark.parametrize("action", ["start", "stop", "purge"])
def test_it_returns_404_for_a_campaign_created_without_contacts(manager, action):
    assert manager.post("/api/v1/campaigns/", {"campaign_id": "empty"}, format="json").status_code == 201
    assert manager.post(f"/api/v1/campaigns/empty/{action}/").status_code == 404


def test_a_campaign_created_through_the_api_is_loaded_until_started(manager):
    response = manager.post("/api/v1/campaigns/", {"campaign_id": "autumn", "dialing_mode": "PREVIEW"}, format="json")
    assert response.status_code == 201
    assert response.json()["state"] == "loaded"
    assert manager.post("/api/v1/campaigns/", {"campaign_id": "autumn"}, format="json").status_code == 409
    manager.post("/api/v1/contacts/", contacts_payload(1, "autumn"), format="json")
    assert Contact.objects.get(campaign_id="autumn").status == "pending"
    manager.post("/api/v1/campaigns/autumn/start/")
    assert Campaign.objects.get(campaign_id="autumn").state == "running"


def test_patch_changes_the_configuration_but_not_the_state(manager, one_of_each):
    change = {"dialing_mode": "PREDICTIVE", "caller_id": "+4930123456", "state": "stopped"}
    response = manager.patch("/api/v1/campaigns/c1/", change, format="json")
    assert response.status_code == 200
    campaign = Campaign.objects.get(campaign_id="c1")
    assert (campaign.dialing_mode, campaign.state) == ("PREDICTIVE", "running")
    bad = manager.patch("/api/v1/campaigns/c1/", {"queue_name": "a,b"}, format="json")
    assert bad.status_code == 400
    assert "queue_name" in error_fields(bad)
    assert manager.patch("/api/v1/campaigns/none/", {"name": "x"}, format="json").status_code == 404


def test_the_dialer_status_counts_active_calls_from_contacts(manager, one_of_each, switch):
    body = manager.get("/api/v1/dialer/status/").json()
    assert body["switch"]["connected"] is True
    assert body["max_concurrent_calls"] == 10
    assert body["active_calls"] == 2  # dialed + agent_pending
    c1 = next(c for c in body["campaigns"] if c["campaign_id"] == "c1")
    assert c1["contacts"] == dict.fromkeys(EVERY_STATUS, 1)


def ring_timeouts() -> dict[str, int]:
    return dict(Campaign.objects.values_list("campaign_id", "ring_timeout"))


def test_a_campaign_created_on_first_sight_rings_for_25_seconds(manager):
    manager.post("/api/v1/contacts/", contacts_payload(1, "c1"), format="json")
    assert ring_timeouts() == {"c1": 25}
    assert manager.get("/api/v1/campaigns/").json()["results"][0]["ring_timeout"] == 25
    assert manager.get("/api/v1/campaigns/c1/").json()["ring_timeout"] == 25


@pytest.mark.parametrize("sent", [40, "40"])
def test_patch_sets_the_ring_timeout(manager, sent):
    manager.post("/api/v1/contacts/", contacts_payload(1, "c1"), format="json")
    response = manager.patch("/api/v1/campaigns/c1/", {"ring_timeout": sent}, format="json")
    assert response.status_code == 200
    assert response.json()["ring_timeout"] == 40
    assert ring_timeouts() == {"c1": 40}
    assert manager.get("/api/v1/campaigns/c1/").json()["ring_timeout"] == 40


@pytest.mark.parametrize("bad", [4, 121, 0, -25, "abc", "25 ", " 25", "2_5", "", None, 2.5, 25.0, True, [25]])
def test_a_ring_timeout_outside_5_to_120_whole_seconds_is_a_400_and_nothing_changes(manager, bad):
    manager.post("/api/v1/contacts/", contacts_payload(1, "c1"), format="json")
    response = manager.patch("/api/v1/campaigns/c1/", {"ring_timeout": bad, "name": "renamed"}, format="json")
    assert response.status_code == 400
    assert error_fields(response) == {"ring_timeout"}
    assert Campaign.objects.filter(campaign_id="c1", name="c1", ring_timeout=25).exists()


def test_a_campaign_created_through_the_api_takes_its_ring_timeout(manager):
    response = manager.post("/api/v1/campaigns/", {"campaign_id": "quick", "ring_timeout": 15}, format="json")
    assert (response.status_code, response.json()["ring_timeout"]) == (201, 15)
    assert manager.post("/api/v1/campaigns/", {"campaign_id": "plain"}, format="json").json()["ring_timeout"] == 25
    bad = manager.post("/api/v1/campaigns/", {"campaign_id": "slow", "ring_timeout": 121}, format="json")
    assert (bad.status_code, error_fields(bad)) == (400, {"ring_timeout"})
    assert ring_timeouts() == {"plain": 25, "quick": 15}


@pytest.mark.parametrize("bad", [4, 121])
def test_the_database_refuses_a_ring_timeout_out_of_range(manager, bad):
    manager.post("/api/v1/contacts/", contacts_payload(1, "c1"), format="json")
    with pytest.raises(IntegrityError, match="campaign_ring_timeout_range"), transaction.atomic():
        Campaign.objects.filter(campaign_id="c1").update(ring_timeout=bad)

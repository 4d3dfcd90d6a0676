"""Receiving contacts over the API: validation, all-or-nothing batches, replays, stopped campaigns."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from campaigns.choices import CampaignState, ContactStatus
from campaigns.models import Campaign, Contact
from tests.conftest import contact_payload, contacts_payload, error_fields

URL = "/api/v1/contacts/"
UNSAFE = [",", "{", "}", "'", '"', " ", "\n", "\r", "\t", "\x00", ";", "|", "\\"]


def post(api: APIClient, body: Any) -> Any:
    return api.post(URL, body, format="json")


def assert_rejected(response: Any, field: str) -> None:
    assert response.status_code == 400, response.content
    assert field in error_fields(response)
    assert Contact.objects.count() == 0
    assert Campaign.objects.count() == 0


def test_it_stores_a_valid_contact_as_pending_and_returns_its_id(manager):
    payload = contact_payload()
    response = post(manager, payload)
    assert response.status_code == 201
    assert response.json()["ids"] == [payload["id"]]
    contact = Contact.objects.get()
    assert (contact.status, contact.customer_number, contact.contact_list.name) == (
        "pending",
        payload["customer_number"],
        "default",
    )


@pytest.mark.parametrize("field", ["customer_number", "gateway_id", "ivr", "campaign_contact_id", "campaign_id"])
@pytest.mark.parametrize("bad", UNSAFE)
def test_it_rejects_a_value_that_could_break_an_esl_command(manager, field, bad):
    assert_rejected(post(manager, contact_payload(**{field: f"123{bad}456"})), field)


@pytest.mark.parametrize("field", ["resource_id", "queue_name"])
@pytest.mark.parametrize("bad", UNSAFE)
def test_it_rejects_unsafe_agent_routing_values(manager, field, bad):
    fields = {"routing_mode": "QUEUE", "queue_name": "sales", field: f"a{bad}b"}
    payload = contact_payload(campaign_type="AGENT", **fields)
    assert_rejected(post(manager, payload), field)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"id": "not-a-uuid"}, "id"),
        ({"id": None}, "id"),
        ({"customer_number": None}, "customer_number"),
        ({"customer_number": "49 30 1234"}, "customer_number"),
        ({"customer_number": 4930123456}, "customer_number"),
        ({"customer_number": "+" + "1" * 20}, "customer_number"),
        ({"campaign_type": "SMS"}, "campaign_type"),
        ({"gateway_id": None}, "gateway_id"),
        ({"campaign_contact_id": None}, "campaign_contact_id"),
        ({"campaign_id": None}, "campaign_id"),
        ({"priority": 0}, "priority"),
        ({"priority": 11}, "priority"),
        ({"priority": "high"}, "priority"),
        ({"priority": True}, "priority"),
        ({"priority": None}, "priority"),
        ({"start_time": "2026-11-21T09:00:00"}, "start_time"),
        ({"end_time": "tomorrow"}, "end_time"),
        ({"start_time": "2026-11-21T10:00:00Z", "end_time": "2026-11-21T09:00:00Z"}, "end_time"),
        ({"start_time": "2026-11-21T10:00:00+01:00", "end_time": "2026-11-21T09:00:00Z"}, "end_time"),
        ({"status": "dialed"}, "status"),
        ({"customer_numbr": "+49301234"}, "customer_numbr"),
        ({"dialing_mode": "PREVIEW"}, "dialing_mode"),
        ({"routing_mode": "QUEUE"}, "routing_mode"),
    ],
)
def test_it_rejects_each_broken_rule_naming_the_field(manager, overrides, field):
    assert_rejected(post(manager, contact_payload(**overrides)), field)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"dialing_mode": None}, "dialing_mode"),
        ({"routing_mode": None}, "routing_mode"),
        ({"resource_id": None}, "resource_id"),
        ({"dialing_mode": "AUTOMATIC"}, "dialing_mode"),
        ({"routing_mode": "SKILL"}, "routing_mode"),
        ({"routing_mode": "QUEUE", "resource_id": None}, "resource_id"),
        ({"ivr": "5000"}, "ivr"),
    ],
)
def test_it_requires_agent_fields_for_agent_contacts(manager, overrides, field):
    assert_rejected(post(manager, contact_payload(campaign_type="AGENT", **overrides)), field)


def test_times_with_any_zone_are_stored_in_utc_exactly(manager):
    payload = contact_payload(start_time="2026-11-21T10:00:00+01:00", end_time="2026-11-22T10:00:00-05:30")
    assert post(manager, payload).status_code == 201
    contact = Contact.objects.get()
    assert contact.start_time.isoformat() == "2026-11-21T09:00:00+00:00"
    assert contact.end_time.isoformat() == "2026-11-22T15:30:00+00:00"


def test_a_batch_with_one_bad_item_writes_nothing_and_names_the_item(manager):
    batch = contacts_payload(3)
    batch[1]["customer_number"] = "+49,30"
    response = post(manager, batch)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "index": 1,
            "id": batch[1]["id"],
            "field": "customer_number",
            "message": response.json()["errors"][0]["message"],
        }
    ]
    assert Contact.objects.count() == 0


def test_a_batch_is_stored_in_order_of_arrival(manager):
    batch = contacts_payload(5)
    assert post(manager, batch).status_code == 201
    assert list(Contact.objects.order_by("received_time").values_list("id", flat=True)) == [c["id"] for c in batch]


def test_a_replay_with_the_same_content_answers_200_and_changes_nothing(manager):
    batch = contacts_payload(2)
    assert post(manager, batch).status_code == 201
    before = list(Contact.objects.values_list("id", "received_time").order_by("id"))
    response = post(manager, batch)
    assert response.status_code == 200
    assert sorted(response.json()["replayed"]) == sorted(c["id"] for c in batch)
    assert list(Contact.objects.values_list("id", "received_time").order_by("id")) == before


def test_a_replay_with_other_content_answers_409_and_stores_nothing_of_the_batch(manager):
    first = contact_payload()
    assert post(manager, first).status_code == 201
    changed = dict(first, customer_number="+4930999999")
    fresh = contact_payload()
    response = post(manager, [fresh, changed])
    assert response.status_code == 409
    assert response.json()["conflicts"] == [{"index": 1, "id": first["id"]}]
    assert list(Contact.objects.values_list("id", "customer_number")) == [(first["id"], first["customer_number"])]


def test_one_id_twice_in_a_batch_with_different_content_is_a_conflict(manager):
    item = contact_payload()
    response = post(manager, [item, dict(item, priority=9)])
    assert response.status_code == 409
    assert Contact.objects.count() == 0


def test_a_campaign_is_created_running_on_first_sight(manager):
    post(manager, contact_payload("spring-sale"))
    campaign = Campaign.objects.get()
    assert (campaign.campaign_id, campaign.state) == ("spring-sale", CampaignState.RUNNING)


def test_contacts_for_a_stopped_campaign_arrive_stopped(manager):
    post(manager, contact_payload("c1"))
    assert manager.post("/api/v1/campaigns/c1/stop/").status_code == 200
    late = contact_payload("c1")
    assert post(manager, late).status_code == 201
    assert Contact.objects.get(id=late["id"]).status == ContactStatus.STOPPED


def test_malformed_json_is_a_400_not_a_500(manager):
    response = manager.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()


@pytest.mark.parametrize("body", [[], "a string", 42, [1, 2]])
def test_bodies_that_are_not_contacts_are_400(manager, body):
    assert post(manager, body).status_code == 400
    assert Contact.objects.count() == 0


def test_the_named_list_of_a_contact_is_its_calling_list(manager):
    post(manager, contact_payload(contact_list="Leads 2026"))
    assert Contact.objects.get().contact_list.name == "Leads 2026"


def test_contacts_are_listed_and_filtered_by_campaign_and_status(manager):
    post(manager, contacts_payload(2, "a"))
    post(manager, contacts_payload(3, "b"))
    manager.post("/api/v1/campaigns/b/stop/")
    listed = manager.get(URL, {"campaign_id": "b", "status": "stopped"}).json()
    assert listed["count"] == 3
    assert {c["campaign_id"] for c in listed["results"]} == {"b"}
    assert manager.get(URL, {"status": "nonsense"}).status_code == 400
    one = listed["results"][0]
    assert manager.get(f"{URL}{one['id']}/").json()["status"] == "stopped"
    assert manager.get(f"{URL}00000000-0000-0000-0000-000000000000/").status_code == 404

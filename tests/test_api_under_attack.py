"""What an attacker (or a careless client) sends: every answer is JSON, a 4xx names the problem, nothing is written."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from campaigns.api_responses import MAX_ERRORS_LISTED
from campaigns.models import Campaign, Contact
from outbound.api_limits import MAX_API_BODY_BYTES, MAX_BATCH_BODY_BYTES, MAX_PAGE_SIZE
from tests.conftest import contact_payload, contacts_payload

CONTACTS = "/api/v1/contacts/"
RESERVATIONS = "/api/v1/voice-connector/agent-reservations/"


def post_raw(api: APIClient, url: str, body: bytes) -> Any:
    return api.generic("POST", url, body, content_type="application/json")  # type: ignore[arg-type]


def assert_json_error(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body: dict[str, Any] = response.json()
    assert body["detail"]
    if field is not None:
        assert field in {error["field"] for error in body["errors"]}, body
    return body


# --- Bodies ---


def test_json_nested_thousands_deep_is_a_400_not_a_crash(manager):
    body = ("[" * 5000 + "]" * 5000).encode()
    assert_json_error(post_raw(manager, CONTACTS, body), 400)
    assert not Contact.objects.exists()


def test_the_readmes_ten_thousand_contact_batch_is_taken(manager):
    body = json.dumps(contacts_payload(10_000)).encode()
    assert len(body) > 2_621_440  # over Django's default 2.5 MiB
    response = post_raw(manager, CONTACTS, body)
    assert response.status_code == 201, response.content[:300]
    assert Contact.objects.count() == 10_000


def test_a_body_over_the_batch_limit_is_a_json_413_naming_the_limit(manager):
    body = b'[{"id": "' + b"x" * MAX_BATCH_BODY_BYTES + b'"}]'
    error = assert_json_error(post_raw(manager, CONTACTS, body), 413)
    assert f"{MAX_BATCH_BODY_BYTES:,}" in error["detail"]
    assert not Contact.objects.exists()


def test_other_endpoints_keep_a_smaller_body_limit(manager):
    body = json.dumps({"name": "x" * MAX_API_BODY_BYTES}).encode()
    response = manager.generic("PATCH", "/api/v1/campaigns/c1/", body, content_type="application/json")
    assert f"{MAX_API_BODY_BYTES:,}" in assert_json_error(response, 413)["detail"]


def test_an_error_list_is_capped_however_many_errors_the_request_holds(manager):
    payload = contact_payload() | {f"unknown_{n}": 1 for n in range(20_000)}
    response = manager.post(CONTACTS, payload, format="json")
    body = assert_json_error(response, 400)
    assert len(body["errors"]) == MAX_ERRORS_LISTED
    assert "20,000" in body["detail"]
    assert len(response.content) < 50_000


# --- Values ---


@pytest.mark.parametrize("priority", ["²", "①", "9" * 5000, "\uff15", " 5", "5.0", 5.0, True, "-1", 11])
def test_a_priority_that_is_not_plain_ascii_digits_from_1_to_10_is_refused(manager, priority):
    response = manager.post(CONTACTS, contact_payload(priority=priority), format="json")
    assert_json_error(response, 400, "priority")
    assert not Contact.objects.exists()


@pytest.mark.parametrize("field", ["campaign_type", "dialing_mode", "routing_mode"])
@pytest.mark.parametrize("value", [[None, [], None], {"a": 1}, 3])
def test_a_choice_sent_as_a_list_an_object_or_a_number_names_the_field(manager, field, value):
    payload = contact_payload(campaign_type="AGENT") | {field: value}
    assert_json_error(manager.post(CONTACTS, payload, format="json"), 400, field)


def test_a_priority_sent_as_a_string_of_digits_is_taken(manager):
    assert manager.post(CONTACTS, contact_payload(priority="7"), format="json").status_code == 201
    assert Contact.objects.get().priority == 7


def test_an_offset_beyond_what_the_database_stores_is_taken_as_the_instant_it_names(manager):
    payload = contact_payload(start_time="2026-11-21T09:00:00+18:00", end_time="2026-11-22T09:00:00-18:00")
    response = manager.post(CONTACTS, payload, format="json")
    assert response.status_code == 201, response.content
    contact = Contact.objects.get()
    assert contact.start_time.isoformat() == "2026-11-20T15:00:00+00:00"
    assert contact.end_time.isoformat() == "2026-11-23T03:00:00+00:00"
    assert manager.post(CONTACTS, payload, format="json").status_code == 200  # the same contact again: a replay


def test_an_agent_contact_without_a_resource_id_is_refused_even_when_queue_routed(manager):
    payload = contact_payload(campaign_type="AGENT", routing_mode="QUEUE", queue_name="sales", resource_id=None)
    assert_json_error(manager.post(CONTACTS, payload, format="json"), 400, "resource_id")


# --- Campaigns ---


def test_patching_a_campaign_with_its_own_representation_echoed_back_works(manager):
    created = manager.post("/api/v1/campaigns/", {"campaign_id": "c1"}, format="json").json()
    echoed = created | {"ring_timeout": 30}
    response = manager.patch("/api/v1/campaigns/c1/", echoed, format="json")
    assert response.status_code == 200, response.content
    assert Campaign.objects.get().ring_timeout == 30


def test_patching_a_campaign_to_another_id_is_refused_naming_the_field(manager):
    manager.post("/api/v1/campaigns/", {"campaign_id": "c1"}, format="json")
    response = manager.patch("/api/v1/campaigns/c1/", {"campaign_id": "c2"}, format="json")
    assert_json_error(response, 400, "campaign_id")
    assert list(Campaign.objects.values_list("campaign_id", flat=True)) == ["c1"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("campaign_id", " gw1"),
        ("campaign_id", "gw1\n"),
        ("campaign_id", 12),
        ("name", " spaced "),
        ("name", 5),
        ("name", ""),
        ("queue_name", "sales "),
        ("time_zone", " UTC"),
        ("caller_id", 4930123),
    ],
)
def test_campaign_fields_are_taken_as_sent_or_refused_never_trimmed_or_coerced(manager, field, value):
    body = {"campaign_id": "c1", field: value}
    assert_json_error(manager.post("/api/v1/campaigns/", body, format="json"), 400, field)
    assert not Campaign.objects.exists()


def test_a_refused_campaign_answers_the_readmes_error_shape(manager):
    body = assert_json_error(manager.post("/api/v1/campaigns/", {"campaign_id": "c1", "ring_timeout": 1}), 400)
    assert body["errors"] == [{"field": "ring_timeout", "message": body["errors"][0]["message"]}]


# --- The reservation callback ---


@pytest.mark.parametrize(
    ("field", "value"),
    [("agent_extension", "1001\n"), ("agent_extension", " 1001"), ("agent_extension", 1001), ("queue_name", "q ")],
)
def test_reservation_fields_are_taken_as_sent_or_refused(vc_api, manager, field, value):
    manager.post(CONTACTS, contact_payload(), format="json")
    contact = Contact.objects.get()
    body = {"id": contact.id, "status": "AGENT_RESERVED", "agent_extension": "1001", "service_identifier": "s1"}
    response = vc_api.post(RESERVATIONS, body | {field: value}, format="json")
    assert_json_error(response, 400, field)


def test_an_upper_case_contact_id_at_the_reservation_callback_finds_the_contact(vc_api, manager):
    manager.post(CONTACTS, contact_payload(), format="json")
    contact = Contact.objects.get()
    body = {"id": contact.id.upper(), "status": "NO_AGENT_AVAILABLE"}
    response = vc_api.post(RESERVATIONS, body, format="json")
    # Found: an IVR contact in pending is not waiting for an agent (409), where an unknown id is a 404.
    assert response.status_code == 409, response.content
    unknown = vc_api.post(RESERVATIONS, body | {"id": "6b2f7c1e-0000-4000-8000-000000000000"}, format="json")
    assert unknown.status_code == 404


def test_a_reservation_id_that_is_not_a_uuid_names_the_field(vc_api):
    assert_json_error(vc_api.post(RESERVATIONS, {"id": "x", "status": "NO_AGENT_AVAILABLE"}, format="json"), 400, "id")


# --- Paths and query strings ---


@pytest.mark.parametrize(
    "url",
    ["/api/v1/contacts/?campaign_id=a%00b", "/api/v1/campaigns/a%00b/", "/api/v1/contacts/?status=%00"],
)
def test_a_nul_byte_in_a_path_or_query_is_a_json_400(manager, url):
    assert_json_error(manager.get(url), 400)


def test_a_nul_byte_in_an_admin_query_is_a_400_not_a_500(operator: Client):
    assert operator.get("/admin/campaigns/contact/?status__exact=%00").status_code == 400


def test_an_unknown_api_url_is_a_json_404(manager):
    assert_json_error(manager.get("/api/v1/nothing-here/"), 404)


@pytest.mark.parametrize("limit", ["9223372036854775808", "1000000"])
def test_a_page_is_never_larger_than_the_cap(manager, limit):
    manager.post(CONTACTS, contacts_payload(MAX_PAGE_SIZE + 5), format="json")
    response = manager.get(f"{CONTACTS}?limit={limit}")
    assert response.status_code == 200
    assert len(response.json()["results"]) == MAX_PAGE_SIZE


def test_an_offset_beyond_any_table_names_the_parameter(manager):
    assert_json_error(manager.get(f"{CONTACTS}?offset=9223372036854775808"), 400, "offset")

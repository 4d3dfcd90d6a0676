"""``/api/v1/dnc/``: campaign managers list and unlist numbers written any way; operators read; all or nothing."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest

from campaigns.models import DoNotCall
from tests.conftest import NOW, error_fields

URL = "/api/v1/dnc/"


@pytest.fixture(autouse=True)
def german(settings):
    settings.DEFAULT_REGION = "DE"


def listed() -> list[tuple[str, str]]:
    return list(DoNotCall.objects.values_list("customer_number", "campaign_id"))


def test_one_entry_is_listed_in_e164_and_answered_with_its_canonical_number(manager):
    response = manager.post(URL, {"customer_number": "+49 501 0000 0006", "reason": "asked"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json() == {"customer_numbers": ["+4950100000006"], "created": 1, "updated": 0, "unchanged": 0}
    stored = DoNotCall.objects.get()
    assert (stored.customer_number, stored.campaign_id, stored.reason) == ("+4950100000006", "", "asked")
    assert stored.added_by.startswith("campaign_manager-")  # the API client's name


def test_a_list_of_entries_with_scopes_and_expiry(manager):
    expiry = (NOW + timedelta(days=90)).isoformat()
    items = [
        {"customer_number": "4950100000005"},
        {"customer_number": "(0501) 0000 0006", "campaign_id": "spring", "expires_at": expiry},
        {"customer_number": "0049 501 0000 0007", "campaign_id": ""},
    ]
    response = manager.post(URL, items, format="json")
    assert response.status_code == 201
    assert response.json()["customer_numbers"] == ["+4950100000005", "+4950100000006", "+4950100000007"]
    assert listed() == [("+4950100000005", ""), ("+4950100000006", "spring"), ("+4950100000007", "")]
    assert DoNotCall.objects.get(campaign_id="spring").expires_at == NOW + timedelta(days=90)


def test_readding_the_same_entry_is_200_and_changes_nothing(manager):
    assert manager.post(URL, {"customer_number": "+4950100000006"}, format="json").status_code == 201
    again = manager.post(URL, [{"customer_number": "0501 0000 0006"}], format="json")
    assert again.status_code == 200
    assert again.json() == {"customer_numbers": ["+4950100000006"], "created": 0, "updated": 0, "unchanged": 1}
    assert listed() == [("+4950100000006", "")]


def test_readding_with_an_expiry_updates_the_entry(manager):
    manager.post(URL, {"customer_number": "+4950100000006"}, format="json")
    expiry = (NOW + timedelta(days=1)).isoformat()
    response = manager.post(URL, {"customer_number": "+4950100000006", "expires_at": expiry}, format="json")
    assert response.status_code == 200
    assert response.json()["updated"] == 1
    assert DoNotCall.objects.get().expires_at == NOW + timedelta(days=1)


def test_a_bad_item_is_a_400_naming_item_and_field_and_nothing_is_stored(manager):
    items = [
        {"customer_number": "+4950100000005"},
        {"customer_number": "call me maybe"},
        {"customer_number": "+4950100000007", "expires_at": "2020-01-01T00:00:00Z", "campaign_id": "a b"},
        "not an object",
        {"customer_number": "0049 501 0000 0005"},  # the first item again, spelled otherwise
    ]
    response = manager.post(URL, items, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Invalid entries; nothing was stored."
    found = [(e["index"], e["field"]) for e in body["errors"]]
    assert found == [
        (1, "customer_number"), (2, "campaign_id"), (2, "expires_at"), (3, "non_field_errors"), (4, "customer_number"),
    ]  # fmt: skip
    assert body["errors"][0]["customer_number"] == "call me maybe"
    assert "is not a phone number" in body["errors"][0]["message"]
    assert "Repeats item 0" in body["errors"][-1]["message"]
    assert not DoNotCall.objects.exists()


@pytest.mark.parametrize("body", [[], {}, {"number": "+4950100000005"}])
def test_an_empty_or_shapeless_body_is_a_400(manager, body):
    assert manager.post(URL, body, format="json").status_code == 400
    assert not DoNotCall.objects.exists()


def test_a_national_number_without_default_region_is_a_400_naming_the_setting(manager, settings):
    settings.DEFAULT_REGION = ""
    response = manager.post(URL, {"customer_number": "0501 0000 0006"}, format="json")
    assert response.status_code == 400
    assert "DEFAULT_REGION" in response.json()["errors"][0]["message"]


@pytest.fixture
def entries(manager):
    items = [
        {"customer_number": "+4950100000005"},
        {"customer_number": "+4950100000005", "campaign_id": "spring"},
        {"customer_number": "+4950100000006", "campaign_id": "spring"},
    ]
    assert manager.post(URL, items, format="json").status_code == 201
    DoNotCall.objects.filter(customer_number="+4950100000006").update(expires_at=NOW - timedelta(days=1))


def numbers_of(response) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.json()
    return [(e["customer_number"], e["campaign_id"]) for e in response.json()["results"]]


def test_the_list_is_paged_and_filtered_by_a_number_in_any_form_and_by_campaign(manager, entries):
    everything = manager.get(URL).json()
    assert everything["count"] == 3
    first = everything["results"][0]
    assert set(first) == {
        "customer_number", "campaign_id", "expires_at", "in_force", "added_by", "reason", "created_at",
    }  # fmt: skip
    by_number = manager.get(URL, {"customer_number": "0501 0000 0005"})
    assert numbers_of(by_number) == [("+4950100000005", ""), ("+4950100000005", "spring")]
    assert numbers_of(manager.get(URL, {"campaign_id": "spring"})) == [
        ("+4950100000005", "spring"),
        ("+4950100000006", "spring"),
    ]
    assert numbers_of(manager.get(URL, {"campaign_id": ""})) == [("+4950100000005", "")]
    assert numbers_of(manager.get(URL, {"in_force": "false"})) == [("+4950100000006", "spring")]
    assert len(manager.get(URL, {"limit": 1}).json()["results"]) == 1


def test_filtering_by_something_that_is_no_number_is_a_400(manager, entries):
    response = manager.get(URL, {"customer_number": "call me maybe"})
    assert response.status_code == 400
    assert "customer_number" in error_fields(response)


def test_delete_takes_one_scope_off_with_the_number_in_any_form(manager, entries):
    response = manager.delete(f"{URL}{quote('0049 501 0000 0005')}/?campaign_id=spring")
    assert response.status_code == 204
    assert listed() == [("+4950100000005", ""), ("+4950100000006", "spring")]
    assert manager.delete(f"{URL}{quote('+4950100000005')}/").status_code == 204
    assert listed() == [("+4950100000006", "spring")]


def test_delete_of_an_entry_not_listed_is_a_404_and_of_no_number_a_400(manager, entries):
    missing = manager.delete(f"{URL}{quote('+4950100000006')}/")  # listed for spring only
    assert missing.status_code == 404
    assert "not listed for every campaign" in missing.json()["detail"]
    assert manager.delete(f"{URL}{quote('call me maybe')}/").status_code == 400
    assert DoNotCall.objects.count() == 3


def test_an_operator_reads_the_list_but_cannot_change_it(client_for, entries):
    api = client_for("operator")
    assert api.get(URL).status_code == 200
    assert api.post(URL, {"customer_number": "+4950100000009"}, format="json").status_code == 403
    assert api.delete(f"{URL}{quote('+4950100000005')}/").status_code == 403
    assert DoNotCall.objects.count() == 3


def test_the_voice_connector_has_no_access(vc_api, entries):
    assert vc_api.get(URL).status_code == 403
    assert vc_api.post(URL, {"customer_number": "+4950100000009"}, format="json").status_code == 403


def test_the_list_needs_a_token(db):
    from rest_framework.test import APIClient

    assert APIClient().get(URL).status_code in (401, 403)


def test_the_schema_documents_the_dnc_endpoints(manager):
    schema = manager.get("/api/v1/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/dnc/"])
    assert "delete" in paths["/api/v1/dnc/{customer_number}/"]
    parameters = {p["name"] for p in paths["/api/v1/dnc/"]["get"]["parameters"]}
    assert {"customer_number", "campaign_id", "limit", "offset"} <= parameters

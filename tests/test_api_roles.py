"""Each role is allowed what it should be and refused the rest (SPEC.md section 6)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from campaigns.models import ApiClient, Contact
from tests.conftest import contact_payload

READS = ["/api/v1/contacts/", "/api/v1/campaigns/", "/api/v1/campaigns/c1/", "/api/v1/dialer/status/"]
CONTROLS = ["/api/v1/campaigns/c1/start/", "/api/v1/campaigns/c1/stop/", "/api/v1/campaigns/c1/purge/"]


@pytest.fixture
def seeded(manager):
    manager.post("/api/v1/contacts/", contact_payload("c1"), format="json")


@pytest.mark.parametrize("scheme", ["Token", "Bearer"])
def test_a_campaign_manager_reads_receives_and_controls(client_for, seeded, scheme):
    api = client_for("campaign_manager", scheme)
    for url in READS:
        assert api.get(url).status_code == 200, url
    assert api.post("/api/v1/contacts/", contact_payload("c1"), format="json").status_code == 201
    assert api.patch("/api/v1/campaigns/c1/", {"name": "Spring"}, format="json").status_code == 200
    for url in CONTROLS:
        assert api.post(url).status_code == 200, url


def test_an_operator_reads_but_cannot_change_anything(client_for, seeded):
    api = client_for("operator")
    for url in READS:
        assert api.get(url).status_code == 200, url
    assert api.post("/api/v1/contacts/", contact_payload("c1"), format="json").status_code == 403
    assert api.patch("/api/v1/campaigns/c1/", {"name": "x"}, format="json").status_code == 403
    for url in CONTROLS:
        assert api.post(url).status_code == 403, url
    assert Contact.objects.filter(status="pending").count() == 1


def test_the_voice_connector_cannot_read_nor_control_campaigns(client_for, seeded):
    api = client_for("voice_connector")
    for url in READS:
        assert api.get(url).status_code == 403, url
    assert api.post("/api/v1/contacts/", contact_payload("c1"), format="json").status_code == 403
    for url in CONTROLS:
        assert api.post(url).status_code == 403, url


@pytest.mark.parametrize("header", [None, "Token nonsense", "Basic dXNlcjpwYXNz", "Token a b"])
def test_requests_without_a_valid_token_are_refused(db, header):
    api = APIClient()
    if header:
        api.credentials(HTTP_AUTHORIZATION=header)
    response = api.get("/api/v1/contacts/")
    assert response.status_code in (401, 403)
    assert "detail" in response.json()


def test_a_revoked_client_is_refused(manager):
    ApiClient.objects.update(is_active=False)
    assert manager.get("/api/v1/contacts/").status_code == 401


def test_create_api_client_prints_a_token_that_works_and_stores_only_its_digest(db, capsys):
    call_command("create_api_client", "crm", "--role", "operator")
    token = capsys.readouterr().out.strip()
    client = ApiClient.objects.get(name="crm")
    assert client.role == "operator"
    assert token not in client.token_digest
    assert token.startswith("ob_")  # never read as an option when passed on a command line
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/v1/campaigns/").status_code == 200


def test_the_openapi_schema_and_docs_are_served_without_a_token(db):
    api = APIClient()
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/contacts/" in paths
    assert "/api/v1/campaigns/{campaign_id}/start/" in paths
    assert api.get("/api/v1/docs/").status_code == 200

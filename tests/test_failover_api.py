"""Campaign control while the database is lost answers 503 and changes nothing (seed 001 failover)."""

from __future__ import annotations

import pytest

from campaigns.choices import ContactStatus
from campaigns.models import Contact
from tests.conftest import contacts_payload
from tests.fakes.tcp_proxy import TcpProxy


@pytest.mark.parametrize("action", ["start", "stop", "purge"])
def test_control_while_the_database_is_down_is_503_and_changes_nothing(manager, lost_database, action):
    manager.post("/api/v1/contacts/", contacts_payload(3, "c1"), format="json")
    lost_database.cut()
    response = manager.post(f"/api/v1/campaigns/c1/{action}/")
    assert response.status_code == 503
    assert "database" in response.json()["detail"]
    lost_database.restore()
    assert list(Contact.objects.values_list("status", flat=True)) == [ContactStatus.PENDING] * 3


def test_intake_while_the_database_is_down_is_503(manager, lost_database):
    lost_database.cut()
    assert manager.post("/api/v1/contacts/", contacts_payload(1), format="json").status_code == 503
    lost_database.restore()
    assert Contact.objects.count() == 0


def test_readiness_names_the_lost_database(client, switch, lost_database):
    assert client.get("/readyz").json()["checks"]["database"] == "ok"
    lost_database.cut()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("down")
    assert client.get("/healthz").status_code == 200


def test_readiness_names_a_lost_broker(client, switch, db, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{TcpProxy('127.0.0.1', 1).port}/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert (checks["database"], checks["switch"]) == ("ok", "ok")
    assert checks["broker"].startswith("down")


def test_readiness_names_a_lost_switch(client, switch, db):
    assert client.get("/readyz").json() == {
        "ready": True,
        "checks": {"database": "ok", "broker": "ok", "switch": "ok"},
        "switches": {"default": "ok"},
    }
    switch.stop()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["switch"].startswith("down")


def test_metrics_are_derived_from_the_rows(client, manager):
    manager.post("/api/v1/contacts/", contacts_payload(3, "m1"), format="json")
    manager.post("/api/v1/campaigns/m1/stop/")
    text = client.get("/metrics").content.decode()
    assert 'outbound_contacts{campaign="m1",status="stopped"} 3.0' in text
    assert "outbound_active_calls 0.0" in text
    assert "outbound_max_concurrent_calls 10.0" in text
    assert 'outbound_campaign_waiting_for_records{campaign="m1"} 0.0' in text

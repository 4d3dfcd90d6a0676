"""Agent updates (seed 000): queued by the API, applied by a worker, rejected ones kept and replayed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Contact
from reporting.agent_updates import apply_queued, apply_update, replay
from reporting.models import AgentHistory, AgentUpdate, CallHistory
from tests.conftest import add_contacts, error_fields

URL = "/api/v1/agent-updates/"


def update(contact_id: str, **fields):
    return {"contact_id": contact_id, "agent_extension": "1001", "occurred_at": timezone.now().isoformat(), **fields}


@pytest.fixture
def ended_call(db):
    [contact_id] = add_contacts(1)
    now = timezone.now()
    Contact.objects.filter(pk=contact_id).update(status="ended", call_result="Normal clearing")
    contact = Contact.objects.get(pk=contact_id)
    CallHistory.objects.create(
        contact_id=contact_id, campaign_id="c1", customer_number=contact.customer_number, campaign_type="IVR",
        dialing_at=now - timedelta(minutes=2), released_at=now - timedelta(minutes=1), call_id=contact.call_id,
    )  # fmt: skip
    return contact_id


def test_a_disposition_and_an_activity_are_queued_then_applied(manager, ended_call):
    body = update(ended_call, disposition="Interested, send brochure", activity="released")
    response = manager.post(URL, body, format="json")
    assert response.status_code == 202
    assert response.json()["state"] == "queued"
    assert apply_queued() == 1
    assert CallHistory.objects.get(contact_id=ended_call).disposition == "Interested, send brochure"
    activity = AgentHistory.objects.get()
    assert (activity.agent_extension, activity.activity, activity.contact_id) == ("1001", "released", ended_call)


def test_a_callback_reschedules_the_contact(manager, ended_call):
    callback = timezone.now() + timedelta(hours=2)
    before = Contact.objects.get(pk=ended_call).start_time
    manager.post(URL, update(ended_call, callback_time=callback.isoformat()), format="json")
    apply_queued()
    contact = Contact.objects.get(pk=ended_call)
    assert contact.status == "pending"
    assert contact.retry_at == callback  # section 5a: the callback is the retry time
    assert contact.start_time == before  # and the campaign manager's start_time is kept as sent
    assert (contact.scheduled, contact.wake_at) == (True, callback)  # waiting outside the dialing queue


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"agent_extension": "10,01"}, "agent_extension"),
        ({"occurred_at": "2026-11-21T10:00:00"}, "occurred_at"),
        ({"activity": "sleeping"}, "activity"),
        ({"callback_time": "soon"}, "callback_time"),
        ({}, "non_field_errors"),
    ],
)
def test_a_malformed_update_is_a_400_naming_the_field(manager, ended_call, fields, field):
    body = update(ended_call, **({"disposition": "x"} if field not in ("non_field_errors",) else {}))
    body.update(fields)
    response = manager.post(URL, body, format="json")
    assert response.status_code == 400
    assert field in error_fields(response)
    assert AgentUpdate.objects.count() == 0


def test_an_update_the_database_rejects_goes_to_the_error_queue_and_is_replayed_after_the_fix(manager, db):
    missing = "5b8e9a3c-1d2f-4a6b-9c7d-0e1f2a3b4c5d"
    manager.post(URL, update(missing, activity="connected"), format="json")
    pending = AgentUpdate.objects.get()
    assert apply_update(pending.pk) == "rejected"
    pending.refresh_from_db()
    assert (pending.state, pending.reason) == ("rejected", f"unknown contact {missing}")
    add_contacts(1, id=missing)  # the contact arrives late: the cause is fixed
    assert replay(pending.pk) == "applied"
    assert AgentHistory.objects.get().contact_id == missing


def test_a_callback_for_a_contact_in_a_call_is_rejected_with_its_reason(manager, db):
    [contact_id] = add_contacts(1)
    Contact.objects.filter(pk=contact_id).update(status="dialed")
    manager.post(
        URL, update(contact_id, callback_time=(timezone.now() + timedelta(hours=1)).isoformat()), format="json"
    )
    apply_queued()
    rejected = AgentUpdate.objects.get()
    assert rejected.state == "rejected"
    assert "dialed" in rejected.reason
    assert Contact.objects.get(pk=contact_id).status == "dialed"


def test_the_error_queue_is_inspected_and_replayed_in_the_admin(manager, operator):
    missing = "6b8e9a3c-1d2f-4a6b-9c7d-0e1f2a3b4c5d"
    manager.post(URL, update(missing, activity="reserved"), format="json")
    apply_queued()
    browser = operator
    page = browser.get("/admin/reporting/agentupdate/?state__exact=rejected").content.decode()
    assert f"unknown contact {missing}" in page
    add_contacts(1, id=missing)
    target = AgentUpdate.objects.get()
    response = browser.post(
        "/admin/reporting/agentupdate/", {"action": "replay_updates", "_selected_action": [target.pk]}, follow=True
    )
    assert f"Update {target.pk}: applied." in response.content.decode()
    assert AgentUpdate.objects.get().state == "applied"


def test_only_campaign_managers_and_the_voice_connector_post_updates(client_for, ended_call):
    assert client_for("operator").post(URL, update(ended_call, activity="reserved"), format="json").status_code == 403
    assert (
        client_for("voice_connector").post(URL, update(ended_call, activity="reserved"), format="json").status_code
        == 202
    )

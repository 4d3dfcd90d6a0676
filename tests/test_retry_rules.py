"""Retry rules (section 5a): a busy customer is called again, each attempt its own record."""

from __future__ import annotations

import itertools
from datetime import timedelta
from functools import partial

import pytest
import time_machine
from django.utils import timezone

from campaigns.models import Campaign, Contact
from dialer.cycle import try_dial_next_batch
from dialer.outbox import deliver, due_messages
from reporting.models import AttemptRecord, CallHistory
from tests.conftest import add_contacts, error_fields, wait_until


def ended_after(contact_id: str, attempts: int) -> bool:
    contact = Contact.objects.get(pk=contact_id)
    return contact.attempts == attempts and contact.status in ("pending", "ended")


BUSY_THRICE = [{"result": "Busy", "delay": 300, "max_attempts": 3}]


def test_a_campaign_without_rules_ends_a_busy_contact_as_seed_001_says(switch):
    switch.scenario.answer_ratio, switch.scenario.busy_ratio = 0.0, 1.0
    [contact_id] = add_contacts(1)
    try_dial_next_batch()
    wait_until(lambda: Contact.objects.get(pk=contact_id).status == "ended", what="the busy call")
    assert (Contact.objects.get(pk=contact_id).call_result, Contact.objects.get(pk=contact_id).attempts) == (
        "User busy",
        1,
    )


def test_busy_is_retried_exactly_max_attempts_times_at_least_delay_apart(switch, voice_connector, settings, manager):
    settings.ATTEMPT_RECORD_URL = "http://127.0.0.1:9/records"  # records are written; delivery is not the point
    switch.scenario.answer_ratio, switch.scenario.busy_ratio = 0.0, 1.0
    [contact_id] = add_contacts(1)
    Campaign.objects.filter(campaign_id="c1").update(retry_rules=BUSY_THRICE)
    start = timezone.now()
    for attempt in (1, 2, 3):
        with time_machine.travel(start + timedelta(seconds=400 * (attempt - 1)), tick=True):
            assert try_dial_next_batch() == 1, f"attempt {attempt} not dialed"
            wait_until(partial(ended_after, contact_id, attempt), what=f"the end of attempt {attempt}")
            contact = Contact.objects.get(pk=contact_id)
            assert try_dial_next_batch() == 0  # never before its retry time
        if attempt < 3:
            assert (contact.status, contact.call_result) == ("pending", "User busy")
            assert contact.retry_at is not None
            assert contact.ended_at is not None
            assert contact.retry_at >= contact.ended_at + timedelta(seconds=300)
            shown = manager.get(f"/api/v1/contacts/{contact_id}/").json()  # visible from outside (5a)
            assert (shown["status"], shown["call_result"], shown["attempts"]) == ("pending", "User busy", attempt)
            assert shown["retry_at"] == contact.retry_at.isoformat().replace("+00:00", "Z")
    assert (contact.status, contact.attempts) == ("ended", 3)
    with time_machine.travel(start + timedelta(seconds=2000), tick=True):
        assert try_dial_next_batch() == 0  # no fourth attempt
        for message_id in due_messages():
            deliver(message_id)
    histories = list(CallHistory.objects.filter(contact_id=contact_id).order_by("dialing_at"))
    assert len(histories) == 3
    assert len({h.attempt_guid for h in histories}) == 3
    for earlier, later in itertools.pairwise(histories):
        assert earlier.released_at is not None
        assert later.dialing_at - earlier.released_at >= timedelta(seconds=300)
    records = AttemptRecord.objects.filter(contact_id=contact_id)
    assert sorted(records.values_list("sequence", flat=True)) == [0, 0, 0, 1, 1, 1]
    assert len(set(records.values_list("attempt_guid", flat=True))) == 3
    statuses = [body["status"] for body in voice_connector.bodies("call-results")]
    assert statuses == ["pending", "pending", "ended"]
    assert all(body["retry_at"] for body in voice_connector.bodies("call-results")[:2])


@pytest.mark.parametrize(
    "rules",
    [
        [{"result": "Engaged", "delay": 60, "max_attempts": 2}],
        [{"result": "Busy", "delay": -1, "max_attempts": 2}],
        [{"result": "Busy", "delay": 60, "max_attempts": 0}],
        [{"result": "Busy", "delay": 60}],
        [{"result": "Busy", "delay": 60, "max_attempts": 2}, {"result": "Busy", "delay": 5, "max_attempts": 2}],
        {"result": "Busy"},
    ],
)
def test_a_malformed_retry_rule_is_a_400_naming_the_field_and_changes_nothing(manager, rules):
    manager.post("/api/v1/campaigns/", {"campaign_id": "r1"}, format="json")
    response = manager.patch("/api/v1/campaigns/r1/", {"retry_rules": rules, "name": "renamed"}, format="json")
    assert response.status_code == 400
    assert "retry_rules" in {f.split(".")[0] for f in error_fields(response)}
    campaign = Campaign.objects.get(campaign_id="r1")
    assert (campaign.retry_rules, campaign.name) == ([], "r1")


def test_retry_rules_are_set_and_shown_through_the_api(manager):
    manager.post("/api/v1/campaigns/", {"campaign_id": "r2"}, format="json")
    response = manager.patch("/api/v1/campaigns/r2/", {"retry_rules": BUSY_THRICE}, format="json")
    assert response.status_code == 200, response.content
    assert manager.get("/api/v1/campaigns/r2/").json()["retry_rules"] == BUSY_THRICE

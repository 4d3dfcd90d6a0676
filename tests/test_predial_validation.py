"""Pre-dial validation against a real HTTP server, and seed 004's race condition."""

from __future__ import annotations

import logging

import pytest
from django.utils import timezone

from campaigns.models import Contact
from dialer.cycle import try_dial_next_batch
from reporting.models import AttemptRecord
from tests.conftest import add_contacts
from tests.fakes.http_receiver import HttpReceiver


@pytest.fixture
def validator(settings):
    server = HttpReceiver().start()
    settings.PREDIAL_VALIDATION_URL = f"{server.url}/validate"
    yield server
    server.stop()


def result_of(contact_id: str) -> tuple[str, str]:
    contact = Contact.objects.get(pk=contact_id)
    return contact.status, contact.call_result


def test_an_allowed_contact_is_dialed_after_its_fields_are_posted(switch, validator, transactional_db):
    [contact_id] = add_contacts(1)
    try_dial_next_batch()
    [posted] = validator.bodies("validate")
    assert (posted["id"], posted["customer_number"]) == (contact_id, Contact.objects.get(pk=contact_id).customer_number)
    assert result_of(contact_id)[0] == "dialed"
    assert len(switch.switch.originates) == 1


def test_a_denied_contact_fails_with_cancel_record_and_is_not_dialed(switch, validator, transactional_db):
    validator.status = 409
    [contact_id] = add_contacts(1)
    try_dial_next_batch()
    assert result_of(contact_id) == ("failed", "Cancel Record")
    assert switch.switch.originates == []


@pytest.mark.parametrize("down", [False, True])
def test_an_unanswered_validation_leaves_the_contact_for_the_next_cycle(switch, validator, transactional_db, down):
    validator.status = 500
    if down:
        validator.stop()
    [contact_id] = add_contacts(1)
    try_dial_next_batch()
    assert result_of(contact_id) == ("pending", "")
    assert switch.switch.originates == []


def test_a_contact_with_an_unsaved_earlier_record_is_neither_validated_nor_dialed(
    switch, validator, settings, transactional_db, caplog
):
    settings.VALIDATION_RACE_CONDITION_CALL_RESULT = "Cancel Record"
    [contact_id] = add_contacts(1)
    contact = Contact.objects.get(pk=contact_id)
    now = timezone.now()
    AttemptRecord.objects.create(
        attempt_guid="8b0c0e4e-2f39-4b7e-9a51-3c2b1d0e9f77", sequence=1, contact_id=contact_id,
        call_id="9b0c0e4e-2f39-4b7e-9a51-3c2b1d0e9f77", campaign_id="c1", customer_number=contact.customer_number,
        payload={}, created_at=now, next_attempt_at=now,
    )  # fmt: skip
    with caplog.at_level(logging.WARNING):
        try_dial_next_batch()
    assert result_of(contact_id) == ("failed", "Cancel Record")
    assert f"Predial check aborted due to race condition for phone {contact.customer_number}" in caplog.text
    assert validator.bodies("validate") == []
    assert switch.switch.originates == []

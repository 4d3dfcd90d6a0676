"""The do-not-call list at the cycle: a listed number in any written form is never dialed, and says so."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from campaigns.intake import receive_contacts
from campaigns.models import Contact, DoNotCall
from campaigns.validation import ContactInput, validate_contact
from dialer.cycle import try_dial_next_batch
from dialer.outbox import deliver, due_messages
from reporting.models import AttemptRecord, CallHistory
from tests.conftest import contact_payload, wait_until


def contact(number: str, campaign_id: str = "c1") -> str:
    checked = validate_contact(contact_payload(campaign_id, customer_number=number))
    assert isinstance(checked, ContactInput), checked
    receive_contacts([checked])
    return checked.id


def test_numbers_listed_in_any_written_form_end_do_not_call_and_are_reported(
    switch, manager, settings, voice_connector
):
    settings.DEFAULT_REGION = "DE"
    settings.ATTEMPT_RECORD_URL = "http://127.0.0.1:9/records"
    entries = [{"customer_number": "4950100000005"}, {"customer_number": "+49 501 0000 0006"}]
    assert manager.post("/api/v1/dnc/", entries, format="json").status_code == 201
    blocked = [contact("+4950100000005"), contact("+4950100000006")]
    allowed = contact("+4950100000007")
    assert try_dial_next_batch() == 3
    for contact_id in blocked:
        row = Contact.objects.get(pk=contact_id)
        assert (row.status, row.call_result, row.attempts) == ("failed", "Do Not Call", 0)
    wait_until(lambda: len(switch.switch.originates) == 1, what="the one allowed call")
    assert switch.switch.originates[0]["number"] == Contact.objects.get(pk=allowed).customer_number
    for contact_id in blocked:  # visible, and no longer counted as work remaining
        [history] = CallHistory.objects.filter(contact_id=contact_id)
        assert (history.call_result, history.call_result_code) == ("Do Not Call", 51)
        final = AttemptRecord.objects.get(contact_id=contact_id, sequence=1)
        assert final.payload["GSW_CALL_RESULT"] == 51
    for message_id in due_messages():
        deliver(message_id)
    results = {b["id"]: b for b in voice_connector.bodies("call-results")}
    assert {results[i]["status"] for i in blocked} == {"failed"}
    assert {results[i]["call_result"] for i in blocked} == {"Do Not Call"}


def test_an_entry_for_one_campaign_or_an_expired_one_does_not_block_another_call(switch, manager):
    later = (timezone.now() + timedelta(days=1)).isoformat()
    entries = [
        {"customer_number": "+4950100000008", "campaign_id": "other"},
        {"customer_number": "+4950100000009", "expires_at": later},
    ]
    assert manager.post("/api/v1/dnc/", entries, format="json").status_code == 201
    scoped_elsewhere = contact("+4950100000008")
    DoNotCall.objects.filter(customer_number="+4950100000009").update(expires_at=timezone.now() - timedelta(hours=1))
    expired = contact("+4950100000009")
    blocked_there = contact("+4950100000008", "other")
    assert try_dial_next_batch() == 3
    assert Contact.objects.get(pk=blocked_there).call_result == "Do Not Call"
    wait_until(lambda: len(switch.switch.originates) == 2, what="the two calls the list does not block")
    assert {Contact.objects.get(pk=i).status for i in (scoped_elsewhere, expired)} <= {"dialed", "ended"}

"""IVR dialing through python-ESL over TCP to the switch simulator, with the real listener."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from campaigns.models import Contact, DoNotCall
from dialer.cycle import try_dial_next_batch
from dialer.esl.wire import parse_event, serialize_event
from dialer.outbox import deliver, due_messages
from dialer.outcomes import handle_event
from reporting.models import CallHistory
from tests.conftest import add_contacts, wait_until


def statuses(ids):
    return [Contact.objects.get(pk=i).status for i in ids]


def test_an_ivr_contact_is_dialed_with_the_seed_command_and_ended_by_its_hangup(switch, listener, voice_connector):
    [contact_id] = add_contacts(1, ivr="7100")
    assert try_dial_next_batch() == 1
    contact = Contact.objects.get(pk=contact_id)
    assert contact.status == "dialed"
    assert contact.dial_time is not None
    [sent] = switch.switch.originates
    assert sent["args"] == (
        "{session_in_hangup_hook=true,domain_name=10.0.0.5,record_session=true,origination_caller_id_name=7100,"
        f"origination_caller_id_number=7100,call_direction=outbound,origination_uuid={contact.call_id},originate_timeout=25}}"
        f"sofia/gateway/gw1/{contact.customer_number} 7100 XML 10.0.0.5"
    )
    wait_until(lambda: Contact.objects.get(pk=contact_id).status == "ended", what="the hangup to be applied")
    contact.refresh_from_db()
    assert (contact.call_result, contact.hangup_cause) == ("Normal clearing", "NORMAL_CLEARING")
    assert contact.answered_at is not None
    history = CallHistory.objects.get(call_id=contact.call_id)
    assert (history.call_result, history.call_result_code) == ("Normal clearing", 33)
    for message_id in due_messages():
        assert deliver(message_id) == "delivered"
    [result] = voice_connector.bodies("call-results")
    assert (result["id"], result["status"], result["call_result"]) == (contact_id, "ended", "Normal clearing")
    assert voice_connector.received[0].headers["Authorization"] == "Bearer vc-secret"


def test_default_ivr_is_used_when_the_contact_has_none(switch, transactional_db):
    add_contacts(1)
    try_dial_next_batch()
    assert switch.switch.originates[0]["destination"] == "5000"


def test_an_ivr_contact_with_no_ivr_number_anywhere_fails_with_that_reason(switch, settings, transactional_db):
    settings.DEFAULT_IVR = ""
    [contact_id] = add_contacts(1)
    try_dial_next_batch()
    contact = Contact.objects.get(pk=contact_id)
    assert (contact.status, contact.call_result) == ("failed", "No IVR number")
    assert switch.switch.originates == []


def test_busy_and_unanswered_calls_get_their_results(switch, listener):
    switch.scenario.answer_ratio, switch.scenario.busy_ratio = 0.0, 1.0
    [busy] = add_contacts(1)
    try_dial_next_batch()
    wait_until(lambda: Contact.objects.get(pk=busy).status == "ended")
    switch.scenario.busy_ratio = 0.0
    [silent] = add_contacts(1)
    try_dial_next_batch()
    wait_until(lambda: Contact.objects.get(pk=silent).status == "ended")
    assert Contact.objects.get(pk=busy).call_result == "User busy"
    assert Contact.objects.get(pk=silent).call_result == "No answer"
    assert CallHistory.objects.get(contact_id=busy).call_result_code == 6


def test_an_invalid_gateway_fails_the_contact_without_dialing_and_it_is_never_redialed(switch, transactional_db):
    switch.scenario.gateways_unknown.add("nosuch")
    [contact_id] = add_contacts(1, gateway_id="nosuch")
    try_dial_next_batch()
    contact = Contact.objects.get(pk=contact_id)
    assert (contact.status, contact.call_result) == ("failed", "Invalid Gateway")
    try_dial_next_batch()
    assert switch.switch.originates == []


def test_a_gateway_that_is_down_sends_the_contact_back_to_pending(switch, transactional_db):
    switch.scenario.gateways_down.add("gwd")
    [contact_id] = add_contacts(1, gateway_id="gwd")
    try_dial_next_batch()
    assert statuses([contact_id]) == ["pending"]
    assert switch.switch.originates == []


def test_suppressed_future_and_stopped_contacts_are_not_dialed_and_expired_ones_leave_pending(switch, transactional_db):
    now = timezone.now()
    [suppressed] = add_contacts(1)
    DoNotCall.objects.create(customer_number=Contact.objects.get(pk=suppressed).customer_number)
    [future] = add_contacts(
        1, start_time=(now + timedelta(hours=1)).isoformat(), end_time=(now + timedelta(hours=2)).isoformat()
    )
    [expired] = add_contacts(
        1, start_time=(now - timedelta(hours=2)).isoformat(), end_time=(now - timedelta(seconds=1)).isoformat()
    )
    assert try_dial_next_batch() == 1  # the suppressed one is claimed, found listed and settled
    assert switch.switch.originates == []
    listed = Contact.objects.get(pk=suppressed)
    assert (listed.status, listed.call_result) == ("failed", "Do Not Call")  # no longer work remaining
    assert statuses([future]) == ["pending"]
    assert Contact.objects.get(pk=future).scheduled  # waiting for its start_time, outside the dialing queue
    expired_contact = Contact.objects.get(pk=expired)
    assert (expired_contact.status, expired_contact.call_result) == ("failed", "Expired")


def test_never_more_calls_than_the_free_slots(switch, settings, transactional_db):
    settings.MAX_CONCURRENT_CALLS = 3
    switch.scenario.talk_seconds = (30.0, 30.0)
    add_contacts(10)
    assert try_dial_next_batch() == 3
    assert try_dial_next_batch() == 0
    assert len(switch.switch.originates) == 3


def test_a_hangup_reported_twice_is_applied_once(switch, listener, voice_connector):
    [contact_id] = add_contacts(1)
    try_dial_next_batch()
    wait_until(lambda: Contact.objects.get(pk=contact_id).status == "ended")
    call_id = str(Contact.objects.get(pk=contact_id).call_id)
    again = [("Event-Name", "CHANNEL_HANGUP_COMPLETE"), ("Unique-ID", call_id), ("Hangup-Cause", "USER_BUSY")]
    assert handle_event(parse_event(serialize_event(again))) == "duplicate"
    assert Contact.objects.get(pk=contact_id).call_result == "Normal clearing"
    assert CallHistory.objects.filter(contact_id=contact_id).count() == 1
    assert len(due_messages()) == 1

"""The agent flow with a real HTTP voice connector and the reservation callback API."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from campaigns.choices import ApiRole
from campaigns.models import Contact
from dialer import switch_state
from dialer.cycle import try_dial_next_batch
from dialer.esl.client import configured_switch
from dialer.outbox import deliver, due_messages
from tests.conftest import add_contacts, error_fields, wait_until

AGENT = {"campaign_type": "AGENT", "dialing_mode": "PROGRESSIVE", "routing_mode": "QUEUE", "resource_id": "sales",
         "queue_name": "Sales_Queue"}  # fmt: skip
RESERVATIONS = "/api/v1/voice-connector/agent-reservations/"


def reserve(vc_api, contact_id, **extra):
    body = {"id": contact_id, "status": "AGENT_RESERVED", "agent_extension": "1001", "service_identifier": "8001",
            "queue_name": "Sales_Queue", "queue_type": "ACD", **extra}  # fmt: skip
    return vc_api.post(RESERVATIONS, body, format="json")


def deliver_all() -> None:
    for message_id in due_messages():
        deliver(message_id)


def test_an_agent_contact_is_requested_reserved_dialed_and_reported(switch, listener, voice_connector, vc_api):
    [contact_id] = add_contacts(1, **AGENT)
    assert try_dial_next_batch() == 1
    contact = Contact.objects.get(pk=contact_id)
    assert contact.status == "agent_pending"
    [request] = voice_connector.bodies("agent-requests")
    assert request == {
        "id": contact_id, "call_id": str(contact.call_id), "campaign_id": "c1",
        "campaign_contact_id": contact.campaign_contact_id, "customer_number": contact.customer_number,
        "dialing_mode": "PROGRESSIVE", "routing_mode": "QUEUE", "resource_id": "sales", "queue_name": "Sales_Queue",
    }  # fmt: skip
    assert switch.switch.originates == []
    response = reserve(vc_api, contact_id)
    assert response.status_code == 200, response.content
    assert switch.switch.originates == []  # the web never talks to the switch: the next cycle places the call
    assert try_dial_next_batch() == 1
    [sent] = switch.switch.originates
    assert sent["destination"] == "agent"
    assert "sip_h_X-CallType=PROGRESSIVE" in sent["args"]
    assert "sip_h_X-agentExtension=1001" in sent["args"]
    assert f"sip_h_X-Call-Id={contact.call_id}" in sent["args"]
    wait_until(lambda: Contact.objects.get(pk=contact_id).status == "ended")
    contact.refresh_from_db()
    assert (contact.call_result, contact.agent_extension) == ("Normal clearing", "1001")
    deliver_all()
    [result] = voice_connector.bodies("call-results")
    assert (result["agent_extension"], result["status"]) == ("1001", "ended")
    assert voice_connector.bodies("end-chat") == []


@pytest.mark.parametrize("mode", ["PREVIEW", "PREDICTIVE"])
def test_the_dialing_mode_only_sets_the_call_type(switch, voice_connector, vc_api, mode):
    [contact_id] = add_contacts(1, **{**AGENT, "dialing_mode": mode})
    try_dial_next_batch()
    reserve(vc_api, contact_id)
    try_dial_next_batch()
    assert f"sip_h_X-CallType={mode}," in switch.switch.originates[0]["args"]


def test_a_queue_routed_contact_without_a_queue_name_is_queued_by_its_resource_id(switch, voice_connector, vc_api):
    [contact_id] = add_contacts(1, **{**AGENT, "queue_name": ""})
    try_dial_next_batch()
    assert reserve(vc_api, contact_id, queue_name="").status_code == 200
    try_dial_next_batch()
    assert "sip_h_X-queue='sales'," in switch.switch.originates[0]["args"]


def test_no_agent_available_puts_the_contact_back_to_pending_for_no_agent_retry(
    switch, voice_connector, vc_api, settings
):
    [contact_id] = add_contacts(1, **AGENT)
    try_dial_next_batch()
    answered = timezone.now()
    response = vc_api.post(RESERVATIONS, {"id": contact_id, "status": "NO_AGENT_AVAILABLE"}, format="json")
    assert response.status_code == 200
    contact = Contact.objects.get(pk=contact_id)
    assert (contact.status, contact.attempts) == ("pending", 0)
    assert contact.retry_at is not None
    assert contact.retry_at >= answered + timedelta(seconds=settings.NO_AGENT_RETRY)
    assert try_dial_next_batch() == 0  # not before its retry time
    with time_machine.travel(contact.retry_at + timedelta(seconds=1), tick=True):
        assert try_dial_next_batch() == 1
    assert switch.switch.originates == []
    assert len(voice_connector.bodies("agent-requests")) == 2


def test_a_voice_connector_that_is_down_leaves_the_contact_pending(switch, voice_connector, transactional_db):
    voice_connector.status = 503
    [refused] = add_contacts(1, **AGENT)
    try_dial_next_batch()
    assert Contact.objects.get(pk=refused).status == "pending"
    voice_connector.stop()
    try_dial_next_batch()
    assert Contact.objects.get(pk=refused).status == "pending"


def test_a_customer_who_hangs_up_before_the_agent_is_bridged_ends_the_chat(switch, listener, voice_connector, vc_api):
    switch.scenario.drop_before_agent_ratio = 1.0
    [contact_id] = add_contacts(1, **AGENT)
    try_dial_next_batch()
    reserve(vc_api, contact_id)
    try_dial_next_batch()
    wait_until(lambda: Contact.objects.get(pk=contact_id).status == "ended")
    assert Contact.objects.get(pk=contact_id).call_result == "Dropped"
    deliver_all()
    [end_chat] = voice_connector.bodies("end-chat")
    assert (end_chat["id"], end_chat["agent_extension"]) == (contact_id, "1001")
    assert len(voice_connector.bodies("call-results")) == 1


@pytest.mark.parametrize(
    ("gateway", "status", "result"), [("gwd", "pending", ""), ("nosuch", "failed", "Invalid Gateway")]
)
def test_a_bad_gateway_after_reservation_releases_the_agent(switch, voice_connector, vc_api, gateway, status, result):
    switch.scenario.gateways_down.add("gwd")
    switch.scenario.gateways_unknown.add("nosuch")
    [contact_id] = add_contacts(1, **{**AGENT, "gateway_id": gateway})
    try_dial_next_batch()
    assert reserve(vc_api, contact_id).status_code == 200
    try_dial_next_batch()
    contact = Contact.objects.get(pk=contact_id)
    assert (contact.status, contact.call_result) == (status, result)
    assert switch.switch.originates == []
    deliver_all()
    [end_chat] = voice_connector.bodies("end-chat")
    assert end_chat["id"] == contact_id


def test_the_callback_answers_404_409_and_400_as_the_seed_says(switch, voice_connector, vc_api):
    assert reserve(vc_api, "00000000-0000-0000-0000-000000000000").status_code == 404
    [contact_id] = add_contacts(1, **AGENT)
    assert reserve(vc_api, contact_id).status_code == 409  # not requested yet: still pending
    try_dial_next_batch()
    bad = reserve(vc_api, contact_id, agent_extension="1001,x=1")
    assert bad.status_code == 400
    assert "agent_extension" in error_fields(bad)
    assert reserve(vc_api, contact_id).status_code == 200
    assert reserve(vc_api, contact_id).status_code == 409  # answered twice
    try_dial_next_batch()
    assert reserve(vc_api, contact_id).status_code == 409  # and once the call is placed
    assert len(switch.switch.originates) == 1


def test_the_callback_is_500_when_the_switch_is_down_and_the_contact_waits_again(switch, voice_connector, vc_api):
    [contact_id] = add_contacts(1, **AGENT)
    try_dial_next_batch()
    switch.stop()
    name = configured_switch().name
    wait_until(lambda: not switch_state.listener_connected(name), what="the listener to lose the switch")
    response = reserve(vc_api, contact_id)
    assert response.status_code == 500
    assert "switch" in response.json()["detail"]
    contact = Contact.objects.get(pk=contact_id)
    assert (contact.status, contact.attempts) == ("pending", 0)  # nothing was sent: not an attempt
    deliver_all()
    assert [b["id"] for b in voice_connector.bodies("end-chat")] == [contact_id]


def test_only_the_voice_connector_may_post_reservations(switch, voice_connector, manager, client_for):
    [contact_id] = add_contacts(1, **AGENT)
    try_dial_next_batch()
    for api in (manager, client_for(ApiRole.OPERATOR)):
        assert (
            api.post(RESERVATIONS, {"id": contact_id, "status": "NO_AGENT_AVAILABLE"}, format="json").status_code == 403
        )
    assert Contact.objects.get(pk=contact_id).status == "agent_pending"


def test_a_contact_waiting_for_its_agent_in_a_stopped_campaign_is_stopped_when_no_agent_comes(
    switch, voice_connector, vc_api, manager, settings
):
    settings.MAX_CONCURRENT_CALLS = 1
    waiting, queued = add_contacts(2, **AGENT)
    try_dial_next_batch()
    assert [Contact.objects.get(pk=i).status for i in (waiting, queued)] == ["agent_pending", "pending"]
    assert manager.post("/api/v1/campaigns/c1/stop/").json()["affected"] == 1
    response = vc_api.post(RESERVATIONS, {"id": waiting, "status": "NO_AGENT_AVAILABLE"}, format="json")
    assert response.status_code == 200
    assert Contact.objects.get(pk=waiting).status == "stopped"  # not pending in a stopped campaign
    assert manager.post("/api/v1/campaigns/c1/start/").json()["affected"] == 2
    assert [Contact.objects.get(pk=i).status for i in (waiting, queued)] == ["pending", "pending"]


def test_an_unexpected_error_in_the_callback_is_a_json_500_and_the_contact_is_settled(
    switch, voice_connector, vc_api, monkeypatch
):
    [contact_id] = add_contacts(1, **AGENT)
    try_dial_next_batch()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a defect")  # what no peer can provoke: a bug on the callback path

    monkeypatch.setattr("dialer.agents.store_reservation", broken)
    response = reserve(vc_api, contact_id)
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert "RuntimeError" in response.json()["detail"]
    contact = Contact.objects.get(pk=contact_id)
    assert (contact.status, contact.attempts) == ("pending", 0)
    deliver_all()
    [end_chat] = voice_connector.bodies("end-chat")
    assert (end_chat["id"], end_chat["agent_extension"]) == (contact_id, "1001")

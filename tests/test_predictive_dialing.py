"""Predictive calls end to end against the switch simulator over ESL (SPEC 5b): dialed ahead of the agent and
parked, the agent asked for on the answer, the call handed over with the agent's variables, or abandoned, or
dropped by a customer who did not wait. The dialing-queue tasks are run here as the worker would run them."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, Contact
from dialer import predictive
from dialer.agent_states import StateReport, apply_states
from dialer.cycle import try_dial_next_batch
from dialer.esl.wire import parse_event
from dialer.models import AgentState, PredictiveCall, VoiceConnectorMessage
from dialer.outcomes import apply_events
from tests.conftest import add_contacts, wait_until
from tests.fakes.http_receiver import HttpReceiver
from tests.test_dialing_agent import AGENT, reserve

PREDICTIVE = {**AGENT, "dialing_mode": "PREDICTIVE"}


@pytest.fixture
def predictive_campaign(switch, settings):
    """Campaign c1 dialed predictively, its queue's agents known; customers wait up to 10 s."""
    settings.ABANDON_TIMEOUT = 0.5
    switch.switch.scenario.patience_seconds = (10.0, 10.0)
    add_contacts(1, **PREDICTIVE)  # creates c1
    Contact.objects.all().delete()
    Campaign.objects.filter(campaign_id="c1").update(
        dialing_mode="PREDICTIVE", caller_id="+4930123456", queue_name="Sales_Queue"
    )
    _agents(ready=1)
    return switch


def _agents(*, ready: int, now: datetime | None = None) -> None:
    now = now or timezone.now()
    reports = [StateReport(str(1001 + n), "Sales_Queue", "ready", now) for n in range(ready)]
    with transaction.atomic():
        apply_states(reports, now=now)


def _answered_call(contact_id: str) -> str:
    """Dial the contact ahead of its agent; returns its call id once the call is answered and parked."""
    assert try_dial_next_batch() == 1
    contact = Contact.objects.get(pk=contact_id)
    assert contact.status == "dialed"  # no agent requested before the call
    call_id = str(contact.call_id)
    wait_until(lambda: PredictiveCall.objects.filter(call_id=call_id, parked_at__isnull=False).exists(), what="park")
    return call_id


def test_an_answered_call_is_handed_to_the_agent_reserved_after_the_answer(
    predictive_campaign, voice_connector, vc_api
):
    [contact_id] = add_contacts(1, **PREDICTIVE)
    call_id = _answered_call(contact_id)
    [originate] = predictive_campaign.switch.originates
    assert originate["destination"] == "&park()"
    assert "sip_h_X-CallType=PREDICTIVE" in originate["args"]
    assert "origination_caller_id_number=+4930123456" in originate["args"]
    assert voice_connector.bodies("agent-requests") == []  # asked for on the answer, by the dialing worker
    assert predictive.ask_agent(call_id) == "requested"
    assert predictive.ask_agent(call_id) == "not waiting"  # one request outstanding per call
    [request] = voice_connector.bodies("agent-requests")
    assert (request["id"], request["call_id"], request["answered"]) == (contact_id, call_id, True)
    assert reserve(vc_api, contact_id).status_code == 200
    assert predictive.route(call_id) == "routed"
    [transfer] = predictive_campaign.switch.transfers
    assert transfer["extension"] == "agent"
    assert {k: v for k, v in transfer["variables"].items() if k.startswith("sip_h_X-") and "agent" in k.lower()} == {
        "sip_h_X-agentExtension": "1001"
    }
    for header in ("sip_h_X-Destination-Number", "sip_h_X-queueType", "sip_h_X-queue"):
        assert transfer["variables"][header], header
    wait_until(lambda: Contact.objects.get(pk=contact_id).status == "ended", what="the end of the call")
    contact = Contact.objects.get(pk=contact_id)
    assert (contact.call_result, contact.agent_extension, contact.attempts) == ("Normal clearing", "1001", 1)
    assert not PredictiveCall.objects.exists()
    # A reservation for a call that is over is refused and its agent freed.
    assert reserve(vc_api, contact_id, agent_extension="1002").status_code == 409


def test_no_agent_within_the_abandon_timeout_abandons_the_call_and_a_late_agent_is_freed(
    predictive_campaign, voice_connector, vc_api
):
    [contact_id] = add_contacts(1, **PREDICTIVE)
    call_id = _answered_call(contact_id)
    assert predictive.abandon([call_id]) == 0  # the customer has not waited ABANDON_TIMEOUT yet
    wait_until(lambda: predictive.overdue("default", now=timezone.now()), what="the abandon timeout")
    assert predictive.abandon([call_id]) == 1
    assert predictive.abandon([call_id]) == 0  # recorded once
    late = reserve(vc_api, contact_id)
    assert late.status_code == 409
    wait_until(lambda: Contact.objects.get(pk=contact_id).status == "ended", what="the end of the call")
    contact = Contact.objects.get(pk=contact_id)
    assert contact.call_result == "Abandoned"
    assert predictive_campaign.switch.transfers == []  # killed (no ABANDON_EXTENSION): never connected
    end_chat = VoiceConnectorMessage.objects.get(kind="end-chat", call_id=call_id)
    assert end_chat.payload["agent_extension"] == "1001"


def test_the_abandon_message_extension_receives_abandoned_calls(predictive_campaign, settings):
    settings.ABANDON_EXTENSION = "abandoned"
    [contact_id] = add_contacts(1, **PREDICTIVE)
    call_id = _answered_call(contact_id)
    wait_until(lambda: predictive.overdue("default", now=timezone.now()), what="the abandon timeout")
    assert predictive.abandon([call_id]) == 1
    [transfer] = predictive_campaign.switch.transfers
    assert transfer["extension"] == "abandoned"
    wait_until(lambda: Contact.objects.get(pk=contact_id).status == "ended", what="the end of the call")
    assert Contact.objects.get(pk=contact_id).call_result == "Abandoned"


def test_a_customer_who_hangs_up_while_parked_is_dropped_and_the_reserved_agent_freed(
    predictive_campaign, voice_connector, vc_api, settings
):
    settings.ABANDON_TIMEOUT = 30.0
    predictive_campaign.switch.scenario.patience_seconds = (0.3, 0.3)
    [contact_id] = add_contacts(1, **PREDICTIVE)
    call_id = _answered_call(contact_id)
    assert reserve(vc_api, contact_id).status_code == 200  # reserved, but the call is never handed over
    wait_until(lambda: Contact.objects.get(pk=contact_id).status == "ended", what="the customer's hangup")
    assert Contact.objects.get(pk=contact_id).call_result == "Dropped"
    assert VoiceConnectorMessage.objects.get(kind="end-chat", call_id=call_id).payload["agent_extension"] == "1001"
    assert predictive.route(call_id) == "ended"


def test_no_more_calls_than_ready_agents_without_history(predictive_campaign):
    _agents(ready=2)
    add_contacts(5, **PREDICTIVE)
    assert try_dial_next_batch() == 2  # progressive pace until 20 live answers are in the window
    assert try_dial_next_batch() == 0  # both ready agents have a call in flight


def test_an_originate_error_after_the_answer_does_not_end_the_call(predictive_campaign):
    [contact_id] = add_contacts(1, **PREDICTIVE)
    call_id = _answered_call(contact_id)
    job = parse_event(
        f"Event-Name: BACKGROUND_JOB\nJob-UUID: {call_id}\nJob-Command: originate\nContent-Length: 25\n\n"
        "-ERR ORIGINATOR_CANCEL\n"
    )
    apply_events([job])
    assert Contact.objects.get(pk=contact_id).status == "dialed"
    assert PredictiveCall.objects.filter(call_id=call_id).exists()


def test_a_campaign_without_known_agents_waits_for_agents_as_before(predictive_campaign, voice_connector, vc_api):
    AgentState.objects.all().delete()
    predictive_campaign.switch.scenario.talk_seconds = (1.0, 1.0)
    [contact_id] = add_contacts(1, **PREDICTIVE)
    assert try_dial_next_batch() == 1
    assert Contact.objects.get(pk=contact_id).status == "agent_pending"
    assert predictive_campaign.switch.originates == []
    assert reserve(vc_api, contact_id).status_code == 200
    assert try_dial_next_batch() == 1  # the agent's call, placed after the reservation
    assert "sip_h_X-CallType=PREDICTIVE" in predictive_campaign.switch.originates[0]["args"]
    wait_until(lambda: Contact.objects.get(pk=contact_id).answered_at, what="the answer")
    assert not PredictiveCall.objects.exists()  # answered with its agent on it: not waiting for one
    wait_until(lambda: Contact.objects.get(pk=contact_id).status == "ended", what="the end of the call")
    assert Contact.objects.get(pk=contact_id).call_result == "Normal clearing"
    [request] = voice_connector.bodies("agent-requests")
    assert "answered" not in request
    assert predictive_campaign.switch.transfers == []


def test_a_predictive_contact_is_validated_once_before_it_is_dialed(predictive_campaign, settings):
    validator = HttpReceiver().start()
    settings.PREDIAL_VALIDATION_URL = f"{validator.url}/validate"
    try:
        [contact_id] = add_contacts(1, **PREDICTIVE)
        assert try_dial_next_batch() == 1
        [posted] = validator.bodies("validate")
        assert posted["id"] == contact_id
        [originate] = predictive_campaign.switch.originates
        assert originate["destination"] == "&park()"
    finally:
        validator.stop()

"""The switch simulator plays predictive calls as FreeSWITCH 1.10.12 did (reference/esl.md, "Predictive calls").

Driven over TCP by python-ESL, as the dialer will drive it: ``&park()``, the agent variables,
the transfer, the kill, a customer who gives up, and the transfer sent too early.
"""

from __future__ import annotations

import time
import uuid

import ESL
import pytest

from dialer.esl.predictive_commands import build_agent_variables, build_kill, build_predictive_originate, build_transfer
from dialer.esl.wire import Event, parse_event

SUBSCRIBED = "BACKGROUND_JOB CHANNEL_ANSWER CHANNEL_PARK CHANNEL_BRIDGE CHANNEL_HANGUP_COMPLETE"


@pytest.fixture
def esl(bare_switch):
    bare_switch.scenario.ring_seconds, bare_switch.scenario.talk_seconds = (0.05, 0.05), (0.1, 0.1)
    bare_switch.scenario.bridge_seconds = (0.01, 0.01)
    connection = ESL.ESLconnection("127.0.0.1", str(bare_switch.port), "ClueCon")
    assert connection.events("plain", SUBSCRIBED) == 0
    yield connection
    connection.disconnect()


def dial(esl: ESL.ESLconnection) -> str:
    call_id = str(uuid.uuid4())
    command = build_predictive_originate(
        call_id=call_id, gateway_id="gw1", customer_number="+4930123456", caller_id="+4930999", domain="10.0.0.5",
        ring_timeout=25,
    )  # fmt: skip
    esl.bgapi(command.command, command.args, call_id)
    return call_id


def events_until(esl: ESL.ESLconnection, call_id: str, last: str, timeout: float = 10.0) -> list[Event]:
    seen: list[Event] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        received = esl.recvEventTimed(100)
        if received is None:
            continue
        event = parse_event(received.serialize("plain"))
        if call_id in (event.get("Unique-ID"), event.get("Job-UUID")):
            seen.append(event)
            if event.name == last:
                return seen
    raise AssertionError(f"no {last} for {call_id}: {[e.name for e in seen]}")


def api(esl: ESL.ESLconnection, command: str, args: str) -> str:
    return str(esl.api(command, args).getBody())


def test_an_answered_call_parks_after_its_originate_answers_and_reaches_the_agent_with_its_variables(esl):
    call_id = dial(esl)
    parked = events_until(esl, call_id, "CHANNEL_PARK")
    assert [e.name for e in parked] == ["CHANNEL_ANSWER", "BACKGROUND_JOB", "CHANNEL_PARK"]
    assert parked[1].body == f"+OK {call_id}\n"
    variables = build_agent_variables(
        call_id=call_id, service_identifier="8001", queue_type="ACD", queue_name="Sales", agent_extension="1001"
    )
    assert api(esl, variables.command, variables.args) == "+OK\n"
    transfer = build_transfer(call_id=call_id, extension="agent", domain="10.0.0.5")
    assert api(esl, transfer.command, transfer.args) == "+OK\n"
    rest = events_until(esl, call_id, "CHANNEL_HANGUP_COMPLETE")
    assert [e.name for e in rest] == ["CHANNEL_BRIDGE", "CHANNEL_HANGUP_COMPLETE"]
    hangup = rest[-1]
    assert hangup.get("Hangup-Cause") == "NORMAL_CLEARING"
    assert hangup.variable("bridge_epoch") != "0"
    assert hangup.get("Caller-Destination-Number") == "agent"
    assert (hangup.variable("sip_h_X-agentExtension"), hangup.variable("sip_h_X-queue")) == ("1001", "Sales")


def test_a_transfer_before_the_originate_answered_bridges_but_cancels_the_originate(esl, bare_switch):
    bare_switch.scenario.answer_to_job_seconds = 0.2
    call_id = dial(esl)
    events_until(esl, call_id, "CHANNEL_ANSWER")
    transfer = build_transfer(call_id=call_id, extension="agent", domain="10.0.0.5")
    assert api(esl, transfer.command, transfer.args) == "+OK\n"
    rest = events_until(esl, call_id, "CHANNEL_HANGUP_COMPLETE")
    job = next(e for e in rest if e.name == "BACKGROUND_JOB")
    assert job.body == "-ERR ORIGINATOR_CANCEL\n"
    assert "CHANNEL_BRIDGE" in [e.name for e in rest]  # the call itself went on to the agent


@pytest.mark.parametrize(
    ("ending", "disposition", "destination"),
    [
        ("kill", "send_bye", "+4930123456"),
        ("abandon message", "send_bye", "9999"),
        ("patience", "recv_bye", "+4930123456"),
    ],
)
def test_a_parked_call_that_reaches_no_agent_ends_without_a_bridge(esl, bare_switch, ending, disposition, destination):
    bare_switch.scenario.patience_seconds = (0.3, 0.3)
    call_id = dial(esl)
    events_until(esl, call_id, "CHANNEL_PARK")
    if ending == "kill":
        kill = build_kill(call_id=call_id)
        assert api(esl, kill.command, kill.args) == "+OK\n"
    elif ending == "abandon message":
        transfer = build_transfer(call_id=call_id, extension="9999", domain="10.0.0.5")
        assert api(esl, transfer.command, transfer.args) == "+OK\n"
    hangup = events_until(esl, call_id, "CHANNEL_HANGUP_COMPLETE")[-1]
    assert hangup.get("Hangup-Cause") == "NORMAL_CLEARING"  # the cause says nothing: disposition and destination do
    assert (hangup.variable("sip_hangup_disposition"), hangup.variable("bridge_epoch")) == (disposition, "0")
    assert hangup.get("Caller-Destination-Number") == destination


def test_commands_for_a_call_that_is_gone_answer_as_freeswitch_does(esl):
    gone = str(uuid.uuid4())
    assert api(esl, "uuid_transfer", f"{gone} agent XML 10.0.0.5") == "-ERR No such channel!\n"
    assert api(esl, "uuid_setvar_multi", f"{gone} a=1;b=2") == (
        "-ERR No such channel!\n-USAGE: <uuid> <var>=<value>;<var>=<value>...\n"
    )
    assert api(esl, "uuid_kill", gone) == "-ERR No such channel!\n"

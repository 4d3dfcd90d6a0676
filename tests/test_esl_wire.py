"""The wire format and command builders, against real FreeSWITCH 1.10.12 captures."""

from __future__ import annotations

import pytest

from dialer.esl.commands import UnsafeValue, agent_queue_name, build_agent_originate, build_ivr_originate
from dialer.esl.responses import GatewayState, parse_gateway_status, parse_job_result
from dialer.esl.wire import encode_value, parse_event, serialize_event
from tests.freeswitch_fixtures import api_responses, event, events, raw_event_texts

CALL = "c6a7a7e9-fc1c-46b4-b5be-0e0e79a5d360"
IVR_CALL = {"call_id": CALL, "gateway_id": "gw", "customer_number": "4930", "domain": "d"}
AGENT_CALL = {
    **IVR_CALL, "service_identifier": "s", "dialing_mode": "PREVIEW", "queue_type": "ACD", "queue_name": "q",
}  # fmt: skip


def test_a_hangup_event_is_read_with_its_decoded_values_and_variables():
    hangup = event("d1_CHANNEL_HANGUP_COMPLETE_answered_uuid_kill.txt", "CHANNEL_HANGUP_COMPLETE")
    assert hangup.get("Unique-ID") == CALL
    assert hangup.get("Hangup-Cause") == "NORMAL_CLEARING"
    assert hangup.get("Event-Date-Local") == "2026-11-21 20:51:23"
    assert hangup.get("FreeSWITCH-IPv6") == "fd00::2"
    assert hangup.variable("answer_epoch") == "1795294282"
    assert hangup.variable("bridge_epoch") == "0"
    assert hangup.variable("sip_hangup_disposition") == "send_bye"


def test_a_busy_hangup_has_its_cause_and_no_answer():
    hangup = event("d2_CHANNEL_HANGUP_COMPLETE_busy_486.txt", "CHANNEL_HANGUP_COMPLETE")
    assert (hangup.get("Hangup-Cause"), hangup.variable("answer_epoch")) == ("USER_BUSY", "0")
    assert hangup.variable("sip_term_status") == "486"


def test_background_jobs_carry_their_result_in_the_body():
    jobs = [e for e in events("c_BACKGROUND_JOB_events.txt") if e.name == "BACKGROUND_JOB"]
    results = [parse_job_result(job.body) for job in jobs]
    assert [(r.ok, r.value) for r in results[:4]] == [
        (True, CALL),
        (False, "GATEWAY_DOWN"),
        (False, "INVALID_GATEWAY"),
        (False, "USER_BUSY"),
    ]
    assert jobs[0].get("Job-UUID") == "e2225752-44d9-4dca-8913-72b164d55d42"
    assert jobs[0].get("Job-Command-Arg").startswith("{origination_uuid=c6a7a7e9")


def test_the_whole_originate_stream_parses_in_its_real_order():
    names = [e.name for e in events("cd_originate_events.txt")]
    assert names[:3] == ["CHANNEL_ANSWER", "BACKGROUND_JOB", "CHANNEL_HANGUP_COMPLETE"]
    busy = [e for e in events("cd_originate_events.txt") if "7c529362" in e.get("Unique-ID") + e.get("Job-Command-Arg")]
    assert [e.name for e in busy] == ["CHANNEL_HANGUP_COMPLETE", "BACKGROUND_JOB"]


@pytest.mark.parametrize(
    "name",
    ["d0_CHANNEL_ANSWER_gw_up.txt", "d1_CHANNEL_HANGUP_COMPLETE_answered_uuid_kill.txt",
     "d2_CHANNEL_HANGUP_COMPLETE_busy_486.txt", "d3_CHANNEL_HANGUP_COMPLETE_answered_remote_bye.txt"],
)  # fmt: skip
def test_serialising_a_parsed_event_gives_back_the_same_event(name):
    original = raw_event_texts(name)[0]
    parsed = parse_event(original)
    again = parse_event(serialize_event(parsed.all_headers, parsed.body))
    assert again.all_headers == parsed.all_headers
    assert serialize_event(parsed.all_headers, parsed.body).rstrip("\n") == original.rstrip("\n")


def test_values_are_encoded_as_freeswitch_encodes_them():
    assert encode_value("Sat, 21 Nov 2026 20:51:22 GMT") == "Sat,%2021%20Nov%202026%2020%3A51%3A22%20GMT"
    assert encode_value("<sip:1000@127.0.0.1>;tag=x") == "%3Csip%3A1000%40127.0.0.1%3E%3Btag%3Dx"


def test_gateway_status_reads_up_down_and_unknown_from_real_answers():
    bodies = api_responses("b_gateway_status.txt")[:4]
    assert [parse_gateway_status(b) for b in bodies] == [
        GatewayState.UP,
        GatewayState.DOWN,
        GatewayState.UP,
        GatewayState.UNKNOWN,
    ]


def test_the_ivr_originate_is_exactly_the_seed_command():
    command = build_ivr_originate(
        call_id=CALL, gateway_id="gw_up", customer_number="+4930123456", ivr_number="5000", domain="10.0.0.5",
        ring_timeout=25,
    )  # fmt: skip
    assert str(command) == (
        "originate {session_in_hangup_hook=true,domain_name=10.0.0.5,record_session=true,"
        "origination_caller_id_name=5000,origination_caller_id_number=5000,call_direction=outbound,"
        f"origination_uuid={CALL},originate_timeout=25}}sofia/gateway/gw_up/+4930123456 5000 XML 10.0.0.5"
    )


def test_the_agent_originate_is_exactly_the_seed_command():
    command = build_agent_originate(
        call_id=CALL, gateway_id="gw1", customer_number="4930123456", service_identifier="8001",
        dialing_mode="PREVIEW", queue_type="ACD", queue_name="Sales_Queue", agent_extension="1001",
        domain="10.0.0.5", ring_timeout=25,
    )  # fmt: skip
    assert str(command) == (
        "originate {ignore_early_media=true,session_in_hangup_hook=true,sip_h_X-Destination-Number=8001,"
        f"sip_h_X-CallType=PREVIEW,customer_number=4930123456,sip_h_X-CALL-VARIABLE0={CALL},sip_h_X-Call-Id={CALL},"
        "domain_name=10.0.0.5,record_session=true,call_direction=outbound,sip_h_X-queueType=ACD,"
        f"sip_h_X-queue='Sales_Queue',origination_uuid={CALL},origination_caller_id_name=1001,"
        "origination_caller_id_number=1001,sip_h_X-agentExtension=1001,originate_timeout=25}"
        "sofia/gateway/gw1/4930123456 agent XML 10.0.0.5"
    )


@pytest.mark.parametrize(
    ("reserved", "contact_queue", "routing_mode", "resource_id", "campaign_queue", "expected"),
    [
        ("VC_Queue", "Sales_Queue", "QUEUE", "sales", "Camp_Queue", "VC_Queue"),
        ("", "Sales_Queue", "QUEUE", "sales", "Camp_Queue", "Sales_Queue"),
        ("", "", "QUEUE", "sales", "Camp_Queue", "sales"),  # seed 001: the queue named by resource_id
        ("", "", "AGENT", "agent-7", "Camp_Queue", "Camp_Queue"),  # an agent id is not a queue
        ("", "", "QUEUE", "pool@tenant", "", "default"),  # not a queue name the command accepts
        ("", "", "", "", "", "default"),
    ],
)
def test_an_agent_call_names_the_most_specific_queue_given(
    reserved, contact_queue, routing_mode, resource_id, campaign_queue, expected
):
    named = agent_queue_name(
        reserved=reserved, contact_queue=contact_queue, routing_mode=routing_mode, resource_id=resource_id,
        campaign_queue=campaign_queue,
    )  # fmt: skip
    assert named == expected


@pytest.mark.parametrize("bad", ["5000,x=1", "5000 bgapi", "5000\nbgapi system", "50'00", "{5000}", ""])
def test_a_value_outside_its_alphabet_never_becomes_a_command(bad):
    with pytest.raises(UnsafeValue):
        build_ivr_originate(**IVR_CALL, ivr_number=bad, ring_timeout=25)
    with pytest.raises(UnsafeValue):
        build_agent_originate(**AGENT_CALL, agent_extension=bad, ring_timeout=25)


@pytest.mark.parametrize("bad", [0, 601, -25, True, 25.0, "25"])
def test_a_ring_timeout_that_is_not_1_to_600_whole_seconds_never_becomes_a_command(bad):
    with pytest.raises(UnsafeValue, match="ring_timeout"):
        build_ivr_originate(**IVR_CALL, ivr_number="5000", ring_timeout=bad)
    with pytest.raises(UnsafeValue, match="ring_timeout"):
        build_agent_originate(**AGENT_CALL, agent_extension="1001", ring_timeout=bad)


@pytest.mark.parametrize("seconds", [1, 600])
def test_the_ring_timeout_bounds_are_accepted(seconds):
    ivr = build_ivr_originate(**IVR_CALL, ivr_number="5000", ring_timeout=seconds)
    agent = build_agent_originate(**AGENT_CALL, agent_extension="1001", ring_timeout=seconds)
    for command in (ivr, agent):
        assert command.args.split("}")[0].endswith(f",originate_timeout={seconds}")

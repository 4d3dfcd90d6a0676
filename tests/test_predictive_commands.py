"""The predictive call's commands are exactly SPEC.md section 5b's, and nothing unsafe gets into them."""

from __future__ import annotations

import pytest

from dialer.esl.commands import UnsafeValue
from dialer.esl.predictive_commands import (
    build_agent_variables,
    build_kill,
    build_predictive_originate,
    build_transfer,
)
from dialer.results import decide_predictive_end

CALL = "6f1c2a9e-4d0b-4e8a-9a51-3c2b1d0e9f77"


def test_the_predictive_originate_is_exactly_the_spec_template():
    command = build_predictive_originate(
        call_id=CALL, gateway_id="gw1", customer_number="+4930123456", caller_id="+4930999", domain="10.0.0.5",
        ring_timeout=25,
    )  # fmt: skip
    assert str(command) == (
        "originate {session_in_hangup_hook=true,domain_name=10.0.0.5,record_session=true,call_direction=outbound,"
        f"origination_uuid={CALL},origination_caller_id_name=+4930999,origination_caller_id_number=+4930999,"
        f"customer_number=+4930123456,sip_h_X-CallType=PREDICTIVE,sip_h_X-Call-Id={CALL},"
        f"sip_h_X-CALL-VARIABLE0={CALL},originate_timeout=25}}sofia/gateway/gw1/+4930123456 &park()"
    )


def test_the_agent_variables_and_the_transfer_are_exactly_the_spec_commands():
    variables = build_agent_variables(
        call_id=CALL, service_identifier="8001", queue_type="ACD", queue_name="Sales_Queue", agent_extension="1001"
    )
    assert str(variables) == (
        f"uuid_setvar_multi {CALL} sip_h_X-Destination-Number=8001;sip_h_X-queueType=ACD;sip_h_X-queue=Sales_Queue;"
        "sip_h_X-agentExtension=1001"
    )
    assert str(build_transfer(call_id=CALL, extension="agent", domain="10.0.0.5")) == (
        f"uuid_transfer {CALL} agent XML 10.0.0.5"
    )
    assert str(build_kill(call_id=CALL)) == f"uuid_kill {CALL}"


@pytest.mark.parametrize(
    "values",
    [
        {"agent_extension": "1001;x=1"},  # an unquoted ';' would split the variable list
        {"queue_name": "Sales Queue"},
        {"service_identifier": "8001\nbgapi system"},
        {"call_id": "not-a-uuid"},
    ],
)
def test_a_value_that_could_split_the_command_is_refused(values):
    good = {
        "call_id": CALL,
        "service_identifier": "8001",
        "queue_type": "ACD",
        "queue_name": "Q",
        "agent_extension": "1",
    }
    with pytest.raises(UnsafeValue):
        build_agent_variables(**{**good, **values})


def test_an_unsafe_caller_id_or_extension_is_refused():
    with pytest.raises(UnsafeValue):
        build_predictive_originate(
            call_id=CALL, gateway_id="gw1", customer_number="+4930123456", caller_id="+49,30", domain="10.0.0.5",
            ring_timeout=25,
        )  # fmt: skip
    with pytest.raises(UnsafeValue):
        build_transfer(call_id=CALL, extension="agent XML evil", domain="10.0.0.5")


ABANDON = "9999"


@pytest.mark.parametrize(
    ("facts", "result", "code"),
    [
        ({"answered": True, "bridged": True, "abandoned": False, "destination": "agent"}, "Normal clearing", 33),
        ({"answered": True, "bridged": False, "abandoned": True, "destination": "+4930123456"}, "Abandoned", 21),
        ({"answered": True, "bridged": False, "abandoned": False, "destination": ABANDON}, "Abandoned", 21),
        ({"answered": True, "bridged": False, "abandoned": False, "destination": "+4930123456"}, "Dropped", 26),
    ],
)
def test_an_answered_predictive_end_is_read_from_the_record_the_bridge_and_the_destination(facts, result, code):
    """The cause is NORMAL_CLEARING in every case (reference/esl.md's table of how an answered call ended)."""
    end = decide_predictive_end(cause="NORMAL_CLEARING", abandon_extension=ABANDON, **facts)
    assert (end.call_result, int(end.result_code), end.answered) == (result, code, True)


def test_an_abandoned_or_dropped_call_frees_a_reserved_agent_and_an_unanswered_one_is_a_plain_result():
    dropped = decide_predictive_end(
        cause="NORMAL_CLEARING", answered=True, bridged=False, abandoned=False, destination="x", abandon_extension=""
    )
    abandoned = decide_predictive_end(
        cause="NORMAL_CLEARING", answered=True, bridged=False, abandoned=True, destination="x", abandon_extension=""
    )
    assert dropped.dropped_before_agent
    assert abandoned.frees_agent
    busy = decide_predictive_end(
        cause="USER_BUSY", answered=False, bridged=False, abandoned=False, destination="x", abandon_extension=""
    )
    assert (busy.call_result, int(busy.result_code)) == ("User busy", 6)

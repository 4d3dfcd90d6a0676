"""The commands of a predictive call (SPEC.md section 5b), built by pure functions like the originates.

Dialed ahead of agents and parked, the answered call is handed to its reserved agent with
``uuid_setvar_multi`` (the agent variables, answered ``+OK`` before anything else is sent) and
``uuid_transfer`` to the ``agent`` extension — or, when no agent came in time, transferred to the
abandon message or killed. Every value is checked against its alphabet: a ``;`` would split the
variable list, a space or newline the command.
"""

from __future__ import annotations

from campaigns import alphabets
from dialer.esl.commands import QUEUE_TYPE, UUID, ApiCommand, checked_leg, safe_value


def build_predictive_originate(
    *, call_id: str, gateway_id: str, customer_number: str, caller_id: str, domain: str, ring_timeout: int
) -> ApiCommand:
    """Call the customer ahead of any agent; the answered call waits parked (``&park()``)."""
    leg = checked_leg(call_id, gateway_id, customer_number, domain, ring_timeout)
    caller = safe_value("caller_id", caller_id, alphabets.CUSTOMER_NUMBER)
    variables = (
        f"session_in_hangup_hook=true,domain_name={leg.domain},record_session=true,call_direction=outbound,"
        f"origination_uuid={leg.call_id},origination_caller_id_name={caller},origination_caller_id_number={caller},"
        f"customer_number={leg.number},sip_h_X-CallType=PREDICTIVE,sip_h_X-Call-Id={leg.call_id},"
        f"sip_h_X-CALL-VARIABLE0={leg.call_id},originate_timeout={leg.timeout}"
    )
    return ApiCommand("originate", f"{{{variables}}}sofia/gateway/{leg.gateway}/{leg.number} &park()")


def build_agent_variables(
    *, call_id: str, service_identifier: str, queue_type: str, queue_name: str, agent_extension: str
) -> ApiCommand:
    """The reserved agent's variables on the parked call, before its transfer (the dialplan reads them at once)."""
    call_id = safe_value("call_id", call_id, UUID)
    service = safe_value("service_identifier", service_identifier, alphabets.RESOURCE_ID)
    qtype = safe_value("queue_type", queue_type, QUEUE_TYPE)
    queue = safe_value("queue_name", queue_name, alphabets.QUEUE_NAME)
    agent = safe_value("agent_extension", agent_extension, alphabets.EXTENSION)
    return ApiCommand(
        "uuid_setvar_multi",
        f"{call_id} sip_h_X-Destination-Number={service};sip_h_X-queueType={qtype};sip_h_X-queue={queue};"
        f"sip_h_X-agentExtension={agent}",
    )


def build_transfer(*, call_id: str, extension: str, domain: str) -> ApiCommand:
    """Hand the parked call to an extension of the dialplan: ``agent``, or the abandon message."""
    call_id = safe_value("call_id", call_id, UUID)
    target = safe_value("extension", extension, alphabets.EXTENSION)
    domain = safe_value("EFSWITCH_IP", domain, alphabets.SWITCH_DOMAIN)
    return ApiCommand("uuid_transfer", f"{call_id} {target} XML {domain}")


def build_kill(*, call_id: str) -> ApiCommand:
    """End an abandoned call when no abandon message is configured (the cause is NORMAL_CLEARING)."""
    return ApiCommand("uuid_kill", safe_value("call_id", call_id, UUID))

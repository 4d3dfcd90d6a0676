"""The two originate commands of SPEC.md section 5, built by pure functions.

Every value is checked against its alphabet here too (it was checked at intake):
a comma, brace, quote, space or newline would split or extend the command.
Both end their variables with ``originate_timeout``: without it FreeSWITCH rings for 60 s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from campaigns import alphabets
from campaigns.choices import RoutingMode

UUID: Final = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
QUEUE_TYPE: Final = r"[A-Za-z][A-Za-z0-9_]{0,19}"
DIALING_MODES: Final = r"PREDICTIVE|PREVIEW|PROGRESSIVE"
# Wider than a campaign's 5-120 s: the builder only keeps the command sound, the campaign sets the policy.
MAX_RING_TIMEOUT: Final = 600


class UnsafeValue(ValueError):
    """A value outside its alphabet: it must never reach the switch."""


@dataclass(frozen=True)
class ApiCommand:
    """An ESL ``api``/``bgapi`` command: its name and argument string."""

    command: str
    args: str

    def __str__(self) -> str:
        return f"{self.command} {self.args}"


def safe_value(name: str, value: str, pattern: str) -> str:
    if not re.fullmatch(pattern, value):
        raise UnsafeValue(f"{name} {value!r} is outside its alphabet")
    return value


def ring_timeout_value(value: int) -> int:
    """Seconds to ring: a whole number (``True`` is not one), so ``originate_timeout`` is never 0 or absurd."""
    if type(value) is not int or not 1 <= value <= MAX_RING_TIMEOUT:
        raise UnsafeValue(f"ring_timeout {value!r} is not a whole number of seconds from 1 to {MAX_RING_TIMEOUT}")
    return value


@dataclass(frozen=True)
class Leg:
    """What every originate names, each value checked: the call, its gateway and number, the context, the ring."""

    call_id: str
    gateway: str
    number: str
    domain: str
    timeout: int


def checked_leg(call_id: str, gateway_id: str, customer_number: str, domain: str, ring_timeout: int, /) -> Leg:
    return Leg(
        safe_value("call_id", call_id, UUID),
        safe_value("gateway_id", gateway_id, alphabets.GATEWAY_ID),
        safe_value("customer_number", customer_number, alphabets.CUSTOMER_NUMBER),
        safe_value("EFSWITCH_IP", domain, alphabets.SWITCH_DOMAIN),
        ring_timeout_value(ring_timeout),
    )


def build_ivr_originate(
    *, call_id: str, gateway_id: str, customer_number: str, ivr_number: str, domain: str, ring_timeout: int
) -> ApiCommand:
    """Call the customer and send the answered call to the IVR extension."""
    leg = checked_leg(call_id, gateway_id, customer_number, domain, ring_timeout)
    ivr = safe_value("ivr", ivr_number, alphabets.EXTENSION)
    variables = (
        f"session_in_hangup_hook=true,domain_name={leg.domain},record_session=true,"
        f"origination_caller_id_name={ivr},origination_caller_id_number={ivr},call_direction=outbound,"
        f"origination_uuid={leg.call_id},originate_timeout={leg.timeout}"
    )
    return ApiCommand("originate", f"{{{variables}}}sofia/gateway/{leg.gateway}/{leg.number} {ivr} XML {leg.domain}")


def build_agent_originate(
    *,
    call_id: str,
    gateway_id: str,
    customer_number: str,
    service_identifier: str,
    dialing_mode: str,
    queue_type: str,
    queue_name: str,
    agent_extension: str,
    domain: str,
    ring_timeout: int,
) -> ApiCommand:
    """Call the customer and bridge the answered call to the reserved agent."""
    leg = checked_leg(call_id, gateway_id, customer_number, domain, ring_timeout)
    call_id, number, domain = leg.call_id, leg.number, leg.domain
    service = safe_value("service_identifier", service_identifier, alphabets.RESOURCE_ID)
    mode = safe_value("dialing_mode", dialing_mode, DIALING_MODES)
    qtype = safe_value("queue_type", queue_type, QUEUE_TYPE)
    queue = safe_value("queue_name", queue_name, alphabets.QUEUE_NAME)
    agent = safe_value("agent_extension", agent_extension, alphabets.EXTENSION)
    variables = (
        f"ignore_early_media=true,session_in_hangup_hook=true,sip_h_X-Destination-Number={service},"
        f"sip_h_X-CallType={mode},customer_number={number},sip_h_X-CALL-VARIABLE0={call_id},"
        f"sip_h_X-Call-Id={call_id},domain_name={domain},record_session=true,call_direction=outbound,"
        f"sip_h_X-queueType={qtype},sip_h_X-queue='{queue}',origination_uuid={call_id},"
        f"origination_caller_id_name={agent},origination_caller_id_number={agent},sip_h_X-agentExtension={agent},"
        f"originate_timeout={leg.timeout}"
    )
    return ApiCommand("originate", f"{{{variables}}}sofia/gateway/{leg.gateway}/{number} agent XML {domain}")


def agent_queue_name(
    *, reserved: str, contact_queue: str, routing_mode: str, resource_id: str, campaign_queue: str
) -> str:
    """The queue an agent call names (``sip_h_X-queue``): the first one given, most specific first.

    The voice connector's reservation, then the contact's ``queue_name``; seed 001 lets a QUEUE-routed
    contact name its queue by ``resource_id`` alone; then the campaign's queue; ``default`` when none is.
    """
    by_resource = resource_id if routing_mode == RoutingMode.QUEUE else ""
    named = (q for q in (reserved, contact_queue, by_resource, campaign_queue) if q)
    return next((q for q in named if re.fullmatch(alphabets.QUEUE_NAME, q)), "default")


def build_gateway_status(gateway_id: str) -> ApiCommand:
    return ApiCommand("sofia", f"status gateway {safe_value('gateway_id', gateway_id, alphabets.GATEWAY_ID)}")


def build_gateway_list() -> ApiCommand:
    """Every gateway of the switch's running SIP profiles, as XML (read by ``dialer.esl.gateway_list``).

    No name after ``gateway``: mod_sofia's ``cmd_xml_status`` then lists them all, where with a name it
    would describe that one only.
    """
    return ApiCommand("sofia", "xmlstatus gateway")


def build_uuid_exists(call_id: str) -> ApiCommand:
    return ApiCommand("uuid_exists", safe_value("call_id", call_id, UUID))


def build_channel_list() -> ApiCommand:
    """Every channel the switch holds, as JSON (read by ``dialer.esl.channel_list``): one round trip for
    reconciliation however many calls are out. ``channels``, not ``calls``: a call row exists only once
    two legs are bridged, where every channel — a call ringing, or one leg alone — has its own row, and
    its ``uuid`` is the originate's ``origination_uuid``, our call id.
    """
    return ApiCommand("show", "channels as json")

"""How a call ended, in the dialer's words: readable results and OCS result codes (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Final

from campaigns.choices import ContactStatus
from dialer.esl.responses import GatewayState


class ResultCode(IntEnum):
    """OCS GSW_CALL_RESULT codes the dialer produces (``reference/ocs.md``)."""

    GENERAL_ERROR = 3
    BUSY = 6
    NO_ANSWER = 7
    ANSWERING_MACHINE = 9
    ALL_TRUNKS_BUSY = 10
    SIT_INVALID_NUM = 11
    ABANDONED = 21
    DROPPED = 26
    UNKNOWN = 28
    ANSWER = 33
    DIAL_ERROR = 41
    SWITCH_ERROR = 43
    STALE = 46
    DO_NOT_CALL = 51
    CANCEL_RECORD = 52


INVALID_GATEWAY: Final = "Invalid Gateway"
STALE: Final = "Stale"
DROPPED: Final = "Dropped"
ABANDONED: Final = "Abandoned"
SWITCH_ERROR: Final = "Switch Error"
EXPIRED: Final = "Expired"
NO_IVR_NUMBER: Final = "No IVR number"
DO_NOT_CALL: Final = "Do Not Call"

_READABLE: Final = {"INVALID_GATEWAY": INVALID_GATEWAY, "NORMAL_CIRCUIT_CONGESTION": "Circuit congestion"}
_UNANSWERED_CODES: Final = {
    "USER_BUSY": ResultCode.BUSY,
    "NO_ANSWER": ResultCode.NO_ANSWER,
    "NO_USER_RESPONSE": ResultCode.NO_ANSWER,
    "RECOVERY_ON_TIMER_EXPIRE": ResultCode.NO_ANSWER,
    "PROGRESS_TIMEOUT": ResultCode.NO_ANSWER,
    "UNALLOCATED_NUMBER": ResultCode.SIT_INVALID_NUM,
    "INVALID_NUMBER_FORMAT": ResultCode.SIT_INVALID_NUM,
    "NO_ROUTE_DESTINATION": ResultCode.SIT_INVALID_NUM,
    "NORMAL_CIRCUIT_CONGESTION": ResultCode.ALL_TRUNKS_BUSY,
    "SWITCH_CONGESTION": ResultCode.ALL_TRUNKS_BUSY,
    "GATEWAY_DOWN": ResultCode.ALL_TRUNKS_BUSY,
    "INVALID_GATEWAY": ResultCode.DIAL_ERROR,
    "NORMAL_CLEARING": ResultCode.UNKNOWN,
}


def readable_result(cause: str) -> str:
    """``NORMAL_CLEARING`` → ``Normal clearing``, ``USER_BUSY`` → ``User busy``."""
    return _READABLE.get(cause) or cause.replace("_", " ").capitalize()


@dataclass(frozen=True)
class CallEnd:
    """The decided end of a call: what the contact and the history record."""

    call_result: str
    hangup_cause: str
    result_code: ResultCode
    answered: bool
    # The customer hung up after answering, before the agent was bridged: the voice connector must END_CHAT.
    dropped_before_agent: bool = False
    # The contact's status afterwards: ``ended``; ``failed`` or ``pending`` when the originate placed no call.
    status: str = ContactStatus.ENDED
    # False when no call was placed after all: the contact's attempt is given back.
    attempted: bool = True
    # A reserved agent waits for a call that will never reach it: the voice connector must END_CHAT.
    frees_agent: bool = False


def decide_call_end(*, cause: str, answered: bool, bridged: bool, agent_call: bool) -> CallEnd:
    """Map a hangup to its result. An answered agent call that was never bridged was dropped."""
    if answered and agent_call and not bridged:
        return CallEnd(DROPPED, cause, ResultCode.DROPPED, answered=True, dropped_before_agent=True)
    if answered:
        return CallEnd(readable_result(cause), cause, ResultCode.ANSWER, answered=True)
    code = _UNANSWERED_CODES.get(cause, ResultCode.GENERAL_ERROR)
    return CallEnd(readable_result(cause), cause, code, answered=False)


def decide_predictive_end(
    *, cause: str, answered: bool, bridged: bool, abandoned: bool, destination: str, abandon_extension: str
) -> CallEnd:
    """How a predictive call ended (SPEC 5b). Every answered end has cause NORMAL_CLEARING, so the kind is read
    from the dialer's own record (``abandoned``: it gave up waiting for an agent), the bridge and the destination.

    Bridged: a call like any other. Abandoned by the dialer or sent to the abandon message: ``Abandoned`` (21).
    Answered, never bridged, not abandoned: the customer hung up while waiting, ``Dropped`` (26), and an agent
    reserved meanwhile is freed.
    """
    if not answered:
        return decide_call_end(cause=cause, answered=False, bridged=False, agent_call=False)
    if bridged:
        return CallEnd(readable_result(cause), cause, ResultCode.ANSWER, answered=True)
    if abandoned or (abandon_extension and destination == abandon_extension):
        return abandoned_end(cause)
    return CallEnd(DROPPED, cause, ResultCode.DROPPED, answered=True, dropped_before_agent=True)


def abandoned_end(cause: str) -> CallEnd:
    """An answered call the dialer gave up on, no agent having come in time: ``Abandoned`` (OCS 21)."""
    return CallEnd(ABANDONED, cause, ResultCode.ABANDONED, answered=True, frees_agent=True)


class Placement(StrEnum):
    """What a gateway's state means for a claimed contact."""

    DIAL = "dial"
    # Not an attempt: dialable again later (gateway down, or its state cannot be read now).
    LATER = "later"
    # The switch has no such gateway: never dialed (``Invalid Gateway``).
    INVALID = "invalid"


# The BACKGROUND_JOB causes of an originate that placed no call, read as the gateway check would have:
# GATEWAY_DOWN; CHAN_NOT_IMPLEMENTED while mod_sofia is unloaded (a shutdown or a reload); INVALID_GATEWAY.
_NOT_PLACED: Final = {
    "GATEWAY_DOWN": Placement.LATER,
    "CHAN_NOT_IMPLEMENTED": Placement.LATER,
    "INVALID_GATEWAY": Placement.INVALID,
}


def placement_for(state: GatewayState) -> Placement:
    """Before sending: only an UP gateway is dialed."""
    if state is GatewayState.UP:
        return Placement.DIAL
    return Placement.INVALID if state is GatewayState.UNKNOWN else Placement.LATER


def not_placed(cause: str) -> Placement | None:
    """After sending: the placement an originate's ``-ERR`` cause reveals, or None for a call that was placed."""
    return _NOT_PLACED.get(cause)


def not_placed_end(placement: Placement, cause: str) -> CallEnd:
    """The end of a sent originate that placed no call: back to pending, or failed for an invalid gateway."""
    if placement is Placement.INVALID:
        return CallEnd(
            INVALID_GATEWAY, cause, ResultCode.DIAL_ERROR, answered=False, status=ContactStatus.FAILED,
            attempted=False, frees_agent=True,
        )  # fmt: skip
    return CallEnd(
        readable_result(cause), cause, ResultCode.ALL_TRUNKS_BUSY, answered=False, status=ContactStatus.PENDING,
        attempted=False, frees_agent=True,
    )  # fmt: skip


# A claimed contact whose number is on the do-not-call list (OCS 51): failed, never dialed, reported.
SUPPRESSED: Final = CallEnd(
    DO_NOT_CALL, "", ResultCode.DO_NOT_CALL, answered=False, status=ContactStatus.FAILED, attempted=False
)

# The originate may have reached the switch but its sender lost the connection: never sent again.
LOST_ORIGINATE: Final = CallEnd(
    SWITCH_ERROR, "", ResultCode.SWITCH_ERROR, answered=False, status=ContactStatus.FAILED, frees_agent=True
)

# A claimed contact whose gateway is on no switch (several switches, SPEC section 10): failed, never dialed.
GATEWAY_ON_NO_SWITCH: Final = CallEnd(
    INVALID_GATEWAY, "", ResultCode.DIAL_ERROR, answered=False, status=ContactStatus.FAILED, attempted=False
)

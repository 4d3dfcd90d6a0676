"""How a call ended, in the dialer's words: readable results and OCS result codes (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Final


class ResultCode(IntEnum):
    """OCS GSW_CALL_RESULT codes the dialer produces (``reference/ocs.md``)."""

    GENERAL_ERROR = 3
    BUSY = 6
    NO_ANSWER = 7
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
SWITCH_ERROR: Final = "Switch Error"
EXPIRED: Final = "Expired"
NO_IVR_NUMBER: Final = "No IVR number"

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


def decide_call_end(*, cause: str, answered: bool, bridged: bool, agent_call: bool) -> CallEnd:
    """Map a hangup to its result. An answered agent call that was never bridged was dropped."""
    if answered and agent_call and not bridged:
        return CallEnd(DROPPED, cause, ResultCode.DROPPED, answered=True, dropped_before_agent=True)
    if answered:
        return CallEnd(readable_result(cause), cause, ResultCode.ANSWER, answered=True)
    code = _UNANSWERED_CODES.get(cause, ResultCode.GENERAL_ERROR)
    return CallEnd(readable_result(cause), cause, code, answered=False)

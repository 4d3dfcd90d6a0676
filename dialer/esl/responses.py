"""Reading the switch's answers: gateway status and job results (pure functions)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class GatewayState(StrEnum):
    UP = "up"
    DOWN = "down"
    # The switch does not have this gateway: the contact can never be dialed through it.
    UNKNOWN = "unknown"
    # The switch could not say now (mod_sofia unloaded during a shutdown or reload): try again later.
    UNAVAILABLE = "unavailable"


class UnexpectedResponse(ValueError):
    """The switch answered something this code does not understand."""


def parse_gateway_status(body: str) -> GatewayState:
    """``sofia status gateway <name>``: ``Invalid Gateway!`` or a table whose ``Status`` is UP or DOWN.

    ``-ERR …`` (``-ERR sofia Command not found!`` while mod_sofia is unloaded) says nothing of the gateway.
    """
    text = body.strip()
    if text.startswith("Invalid Gateway"):
        return GatewayState.UNKNOWN
    if text.startswith("-ERR"):
        return GatewayState.UNAVAILABLE
    for line in text.splitlines():
        label, _, value = line.partition("\t")
        if label.strip() == "Status":
            return GatewayState.UP if value.strip().startswith("UP") else GatewayState.DOWN
    raise UnexpectedResponse(f"no Status line in gateway status: {text[:80]!r}")


@dataclass(frozen=True)
class JobResult:
    """What ``originate`` returned: ``+OK <uuid>`` or ``-ERR <CAUSE>``."""

    ok: bool
    value: str


def parse_job_result(body: str) -> JobResult:
    text = body.strip()
    if text.startswith("+OK"):
        return JobResult(True, text[3:].strip())
    if text.startswith("-ERR"):
        return JobResult(False, text[4:].strip() or "NORMAL_UNSPECIFIED")
    raise UnexpectedResponse(f"not a job result: {text[:80]!r}")

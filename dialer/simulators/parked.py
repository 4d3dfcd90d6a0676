"""Predictive calls in the switch simulator, as FreeSWITCH 1.10.12 played them (reference/esl.md, "Predictive calls").

An answered ``&park()`` call raises CHANNEL_ANSWER, then (about 20 ms later) its
originate answers ``+OK`` and CHANNEL_PARK follows; it waits parked until it is
transferred (to ``agent``: CHANNEL_BRIDGE, talk, hangup with a bridge epoch; to another
extension, the abandon message: a short message, then the switch hangs up), killed, or
the customer's patience runs out (``recv_bye``). A transfer sent before the originate's
own result still bridges but makes the originate report ``-ERR ORIGINATOR_CANCEL``.
``uuid_setvar_multi`` sets variables that show on the hangup event.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

PARK = "&park()"
DEAD_SETVAR = "-ERR No such channel!\n-USAGE: <uuid> <var>=<value>;<var>=<value>...\n"


@dataclass
class Parking:
    """A parked call's routing: where it was transferred to, and whether that came before its originate answered."""

    transferred: asyncio.Event = field(default_factory=asyncio.Event)
    extension: str = ""
    job_answered: bool = False
    cancelled_originate: bool = False
    parked_at: float = 0.0


def parse_setvars(args: str) -> tuple[str, dict[str, str]]:
    """``UUID a=1;b=2`` → the uuid and its variables (an unquoted ``;`` splits the list; quotes are stripped)."""
    call_id, _, assignments = args.strip().partition(" ")
    variables = {}
    for item in assignments.split(";"):
        name, _, value = item.partition("=")
        if name:
            variables[name] = value.strip("'")
    return call_id, variables


def parse_transfer(args: str) -> tuple[str, str]:
    """``UUID EXTENSION XML CONTEXT`` → (uuid, extension)."""
    parts = args.split()
    return (parts[0], parts[1]) if len(parts) >= 2 else (args.strip(), "")


async def wait_routed(parking: Parking, hangup: asyncio.Event, patience: float) -> str:
    """How a parked call leaves the park: "transferred", "killed", or "gave up" (the customer hung up)."""
    transfer = asyncio.ensure_future(parking.transferred.wait())
    killed = asyncio.ensure_future(hangup.wait())
    done, pending = await asyncio.wait({transfer, killed}, timeout=patience, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    if killed in done:
        return "killed"
    return "transferred" if transfer in done else "gave up"

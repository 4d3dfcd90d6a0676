"""What the switch simulator plays: gateways and the distribution of call outcomes."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from enum import StrEnum

# Listed by a simulator given no gateways: the one the sample and demo contacts use.
DEFAULT_GATEWAYS: frozenset[str] = frozenset({"gw1"})


class Outcome(StrEnum):
    ANSWER = "answer"
    BUSY = "busy"
    NO_ANSWER = "no_answer"


@dataclass
class Scenario:
    """Configurable behaviour; times are seconds, ranges are uniform (low, high)."""

    answer_ratio: float = 0.7
    busy_ratio: float = 0.15
    ring_seconds: tuple[float, float] = (0.5, 2.0)
    talk_seconds: tuple[float, float] = (2.0, 6.0)
    # A customer who never answers rings until originate_timeout, or this long if shorter (the network gives up).
    no_answer_seconds: float = 3.0
    # A 486 from a near peer: FreeSWITCH reported its hangup about 5 ms after the originate.
    busy_seconds: tuple[float, float] = (0.005, 0.005)
    # From the originate to the 180 Ringing (CHANNEL_PROGRESS).
    progress_seconds: float = 0.005
    # False while mod_sofia is unloaded (a shutdown or a reload): `sofia` is an unknown command and every
    # originate fails with CHAN_NOT_IMPLEMENTED.
    sofia_loaded: bool = True
    # Predictive calls: the originate's +OK comes this long after CHANNEL_ANSWER (FreeSWITCH: median 20 ms);
    # a parked customer waits for an agent this long before hanging up; the abandon message lasts this long.
    answer_to_job_seconds: float = 0.02
    patience_seconds: tuple[float, float] = (3.0, 8.0)
    abandon_message_seconds: float = 0.5
    bridge_seconds: tuple[float, float] = (0.1, 0.5)
    drop_before_agent_ratio: float = 0.05
    gateways_down: set[str] = field(default_factory=set)
    gateways_unknown: set[str] = field(default_factory=set)
    # The gateways configured on this switch (with those in gateways_down): exactly these are known, and
    # `sofia xmlstatus gateway` lists them. None keeps the simulator's first behaviour: every name is a
    # gateway (up unless down or unknown), and the list shows DEFAULT_GATEWAYS and those down.
    gateways: set[str] | None = None
    seed: int | None = None
    # FreeSWITCH's event-heartbeat-interval (switch.conf), 20 s by default.
    heartbeat_seconds: float = 20.0

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)

    def gateway_state(self, name: str) -> str:
        if name in self.gateways_unknown:
            return "unknown"
        if name in self.gateways_down:
            return "down"
        return "unknown" if self.gateways is not None and name not in self.gateways else "up"

    def configured_gateways(self) -> list[tuple[str, bool]]:
        """What `sofia xmlstatus gateway` lists: (name, up) by name, those down included, the unknown never."""
        listed = (DEFAULT_GATEWAYS if self.gateways is None else self.gateways) | self.gateways_down
        return [(name, name not in self.gateways_down) for name in sorted(listed - self.gateways_unknown)]

    def outcome(self) -> Outcome:
        roll = self.random.random()
        if roll < self.answer_ratio:
            return Outcome.ANSWER
        return Outcome.BUSY if roll < self.answer_ratio + self.busy_ratio else Outcome.NO_ANSWER

    def between(self, bounds: tuple[float, float]) -> float:
        return self.random.uniform(*bounds)

    def drops_before_agent(self) -> bool:
        return self.random.random() < self.drop_before_agent_ratio


def parse_range(text: str) -> tuple[float, float]:
    """``"1.5"`` or ``"0.5-2"`` → (low, high)."""
    low, _, high = text.partition("-")
    return float(low), float(high or low)


@dataclass(frozen=True)
class OriginateRequest:
    """An ``originate`` argument string, split as FreeSWITCH splits it."""

    variables: dict[str, str]
    gateway: str
    number: str
    destination: str


_ORIGINATE = re.compile(r"^\{(?P<vars>[^}]*)\}sofia/gateway/(?P<gw>[^/\s]+)/(?P<num>\S+)\s+(?P<dest>\S+)")


def parse_originate(args: str) -> OriginateRequest | None:
    match = _ORIGINATE.match(args.strip())
    if match is None:
        return None
    variables = {}
    for item in match["vars"].split(","):
        name, _, value = item.partition("=")
        variables[name] = value.strip("'")  # FreeSWITCH's argument parser strips the quotes
    return OriginateRequest(variables, match["gw"], match["num"], match["dest"])

"""Predictive pacing (SPEC 5b): a seeded discrete-event simulation of one campaign and its agents, per cell of
agents x hit ratio x mean handle time, under three policies that see the same random draws.

* **progressive**: one call per ready agent, less the calls in flight. Never abandons; the baseline.
* **adaptive**: VICIdial's adaptive method (``ADAPT_HARD_LIMIT``). Every 15 s the dial level moves by the
  mean differential of the interval (ready agents - answered calls waiting, per logged-in agent) x ``_GAIN``
  while the drop rate of the window is under 3 %, and falls back to 1.0 once it is not; the level is kept
  within [1, 3] (VICIdial's default ``adaptive_maximum_level``). It places level x active agents (ready or
  talking: an agent in wrap-up is in VICIdial's dispo screen, not counted) - (calls ringing + waiting +
  agents talking), VICIdial's count when ``available_only_ratio_tally`` is off; at level 1 it is progressive.
* **outbound**: ``dialer.pacing.calls_to_place``, the function the dial cycle calls, once a simulated second
  (the cycle's ``DIALER_POLL_INTERVAL``).

The world: a call is answered with the hit ratio after a ring uniform in 3-20 s, else gives up at 25 s. An
answered call takes a ready agent at once; otherwise it waits, and is dropped when the customer's patience
(exponential, mean 3 s) runs out first, or abandoned at ``ABANDON_TIMEOUT`` (2 s). Talk time is lognormal
(80 % of the handle time, coefficient of variation 0.66), wrap-up uniform in 0.5-1.5 x its mean (20 %) — on
purpose not the Erlang-2 the pacing model assumes. Every agent is logged in for the whole run. History (hit
ratio, times, overdial, busy factor) is taken over the last hour, shorter than production's day so that the
worst rolling hour is what the policies see.
"""

from __future__ import annotations

import heapq
import math
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.table import print_table
from dialer.pacing import History, PacingInput, calls_to_place

HOURS = 4.0
"""Simulated hours per cell and policy."""
AGENTS = (5, 20, 50)
HIT_RATIOS = (0.15, 0.35, 0.6)
HANDLE_SECONDS = (60.0, 180.0)
HEADLINE = (20, 0.35, 120.0)
"""The issue's cell: 20 agents, hit ratio 0.35, 120 s handle time."""
POLICIES = ("progressive", "adaptive", "outbound")
SEED = 5

ABANDON_TIMEOUT = 2.0
ABANDON_RATE_LIMIT = 0.03
RING_TIMEOUT = 25.0
RING_MIN, RING_MAX = 3.0, 20.0
PATIENCE_MEAN = 3.0
TALK_SHARE = 0.8
TALK_SIGMA = 0.6
WINDOW = 3600.0
MAX_DIAL_RATIO = 3.0
ADAPT_INTERVAL = 15
_GAIN = 0.5

_TICK, _FREE, _ANSWER, _NO_ANSWER, _GIVE_UP = range(5)


@dataclass(frozen=True, slots=True)
class Result:
    busy_factor: float
    overdial: float
    worst_hour: float
    mean_wait: float
    """Seconds an agent waits, on average, between the end of one call and the start of the next."""
    calls_per_agent_hour: float


@dataclass(slots=True)
class _Call:
    answers: bool
    ring: float
    patience: float
    talk: float
    wrap: float
    placed: float = 0.0
    waiting: bool = False


@dataclass(slots=True)
class _Agent:
    talk_start: float = 0.0
    talk_end: float = 0.0


class _Window:
    """Sums of (time, values…) entries over the last ``WINDOW`` seconds."""

    def __init__(self, width: int) -> None:
        self.entries: deque[tuple[float, tuple[float, ...]]] = deque()
        self.sums = [0.0] * width

    def add(self, now: float, *values: float) -> None:
        self.entries.append((now, values))
        for i, v in enumerate(values):
            self.sums[i] += v

    def expire(self, now: float) -> None:
        while self.entries and self.entries[0][0] < now - WINDOW:
            for i, v in enumerate(self.entries.popleft()[1]):
                self.sums[i] -= v


@dataclass
class _Sim:
    agents: int
    hit_ratio: float
    handle: float
    end: float
    rng: random.Random
    now: float = 0.0
    events: list[tuple[float, int, int, int]] = field(default_factory=list)
    seq: int = 0
    calls: dict[int, _Call] = field(default_factory=dict)
    ringing: dict[int, _Call] = field(default_factory=dict)
    waiting: deque[int] = field(default_factory=deque)
    ready: list[int] = field(default_factory=list)
    busy: dict[int, _Agent] = field(default_factory=dict)
    serving: dict[int, _Call] = field(default_factory=dict)
    """The call each busy agent handles, for its talk and wrap-up times once it ends."""
    busy_seconds: float = 0.0
    connected: int = 0
    answers: int = 0
    overdials: int = 0
    minute_answers: list[int] = field(default_factory=list)
    minute_overdials: list[int] = field(default_factory=list)
    outcomes: _Window = field(default_factory=lambda: _Window(4))
    """Per resolved call: 1, live answer (0/1), ring time if answered, overdial (0/1)."""
    handles: _Window = field(default_factory=lambda: _Window(3))
    """Per finished call: 1, talk, wrap-up."""

    def __post_init__(self) -> None:
        self.ready = list(range(self.agents))
        minutes = math.ceil(self.end / 60) + 1
        self.minute_answers = [0] * minutes
        self.minute_overdials = [0] * minutes

    def schedule(self, at: float, kind: int, ident: int) -> None:
        self.seq += 1
        heapq.heappush(self.events, (at, self.seq, kind, ident))

    def place(self, count: int) -> None:
        talk_mean = TALK_SHARE * self.handle
        wrap_mean = (1 - TALK_SHARE) * self.handle
        mu = math.log(talk_mean) - TALK_SIGMA**2 / 2
        for _ in range(count):
            # Five draws per call whatever happens to it: call k is the same call under every policy.
            r = self.rng
            call = _Call(
                answers=r.random() < self.hit_ratio,
                ring=r.uniform(RING_MIN, RING_MAX),
                patience=r.expovariate(1 / PATIENCE_MEAN),
                talk=r.lognormvariate(mu, TALK_SIGMA),
                wrap=r.uniform(0.5, 1.5) * wrap_mean,
                placed=self.now,
            )
            self.seq += 1
            self.calls[self.seq] = self.ringing[self.seq] = call
            if call.answers:
                self.schedule(self.now + call.ring, _ANSWER, self.seq)
            else:
                self.schedule(self.now + RING_TIMEOUT, _NO_ANSWER, self.seq)

    def connect(self, agent: int, call: _Call) -> None:
        self.connected += 1
        self.busy[agent] = _Agent(self.now, self.now + call.talk)
        free = self.now + call.talk + call.wrap
        self.busy_seconds += min(free, self.end) - self.now
        self.serving[agent] = call
        self.schedule(free, _FREE, agent)

    def overdial(self, call: _Call) -> None:
        call.waiting = False
        self.overdials += 1
        self.minute_overdials[int(self.now // 60)] += 1
        self.outcomes.add(self.now, 0, 0, 0, 1)

    def handle_event(self, kind: int, ident: int) -> None:
        if kind == _ANSWER:
            call = self.ringing.pop(ident)
            self.answers += 1
            self.minute_answers[int(self.now // 60)] += 1
            self.outcomes.add(self.now, 1, 1, call.ring, 0)
            if self.ready:
                self.connect(self.ready.pop(), call)
                del self.calls[ident]
            else:
                call.waiting = True
                self.waiting.append(ident)
                self.schedule(self.now + min(call.patience, ABANDON_TIMEOUT), _GIVE_UP, ident)
        elif kind == _NO_ANSWER:
            del self.ringing[ident]
            del self.calls[ident]
            self.outcomes.add(self.now, 1, 0, 0, 0)
        elif kind == _GIVE_UP:
            call = self.calls.pop(ident)
            if call.waiting:
                self.overdial(call)
        elif kind == _FREE:
            done = self.serving.pop(ident)
            self.handles.add(self.now, 1, done.talk, done.wrap)
            del self.busy[ident]
            while self.waiting:
                waiting = self.calls.get(self.waiting.popleft())
                if waiting is not None and waiting.waiting:
                    waiting.waiting = False
                    self.connect(ident, waiting)
                    return
            self.ready.append(ident)

    def waiting_count(self) -> int:
        return sum(1 for i in self.waiting if (c := self.calls.get(i)) is not None and c.waiting)

    def talking_count(self) -> int:
        return sum(1 for a in self.busy.values() if self.now < a.talk_end)

    def history(self) -> History:
        self.outcomes.expire(self.now)
        self.handles.expire(self.now)
        resolved, answers, ring, overdials = self.outcomes.sums
        finished, talk, wrap = self.handles.sums
        answers = round(answers)
        span = min(self.now, WINDOW) or 1.0
        return History(
            live_answers=answers,
            hit_ratio=answers / resolved if resolved >= 1 else 0.0,
            mean_answer_seconds=ring / answers if answers else 0.0,
            mean_talk_seconds=talk / finished if finished >= 1 else 0.0,
            mean_wrapup_seconds=wrap / finished if finished >= 1 else 0.0,
            overdial_rate=overdials / answers if answers else 0.0,
            busy_factor=(talk + wrap) / (self.agents * span),
        )

    def pacing_input(self) -> PacingInput:
        talking, wrapping = [], []
        for a in self.busy.values():
            if self.now < a.talk_end:
                talking.append(self.now - a.talk_start)
            else:
                wrapping.append(self.now - a.talk_end)
        return PacingInput(
            ready_agents=len(self.ready),
            talking=talking,
            wrapping_up=wrapping,
            ringing=[self.now - c.placed for c in self.ringing.values()],
            waiting_calls=self.waiting_count(),
            history=self.history(),
            free_slots=10_000,
            throttle_budget=10_000,
            max_dial_ratio=MAX_DIAL_RATIO,
            abandon_rate_limit=ABANDON_RATE_LIMIT,
            abandon_timeout=ABANDON_TIMEOUT,
        )


Policy = Callable[[_Sim], int]


def _progressive(sim: _Sim) -> int:
    return max(0, len(sim.ready) - len(sim.ringing) - sim.waiting_count())


def _outbound(sim: _Sim) -> int:
    return calls_to_place(sim.pacing_input())


class _Adaptive:
    """VICIdial's adaptive dial level (see the module docstring); it keeps state between ticks, as VICIdial does."""

    def __init__(self) -> None:
        self.level = 1.0
        self.differential = 0.0
        self.ticks = 0

    def __call__(self, sim: _Sim) -> int:
        waiting = sim.waiting_count()
        self.differential += (len(sim.ready) - waiting) / sim.agents
        self.ticks += 1
        if self.ticks == ADAPT_INTERVAL:
            history = sim.history()
            if history.live_answers and history.overdial_rate >= ABANDON_RATE_LIMIT:
                self.level = 1.0
            else:
                self.level = min(MAX_DIAL_RATIO, max(1.0, self.level + _GAIN * self.differential / self.ticks))
            self.differential, self.ticks = 0.0, 0
        in_flight = len(sim.ringing) + waiting
        ceiling = math.floor(MAX_DIAL_RATIO * sim.agents) - in_flight
        talking = sim.talking_count()
        active = len(sim.ready) + talking
        return max(0, min(ceiling, math.floor(self.level * active) - in_flight - talking))


def simulate(policy: str, agents: int, hit_ratio: float, handle_seconds: float, hours: float, seed: int) -> Result:
    """Run one policy on one cell; the same arguments give the same result, and every policy the same calls."""
    rng = random.Random(f"{seed}-{agents}-{hit_ratio}-{handle_seconds}")
    sim = _Sim(agents, hit_ratio, handle_seconds, hours * 3600.0, rng)
    policies: dict[str, Policy] = {"progressive": _progressive, "adaptive": _Adaptive(), "outbound": _outbound}
    decide = policies[policy]
    sim.schedule(0.0, _TICK, 0)
    while sim.events:
        at, _, kind, ident = heapq.heappop(sim.events)
        if at >= sim.end:
            break
        sim.now = at
        if kind == _TICK:
            sim.place(decide(sim))
            sim.schedule(at + 1.0, _TICK, 0)
        else:
            sim.handle_event(kind, ident)
    logged_in = agents * sim.end
    return Result(
        busy_factor=sim.busy_seconds / logged_in,
        overdial=sim.overdials / sim.answers if sim.answers else 0.0,
        worst_hour=_worst_hour(sim.minute_answers, sim.minute_overdials),
        mean_wait=(logged_in - sim.busy_seconds) / sim.connected if sim.connected else math.inf,
        calls_per_agent_hour=sim.connected / (agents * hours),
    )


def _worst_hour(answers: list[int], overdials: list[int]) -> float:
    """The highest overdial rate over any 60 consecutive minutes (the whole run when it is shorter)."""
    span = min(60, len(answers))
    worst = 0.0
    for start in range(len(answers) - span + 1):
        a = sum(answers[start : start + span])
        if a:
            worst = max(worst, sum(overdials[start : start + span]) / a)
    return worst


def run() -> None:
    cells = [(a, h, t) for a in AGENTS for h in HIT_RATIOS for t in HANDLE_SECONDS] + [HEADLINE]
    rows: list[list[object]] = []
    results: dict[str, list[tuple[tuple[int, float, float], Result]]] = {p: [] for p in POLICIES}
    started = time.perf_counter()
    for cell in cells:
        for policy in POLICIES:
            result = simulate(policy, *cell, hours=HOURS, seed=SEED)
            results[policy].append((cell, result))
            rows.append(
                [
                    cell[0],
                    f"{cell[1]:.2f}",
                    f"{cell[2]:.0f}" + (" *" if cell == HEADLINE else ""),
                    policy,
                    f"{result.busy_factor:.3f}",
                    f"{result.overdial:.2%}",
                    f"{result.worst_hour:.2%}",
                    f"{result.mean_wait:.1f}",
                    f"{result.calls_per_agent_hour:.1f}",
                ]
            )
    print_table(
        f"Predictive pacing: {HOURS:g} simulated hours per cell and policy, seed {SEED}, "
        f"{time.perf_counter() - started:.0f} s (* the issue's headline cell)",
        ["agents", "hit", "handle s", "policy", "busy", "overdial", "worst hour", "wait s", "calls/agent h"],
        rows,
    )
    for policy in POLICIES:
        low = min(results[policy], key=lambda r: r[1].busy_factor)
        high = max(results[policy], key=lambda r: r[1].overdial)
        print(
            f"{policy}: lowest busy factor {low[1].busy_factor:.3f} ({_cell(low[0])}), "
            f"highest overdial {high[1].overdial:.2%} ({_cell(high[0])})"
        )


def _cell(cell: tuple[int, float, float]) -> str:
    return f"{cell[0]} agents / {cell[1]:.2f} / {cell[2]:.0f} s"

"""The predictive pacing decision of SPEC 5b: how many calls a campaign places now, as a pure function.

The model. A call placed now is answered, if at all, some seconds from now; it needs an agent free by then
(plus ``ABANDON_TIMEOUT``, the time an answered customer may wait). So at a few horizons τ across the ring
window the decision compares two random counts:

* **agents free by τ + timeout**: the ready agents, plus each busy agent with the probability that it
  finishes by then given how long it has been in its state. Talk and wrap-up times are modelled as
  Erlang-2 with the campaign's means: unlike an exponential, an Erlang-2 remembers elapsed time (an agent
  two minutes into a call is likelier to end soon than one who just started), and its survival
  ``e^(-λt)(1 + λt)`` conditions in closed form. A talking agent still has a wrap-up ahead, taken at its mean.
* **answers by τ**: the calls already answered and waiting for an agent, each ringing call with its chance of
  being answered by τ given that it has rung unanswered so far (answer times taken as uniform over twice the
  mean time to answer, so a call that has rung long is less likely to be answered at all), and the new
  calls, each answered by τ with probability hit ratio x P(answer time ≤ τ).

Both are sums of independent Bernoullis, so their difference is close to normal and the expected
shortfall E[(answers - agents)⁺] — the expected abandoned calls — has a closed form. The decision dials the
largest number of calls for which, at every horizon, expected shortfall ÷ expected answers stays within a
risk budget. Several horizons, rather than one at the mean time to answer, because answers and agents must
meet in time order: enough agents free by 20 s do not help a call answered at 4 s.

The risk budget is where feedback comes in. The model is approximate (it meets answers and agents per
horizon, not in exact time order; customers hang up within the timeout; real talk times are not Erlang), and
measured against the benchmark it under-counts abandons 2-7x. So the budget is the overdial set-point scaled
down by ``_CALIBRATION``, then multiplied by e^(gain x (1 - window overdial / set-point)): steep, so that
whatever the model's error the overdial the campaign shows in its window is pulled back to the set-point.
The set-point is the goal, but never more than ``_HEADROOM`` of the hard cap, so that the noise of a window
does not trip the cap and flip the campaign to progressive dialing. With ``optimize_by`` BUSY_FACTOR the
budget is further scaled by how far the busy factor is below its goal: a campaign at its goal spends less.

Why not a dial level adjusted by a controller (VICIdial's adaptive method): a level reacts to abandons
after they happen, and one number per campaign cannot tell a queue whose agents are all early in long calls
from one whose agents are all about to finish. This decision reads that from the agent states each cycle.

Rules that override the model (SPEC 5b): never more than the free slots, the throttle budget, or
``max_dial_ratio`` x logged-in agents minus the calls in flight; progressive (one call per ready agent,
less the calls in flight) with fewer than ``MIN_HISTORY`` live answers in the window, or once the overdial
rate has reached the hard cap; nothing for a queue with no known agents. The progressive count is also the
floor of predictive dialing: those calls can never be abandoned.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from campaigns.choices import OptimizeBy

MIN_HISTORY = 20
"""Live answers in the window below which the history is too thin to dial ahead of agents."""

_HEADROOM = 0.8
"""Share of the hard cap aimed at, at most: the rest absorbs the noise of the window."""

_HORIZONS = 4
"""Horizons across the ring window (0.5, 1, 1.5 and 2 x the mean time to answer)."""

_CALIBRATION = 0.25
"""Scales the set-point to the model's under-count of abandons (see the module docstring)."""

_FEEDBACK_GAIN = 3.0
"""How hard the window's overdial pulls the budget: at the set-point x1, 25 % over it x0.47."""

_FEEDBACK_MAX = 4.0
"""Cap on the feedback's multiplier, so that a clean window (early in the day) does not license a burst."""

_EVIDENCE_ANSWERS = 200
"""Live answers in the window by which that cap is fully open; it opens linearly from 1 (no bonus) at none."""


@dataclass(frozen=True, slots=True)
class History:
    """The campaign's outcomes over its window (``ABANDON_WINDOW``)."""

    live_answers: int
    hit_ratio: float
    """Live answers ÷ calls placed whose outcome is known."""
    mean_answer_seconds: float
    """Mean ring time of the answered calls."""
    mean_talk_seconds: float
    mean_wrapup_seconds: float
    """Talk plus wrap-up is the handle time; kept apart because agent states report them apart."""
    overdial_rate: float
    """(Abandoned + dropped) ÷ live answers."""
    busy_factor: float
    """(Talking + wrap-up time) ÷ logged-in time of the queue's agents."""


@dataclass(frozen=True, slots=True)
class PacingInput:
    """What one cycle knows about one predictive campaign and its queue."""

    ready_agents: int
    talking: Sequence[float]
    """Seconds each talking agent has been talking."""
    wrapping_up: Sequence[float]
    """Seconds each agent in wrap-up has been in it."""
    ringing: Sequence[float]
    """Seconds each call placed and not yet answered has been ringing."""
    waiting_calls: int
    """Calls answered and not yet connected to an agent."""
    history: History
    free_slots: int
    throttle_budget: int
    optimize_by: OptimizeBy = OptimizeBy.OVERDIAL_RATE
    optimize_goal: float = 0.03
    max_dial_ratio: float = 3.0
    abandon_rate_limit: float = 0.03
    abandon_timeout: float = 2.0

    @property
    def in_flight(self) -> int:
        return len(self.ringing) + self.waiting_calls

    @property
    def dial_level(self) -> float | None:
        """Calls in flight per ready agent; unknown without a ready agent."""
        return self.in_flight / self.ready_agents if self.ready_agents else None

    @property
    def logged_in(self) -> int:
        return self.ready_agents + len(self.talking) + len(self.wrapping_up)


class Mode(StrEnum):
    """Why a campaign is, or is not, dialed ahead of its agents now: the rules that override the model."""

    NO_AGENTS = "no agents known"
    THIN_HISTORY = "progressive until enough live answers"
    AT_CAP = "at the abandon cap: progressive"
    NO_ANSWER_TIMES = "progressive: no answer times yet"
    PREDICTIVE = "predictive"


def mode(p: PacingInput) -> Mode:
    """Which rule decides this campaign's calls now (the model only in ``Mode.PREDICTIVE``)."""
    h = p.history
    if p.logged_in == 0:
        return Mode.NO_AGENTS
    if h.live_answers < MIN_HISTORY:
        return Mode.THIN_HISTORY
    if h.overdial_rate >= p.abandon_rate_limit:
        return Mode.AT_CAP
    if not 0 < h.hit_ratio <= 1 or h.mean_answer_seconds <= 0:
        return Mode.NO_ANSWER_TIMES
    return Mode.PREDICTIVE


def calls_to_place(p: PacingInput) -> int:
    """How many calls the campaign should place now (see the module docstring)."""
    how = mode(p)
    if how is Mode.NO_AGENTS:
        return 0
    # A campaign new to dialing ahead ramps up: calls in flight per agent may grow from one (progressive) to
    # max_dial_ratio as the window's answers grow, so that estimates from its first few dozen answers cannot
    # send a burst (measured end to end: the first predictive decisions overshot into a cluster of abandons).
    ratio = 1.0 + (p.max_dial_ratio - 1.0) * min(1.0, p.history.live_answers / _EVIDENCE_ANSWERS)
    ceiling = min(p.free_slots, p.throttle_budget, math.floor(ratio * p.logged_in) - p.in_flight)
    if ceiling <= 0:
        return 0
    progressive = min(ceiling, max(0, p.ready_agents - p.in_flight))
    if how is not Mode.PREDICTIVE:
        return progressive
    risk = _risk_budget(p)
    if risk <= 0:
        return progressive
    horizons = [_Horizon.at(p, (k + 1) / _HORIZONS) for k in range(_HORIZONS)]
    calls = progressive
    while calls < ceiling and all(horizon.within(calls + 1, risk) for horizon in horizons):
        calls += 1
    return calls


def _risk_budget(p: PacingInput) -> float:
    """Abandons allowed per expected answer in this decision: the set-point, corrected by what the window shows."""
    cap = _HEADROOM * p.abandon_rate_limit
    setpoint = min(p.optimize_goal, cap) if p.optimize_by == OptimizeBy.OVERDIAL_RATE else cap
    if setpoint <= 0:
        return 0.0
    gap = 1.0 - p.history.overdial_rate / setpoint
    # A clean window licenses more only as far as it holds evidence: a few dozen answers without an abandon
    # say little, and an early overshoot holds the window's rate up for the rest of it.
    ceiling = 1.0 + (_FEEDBACK_MAX - 1.0) * min(1.0, p.history.live_answers / _EVIDENCE_ANSWERS)
    budget = _CALIBRATION * setpoint * min(ceiling, math.exp(_FEEDBACK_GAIN * gap))
    if p.optimize_by == OptimizeBy.BUSY_FACTOR:
        # At the goal, half the budget; 5 points below it, all of it; 9 points above it, a twentieth.
        budget *= min(1.0, max(0.05, 0.5 + 10.0 * (p.optimize_goal - p.history.busy_factor)))
    return budget


@dataclass(frozen=True, slots=True)
class _Horizon:
    """Agents free and answers expected by one horizon, without the new calls; and a new call's answer chance."""

    agents_mean: float
    answers_mean: float
    variance: float
    new_answer: float

    @classmethod
    def at(cls, p: PacingInput, share: float) -> _Horizon:
        h = p.history
        span = 2.0 * h.mean_answer_seconds
        tau = share * span
        reach = tau + p.abandon_timeout
        agents_mean, variance = float(p.ready_agents), 0.0
        talk, wrap = _Erlang2(h.mean_talk_seconds), _Erlang2(h.mean_wrapup_seconds)
        for elapsed in p.wrapping_up:
            q = wrap.ends_within(elapsed, reach)
            agents_mean += q
            variance += q * (1.0 - q)
        if reach > h.mean_wrapup_seconds:
            for elapsed in p.talking:
                q = talk.ends_within(elapsed, reach - h.mean_wrapup_seconds)
                agents_mean += q
                variance += q * (1.0 - q)
        answers_mean = float(p.waiting_calls)
        for rung in p.ringing:
            if rung < span:
                q = h.hit_ratio * (min(rung + tau, span) - rung) / (span - h.hit_ratio * rung)
                answers_mean += q
                variance += q * (1.0 - q)
        return cls(agents_mean, answers_mean, variance, h.hit_ratio * share)

    def within(self, calls: int, risk: float) -> bool:
        """Whether ``calls`` new calls keep expected abandons within ``risk`` x expected answers here."""
        answers = self.answers_mean + calls * self.new_answer
        variance = self.variance + calls * self.new_answer * (1.0 - self.new_answer)
        return _expected_excess(answers - self.agents_mean, variance) <= risk * answers


@dataclass(frozen=True, slots=True)
class _Erlang2:
    """An Erlang-2 duration with the given mean: survival e^(-λt)(1 + λt), λ = 2 / mean."""

    mean: float

    def ends_within(self, elapsed: float, seconds: float) -> float:
        """P(it ends within ``seconds`` | it has lasted ``elapsed``)."""
        if self.mean <= 0:
            return 1.0
        rate = 2.0 / self.mean
        lasted = 1.0 + rate * elapsed
        return 1.0 - math.exp(-rate * seconds) * (lasted + rate * seconds) / lasted


def _expected_excess(mean: float, variance: float) -> float:
    """E[max(X, 0)] for X normal with this mean and variance."""
    if variance <= 0:
        return max(mean, 0.0)
    sd = math.sqrt(variance)
    z = mean / sd
    return mean * 0.5 * math.erfc(-z / math.sqrt(2.0)) + sd * math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)

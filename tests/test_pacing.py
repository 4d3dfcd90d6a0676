"""The pacing decision's bounds and fallbacks (SPEC 5b), as properties; and the pacing benchmark's simulation."""

from __future__ import annotations

import math
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from bench.pacing import simulate
from campaigns.choices import OptimizeBy
from dialer.pacing import MIN_HISTORY, History, PacingInput, calls_to_place

seconds = st.floats(min_value=0, max_value=600, allow_nan=False)
rates = st.floats(min_value=0, max_value=1, allow_nan=False)


@st.composite
def histories(draw: st.DrawFn, live_answers: st.SearchStrategy[int] | None = None) -> History:
    return History(
        live_answers=draw(st.integers(0, 5000) if live_answers is None else live_answers),
        hit_ratio=draw(rates),
        mean_answer_seconds=draw(st.floats(min_value=0, max_value=60, allow_nan=False)),
        mean_talk_seconds=draw(seconds),
        mean_wrapup_seconds=draw(seconds),
        overdial_rate=draw(st.floats(min_value=0, max_value=0.2, allow_nan=False)),
        busy_factor=draw(rates),
    )


@st.composite
def inputs(draw: st.DrawFn, history: st.SearchStrategy[History] | None = None) -> PacingInput:
    return PacingInput(
        ready_agents=draw(st.integers(0, 60)),
        talking=draw(st.lists(seconds, max_size=60)),
        wrapping_up=draw(st.lists(seconds, max_size=30)),
        ringing=draw(st.lists(st.floats(min_value=0, max_value=30, allow_nan=False), max_size=150)),
        waiting_calls=draw(st.integers(0, 10)),
        history=draw(histories() if history is None else history),
        free_slots=draw(st.integers(0, 500)),
        throttle_budget=draw(st.integers(0, 500)),
        optimize_by=draw(st.sampled_from(OptimizeBy)),
        optimize_goal=draw(st.sampled_from([0.01, 0.03, 0.05, 0.85, 0.95])),
        max_dial_ratio=draw(st.floats(min_value=1, max_value=5, allow_nan=False)),
        abandon_rate_limit=draw(st.floats(min_value=0.005, max_value=0.1, allow_nan=False)),
    )


def progressive(p: PacingInput) -> int:
    return max(0, min(p.ready_agents - p.in_flight, p.free_slots, p.throttle_budget))


@given(inputs())
def test_never_more_than_the_slots_the_throttle_or_the_dial_ratio(p):
    calls = calls_to_place(p)
    assert 0 <= calls <= min(p.free_slots, p.throttle_budget)
    assert calls <= max(0, math.floor(p.max_dial_ratio * p.logged_in) - p.in_flight)


@given(inputs())
def test_never_ahead_of_agents_once_the_cap_is_reached(p):
    capped = replace(p, abandon_rate_limit=p.history.overdial_rate)
    assert calls_to_place(capped) <= max(0, p.ready_agents - p.in_flight)


@given(inputs(histories(st.integers(0, MIN_HISTORY - 1))))
def test_progressive_with_too_little_history(p):
    assert calls_to_place(p) == min(progressive(p), max(0, math.floor(p.max_dial_ratio * p.logged_in) - p.in_flight))


@given(inputs())
def test_nothing_for_a_queue_with_no_known_agents(p):
    assert calls_to_place(replace(p, ready_agents=0, talking=[], wrapping_up=[])) == 0


@given(inputs())
def test_at_least_progressive(p):
    """A call per ready agent can never be abandoned, so dialing ahead never dials fewer."""
    assert calls_to_place(p) >= min(progressive(p), max(0, math.floor(p.max_dial_ratio * p.logged_in) - p.in_flight))


def test_dials_ahead_of_busy_agents_with_history():
    history = History(
        live_answers=500,
        hit_ratio=0.35,
        mean_answer_seconds=11.5,
        mean_talk_seconds=96,
        mean_wrapup_seconds=24,
        overdial_rate=0.01,
        busy_factor=0.8,
    )
    p = PacingInput(
        ready_agents=0,
        talking=[100.0] * 10,
        wrapping_up=[20.0] * 20,
        ringing=[],
        waiting_calls=0,
        history=history,
        free_slots=100,
        throttle_budget=100,
    )
    assert calls_to_place(p) > 0


def test_the_simulation_is_deterministic_and_outbound_stays_under_the_cap():
    first = simulate("outbound", 20, 0.35, 120.0, hours=2, seed=7)
    assert simulate("outbound", 20, 0.35, 120.0, hours=2, seed=7) == first
    assert first.overdial <= 0.03
    assert first.busy_factor > simulate("progressive", 20, 0.35, 120.0, hours=2, seed=7).busy_factor

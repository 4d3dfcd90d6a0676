"""The voice connector simulator reports its agents' states to the dialer (section 5b), over real HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from dialer.simulators.voice_connector import VoiceConnectorSimulator
from tests.conftest import wait_until
from tests.fakes.http_receiver import HttpReceiver

STATES = "api/v1/voice-connector/agent-states"


@pytest.fixture
def dialer() -> Iterator[HttpReceiver]:
    """The dialer's API as the simulator sees it: a real HTTP server that records what it is sent."""
    receiver = HttpReceiver().start()
    yield receiver
    receiver.stop()


def reported(dialer: HttpReceiver) -> list[tuple[str, str]]:
    return [(s["agent_extension"], s["state"]) for body in dialer.bodies(STATES) for s in body]


def states_of(dialer: HttpReceiver, agent: str) -> list[str]:
    """The agent's states as reported, repeats of the full reports dropped."""
    states: list[str] = []
    for extension, state in reported(dialer):
        if extension == agent and (not states or states[-1] != state):
            states.append(state)
    return states


def test_agents_report_ready_talking_wrapup_and_ready_again_and_are_resent(dialer):
    simulator = VoiceConnectorSimulator(
        dialer_url=dialer.url, token="t", agents=2, answer_delay=(0.0, 0.0), handling=(0.2, 0.2),
        states_queue="Sales", states_every=0.3, seed=1,
    )  # fmt: skip
    simulator.start()
    try:
        wait_until(lambda: reported(dialer)[:2] == [("1001", "ready"), ("1002", "ready")], what="the first states")
        simulator.receive("agent-requests", {"id": "c-1", "resource_id": "8001", "queue_name": "Sales"})
        wait_until(lambda: ("1001", "talking") in reported(dialer), what="the reserved agent")
        simulator.receive("call-results", {"id": "c-1"})
        wait_until(lambda: ("1001", "wrapup") in reported(dialer), what="its wrap-up")
        wait_until(lambda: states_of(dialer, "1001")[-1] == "ready", what="ready again after the handling time")
        time.sleep(0.4)  # a full report comes every states_every seconds
    finally:
        simulator.stop()
    assert states_of(dialer, "1001")[:4] == ["ready", "talking", "wrapup", "ready"]
    bodies = dialer.bodies(STATES)
    assert any(len(body) == 2 for body in bodies[2:])  # every agent's state re-sent, with its original time
    first_ready = bodies[0][0]["occurred_at"]
    assert all(s["queue_name"] == "Sales" for body in bodies for s in body)
    assert first_ready.endswith("+00:00")


def test_without_a_states_queue_no_state_is_reported(dialer):
    simulator = VoiceConnectorSimulator(dialer_url=dialer.url, token="t", agents=2, states_every=0.1)
    simulator.start()
    time.sleep(0.3)
    simulator.stop()
    assert dialer.bodies(STATES) == []

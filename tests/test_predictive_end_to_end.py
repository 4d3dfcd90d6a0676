"""A predictive campaign of 20 simulated agents through the production processes and both simulators over TCP.

Everything judged is measured at the simulated switch, not by the product's own counters: the overdial rate is
the share of answered calls never transferred to an agent; the agents' talk share is the time they spent
connected to a customer (from the transfer, or the answer of an agent call, to the hangup) over their time in
the measured window — the busy factor with wrap-up left out, which the switch cannot see. The same campaign is
run progressively on identical simulators for comparison.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from campaigns.control import stop_campaign
from campaigns.models import Campaign, Contact
from tests.conftest import add_contacts
from tests.e2e_harness import Deployment
from tests.switch_harness import switch_record
from tests.test_end_to_end import assert_switch_saw_one_originate_per_dialed_contact

pytestmark = pytest.mark.slow
AGENTS = 20
# Answer ratio 0.35 (and 10 % busy), rings of 3-10 s, no answer after 12 s; 2-14 s of talk once connected (talk
# times vary widely, as real ones do); customers wait 3-8 s for an agent. Agents wrap up for 1-3 s. Short calls,
# so that two minutes and a half hold a couple of hundred answers.
SWITCH = ["--answer-ratio", "0.35", "--busy-ratio", "0.1", "--ring", "3-10", "--no-answer-after", "12",
          "--talk", "2-14", "--patience", "3-8", "--drop-before-agent", "0", "--seed", "11"]  # fmt: skip
VOICE_CONNECTOR = ("--agents", str(AGENTS), "--handling", "1-3", "--states-queue", "Sales_Queue",
                   "--states-every", "10")  # fmt: skip
RUN_SECONDS = 150.0
# The campaign aims at 1 % abandons. A run measures a couple of hundred answers, where the 3 % cap is a handful of
# abandons: a campaign aiming at the default 2.4 % set-point would cross it by chance one run in a few, which says
# nothing of the pacing (the pacing benchmark shows the default goal held over hours).
GOAL = 0.01
# Calls last up to half a minute here: the harness's 8 s stale timeout (made for sub-second calls) would end them.
ENV = {"STALE_CALL_TIMEOUT": "300", "AGENT_RESERVATION_TIMEOUT": "30"}
WARM_UP_SECONDS = 20.0  # the first 20 live answers are dialed progressively, as section 5b says


def load(mode: str, count: int = 900) -> str:
    """A campaign of ``count`` agent contacts dialed in ``mode`` on the agents' queue; returns its id."""
    campaign_id = f"sales-{mode.lower()}"
    agent = {"campaign_type": "AGENT", "dialing_mode": mode, "routing_mode": "QUEUE", "resource_id": "sales",
             "queue_name": "Sales_Queue"}  # fmt: skip
    add_contacts(count, campaign_id, **agent)
    Campaign.objects.filter(campaign_id=campaign_id).update(
        dialing_mode=mode, caller_id="+4930123456", queue_name="Sales_Queue", optimize_goal=GOAL
    )
    return campaign_id


def run(deployment: Deployment, campaign_id: str, seconds: float) -> tuple[float, float]:
    """Start, dial for ``seconds``, stop the campaign and let the calls end; returns the measured window."""
    deployment.start()
    started = time.time()
    time.sleep(seconds)
    stop_campaign(campaign_id)
    stopped = time.time()
    wait_for_calls_to_end(timeout=90)
    return started + WARM_UP_SECONDS, stopped


def wait_for_calls_to_end(timeout: float) -> None:
    """The stopped campaign's calls in progress end; none stays dialed or waiting for its agent."""
    deadline = time.monotonic() + timeout
    while Contact.objects.filter(status__in=("dialed", "agent_pending")).exists():
        assert time.monotonic() < deadline, f"calls still in progress after {timeout}s"
        time.sleep(0.5)


def overdial_at_the_switch(record: list[dict[str, Any]]) -> tuple[float, int]:
    """Answered predictive calls never transferred to an agent ÷ answered predictive calls, and that count."""
    parked = {e["call_id"] for e in record if e["event"] == "originate" and e["destination"] == "&park()"}
    answered = {e["call_id"] for e in record if e["event"] == "answer"} & parked
    connected = {e["call_id"] for e in record if e["event"] == "transfer" and e["extension"] == "agent"}
    return len(answered - connected) / len(answered), len(answered)


def talk_share(record: list[dict[str, Any]], *, since: float, until: float) -> float:
    """The agents' time connected to a customer within [since, until) ÷ their time in it."""
    agent_calls = {e["call_id"] for e in record if e["event"] == "originate" and e["destination"] == "agent"}
    connected = {e["call_id"]: e["time"] for e in record if e["event"] == "transfer" and e["extension"] == "agent"}
    connected |= {e["call_id"]: e["time"] for e in record if e["event"] == "answer" and e["call_id"] in agent_calls}
    hangups = {e["call_id"]: e["time"] for e in record if e["event"] == "hangup"}
    talk = sum(max(0.0, min(hangups.get(call_id, until), until) - max(at, since)) for call_id, at in connected.items())
    return float(talk) / (AGENTS * (until - since))


@pytest.fixture
def deployment(transactional_db, tmp_path: Path):
    running = Deployment(
        tmp_path,
        max_calls=60,
        calls_per_second=20.0,
        switch_args=SWITCH,
        voice_connector_args=VOICE_CONNECTOR,
        env=ENV,
    )
    yield running
    running.stop()


@pytest.fixture
def progressive_deployment(tmp_path: Path):
    (tmp_path / "progressive").mkdir()
    running = Deployment(
        tmp_path / "progressive", max_calls=60, calls_per_second=20.0, switch_args=SWITCH,
        voice_connector_args=VOICE_CONNECTOR, env=ENV,
    )  # fmt: skip
    yield running
    running.stop()


def test_a_predictive_campaign_keeps_agents_busier_than_progressive_under_the_abandon_cap(
    deployment, progressive_deployment
):
    since, until = run(deployment, load("PREDICTIVE"), RUN_SECONDS)
    deployment.stop()
    record = switch_record(deployment.record)
    assert_switch_saw_one_originate_per_dialed_contact(record)
    overdial, answered = overdial_at_the_switch(record)
    predictive_share = talk_share(record, since=since, until=until)
    transfers = [e for e in record if e["event"] == "transfer" and e["extension"] == "agent"]
    for transfer in transfers:  # every connected call carried the four variables of its reservation
        variables = transfer["variables"]
        assert variables["sip_h_X-agentExtension"], transfer
        assert variables["sip_h_X-Destination-Number"] == "sales"
        assert variables["sip_h_X-queue"] == "Sales_Queue"
        assert variables["sip_h_X-queueType"] == "QUEUE"
    results = Counter(Contact.objects.values_list("call_result", flat=True))

    since, until = run(progressive_deployment, load("PROGRESSIVE"), RUN_SECONDS)
    progressive_deployment.stop()
    progressive_share = talk_share(switch_record(progressive_deployment.record), since=since, until=until)

    print(
        f"\npredictive: {answered} answered, overdial {overdial:.2%}, talk share {predictive_share:.3f}; "
        f"progressive talk share {progressive_share:.3f}; results {dict(results)}"
    )
    assert answered >= 100
    assert overdial <= 0.03
    assert predictive_share >= progressive_share + 0.10


def test_killing_the_worker_and_the_listener_mid_run_loses_no_predictive_call(deployment):
    campaign_id = load("PREDICTIVE", count=400)
    deployment.start()
    time.sleep(25)
    deployment.kill("worker")
    deployment.start_process("worker")
    time.sleep(10)
    deployment.kill("listener")
    time.sleep(1.0)  # calls are answered and end while nobody listens
    deployment.start_process("listener")
    time.sleep(10)
    stop_campaign(campaign_id)
    wait_for_calls_to_end(timeout=120)
    record = switch_record(deployment.record)
    assert_switch_saw_one_originate_per_dialed_contact(record, crashed=True)
    hung_up = {e["call_id"] for e in record if e["event"] == "hangup"}
    connected = {e["call_id"] for e in record if e["event"] == "transfer" and e["extension"] == "agent"}
    for contact in Contact.objects.filter(dial_time__isnull=False):
        call_id = str(contact.call_id)
        assert contact.status in ("ended", "failed", "pending"), contact.id  # pending: retried, not stuck
        if call_id in connected and call_id in hung_up:
            assert contact.call_result in ("Normal clearing", "Stale"), (contact.id, contact.call_result)
        elif call_id in hung_up and contact.answered_at is not None:
            assert contact.call_result in ("Abandoned", "Dropped", "Stale"), (contact.id, contact.call_result)

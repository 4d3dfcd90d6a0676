"""Several switches with the production processes, through crashes and an outage (issue 11, SPEC.md section 10).

Three switch simulators over TCP, registered as ``Switch`` rows, with gateways of their own and shared ones; two
dialing worker nodes, each with its own beat; two listeners on switch ``a`` (one following every switch, one
``--switch a``). Mid-run a listener is SIGKILLed (and restarted), then a worker (restarted), then switch ``b`` is
SIGKILLed and comes back on the same port 15 s later with none of its calls.

Everything asserted about calls is counted at the simulators' own records (what the switches saw, not what the
database says was sent): at most one originate per contact across all switches (no retry rules: one attempt each),
each only on a switch that has its gateway, per switch never more calls up than its slots nor more originates in a
second than its rate, the shared gateways' contacts dialed on the others while ``b`` is down, and every contact's
result as its switch reported the call's end. A result may differ from the switch's only where the product says
it must: ``Stale`` for a call that ended while no listener followed its switch or that died with its switch, and
for a call stamped by a worker SIGKILLed before it sent the originate.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from campaigns.models import Contact
from dialer.results import readable_result
from dialer.switch_state import LISTENER_TTL_SECONDS
from tests.conftest import add_contacts
from tests.e2e_harness import Deployment, SimulatedSwitch
from tests.switch_harness import switch_record

pytestmark = pytest.mark.slow
FINAL = {"ended", "failed"}
ACTIVE = {"dialed", "agent_pending"}
# Short calls: at most 0.2 s of ringing and 0.6 s of talk; an unanswered call rings 0.3 s.
CALLS = ["--answer-ratio", "0.7", "--busy-ratio", "0.15", "--ring", "0.05-0.2", "--talk", "0.2-0.6",
         "--no-answer-after", "0.3", "--heartbeat", "2"]  # fmt: skip
# Distinct gateways (gw_a, gw_b, gw_c), one shared by two (gw_ab), one by all three (gw_all).
SWITCHES = (
    SimulatedSwitch("a", ("gw_a", "gw_ab", "gw_all"), max_calls=3, calls_per_second=5.0, args=("--seed", "11")),
    SimulatedSwitch("b", ("gw_b", "gw_ab", "gw_all"), max_calls=4, calls_per_second=8.0, args=("--seed", "12")),
    SimulatedSwitch("c", ("gw_c", "gw_all"), max_calls=5, calls_per_second=10.0, args=("--seed", "13")),
)
GATEWAYS_OF = {switch.name: set(switch.gateways) for switch in SWITCHES}
# Contacts per gateway, in each of two campaigns; gw_none is on no switch (Invalid Gateway, never dialed).
# gw_b's contacts outnumber what b dials before its outage, so that work is left for it when it comes back.
PER_GATEWAY = {"gw_a": 30, "gw_b": 50, "gw_c": 30, "gw_ab": 50, "gw_all": 50, "gw_none": 5}
DOWN = "b"
OUTAGE_SECONDS = 15.0
# When the calls of the switches a SIGKILLed listener alone followed may end unheard (Stale at its restart's
# reconcile), around the kill: from a second before it (an end received but not yet applied dies with the process)
# until its last beat stops being taken for a listener (LISTENER_TTL_SECONDS) and a call claimed just before that
# has ended: at most 0.6 s of throttle wait (slots / rate) and 0.8 s of ringing and talk; 1.6 s to spare.
UNHEARD_BEFORE, UNHEARD_AFTER = 1.0, LISTENER_TTL_SECONDS + 3.0


@pytest.fixture
def deployment(transactional_db, tmp_path: Path):
    running = Deployment(
        tmp_path,
        max_calls=10,
        calls_per_second=10.0,
        switch_args=CALLS,
        switches=SWITCHES,
        dialing_workers=2,
        listeners={"listener": (), "listener-a": ("--switch", "a")},
    )
    yield running
    running.stop()


def test_three_switches_through_crashes_and_an_outage_dial_each_contact_once_where_its_gateway_is(deployment):
    for campaign in ("multi-1", "multi-2"):
        for gateway, count in PER_GATEWAY.items():
            add_contacts(count, campaign, ivr="5000", gateway_id=gateway)
    total = Contact.objects.count()
    began = time.monotonic()
    deployment.start()

    wait_until_final(40)
    listener_killed = time.time()
    deployment.kill("listener")  # switch a keeps its standby (listener-a); b and c are followed by nobody
    time.sleep(1.5)
    deployment.start_process("listener")

    wait_until_final(100)
    deployment.kill("worker")  # mid-cycle, perhaps between the dial-time stamp and the originate
    deployment.start_process("worker")

    wait_until_final(150)
    shared_left = Contact.objects.filter(gateway_id="gw_ab", status="pending").count()
    down_at = time.time()
    deployment.kill(f"switch-{DOWN}")
    time.sleep(OUTAGE_SECONDS)
    deployment.start_process(f"switch-{DOWN}")
    deployment.wait_for_switch(DOWN)
    up_at = time.time()

    wait_until_final(total, timeout=120)
    elapsed = time.monotonic() - began
    records = {switch.name: switch_record(deployment.records[switch.name]) for switch in SWITCHES}
    contacts = {contact.customer_number: contact for contact in Contact.objects.all()}
    back = min((e["time"] for e in records[DOWN] if e["event"] == "originate" and e["time"] >= up_at), default=None)
    print(f"\n{total} contacts final {elapsed:.0f} s after the start; {DOWN} dialed again", end=" ")
    print(f"{back - up_at:.1f} s after it was back" if back else "never after it was back")
    print(f"results per switch: {summary(contacts)}")

    # At most one originate per contact across all switches, each on a switch that has the contact's gateway.
    originates = {name: [e for e in record if e["event"] == "originate"] for name, record in records.items()}
    per_number = Counter(e["number"] for entries in originates.values() for e in entries)
    assert all(originates.values()), {name: len(entries) for name, entries in originates.items()}
    assert max(per_number.values()) == 1, [n for n, c in per_number.items() if c > 1][:5]
    placed: dict[str, tuple[str, dict[str, Any]]] = {}
    for name, entries in originates.items():
        for entry in entries:
            contact = contacts[entry["number"]]
            assert entry["gateway"] == contact.gateway_id, (name, entry)
            assert contact.gateway_id in GATEWAYS_OF[name], (name, entry)
            assert contact.switch_name == name, (contact.customer_number, contact.switch_name, name)
            assert str(contact.call_id) == entry["call_id"], contact.customer_number
            placed[entry["number"]] = (name, entry)
    assert {n for n, c in contacts.items() if c.gateway_id == "gw_none"}.isdisjoint(placed)

    # Per switch, the slots and the rate, as the switch saw them (calls lost with b end when b died).
    for switch in SWITCHES:
        died = down_at if switch.name == DOWN else None
        assert peak_concurrent_calls(records[switch.name], died_at=died) <= switch.max_calls, switch.name
        peak = peak_originates_per_second(originates[switch.name])
        assert peak <= switch.calls_per_second, (switch.name, busiest_second(originates[switch.name], contacts))

    # While b was down nothing reached it, and the contacts of the gateway it shares with a were dialed on a.
    assert shared_left > 0, "gw_ab's contacts were all dialed before the outage: too few contacts"
    during = [(name, e["gateway"]) for name in ("a", "c") for e in originates[name] if down_at <= e["time"] < up_at]
    assert ("a", "gw_ab") in during, Counter(during)
    assert not [e for e in originates[DOWN] if down_at <= e["time"] < up_at]
    assert [e for e in originates[DOWN] if e["time"] >= up_at], "b dialed nothing after it came back"

    # Nothing stuck: every contact ended or failed (waited for above), none still counted as a call in progress.
    assert not Contact.objects.filter(status__in=ACTIVE).exists()

    # Results as the switch reported them.
    hangups = {e["call_id"]: e for record in records.values() for e in record if e["event"] == "hangup"}
    unheard = (listener_killed - UNHEARD_BEFORE, listener_killed + UNHEARD_AFTER)
    for number, contact in contacts.items():
        if contact.gateway_id == "gw_none":
            assert (contact.status, contact.call_result, contact.attempts) == ("failed", "Invalid Gateway", 0)
            continue
        if number not in placed:  # stamped, never sent: the worker died in between (or b as it was sent)
            assert contact.call_result in {"Stale", "Switch Error"}, (number, contact.call_result)
            assert contact.call_result == "Stale" or contact.switch_name == DOWN, number
            assert contact.attempts == 1, number  # the call counts as an attempt, and is never placed again
            continue
        name, entry = placed[number]
        hangup = hangups.get(entry["call_id"])
        if hangup is None:  # the call died with its switch, which never reported an end
            assert name == DOWN, (number, name)
            assert entry["time"] < down_at, (number, entry)
            assert contact.call_result in {"Stale", "Switch Error"}, (number, contact.call_result)
            continue
        reported = readable_result(hangup["cause"])
        if contact.call_result == reported:
            continue
        # Ended while nobody listened to its switch: a (two listeners) never; b and c during the first
        # listener's absence; b's last ends, written to its record but not sent before it was killed.
        assert contact.call_result == "Stale", (number, name, hangup["cause"], contact.call_result)
        assert name != "a", (number, "switch a always had a listener", hangup)
        lost_with_b = name == DOWN and down_at - 1.0 <= hangup["time"] <= down_at
        assert lost_with_b or unheard[0] <= hangup["time"] <= unheard[1], (number, name, hangup, unheard)


def wait_until_final(count: int, timeout: float = 90.0) -> None:
    """Until at least ``count`` contacts ended or failed; fails naming the statuses left after ``timeout``."""
    deadline = time.monotonic() + timeout
    while Contact.objects.filter(status__in=FINAL).count() < count:
        if time.monotonic() > deadline:
            left = Counter(Contact.objects.exclude(status__in=FINAL).values_list("status", "switch_name"))
            raise AssertionError(f"fewer than {count} contacts final after {timeout}s; left: {dict(left)}")
        time.sleep(0.2)


def peak_concurrent_calls(record: list[dict[str, Any]], *, died_at: float | None = None) -> int:
    """Most calls up at once at one switch: originate +1, hangup -1; a call never hung up ended when the switch
    died (``died_at``), or is still up."""
    ended = {e["call_id"] for e in record if e["event"] == "hangup"}
    changes: list[tuple[float, int]] = []
    for entry in record:
        if entry["event"] == "originate":
            changes.append((entry["time"], 1))
            if entry["call_id"] not in ended and died_at is not None and entry["time"] < died_at:
                changes.append((died_at, -1))
        elif entry["event"] == "hangup":
            changes.append((entry["time"], -1))
    return max(itertools.accumulate(delta for _, delta in sorted(changes)), default=0)


def peak_originates_per_second(originates: list[dict[str, Any]]) -> int:
    """Most originates in any one-second window starting at an originate."""
    times = sorted(e["time"] for e in originates)
    return max((sum(1 for t in times[i:] if t < start + 1.0) for i, start in enumerate(times)), default=0)


def busiest_second(originates: list[dict[str, Any]], contacts: dict[str, Contact]) -> list[tuple[int, int]]:
    """The originates of the busiest second, each as (ms after the first, ms from its dial-time stamp to the switch):
    where a rate above the throttle's came from (the throttle spaces the slots; the stamp and the send follow)."""
    times = sorted(originates, key=lambda e: e["time"])
    count, first = max((sum(1 for e in times[i:] if e["time"] < s["time"] + 1.0), i) for i, s in enumerate(times))
    shown = []
    for entry in times[first : first + count]:
        stamped = contacts[entry["number"]].dial_time
        latency = round((entry["time"] - stamped.timestamp()) * 1000) if stamped else -1
        shown.append((round((entry["time"] - times[first]["time"]) * 1000), latency))
    return shown


def summary(contacts: dict[str, Contact]) -> dict[str, Counter[str]]:
    """Results per switch, for the test's output (what a run looked like when it is read later)."""
    per_switch: dict[str, Counter[str]] = defaultdict(Counter)
    for contact in contacts.values():
        per_switch[contact.switch_name or "-"][contact.call_result] += 1
    return dict(per_switch)

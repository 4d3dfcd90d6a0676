"""Several switches (SPEC section 10, issue 11): each switch's cycle, its slots, its gateways, a switch down.

Two switch simulators over TCP with Switch rows pointing at them, each followed by the production listener:
a contact is originated only on a switch that has its gateway, at most once, within each switch's slots; a
gateway on no switch is ``Invalid Gateway``; a shared gateway's contacts go to the other switch while one
has no listener; the agent originate after a reservation goes to the contact's switch.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from campaigns.models import Contact
from dialer import commit_hooks, gateways, switch_state
from dialer.cycle import try_dial_next_batch
from dialer.esl.client import SwitchAddress, SwitchUnavailable
from dialer.gateways import GATEWAY_REFRESH_SECONDS, KnownGateways, gateways_to_dial, invalid_gateways
from dialer.models import Switch
from dialer.switches import client_for_call, switch_named
from dialer.tasks import dial_cycle, refresh_all_switch_gateways
from tests.conftest import add_contacts, quick_scenario, running_listener, wait_until
from tests.switch_harness import SwitchHarness

HOLDINGS = {"a": {"gw_a", "shared"}, "b": {"gw_b", "shared"}}
AGENT = {"campaign_type": "AGENT", "dialing_mode": "PROGRESSIVE", "routing_mode": "QUEUE", "resource_id": "sales",
         "queue_name": "Sales_Queue"}  # fmt: skip


@dataclass
class Switches:
    """The simulators by switch name, and the listeners running."""

    harnesses: dict[str, SwitchHarness]
    stack: ExitStack = field(default_factory=ExitStack)
    listening: dict[str, Any] = field(default_factory=dict)

    def address(self, name: str) -> SwitchAddress:
        return SwitchAddress("127.0.0.1", self.harnesses[name].port, "ClueCon", name=name)

    def listen(self, name: str) -> None:
        """Start the production listener of ``name`` and wait until it beats."""
        self.listening[name] = self.stack.enter_context(running_listener(self.address(name)))
        wait_until(lambda: switch_state.listener_connected(name), what=f"a listener of {name}")

    def cycle(self, name: str) -> int:
        return try_dial_next_batch(switch=switch_named(name))

    def originated(self, name: str) -> list[dict[str, Any]]:
        return list(self.harnesses[name].switch.originates)


@pytest.fixture
def switches(settings, transactional_db) -> Iterator[Switches]:
    """Two simulators, ``a`` (gw_a, shared) and ``b`` (gw_b, shared), as Switch rows; nothing listens yet."""
    settings.DEFAULT_IVR, settings.EFSWITCH_IP = "5000", "10.0.0.5"
    harnesses = {name: SwitchHarness(quick_scenario(gateways=set(held))) for name, held in HOLDINGS.items()}
    for harness in harnesses.values():
        harness.start()
    for name, harness in harnesses.items():
        Switch.objects.create(
            name=name, host="127.0.0.1", port=harness.port, password="ClueCon", max_concurrent_calls=10,
            calls_per_second=1000.0,
        )  # fmt: skip
    running = Switches(harnesses)
    with running.stack:
        yield running
    for harness in harnesses.values():
        harness.close()


@pytest.fixture
def listened(switches: Switches) -> Switches:
    for name in HOLDINGS:
        switches.listen(name)
    return switches


@contextmanager
def sent_tasks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, list[Any]]]]:
    """The tasks the commit hooks send (name, args), instead of the broker."""
    sent: list[tuple[str, list[Any]]] = []

    class App:
        def send_task(self, name: str, args: list[Any] | None = None, **_: Any) -> None:
            sent.append((name, list(args or [])))

    monkeypatch.setattr(commit_hooks, "current_app", App())
    yield sent


def numbers(ids: list[str]) -> dict[str, str]:
    return {c.customer_number: c.id for c in Contact.objects.filter(pk__in=ids)}


def test_each_contact_is_dialed_once_and_only_on_a_switch_that_has_its_gateway(listened, monkeypatch):
    ids = {gateway: add_contacts(4, gateway_id=gateway) for gateway in ("gw_a", "gw_b", "shared")}
    every = [i for group in ids.values() for i in group]
    with sent_tasks(monkeypatch) as sent:
        for _ in range(3):
            for name in HOLDINGS:
                listened.cycle(name)
        wait_until(lambda: {c.status for c in Contact.objects.filter(pk__in=every)} == {"ended"}, what="every end")
    per_switch = {name: Counter(o["number"] for o in listened.originated(name)) for name in HOLDINGS}
    by_number = numbers(every)
    total = per_switch["a"] + per_switch["b"]
    assert set(total) == set(by_number)
    assert max(total.values()) == 1  # each contact once, on one switch
    for name, held in HOLDINGS.items():
        assert {o["gateway"] for o in listened.originated(name)} <= held
        for number in per_switch[name]:
            assert Contact.objects.get(pk=by_number[number]).switch_name == name
    # A call's end asks for a cycle of the switch whose slot it freed.
    assert {args[0] for task, args in sent if task == "dialer.tasks.dial_cycle"} <= {"a", "b"}
    assert ("dialer.tasks.dial_cycle", ["b"]) in sent


def test_each_switch_keeps_to_its_own_slots(listened):
    Switch.objects.filter(name="a").update(max_concurrent_calls=2)
    Switch.objects.filter(name="b").update(max_concurrent_calls=3)
    for harness in listened.harnesses.values():
        harness.scenario.talk_seconds = (30.0, 30.0)
    add_contacts(5, gateway_id="gw_a")
    add_contacts(5, gateway_id="gw_b")
    assert (listened.cycle("a"), listened.cycle("b")) == (2, 3)
    assert (listened.cycle("a"), listened.cycle("b")) == (0, 0)
    assert (len(listened.originated("a")), len(listened.originated("b"))) == (2, 3)
    active = Counter(Contact.objects.filter(status="dialed").values_list("switch_name", flat=True))
    assert active == {"a": 2, "b": 3}


def test_a_shared_gateway_goes_to_the_switch_with_most_free_slots(listened):
    Switch.objects.filter(name="b").update(max_concurrent_calls=5)
    for harness in listened.harnesses.values():
        harness.scenario.talk_seconds = (30.0, 30.0)
    add_contacts(3, gateway_id="shared")
    for name in HOLDINGS:  # as the beat's refresh does
        gateways.refresh_gateways(name, client_for_call(name))
    assert listened.cycle("b") == 0  # a has 10 free slots, b 5: a dials the shared gateway
    assert listened.cycle("a") == 3
    assert listened.originated("b") == []


def test_a_gateway_on_no_switch_is_invalid_once_every_switch_was_read_again(listened):
    [lost] = add_contacts(1, gateway_id="nowhere")
    [kept] = add_contacts(1, gateway_id="gw_b")
    listened.cycle("a")  # b's list was never read: "not known yet"
    listened.cycle("b")  # b meets the gateway on no list and reads its own again; a's was read before
    assert Contact.objects.get(pk=lost).status == "pending"
    listened.cycle("a")
    contact = Contact.objects.get(pk=lost)
    assert (contact.status, contact.call_result) == ("failed", "Invalid Gateway")
    assert contact.attempts == 0
    assert [o["gateway"] for o in listened.originated("a") + listened.originated("b")] == ["gw_b"]
    assert Contact.objects.get(pk=kept).switch_name == "b"


def test_a_switch_never_read_reads_its_gateways_before_it_dials(listened):
    add_contacts(2, gateway_id="gw_a")
    gateways.forget_switch("a")
    assert listened.cycle("a") == 2
    assert gateways.gateway_names("a") == ["gw_a", "shared"]


def test_a_shared_gateways_contacts_are_dialed_on_the_other_switch_while_one_has_no_listener(switches):
    switches.listen("b")  # a's event socket answers, but nothing listens to it
    shared = add_contacts(3, gateway_id="shared")
    [own] = add_contacts(1, gateway_id="gw_a")
    gateways.refresh_gateways("a", client_for_call("a"))  # a's list is known: it has the shared gateway
    assert switches.cycle("a") == 0
    assert switches.cycle("b") == 3
    assert switches.originated("a") == []
    assert sorted(o["number"] for o in switches.originated("b")) == sorted(numbers(shared))
    assert Contact.objects.get(pk=own).status == "pending"  # only a has gw_a: it waits for a
    switches.listen("a")
    assert switches.cycle("a") == 1


def test_the_agent_originate_after_a_reservation_goes_to_the_contacts_switch(listened, voice_connector, vc_api):
    [contact_id] = add_contacts(1, gateway_id="gw_b", **AGENT)
    assert (listened.cycle("a"), listened.cycle("b")) == (0, 1)
    assert Contact.objects.get(pk=contact_id).status == "agent_pending"
    body = {"id": contact_id, "status": "AGENT_RESERVED", "agent_extension": "1001", "service_identifier": "8001",
            "queue_name": "Sales_Queue", "queue_type": "ACD"}  # fmt: skip
    response = vc_api.post("/api/v1/voice-connector/agent-reservations/", body, format="json")
    assert response.status_code == 200, response.content
    assert listened.cycle("a") == 0  # not a's reservation
    assert listened.cycle("b") == 1
    [sent] = listened.originated("b")
    assert sent["destination"] == "agent"
    assert "sip_h_X-agentExtension=1001" in sent["args"]
    assert listened.originated("a") == []


def test_the_beat_cycle_fans_out_one_cycle_per_enabled_switch(switches, monkeypatch):
    Switch.objects.create(name="c", host="127.0.0.1", port=1, password="x", enabled=False)
    queued: list[list[str]] = []
    monkeypatch.setattr(dial_cycle, "apply_async", lambda args, **_: queued.append(args))
    assert dial_cycle() == 2
    assert queued == [["a"], ["b"]]
    refreshed: list[list[str]] = []
    from dialer.tasks import refresh_switch_gateways

    monkeypatch.setattr(refresh_switch_gateways, "apply_async", lambda args, **_: refreshed.append(args))
    assert refresh_all_switch_gateways() == 2
    assert refreshed == [["a"], ["b"]]
    assert dial_cycle("c") == 0
    assert dial_cycle("nosuch") == 0


def test_the_beat_schedule_has_one_cycle_entry_and_the_gateway_refresh(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["dial-cycle"]["task"] == "dialer.tasks.dial_cycle"
    assert "args" not in schedule["dial-cycle"]
    assert schedule["switch-gateways"]["task"] == "dialer.tasks.refresh_all_switch_gateways"
    assert schedule["switch-gateways"]["schedule"] == GATEWAY_REFRESH_SECONDS


def test_a_call_on_a_switch_no_longer_configured_is_a_switch_down_unless_the_settings_switch_is_the_only_one(
    settings, db
):
    settings.ESL_HOST, settings.ESL_PORT, settings.ESL_PASSWORD = "127.0.0.1", 8021, "ClueCon"
    assert client_for_call("old-name").address.name == "default"  # no rows: the settings' switch
    Switch.objects.create(name="a", host="127.0.0.1", port=8021, password="ClueCon")
    assert client_for_call("a").address.name == "a"
    with pytest.raises(SwitchUnavailable):
        client_for_call("old-name")


# --- the decisions (pure) ------------------------------------------------------------------------------


def test_each_gateway_is_dialed_by_one_switch_up_and_a_shared_one_by_the_freest():
    held = {"a": frozenset({"gw_a", "shared"}), "b": frozenset({"gw_b", "shared"})}
    assert gateways_to_dial("a", {"a": 5, "b": 3}, held) == ["gw_a", "shared"]
    assert gateways_to_dial("b", {"a": 5, "b": 3}, held) == ["gw_b"]
    assert gateways_to_dial("b", {"b": 3}, held) == ["gw_b", "shared"]  # a is down
    assert gateways_to_dial("b", {"a": 3, "b": 3}, held) == ["gw_b"]  # ties: the first by name
    assert gateways_to_dial("c", {"a": 3}, held) == []


def test_a_gateway_is_invalid_only_when_every_list_is_known_and_read_after_it_was_met():
    now = time.time()
    lists = {"a": KnownGateways("a", ("gw_a",), now), "b": KnownGateways("b", ("gw_b",), now - 30)}
    assert invalid_gateways(["gw_x", "gw_a"], lists, {"gw_x": now - 60, "gw_a": now - 60}) == ["gw_x"]
    assert invalid_gateways(["gw_x"], lists, {"gw_x": now - 10}) == []  # b was read before it was met
    assert invalid_gateways(["gw_x"], {**lists, "b": None}, {"gw_x": now - 60}) == []  # b never read
    assert invalid_gateways(["gw_x"], lists, {}) == []

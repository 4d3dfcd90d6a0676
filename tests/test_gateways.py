"""Each switch's gateways, read from it (SPEC section 10): the parser, the simulator, the registry, the pick."""

from __future__ import annotations

import re
import time
from pathlib import Path

import ESL
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialer import gateways
from dialer.esl.client import SwitchAddress, SwitchClient, configured_switch, switch_client
from dialer.esl.commands import build_gateway_list
from dialer.esl.gateway_list import GatewayEntry, GatewayListUnreadable, parse_gateway_list
from dialer.esl.responses import GatewayState
from dialer.gateways import (
    GatewaysUnknown,
    gateway_map,
    gateway_names,
    known_gateways,
    note_unknown_gateway,
    pick_switch,
    refresh_gateways,
    switches_with_gateway,
)
from dialer.tasks import refresh_switch_gateways
from outbound.celery import app as celery_app
from tests.conftest import quick_scenario
from tests.freeswitch_fixtures import api_responses
from tests.switch_harness import SwitchHarness

RECONSTRUCTED = Path(__file__).parent / "fixtures" / "reconstructed"
NOT_LOADED = "-ERR sofia Command not found!\n"


def reconstructed(name: str) -> str:
    return (RECONSTRUCTED / name).read_text()


def shape(body: str) -> list[str]:
    """The answer's lines with the values taken out: its elements, their order and indentation."""
    return [re.sub(r">[^<]*<", "><", line) for line in body.splitlines()]


# --- the command and its parser -------------------------------------------------------------------


def test_the_command_asks_for_every_gateway():
    assert str(build_gateway_list()) == "sofia xmlstatus gateway"


def test_the_list_is_read_with_names_profiles_states_and_statuses():
    assert parse_gateway_list(reconstructed("sofia_xmlstatus_gateway.txt")) == (
        GatewayEntry("gw_busy", "test", "NOREG", GatewayState.UP),
        GatewayEntry("gw_down", "test", "NOREG", GatewayState.DOWN),
        GatewayEntry("gw_up", "test", "NOREG", GatewayState.UP),
    )


def test_no_gateway_is_an_empty_list_not_unknown():
    assert parse_gateway_list(reconstructed("sofia_xmlstatus_gateway_none.txt")) == ()


@pytest.mark.parametrize("body", [NOT_LOADED, "-ERR no reply\n"])
def test_mod_sofia_unloaded_means_unknown_now_not_no_gateways(body):
    assert parse_gateway_list(body) is None


def test_the_retry_of_a_registering_gateway_is_read_past():
    """``xml_gateway_status`` adds ``<retry>`` while a gateway is FAILED or TRYING."""
    block = (
        "  <gateway>\n    <name>carrier</name>\n    <profile>external</profile>\n    <state>FAILED</state>\n"
        "    <status>DOWN</status>\n    <retry>27s</retry>\n  </gateway>\n"
    )
    body = f'<?xml version="1.0" encoding="ISO-8859-1"?>\n<gateways>\n{block}</gateways>\n'
    assert parse_gateway_list(body) == (GatewayEntry("carrier", "external", "FAILED", GatewayState.DOWN),)


@pytest.mark.parametrize(
    "body",
    [
        "",
        "garbage",
        "Invalid Gateway!\n",
        "Invalid Syntax!\n",
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n<gateways>\n  <gateway>\n    <name>gw_up</name>\n',
        "<profiles>\n</profiles>\n",
        "<gateways><gateway><profile>test</profile></gateway></gateways>",
        "<gateways><profile><name>test</name></profile></gateways>",
        # FreeSWITCH writes the user name unescaped: a gateway user with "&" is not well-formed XML.
        "<gateways><gateway><name>gw</name><username>a&b</username></gateway></gateways>",
        '<!DOCTYPE gateways [<!ENTITY a "aaaa">]><gateways><gateway><name>&a;</name></gateway></gateways>',
        "\x00\xff<gateways>",
    ],
)
def test_an_answer_that_is_not_a_gateway_list_is_an_error_never_a_crash(body):
    with pytest.raises(GatewayListUnreadable):
        parse_gateway_list(body)


def test_the_answer_for_one_named_gateway_is_not_taken_for_a_list():
    captured_single = api_responses("b_gateway_status.txt")[5]  # `sofia xmlstatus gateway gw_down`, real
    assert "<name>gw_down</name>" in captured_single
    with pytest.raises(GatewayListUnreadable):
        parse_gateway_list(captured_single)


# --- the simulator, over TCP with python-ESL ------------------------------------------------------


@pytest.fixture
def esl(bare_switch):
    connection = ESL.ESLconnection("127.0.0.1", str(bare_switch.port), "ClueCon")
    assert connection.connected()
    yield connection
    connection.disconnect()


def api_body(connection: ESL.ESLconnection, command: str, args: str) -> str:
    return str(connection.api(command, args).getBody() or "")


def test_the_simulator_lists_its_configured_gateways_as_freeswitch_writes_them(bare_switch, esl):
    bare_switch.scenario.gateways = {"gw_up", "gw_busy"}
    bare_switch.scenario.gateways_down.add("gw_down")
    body = api_body(esl, "sofia", "xmlstatus gateway")
    assert parse_gateway_list(body) == (
        GatewayEntry("gw_busy", "external", "NOREG", GatewayState.UP),
        GatewayEntry("gw_down", "external", "NOREG", GatewayState.DOWN),
        GatewayEntry("gw_up", "external", "NOREG", GatewayState.UP),
    )
    assert shape(body) == shape(reconstructed("sofia_xmlstatus_gateway.txt"))


def test_one_named_gateway_is_answered_as_the_real_capture(bare_switch, esl):
    bare_switch.scenario.gateways = {"gw_up"}
    bare_switch.scenario.gateways_down.add("gw_down")
    down = api_body(esl, "sofia", "xmlstatus gateway gw_down")
    assert shape(down) == shape(api_responses("b_gateway_status.txt")[5])
    assert "<status>DOWN</status>" in down
    assert api_body(esl, "sofia", "xmlstatus gateway nosuch") == "Invalid Gateway!\n"


def test_a_simulator_with_no_gateways_configured_lists_the_sample_gateway_and_those_down(bare_switch, esl):
    bare_switch.scenario.gateways_down.add("gwd")
    bare_switch.scenario.gateways_unknown.add("nosuch")
    names = [entry.name for entry in parse_gateway_list(api_body(esl, "sofia", "xmlstatus gateway")) or ()]
    assert names == ["gw1", "gwd"]


def test_configured_gateways_are_the_only_ones_the_simulator_has(bare_switch, esl):
    bare_switch.scenario.gateways = {"gw_a"}
    assert "Status  \tUP" in api_body(esl, "sofia", "status gateway gw_a")
    assert api_body(esl, "sofia", "status gateway gw1") == "Invalid Gateway!\n"


def test_an_empty_switch_answers_an_empty_list(bare_switch, esl):
    bare_switch.scenario.gateways = set()
    body = api_body(esl, "sofia", "xmlstatus gateway")
    assert body == reconstructed("sofia_xmlstatus_gateway_none.txt")
    assert parse_gateway_list(body) == ()


def test_while_mod_sofia_is_unloaded_the_simulator_cannot_list_gateways(bare_switch, esl):
    assert api_body(esl, "unload", "mod_sofia").startswith("+OK")
    assert api_body(esl, "sofia", "xmlstatus gateway") == NOT_LOADED
    assert switch_client().gateway_list() is None
    api_body(esl, "load", "mod_sofia")
    assert switch_client().gateway_list() is not None


def test_the_client_reads_the_list_in_one_api_call(bare_switch):
    bare_switch.scenario.gateways = {"gw_a", "gw_b"}
    entries = switch_client().gateway_list()
    assert [(e.name, e.status) for e in entries or ()] == [("gw_a", GatewayState.UP), ("gw_b", GatewayState.UP)]


# --- the registry ---------------------------------------------------------------------------------


@pytest.fixture
def two_switches():
    """Two simulators over TCP: ``a`` has gw_a and shared, ``b`` has gw_b and shared."""
    harnesses = {
        "a": SwitchHarness(quick_scenario(gateways={"gw_a", "shared"})).start(),
        "b": SwitchHarness(quick_scenario(gateways={"gw_b", "shared"})).start(),
    }
    clients = {
        name: SwitchClient(SwitchAddress("127.0.0.1", harness.port, "ClueCon", name=name))
        for name, harness in harnesses.items()
    }
    yield harnesses, clients
    for harness in harnesses.values():
        harness.close()


def test_each_switch_s_gateways_are_read_and_shared(two_switches):
    _, clients = two_switches
    assert refresh_gateways("a", clients["a"]) == ["gw_a", "shared"]
    assert refresh_gateways("b", clients["b"]) == ["gw_b", "shared"]
    assert gateway_names("a") == ["gw_a", "shared"]
    known = known_gateways("b")
    assert known is not None
    assert known.names == ("gw_b", "shared")
    assert known.age < 5
    assert switches_with_gateway("shared") == ["a", "b"]
    assert switches_with_gateway("gw_a") == ["a"]
    assert switches_with_gateway("gw_b", ["a"]) == []
    assert switches_with_gateway("nosuch") == []
    assert gateways.known_switches() == ["a", "b"]


def test_a_switch_never_read_is_unknown_not_empty(two_switches):
    _, clients = two_switches
    refresh_gateways("a", clients["a"])
    assert known_gateways("b") is None
    assert gateway_names("b") == []
    assert gateway_map(["a", "b"]) == {"a": frozenset({"gw_a", "shared"})}


def test_a_refresh_follows_gateways_added_and_removed(two_switches):
    harnesses, clients = two_switches
    refresh_gateways("a", clients["a"])
    harnesses["a"].scenario.gateways = {"gw_a", "gw_new"}
    assert refresh_gateways("a", clients["a"]) == ["gw_a", "gw_new"]
    assert switches_with_gateway("shared") == []


def test_a_switch_that_cannot_say_keeps_what_it_last_said(two_switches):
    harnesses, clients = two_switches
    refresh_gateways("a", clients["a"])
    harnesses["a"].run(harnesses["a"].switch.api("unload", "mod_sofia"))
    with pytest.raises(GatewaysUnknown, match="mod_sofia"):
        refresh_gateways("a", clients["a"])
    assert gateway_names("a") == ["gw_a", "shared"]
    harnesses["a"].stop()
    with pytest.raises(GatewaysUnknown):
        refresh_gateways("a", clients["a"])
    assert gateway_names("a") == ["gw_a", "shared"]


def test_an_unreadable_answer_keeps_the_last_list(two_switches, monkeypatch):
    _, clients = two_switches
    refresh_gateways("a", clients["a"])
    monkeypatch.setattr(clients["a"], "api", lambda command: "<gateways><gateway>")
    with pytest.raises(GatewaysUnknown):
        refresh_gateways("a", clients["a"])
    assert gateway_names("a") == ["gw_a", "shared"]


def test_an_unknown_gateway_asks_each_switch_lacking_it_at_most_once_per_period(two_switches, monkeypatch):
    _, clients = two_switches
    refresh_gateways("a", clients["a"])
    refresh_gateways("b", clients["b"])
    asked: list[str] = []
    assert note_unknown_gateway("gw_x", ["a", "b"], refresh=asked.append) == ["a", "b"]
    # Other contacts, other unknown gateways, other workers: no second read within the period.
    assert note_unknown_gateway("gw_x", ["a", "b"], refresh=asked.append) == []
    assert note_unknown_gateway("gw_y", ["a", "b"], refresh=asked.append) == []
    assert asked == ["a", "b"]


def test_the_rate_limit_lets_a_refresh_through_again_after_its_period(two_switches, monkeypatch):
    monkeypatch.setattr(gateways, "UNKNOWN_GATEWAY_REFRESH_SECONDS", 1)
    asked: list[str] = []
    assert note_unknown_gateway("gw_x", ["a"], refresh=asked.append) == ["a"]
    assert note_unknown_gateway("gw_x", ["a"], refresh=asked.append) == []
    time.sleep(1.1)
    assert note_unknown_gateway("gw_x", ["a"], refresh=asked.append) == ["a"]


def test_a_switch_that_has_the_gateway_is_not_asked_again(two_switches):
    _, clients = two_switches
    refresh_gateways("a", clients["a"])
    refresh_gateways("b", clients["b"])
    asked: list[str] = []
    assert note_unknown_gateway("gw_a", ["a", "b"], refresh=asked.append) == ["b"]


def test_a_gateway_added_on_a_switch_is_found_by_the_refresh_it_triggers(two_switches):
    harnesses, clients = two_switches
    refresh_gateways("a", clients["a"])
    refresh_gateways("b", clients["b"])
    harnesses["b"].scenario.gateways = {"gw_b", "shared", "gw_late"}
    assert switches_with_gateway("gw_late") == []
    note_unknown_gateway("gw_late", ["a", "b"], refresh=lambda name: refresh_gateways(name, clients[name]))
    assert switches_with_gateway("gw_late") == ["b"]


def test_by_default_an_unknown_gateway_queues_the_refresh_task(monkeypatch):
    queued: list[str] = []
    monkeypatch.setattr(refresh_switch_gateways, "delay", queued.append)
    assert note_unknown_gateway("gw_x") == ["default"]
    assert queued == ["default"]


# --- the task ---------------------------------------------------------------------------------------


def test_the_task_refreshes_the_settings_switch(bare_switch, db):
    bare_switch.scenario.gateways = {"gw1", "gw2"}
    assert refresh_switch_gateways("default") == "2 gateways"
    assert gateway_names(configured_switch().name) == ["gw1", "gw2"]
    assert refresh_switch_gateways("elsewhere") == "unknown switch elsewhere"
    bare_switch.run(bare_switch.switch.api("unload", "mod_sofia"))
    assert refresh_switch_gateways().startswith("unknown now")
    assert gateway_names("default") == ["gw1", "gw2"]


def test_the_task_runs_on_the_dialing_queue():
    route = celery_app.amqp.router.route({}, "dialer.tasks.refresh_switch_gateways", (), {})
    assert route["queue"].name == "dialing"


# --- the pick (pure) ----------------------------------------------------------------------------------

HOLDINGS = {"a": {"gw1", "shared"}, "b": {"gw2", "shared"}, "c": {"shared"}}


def test_the_switch_with_the_most_free_slots_that_has_the_gateway_is_picked():
    assert pick_switch("shared", {"a": 3, "b": 7, "c": 5}, HOLDINGS) == "b"
    assert pick_switch("gw1", {"a": 0, "b": 7, "c": 5}, HOLDINGS) == "a"


def test_ties_go_to_the_first_name():
    assert pick_switch("shared", {"c": 4, "b": 4, "a": 4}, HOLDINGS) == "a"
    assert pick_switch("shared", {"c": 4, "b": 4, "a": 1}, HOLDINGS) == "b"


def test_no_switch_having_it_is_none():
    assert pick_switch("nosuch", {"a": 3, "b": 7}, HOLDINGS) is None
    assert pick_switch("gw2", {"a": 3}, HOLDINGS) is None  # b has it but is not a candidate (down, disabled)
    assert pick_switch("gw1", {"a": 3}, {}) is None  # a's list is not known
    assert pick_switch("gw1", {}, HOLDINGS) is None


@given(
    st.dictionaries(st.sampled_from("abcdef"), st.integers(-3, 20)),
    st.dictionaries(st.sampled_from("abcdef"), st.sets(st.sampled_from(["g1", "g2", "g3"]))),
    st.sampled_from(["g1", "g2", "g3"]),
)
def test_the_pick_is_a_holder_no_other_holder_beats(candidates, holdings, gateway):
    picked = pick_switch(gateway, candidates, holdings)
    holders = [name for name in candidates if gateway in holdings.get(name, set())]
    if not holders:
        assert picked is None
        return
    most = max(candidates[name] for name in holders)
    assert picked == min(name for name in holders if candidates[name] == most)

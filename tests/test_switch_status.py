"""Status, readiness, metrics and listeners per switch (SPEC section 10): one switch down is named, the dialer stays
ready, and the listener follows every enabled switch."""

from __future__ import annotations

import io
import os
import signal
import threading
import time

import pytest
from django.core.management import CommandError, call_command

from dialer import switch_state
from dialer.models import Switch
from outbound.management.commands.demo import free_port
from tests.conftest import quick_scenario
from tests.switch_harness import SwitchHarness


@pytest.fixture
def two_switches(bare_switch, db):
    """``east`` is the simulator; ``west`` has gone away."""
    Switch.objects.create(name="east", host="127.0.0.1", port=bare_switch.port, password="ClueCon",
                          max_concurrent_calls=7, calls_per_second=3.0)  # fmt: skip
    Switch.objects.create(name="west", host="127.0.0.1", port=free_port(), password="ClueCon",
                          max_concurrent_calls=5, calls_per_second=2.0)  # fmt: skip
    return bare_switch


def test_the_status_api_lists_every_switch_and_totals_their_slots(manager, two_switches):
    body = manager.get("/api/v1/dialer/status/").json()
    switches = {s["name"]: s for s in body["switches"]}
    assert set(switches) == {"east", "west"}
    assert (switches["east"]["connected"], switches["west"]["connected"]) == (True, False)
    assert "password" not in str(body["switches"])
    assert (body["max_concurrent_calls"], body["free_slots"], body["calls_per_second"]) == (12, 12, 5.0)


def test_readiness_holds_while_one_switch_answers_and_names_the_one_that_does_not(client, two_switches):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["checks"]["switch"] == "ok"
    assert body["switches"]["east"] == "ok"
    assert body["switches"]["west"].startswith("down")
    assert "west" in body["switches"]["west"]


def test_readiness_fails_when_no_switch_answers_naming_each(client, two_switches):
    Switch.objects.filter(name="east").update(enabled=False)
    Switch.objects.create(name="north", host="127.0.0.1", port=free_port(), password="ClueCon",
                          max_concurrent_calls=1, calls_per_second=1.0)  # fmt: skip
    response = client.get("/readyz")
    assert response.status_code == 503
    message = response.json()["checks"]["switch"]
    assert message.startswith("down")
    assert "west" in message
    assert "north" in message
    assert "east" not in response.json()["switches"]


def test_metrics_label_each_switch(client, manager, two_switches):
    manager.get("/api/v1/dialer/status/")  # the web's probe, shared with every process
    text = client.get("/metrics").content.decode()
    assert 'outbound_switch_connected{switch="east"} 1.0' in text
    assert 'outbound_switch_connected{switch="west"} 0.0' in text
    assert 'outbound_switch_max_concurrent_calls{switch="west"} 5.0' in text
    assert "outbound_max_concurrent_calls 12.0" in text


def test_the_listener_follows_every_enabled_switch_or_the_one_named(transactional_db):
    harnesses = {name: SwitchHarness(quick_scenario()).start() for name in ("east", "west", "south")}
    for name, harness in harnesses.items():
        Switch.objects.create(name=name, host="127.0.0.1", port=harness.port, password="ClueCon",
                              max_concurrent_calls=2, calls_per_second=1.0, enabled=name != "south")  # fmt: skip
    seen: set[str] = set()

    def stop_once_followed(names: set[str]) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not names <= seen:
            seen.update(name for name in harnesses if switch_state.listener_connected(name))
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)  # caught by the command, as a service manager's stop is

    try:
        output = io.StringIO()
        threading.Thread(target=stop_once_followed, args=({"east", "west"},), daemon=True).start()
        call_command("esl_listener", stdout=output)
        assert seen == {"east", "west"}  # every enabled switch, not the disabled one
        assert "east:" in output.getvalue()
        assert "west:" in output.getvalue()
        seen.clear()
        threading.Thread(target=stop_once_followed, args=({"south"},), daemon=True).start()
        call_command("esl_listener", "--switch", "south", stdout=io.StringIO())
        assert "south" in seen
        with pytest.raises(CommandError, match="--switch"):
            call_command("esl_listener", "--switch", "nowhere")
    finally:
        for harness in harnesses.values():
            harness.close()

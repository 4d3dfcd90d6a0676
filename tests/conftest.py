from __future__ import annotations

import gc
import itertools
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from campaigns.auth import create_api_client
from campaigns.choices import ApiRole
from campaigns.samples import sample_contacts

NOW = datetime.now(UTC).replace(microsecond=0)


BROWSER_TESTS = Path(__file__).parent / "browser"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """The browser tests (``tests/browser``) run in a pytest process of their own, ``BROWSER_TESTS=1 pytest
    tests/browser`` (``make test`` runs it after the others): playwright keeps an event loop running in the main
    thread for the rest of its session, and from then on Django refuses the database calls of every other test."""
    if collection_path == BROWSER_TESTS and os.environ.get("BROWSER_TESTS") != "1":
        return True
    return None


@pytest.fixture(autouse=True, scope="session")
def frozen_startup_objects() -> None:
    """As the production processes do: what is loaded before the tests run stays out of the collector's reach,
    so that a full collection does not pause the workers that tests run on threads for tens of milliseconds."""
    gc.freeze()


@pytest.fixture(autouse=True)
def private_cache(settings: Any) -> None:
    """Each test its own cache keys: statistics cached for a campaign id never leak into the next test."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}
    from dialer import switch_state

    switch_state._noted.clear()  # what this process last wrote, as of the previous test's keys


@pytest.fixture
def client_for(db: None) -> Callable[[str], APIClient]:
    """An API client authenticated with a fresh token of the given role."""

    def make(role: str, scheme: str = "Token") -> APIClient:
        _, token = create_api_client(name=f"{role}-{scheme}-{datetime.now().timestamp()}", role=role)
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"{scheme} {token}")
        return api

    return make


@pytest.fixture
def operator(db: None) -> Client:
    """A browser logged in to the admin as an operator (superuser)."""
    User.objects.create_superuser("ops", "ops@example.com", "pw")
    browser = Client()
    browser.login(username="ops", password="pw")
    return browser


@pytest.fixture
def manager(client_for: Callable[[str], APIClient]) -> APIClient:
    return client_for(ApiRole.CAMPAIGN_MANAGER)


@pytest.fixture
def vc_api(client_for: Callable[..., APIClient]) -> APIClient:
    """The voice connector's credentials (it sends them as a Bearer token)."""
    return client_for(ApiRole.VOICE_CONNECTOR, "Bearer")


def contact_payload(campaign_id: str = "c1", **overrides: Any) -> dict[str, Any]:
    """One valid contact as JSON, with ``overrides`` applied (None removes a field)."""
    base: dict[str, Any] = next(sample_contacts(1, campaign_id=campaign_id, start=NOW - timedelta(hours=1)))
    base["priority"] = 5
    if overrides.get("campaign_type") == "AGENT":
        base |= {"dialing_mode": "PREVIEW", "routing_mode": "AGENT", "resource_id": "agent-7"}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def error_fields(response: Any) -> set[str]:
    """The fields a refused request's errors name (the README's 400 shape: ``{"detail", "errors": [...]}``)."""
    body = response.json()
    assert set(body) >= {"detail", "errors"}, body
    return {error["field"] for error in body["errors"]}


def change_form(campaign: Any, **changes: object) -> dict[str, object]:
    """The admin's campaign change form as a browser posts it: the campaign's values, with ``changes``."""
    fields = ("campaign_id", "name", "campaign_type", "dialing_mode", "queue_name", "default_ivr", "template_name",
              "tenant_name", "ring_timeout", "time_zone", "optimize_by", "optimize_goal", "max_dial_ratio")  # fmt: skip
    return {**{name: getattr(campaign, name) for name in fields}, **changes}


_numbers = itertools.count(4930_1000000)


def contacts_payload(count: int, campaign_id: str = "c1", **overrides: Any) -> list[dict[str, Any]]:
    """Contacts with numbers unique in the whole test run (so calls can be counted per number)."""
    return [contact_payload(campaign_id, customer_number=f"+{next(_numbers)}", **overrides) for _ in range(count)]


# --- The dialer's peers: the switch simulator over TCP, an HTTP voice connector, the listener ---

import threading  # noqa: E402
import time  # noqa: E402

from django.db import connection, connections  # noqa: E402

from campaigns.intake import receive_contacts  # noqa: E402
from campaigns.validation import ContactInput, validate_contact  # noqa: E402
from dialer import switch_state  # noqa: E402
from dialer.esl.client import SwitchAddress, configured_switch  # noqa: E402
from dialer.listener import EventListener  # noqa: E402
from dialer.simulators.scenario import Scenario  # noqa: E402
from outbound.celery import app as celery_app  # noqa: E402
from tests.fakes.http_receiver import HttpReceiver  # noqa: E402
from tests.fakes.tcp_proxy import TcpProxy  # noqa: E402
from tests.switch_harness import SwitchHarness  # noqa: E402

# Tasks queued by the code under test (refills, deliveries) stay in memory; tests run services directly.
celery_app.conf.broker_url = "memory://localhost/"


def quick_scenario(**overrides: Any) -> Scenario:
    """Every call answered within milliseconds unless a test says otherwise."""
    values: dict[str, Any] = {
        "answer_ratio": 1.0, "busy_ratio": 0.0, "ring_seconds": (0.01, 0.03), "talk_seconds": (0.05, 0.1),
        "no_answer_seconds": 0.1, "bridge_seconds": (0.01, 0.02), "drop_before_agent_ratio": 0.0, "seed": 7,
    }  # fmt: skip
    values.update(overrides)
    return Scenario(**values)


@pytest.fixture
def bare_switch(settings):
    """The switch simulator alone: nothing follows its events, so nothing is dialed on it."""
    harness = SwitchHarness(quick_scenario()).start()
    settings.ESL_HOST, settings.ESL_PORT, settings.ESL_PASSWORD = "127.0.0.1", harness.port, "ClueCon"
    settings.DIALER_CALLS_PER_SECOND = 1000.0
    settings.MAX_CONCURRENT_CALLS = 10
    settings.DEFAULT_IVR = "5000"
    settings.EFSWITCH_IP = "10.0.0.5"
    yield harness
    harness.close()


@pytest.fixture
def switch(bare_switch, transactional_db):
    """The switch simulator followed by the production listener, as a switch is dialed in production."""
    with running_listener() as running:
        wait_for_listener()
        bare_switch.listener = running
        yield bare_switch


def wait_for_listener(timeout: float = 10.0) -> None:
    name = configured_switch().name
    wait_until(lambda: switch_state.listener_connected(name), timeout=timeout, what=f"a listener of {name}")


@pytest.fixture
def voice_connector(settings):
    receiver = HttpReceiver().start()
    settings.VOICE_CONNECTOR_URL, settings.VOICE_CONNECTOR_TOKEN = receiver.url, "vc-secret"
    yield receiver
    receiver.stop()


@contextmanager
def running_listener(address: SwitchAddress | None = None, **options: Any) -> Iterator[EventListener]:
    """The production EventListener on its own thread, listening to the configured switch (or ``address``)."""
    stop = threading.Event()
    running = EventListener(address or configured_switch(), stopping=stop.is_set, **options)

    def run() -> None:
        try:
            running.run()
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield running
    finally:
        stop.set()
        thread.join(timeout=10)


@pytest.fixture
def listener(switch):
    return switch.listener


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def add_contacts(count: int, campaign_id: str = "c1", **overrides: Any) -> list[str]:
    """Store ``count`` valid contacts through the intake service; returns their ids in order."""
    inputs = []
    for row in contacts_payload(count, campaign_id, **overrides):
        checked = validate_contact(row)
        assert isinstance(checked, ContactInput), checked
        inputs.append(checked)
    receive_contacts(inputs)
    return [c.id for c in inputs]


class LostDatabase:
    """Django's connection routed through a proxy: ``cut()`` loses the database, ``restore()`` ends that."""

    def __init__(self) -> None:
        self.connection = connections["default"]
        self.original = {k: self.connection.settings_dict[k] for k in ("HOST", "PORT")}
        self.proxy = TcpProxy(self.original["HOST"] or "127.0.0.1", int(self.original["PORT"] or 5432)).start()
        self.connection.close()
        self.connection.settings_dict.update(HOST="127.0.0.1", PORT=self.proxy.port)

    def cut(self) -> None:
        self.proxy.cut()

    def resume(self) -> None:
        """The database is back on the same address (this thread's broken connection is dropped)."""
        self.proxy.resume()
        self.connection.close()

    def restore(self) -> None:
        self.proxy.cut()
        self.connection.close()
        self.connection.settings_dict.update(self.original)


@pytest.fixture
def lost_database(transactional_db):
    """Every new database connection (of any thread) goes through a proxy the test can cut."""
    lost = LostDatabase()
    yield lost
    lost.restore()

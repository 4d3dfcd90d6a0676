"""The production processes and both simulators, started as real processes against the test database."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis
from django.conf import settings
from django.core.management import call_command

from campaigns.auth import create_api_client
from campaigns.choices import ApiRole
from outbound.processes import ROOT, ProcessGroup, wait_for_http

MANAGE = str(ROOT / "manage.py")
# The environment variable that hands the simulators' event socket password to `manage.py switch add`.
SWITCH_PASSWORD_ENV = ("E2E_ESL_PASSWORD", "ClueCon")


@dataclass(frozen=True)
class SimulatedSwitch:
    """One of several switch simulators of a deployment, registered as the ``Switch`` row ``name``.

    ``gateways`` are the only gateways its simulator has (``--gateway``); ``args`` its other options.
    """

    name: str
    gateways: tuple[str, ...]
    max_calls: int
    calls_per_second: float
    args: tuple[str, ...] = ()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def switch_process(log_dir: Path, *args: str) -> Iterator[tuple[int, Path]]:
    """The switch simulator as a process of its own, with its port and record file.

    Times taken at a simulator on a thread of the test process would include the waits of
    that process's other threads for the interpreter lock, not only what the dialer did.
    """
    port, record = free_port(), log_dir / "switch-record.jsonl"
    group = ProcessGroup(log_dir)
    group.start("switch", MANAGE, "switch_simulator", "--port", str(port), "--record", str(record), *args)
    try:
        deadline = time.monotonic() + 30
        while not _accepts(port):
            assert not group.failed(), "the switch simulator stopped"
            assert time.monotonic() < deadline, "the switch simulator did not start"
            time.sleep(0.1)
        yield port, record
    finally:
        group.stop()


def _accepts(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_database_url() -> str:
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def private_redis_url(database: int = 14) -> str:
    """The suite's Redis server, on a database of its own that starts empty."""
    parts = urlsplit(settings.REDIS_URL)
    url = urlunsplit((parts.scheme, parts.netloc, f"/{database}", "", ""))
    redis.Redis.from_url(url).flushdb()
    return url


class Deployment:
    """Web, Celery workers (dialing + beat, deliveries), listener, switch simulator and voice connector simulator.

    With ``switches``, several switch simulators (processes ``switch-<name>``, records ``switch-<name>.jsonl``)
    registered as ``Switch`` rows through ``manage.py switch add``, as a provisioning script would, instead of the
    settings' one switch. ``dialing_workers`` dialing nodes each run their own beat (``worker``, ``worker-2``, …:
    every node's beat queues every switch's cycles). ``listeners`` names the listener processes and their options
    (default: one ``listener`` following every enabled switch).
    """

    def __init__(
        self,
        log_dir: Path,
        *,
        max_calls: int,
        calls_per_second: float,
        switch_args: list[str],
        voice_connector_url: str = "",
        voice_connector_args: tuple[str, ...] = ("--agents", "10", "--handling", "0.05-0.2"),
        env: dict[str, str] | None = None,
        switches: Sequence[SimulatedSwitch] = (),
        dialing_workers: int = 1,
        listeners: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.group = ProcessGroup(log_dir)
        self.switches = {switch.name: switch for switch in switches}
        self.switch_ports = {name: free_port() for name in self.switches}
        self.records = {name: log_dir / f"switch-{name}.jsonl" for name in self.switches}
        self.workers = ["worker", *(f"worker-{n}" for n in range(2, dialing_workers + 1))]
        self.listeners = {name: tuple(args) for name, args in (listeners or {"listener": ()}).items()}
        # A voice connector of the test's own instead of the simulator.
        self.voice_connector_url = voice_connector_url
        self.voice_connector_args = voice_connector_args
        self.record = log_dir / "switch-record.jsonl"
        self.web_port, self.esl_port, self.vc_port = free_port(), free_port(), free_port()
        self.switch_args = switch_args
        broker = private_redis_url()
        self.env = {
            "DATABASE_URL": test_database_url(),
            "REDIS_URL": broker,
            "CELERY_BROKER_URL": broker,
            "DJANGO_DEBUG": "1",
            "DIALER_SWITCH": "simulator",
            "ESL_HOST": "127.0.0.1",
            "ESL_PORT": str(self.esl_port),
            "MAX_CONCURRENT_CALLS": str(max_calls),
            "DIALER_CALLS_PER_SECOND": str(calls_per_second),
            "DIALER_POLL_INTERVAL": "0.5",
            "DEFAULT_IVR": "5000",
            "VOICE_CONNECTOR_URL": voice_connector_url or f"http://127.0.0.1:{self.vc_port}",
            "VOICE_CONNECTOR_TOKEN": "vc-secret",
            "STALE_CALL_TIMEOUT": "8",
            "AGENT_RESERVATION_TIMEOUT": "5",
            **({SWITCH_PASSWORD_ENV[0]: SWITCH_PASSWORD_ENV[1]} if switches else {}),
            **(env or {}),
        }

    def start(self) -> Deployment:
        _, vc_token = create_api_client(name=f"e2e-voice-connector-{self.vc_port}", role=ApiRole.VOICE_CONNECTOR)
        self._saved_env = {name: os.environ.get(name) for name in self.env}
        os.environ.update(self.env)
        if self.switches:
            self._start_switches()
        else:
            self.start_process("switch")
        self.start_process("web")
        if not self.voice_connector_url:
            self.group.start(
                "voice-connector", MANAGE, "voice_connector_simulator", "--port", str(self.vc_port),
                *self.voice_connector_args, "--answer-delay", "0.01-0.05", "--dialer-url",
                f"http://127.0.0.1:{self.web_port}", f"--token={vc_token}", "--expect-token", "vc-secret",
            )  # fmt: skip
        assert wait_for_http(f"http://127.0.0.1:{self.web_port}/healthz", timeout=60), "web did not start"
        for listener in self.listeners:
            self.start_process(listener)
        for worker in self.workers:
            self.start_process(worker)
        self.start_process("answered")
        self.start_process("deliveries")
        return self

    def _start_switches(self) -> None:
        """Each simulator, then its row: the listeners and workers started afterwards read the rows."""
        for name in self.switches:
            self.start_process(f"switch-{name}")
        quiet = StringIO()
        for name, switch in self.switches.items():
            self.wait_for_switch(name)
            call_command(
                "switch", "add", name, "--host", "127.0.0.1", "--port", str(self.switch_ports[name]),
                "--password-env", SWITCH_PASSWORD_ENV[0], "--max-calls", str(switch.max_calls),
                "--cps", f"{switch.calls_per_second:g}", stdout=quiet,
            )  # fmt: skip

    def wait_for_switch(self, name: str, timeout: float = 30.0) -> None:
        """Until the simulator of switch ``name`` accepts connections (after a start or a restart)."""
        deadline = time.monotonic() + timeout
        while not _accepts(self.switch_ports[name]):
            assert f"switch-{name}" not in self.group.failed(), f"the switch simulator {name} stopped"
            assert time.monotonic() < deadline, f"the switch simulator {name} did not start"
            time.sleep(0.05)

    def _switch_command(self, name: str) -> list[str]:
        switch = self.switches[name]
        gateways = [arg for gateway in switch.gateways for arg in ("--gateway", gateway)]
        return [MANAGE, "switch_simulator", "--port", str(self.switch_ports[name]), "--password",
                SWITCH_PASSWORD_ENV[1], *gateways, "--record", str(self.records[name]), *self.switch_args,
                *switch.args]  # fmt: skip

    def _worker_command(self, name: str) -> list[str]:
        """A dialing node with its own beat (and its own schedule file, as on a host of its own)."""
        node = "dialing" if name == "worker" else f"dialing-{name}"
        schedule = self.group.log_dir / (f"beat-{os.getpid()}" if name == "worker" else f"beat-{os.getpid()}-{name}")
        return ["-m", "celery", "-A", "outbound", "worker", "-B", "-Q", "dialing", "-n", f"{node}@%h",
                "--concurrency", "2", "--loglevel", "INFO", "--schedule", str(schedule)]  # fmt: skip

    def start_process(self, name: str) -> None:
        commands = {
            "switch": [MANAGE, "switch_simulator", "--port", str(self.esl_port), "--record", str(self.record),
                       *self.switch_args],
            "web": ["-m", "gunicorn", "outbound.wsgi", "--config", str(ROOT / "gunicorn.conf.py"),
                    "--bind", f"127.0.0.1:{self.web_port}", "--workers", "3"],
            **{listener: [MANAGE, "esl_listener", *args] for listener, args in self.listeners.items()},
            **{worker: self._worker_command(worker) for worker in self.workers},
            **{f"switch-{switch}": self._switch_command(switch) for switch in self.switches},
            "answered": ["-m", "celery", "-A", "outbound", "worker", "-Q", "answered", "-n", "answered@%h",
                         "--concurrency", "2", "--prefetch-multiplier", "1", "--loglevel", "INFO"],
            "deliveries": ["-m", "celery", "-A", "outbound", "worker", "-Q", "deliveries,imports",
                           "-n", "deliveries@%h", "--concurrency", "2", "--loglevel", "INFO"],
        }  # fmt: skip
        self.group.start(name, *commands[name])

    def kill(self, name: str) -> None:
        self.group.kill(name)

    def stop(self) -> None:
        """Stop every process and give this test process its own environment back."""
        self.group.stop()
        for name, value in getattr(self, "_saved_env", {}).items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

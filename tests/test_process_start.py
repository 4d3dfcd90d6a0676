"""The production processes at start: a bad setting is one line, not a traceback; two web processes share a host."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from django.db import connection

from dialer.esl.client import ESL_PASSWORD_MISSING
from dialer.models import Switch
from outbound.management.commands.demo import free_port
from outbound.processes import wait_for_http

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DATABASE_URL": "postgres://outbound@127.0.0.1:5432/outbound",  # not connected to at start
    "DJANGO_SECRET_KEY": "production-like-" + "k" * 50,
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    "ESL_PASSWORD": "secret",
    "CELERY_BROKER_URL": "memory://",
}
ESL_LINE = "configuration error: " + ESL_PASSWORD_MISSING


def environment(home: Path, **overrides: str | None) -> dict[str, str]:
    """A production-like environment (DEBUG off) of its own, with these changes (None removes a variable)."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DIALER_", "ESL_", "DATABASE_", "CELERY"))
    }
    env.pop("XDG_RUNTIME_DIR", None)
    env |= PRODUCTION | {"HOME": str(home)}
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def assert_one_line_naming(result: subprocess.CompletedProcess[str], text: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(lines) <= 3, result.stderr
    assert any(text in line for line in lines), result.stderr


@pytest.mark.parametrize(("name", "value"), [("MAX_CONCURRENT_CALLS", "zero"), ("DJANGO_SECRET_KEY", None)])
def test_a_celery_worker_with_a_bad_setting_stops_in_one_line(tmp_path, name, value):
    result = run(["celery", "-A", "outbound", "worker"], environment(tmp_path, **{name: value}))
    assert_one_line_naming(result, name)


def test_celery_beat_with_a_bad_setting_stops_in_one_line(tmp_path):
    result = run(["celery", "-A", "outbound", "beat"], environment(tmp_path, DIALER_POLL_INTERVAL="-1"))
    assert_one_line_naming(result, "DIALER_POLL_INTERVAL")


@pytest.mark.parametrize("queues", [[], ["-Q", "dialing"], ["-Q", "answered,deliveries"]])
def test_a_worker_that_dials_refuses_to_start_without_the_switch_password(tmp_path, queues):
    result = run(["celery", "-A", "outbound", "worker", *queues], environment(tmp_path, ESL_PASSWORD=None))
    assert_one_line_naming(result, ESL_LINE)


def test_a_deliveries_worker_starts_without_the_switch_password(tmp_path):
    argv = [sys.executable, "-m", "celery", "-A", "outbound", "worker", "-Q", "deliveries,imports", "-n", "d@%h",
            "--pool", "solo", "--loglevel", "INFO"]  # fmt: skip
    with started(argv, environment(tmp_path, ESL_PASSWORD=None), tmp_path / "worker.log") as log:
        deadline = time.monotonic() + 30
        while "ready." not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "ready." in log.read_text(), log.read_text()


@pytest.mark.parametrize(
    ("overrides", "text"),
    [({"MAX_CONCURRENT_CALLS": "zero"}, "MAX_CONCURRENT_CALLS"), ({"ESL_PASSWORD": None}, ESL_LINE)],
)
def test_gunicorn_with_a_bad_setting_stops_in_one_line(tmp_path, overrides, text):
    argv = ["gunicorn", "outbound.wsgi", "--bind", f"127.0.0.1:{free_port()}", "--workers", "2"]
    result = run(argv, environment(tmp_path, **overrides))
    assert_one_line_naming(result, text)


@contextmanager
def started(argv: list[str], env: dict[str, str], log_path: Path) -> Iterator[Path]:
    """A process (and what it forks) running with its output in ``log_path``, stopped on leaving."""
    with log_path.open("wb") as log:
        child = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield log_path
        finally:
            with suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGTERM)
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()


def test_two_web_processes_on_one_host_both_serve_and_leave_no_control_socket(tmp_path):
    """gunicorn 25+ binds ~/.gunicorn/gunicorn.ctl by default: two instances took it from each other."""
    env = environment(tmp_path, DJANGO_DEBUG="1", DIALER_SWITCH="simulator")
    ports = [free_port(), free_port()]
    gunicorn = [sys.executable, "-m", "gunicorn", "outbound.wsgi", "--workers", "1", "--bind"]
    with (
        started([*gunicorn, f"127.0.0.1:{ports[0]}"], env, tmp_path / "web-0.log"),
        started([*gunicorn, f"127.0.0.1:{ports[1]}"], env, tmp_path / "web-1.log"),
    ):
        for port in ports:
            assert wait_for_http(f"http://127.0.0.1:{port}/healthz", timeout=30), port
        assert not (tmp_path / ".gunicorn").exists()


@pytest.fixture
def switch_rows(transactional_db) -> str:
    """A switch row, committed where a started process reads it; the database's URL."""
    Switch.objects.create(name="east", host="127.0.0.1", port=free_port(), password="ClueCon",
                          max_concurrent_calls=2, calls_per_second=1.0)  # fmt: skip
    database = connection.settings_dict
    return f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"


def test_with_switch_rows_the_web_and_a_dialing_worker_start_without_esl_password(tmp_path, switch_rows):
    env = environment(tmp_path, ESL_PASSWORD=None, DATABASE_URL=switch_rows)
    port = free_port()
    web = [sys.executable, "-m", "gunicorn", "outbound.wsgi", "--workers", "1", "--bind", f"127.0.0.1:{port}"]
    worker = [sys.executable, "-m", "celery", "-A", "outbound", "worker", "-Q", "dialing", "-n", "dialing@%h",
              "--pool", "solo", "--loglevel", "INFO"]  # fmt: skip
    with started(web, env, tmp_path / "web.log"), started(worker, env, tmp_path / "worker.log") as log:
        assert wait_for_http(f"http://127.0.0.1:{port}/healthz", timeout=30), (tmp_path / "web.log").read_text()
        deadline = time.monotonic() + 30
        while "ready." not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "ready." in log.read_text(), log.read_text()

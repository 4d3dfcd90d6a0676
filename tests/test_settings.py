"""A missing or malformed setting stops start-up with a message naming it (SPEC.md section 3)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/outbound",
    "DJANGO_SECRET_KEY": "k" * 50,
    "ESL_PASSWORD": "secret",
}


def start(*command: str, **overrides: str | None) -> subprocess.CompletedProcess[str]:
    """``manage.py check`` (or ``command``) in a fresh process with GOOD settings and these changes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DIALER_", "ESL_", "DATABASE_"))}
    env |= GOOD
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    argv = [sys.executable, "manage.py", *(command or ("check",))]
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_good_settings_start():
    assert start().returncode == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", None),
        ("DATABASE_URL", "sqlite:///x.db"),
        ("DATABASE_URL", "nonsense://x"),
        ("DJANGO_SECRET_KEY", None),
        ("DJANGO_DEBUG", "maybe"),
        ("ESL_PORT", "eighty"),
        ("MAX_CONCURRENT_CALLS", "0"),
        ("MAX_CONCURRENT_CALLS", "ten"),
        ("DIALER_CALLS_PER_SECOND", "0"),
        ("DIALER_POLL_INTERVAL", "-1"),
        ("DIALER_SWITCH", "asterisk"),
        ("DEFAULT_IVR", "5000,bgapi"),
        ("EFSWITCH_IP", "10.0.0.1 XML"),
        ("VOICE_CONNECTOR_URL", "ftp://vc"),
        ("HISTORY_WAIT_CONDITION_THRESHOLD", "lots"),
        ("RETENTION_DAYS", "-1"),
        ("RETENTION_DAYS", "a year"),
        ("DJANGO_SECURE_TLS", "maybe"),
    ],
)
def test_a_bad_setting_stops_start_up_naming_it(name, value):
    result = start(**{name: value})
    assert result.returncode != 0
    assert name in result.stderr
    assert "Traceback" not in result.stderr


def test_debug_without_a_secret_key_starts_and_every_process_shares_one_key():
    """Web workers that signed sessions with different keys would log an operator out at random."""
    assert start(DJANGO_SECRET_KEY=None, DJANGO_DEBUG="1").returncode == 0
    show = ("shell", "-c", "from django.conf import settings; print(settings.SECRET_KEY)")
    keys = {start(*show, DJANGO_SECRET_KEY=None, DJANGO_DEBUG="1").stdout.strip() for _ in range(2)}
    assert len(keys) == 1
    assert "" not in keys


def test_the_simulator_needs_no_esl_password():
    assert start(ESL_PASSWORD=None, DIALER_SWITCH="simulator").returncode == 0


def test_retention_shorter_than_the_pacing_window_is_refused():
    result = start(RETENTION_DAYS="1", ABANDON_WINDOW=str(2 * 86400))
    assert result.returncode != 0
    assert "RETENTION_DAYS" in result.stderr
    assert start(RETENTION_DAYS="0", ABANDON_WINDOW=str(2 * 86400)).returncode == 0


def test_a_host_that_never_talks_to_the_switch_needs_no_esl_password():
    """Migrations, imports and purges run where the switch's password is not given; what dials refuses to start
    without it (tests/test_commands.py, tests/test_process_start.py)."""
    assert start(ESL_PASSWORD=None).returncode == 0
    assert start(ESL_PASSWORD=None, DIALER_SWITCH="esl").returncode == 0

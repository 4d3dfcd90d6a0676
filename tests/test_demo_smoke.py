"""``make demo DEMO_SECONDS=N`` runs on its own and ends with the summary line (SPEC.md section 2), dialing on its
two simulated switches each contact on a switch that has its gateway (SPEC section 10)."""

from __future__ import annotations

import os
import re
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.test import Client

from outbound.management.commands.demo import OPERATOR, Command
from tests.e2e_harness import free_port
from tests.switch_harness import originates_in_record

ROOT = Path(__file__).resolve().parent.parent
# The demo's switches and the gateways each simulator has (outbound/management/commands/demo.py).
DEMO_SWITCH_GATEWAYS = {"east": {"gw_east", "gw_shared"}, "west": {"gw_west", "gw_shared"}}
SUMMARY = re.compile(r"^demo summary: (\d+) contacts, (\d+) ended, (\d+) failed, (\d+) pending, (\d+) active$")


@pytest.fixture
def demo_database_url() -> str:
    """A database of its own on the test server, so the demo never touches the suite's data."""
    db = settings.DATABASES["default"]
    server = f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    name = "outbound_demo_smoke"
    with psycopg.connect(f"{server}/postgres", password=db.get("PASSWORD") or None, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


def test_make_demo_stops_by_itself_with_the_summary_line(demo_database_url):
    env = dict(os.environ, DATABASE_URL=demo_database_url)
    command = ["make", "-s", "demo", "DEMO_SECONDS=20", f"DEMO_PORT={free_port()}"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("wallboard: http://127.0.0.1:")  # the operator's address comes first
    match = SUMMARY.match(lines[-1])
    assert match, lines[-1]
    contacts, ended, failed, pending, active = map(int, match.groups())
    assert contacts == 50 + 50 + 500  # demo-ivr, demo-agent and the predictive campaign's ten times as many
    assert ended > 0, "the demo dialed nothing"
    assert ended + failed + pending + active == contacts
    assert re.search(r"east \d+/\d+ calls · west \d+/\d+ calls", result.stdout), "no per-switch figures"
    originates: list[dict[str, Any]] = []
    for switch, gateways in DEMO_SWITCH_GATEWAYS.items():
        received = originates_in_record(ROOT / ".local" / "demo-logs" / f"originates-{switch}.jsonl")
        assert received, f"nothing was dialed on {switch}"
        assert {o["gateway"] for o in received} <= gateways, switch  # only gateways this switch has
        assert any(line.startswith(f"switch {switch} ") for line in lines[:-1]), f"no summary of {switch}"
        originates += received
    assert len(originates) >= ended
    # demo-ivr retries busy numbers (at most three attempts); nothing else is ever dialed twice, on either switch.
    per_number = Counter(o["number"] for o in originates)
    assert max(per_number.values()) <= 3
    with psycopg.connect(demo_database_url) as conn:
        attempts: dict[str, int] = dict(
            conn.execute("SELECT customer_number, attempts FROM campaigns_contact").fetchall()
        )
    for number, count in per_number.items():
        assert count == attempts[number], number  # every originate is one attempt of its contact


def test_a_demo_restart_keeps_the_operator_signed_in(db):
    """The account is made once: a second start leaves its password, so an open wallboard's session stays valid."""
    Command()._prepare(1)
    browser = Client()
    assert browser.login(username=OPERATOR[0], password=OPERATOR[1])
    assert browser.get("/admin/").status_code == 200
    Command()._prepare(1)
    assert browser.get("/admin/").status_code == 200  # not sent back to the login page

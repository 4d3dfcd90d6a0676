"""The contact's state machine: one table of moves, one module that writes ``status``."""

from __future__ import annotations

import re
from pathlib import Path

from campaigns import lifecycle
from campaigns.choices import ContactStatus as S

ROOT = Path(__file__).resolve().parent.parent


def test_every_move_of_the_table_is_between_real_statuses():
    for sources, targets in lifecycle.TRANSITIONS.values():
        assert sources <= set(S.values)
        assert targets <= set(S.values)


def test_a_finished_contact_only_comes_back_through_a_callback_and_nothing_returns_to_a_call():
    assert lifecycle.allowed(S.PENDING, S.DIALED)
    assert lifecycle.allowed(S.AGENT_PENDING, S.DIALED)
    assert lifecycle.allowed(S.DIALED, S.PENDING)  # an originate that placed no call
    assert lifecycle.allowed(S.ENDED, S.PENDING)  # an agent's callback
    for final in (S.ENDED, S.FAILED, S.STOPPED):
        assert not lifecycle.allowed(final, S.DIALED)
        assert not lifecycle.allowed(final, S.AGENT_PENDING)
    assert not lifecycle.allowed(S.STOPPED, S.FAILED)
    assert not lifecycle.allowed(S.DIALED, S.AGENT_PENDING)


def test_no_module_but_the_lifecycle_writes_a_contacts_status():
    writes = re.compile(r"\.update\([^)]*\bstatus=|\bSET\s+status\b|\bstatus\s*=\s*CASE\b", re.IGNORECASE)
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for app in ("campaigns", "dialer", "reporting", "outbound")
        for path in (ROOT / app).rglob("*.py")
        if path.name != "lifecycle.py" and "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if writes.search(line)
    ]
    assert offenders == []

"""The switch simulator in this process for python-ESL to talk to, and readers of its record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dialer.listener import EventListener
from dialer.simulators.threaded import ThreadedSwitch


class SwitchHarness(ThreadedSwitch):
    # The listener following this switch, when a test runs one.
    listener: EventListener | None = None

    def hang_up(self, call_id: str) -> str:
        return str(self.run(self.switch.api("uuid_kill", call_id)))


def switch_record(path: Path) -> list[dict[str, Any]]:
    """Everything a simulator wrote to its ``--record`` file: originates and hangups."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def originates_in_record(path: Path) -> list[dict[str, Any]]:
    return [entry for entry in switch_record(path) if entry["event"] == "originate"]

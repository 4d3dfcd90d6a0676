"""The switch simulator in this process for python-ESL to talk to, and readers of its record."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from dialer.listener import EventListener
from dialer.simulators.threaded import ThreadedSwitch


class SwitchHarness(ThreadedSwitch):
    # The listener following this switch, when a test runs one.
    listener: EventListener | None = None

    def hang_up(self, call_id: str) -> str:
        return str(self.run(self.switch.api("uuid_kill", call_id)))

    def hang_up_with(self, call_id: str, cause: str) -> None:
        """The far end hangs up with ``cause`` (whatever it is): the switch reports it as it comes."""
        self.loop.call_soon_threadsafe(self.switch.hang_up, call_id, cause)

    def freeze(self) -> None:
        """As SIGSTOP does: connections are still accepted by the kernel, nothing is read or answered."""
        self._thawed = threading.Event()
        self.loop.call_soon_threadsafe(self._thawed.wait)

    def thaw(self) -> None:
        self._thawed.set()


def switch_record(path: Path) -> list[dict[str, Any]]:
    """Everything a simulator wrote to its ``--record`` file: originates and hangups."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def originates_in_record(path: Path) -> list[dict[str, Any]]:
    return [entry for entry in switch_record(path) if entry["event"] == "originate"]

"""``python manage.py esl_listener [--switch NAME]``: follow every enabled switch, or one (wiring only).

One connection per switch, each on its own thread with its own database connection. Several listeners may
follow one switch at once (a standby on another host): every end is applied once however many report it.
"""

from __future__ import annotations

import gc
import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from dialer.listener import EventListener
from dialer.switches import SwitchConfig, UnknownSwitch, configured_switches, switch_named


class Command(BaseCommand):
    help = "Subscribe to the switches' events and apply call ends, answers and originate results."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--switch", metavar="NAME", help="Follow this switch only (default: every enabled one).")

    def handle(self, *args: Any, **options: Any) -> None:
        gc.freeze()  # start-up objects out of the collector's reach: no 30 ms pauses mid-call
        switches = self._switches(options["switch"])
        self._stop = False

        def stop(signum: int, frame: FrameType | None) -> None:
            self._stop = True

        previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGTERM, signal.SIGINT)}
        listeners = [EventListener(switch.address, stopping=lambda: self._stop) for switch in switches]
        threads = [
            threading.Thread(target=self._follow, args=(listener,), name=f"listener-{listener.address.name}")
            for listener in listeners[1:]
        ]
        try:
            for thread in threads:
                thread.start()
            self._follow(listeners[0])  # the first in the main thread, which receives the signals
        finally:
            self._stop = True
            for thread in threads:
                thread.join()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        applied = ", ".join(f"{listener.address.name}: {listener.applied}" for listener in listeners)
        self.stdout.write(f"esl_listener stopped after applying events ({applied})")

    def _switches(self, name: str | None) -> list[SwitchConfig]:
        if name is None:
            switches = configured_switches()
            if not switches:
                raise CommandError("no switch is enabled: nothing to follow")
            return switches
        try:
            return [switch_named(name)]
        except UnknownSwitch as exc:
            raise CommandError(f"--switch: {exc}") from exc

    def _follow(self, listener: EventListener) -> None:
        """Run one switch's listener until the command stops; a crash stops the others too."""
        try:
            listener.run()
        except BaseException:
            self._stop = True
            raise
        finally:
            connection.close()

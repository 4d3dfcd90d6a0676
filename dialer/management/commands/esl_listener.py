"""``python manage.py esl_listener``: one per FreeSWITCH; applies its events (wiring only)."""

from __future__ import annotations

import gc
import signal
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand

from dialer.esl.client import configured_switch
from dialer.listener import EventListener


class Command(BaseCommand):
    help = "Subscribe to the switch's events and apply call ends, answers and originate results."

    def handle(self, *args: Any, **options: Any) -> None:
        gc.freeze()  # start-up objects out of the collector's reach: no 30 ms pauses mid-call
        self._stop = False

        def stop(signum: int, frame: FrameType | None) -> None:
            self._stop = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        listener = EventListener(configured_switch(), stopping=lambda: self._stop)
        listener.run()
        self.stdout.write(f"esl_listener stopped after applying {listener.applied} events")

"""``python manage.py voice_connector_simulator``: a voice connector with a pool of simulated agents."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dialer.simulators.scenario import parse_range
from dialer.simulators.voice_connector import VoiceConnectorSimulator


class Command(BaseCommand):
    help = "Run the voice connector simulator: agent requests, call results, END_CHAT, reservations."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8090)
        parser.add_argument("--dialer-url", required=True, help="base URL of the dialer, e.g. http://127.0.0.1:8000")
        parser.add_argument("--token", required=True, help="the dialer API token of role voice_connector")
        parser.add_argument("--expect-token", default="", help="bearer token the dialer must present")
        parser.add_argument("--agents", type=int, default=5)
        parser.add_argument("--answer-delay", type=parse_range, default=(0.05, 0.2), help="seconds, e.g. 0.1-0.5")
        parser.add_argument("--handling", type=parse_range, default=(0.5, 2.0), help="agent wrap-up seconds")
        parser.add_argument("--states-queue", default="", help="report agent states for this queue (section 5b)")
        parser.add_argument("--states-every", type=float, default=30.0, help="seconds between full state reports")

    def handle(self, *args: Any, **options: Any) -> None:
        simulator = VoiceConnectorSimulator(
            dialer_url=options["dialer_url"],
            token=options["token"],
            agents=options["agents"],
            answer_delay=options["answer_delay"],
            handling=options["handling"],
            expected_token=options["expect_token"],
            states_queue=options["states_queue"],
            states_every=options["states_every"],
        )
        port = simulator.start(options["host"], options["port"])
        self.stdout.write(f"voice connector simulator listening on {options['host']}:{port}")
        self.stdout.flush()
        stopped = threading.Event()

        def stop(signum: int, frame: FrameType | None) -> None:
            stopped.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        stopped.wait()
        simulator.stop()

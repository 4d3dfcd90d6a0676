"""``python manage.py switch_simulator``: an ESL server that plays calls like FreeSWITCH."""

from __future__ import annotations

import asyncio
import gc
import signal
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dialer.simulators.esl_server import EslServer
from dialer.simulators.scenario import Scenario, parse_range
from dialer.simulators.switch import SimulatedSwitch


class Command(BaseCommand):
    help = "Run the switch simulator: FreeSWITCH's event socket protocol with configurable call outcomes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8021)
        parser.add_argument("--password", default="ClueCon")
        parser.add_argument("--answer-ratio", type=float, default=0.7)
        parser.add_argument("--busy-ratio", type=float, default=0.15)
        parser.add_argument("--ring", type=parse_range, default=(0.5, 2.0), help="seconds, e.g. 0.5-2")
        parser.add_argument("--talk", type=parse_range, default=(2.0, 6.0), help="seconds, e.g. 2-6")
        parser.add_argument("--no-answer-after", type=float, default=3.0, help="ring timeout in seconds")
        parser.add_argument("--drop-before-agent", type=float, default=0.05, help="ratio of agent calls dropped")
        parser.add_argument(
            "--gateway",
            action="append",
            help="repeatable: a gateway this switch has (then only these and --gateway-down exist); "
            "without it every name is a gateway and `sofia xmlstatus gateway` lists gw1",
        )
        parser.add_argument("--gateway-down", action="append", default=[], help="repeatable gateway name")
        parser.add_argument("--gateway-unknown", action="append", default=[], help="repeatable gateway name")
        parser.add_argument("--record", type=Path, help="append every originate to this JSON-lines file")
        parser.add_argument("--seed", type=int)
        parser.add_argument("--heartbeat", type=float, default=20.0, help="seconds between HEARTBEAT events")
        parser.add_argument(
            "--patience", type=parse_range, default=(3.0, 8.0), help="seconds an answered, parked customer waits"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        gc.freeze()  # start-up objects out of the collector's reach: no 30 ms pauses mid-call
        scenario = Scenario(
            answer_ratio=options["answer_ratio"],
            busy_ratio=options["busy_ratio"],
            ring_seconds=options["ring"],
            talk_seconds=options["talk"],
            no_answer_seconds=options["no_answer_after"],
            drop_before_agent_ratio=options["drop_before_agent"],
            gateways_down=set(options["gateway_down"]),
            gateways_unknown=set(options["gateway_unknown"]),
            gateways=None if options["gateway"] is None else set(options["gateway"]),
            seed=options["seed"],
            heartbeat_seconds=options["heartbeat"],
            patience_seconds=options["patience"],
        )
        asyncio.run(self._serve(scenario, options))

    async def _serve(self, scenario: Scenario, options: dict[str, Any]) -> None:
        server = EslServer(SimulatedSwitch(scenario, options["record"]), password=options["password"])
        port = await server.start(options["host"], options["port"])
        self.stdout.write(f"switch simulator listening on {options['host']}:{port}")
        self.stdout.flush()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        await server.close()

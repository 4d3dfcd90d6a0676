"""The switch simulator on a background thread of the calling process (tests and benchmarks)."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from dialer.simulators.esl_server import EslServer
from dialer.simulators.scenario import Scenario
from dialer.simulators.switch import SimulatedSwitch


class ThreadedSwitch:
    def __init__(self, scenario: Scenario, record_path: Path | None = None) -> None:
        self.switch = SimulatedSwitch(scenario, record_path)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server: EslServer | None = None
        self.port = 0

    def run(self, coroutine: Any) -> Any:
        """Run a coroutine on the simulator's loop and wait for its result."""
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout=30)

    def start(self) -> ThreadedSwitch:
        self.server = EslServer(self.switch)
        self.port = self.run(self.server.start("127.0.0.1", self.port))
        return self

    def stop(self) -> None:
        """The switch goes away: the port closes and every client is dropped."""
        if self.server is not None:
            self.run(self.server.close())
            self.switch.subscribers.clear()
            self.server = None

    def close(self) -> None:
        self.stop()
        self.run(_cancel_calls())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)

    @property
    def scenario(self) -> Scenario:
        return self.switch.scenario


async def _cancel_calls() -> None:
    """Calls still ringing or talking are cut when the simulator closes."""
    current = asyncio.current_task()
    tasks = [task for task in asyncio.all_tasks() if task is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

"""Start and stop the demo's child processes as one group."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import suppress
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent


class ProcessGroup:
    """Children started with the current environment, each logging to its own file."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: list[IO[bytes]] = []
        log_dir.mkdir(parents=True, exist_ok=True)

    def start(self, name: str, *args: str) -> None:
        """Start ``python *args`` with its output in ``<log_dir>/<name>.log`` (a fresh file each run)."""
        log = (self.log_dir / f"{name}.log").open("wb")
        self._logs.append(log)
        command = [sys.executable, *args]
        self.children[name] = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=os.environ)

    def failed(self) -> list[str]:
        """Names of children that have exited."""
        return [name for name, child in self.children.items() if child.poll() is not None]

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM every child, then SIGKILL what is still running after ``timeout``."""
        for child in self.children.values():
            with suppress(ProcessLookupError):
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in self.children.values():
            try:
                child.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        for log in self._logs:
            log.close()


def wait_for_http(url: str, timeout: float) -> bool:
    """Poll ``url`` until it answers 200 or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with suppress(OSError), urllib.request.urlopen(url, timeout=1) as response:
            if response.status == 200:
                return True
        time.sleep(0.2)
    return False

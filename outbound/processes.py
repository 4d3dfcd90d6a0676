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
    """Children started with the current environment, each logging to its own file.

    Each child leads a process group of its own, so that stopping or killing it reaches what it
    forked too (gunicorn's workers, Celery's pool and embedded beat) and leaves no orphan running.
    """

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
        self.children[name] = subprocess.Popen(
            command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=os.environ, start_new_session=True
        )

    def failed(self) -> list[str]:
        """Names of children that have exited."""
        return [name for name, child in self.children.items() if child.poll() is not None]

    def kill(self, name: str) -> None:
        """SIGKILL a child and everything it forked, as a crash or an OOM kill would: no cleanup of any kind."""
        child = self.children[name]
        _signal_group(child, signal.SIGKILL)
        child.wait()

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM every child, then SIGKILL what is still running after ``timeout``, forks included."""
        for child in self.children.values():
            _signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in self.children.values():
            with suppress(subprocess.TimeoutExpired):
                child.wait(max(0.0, deadline - time.monotonic()))
            _signal_group(child, signal.SIGKILL)
            child.wait()
        for log in self._logs:
            log.close()


def _signal_group(child: subprocess.Popen[bytes], signum: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signum)


def wait_for_http(url: str, timeout: float) -> bool:
    """Poll ``url`` until it answers 200 or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with suppress(OSError), urllib.request.urlopen(url, timeout=1) as response:
            if response.status == 200:
                return True
        time.sleep(0.2)
    return False

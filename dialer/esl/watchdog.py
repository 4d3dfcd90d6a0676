"""Deadlines for python-ESL commands, which have none of their own.

A command to a frozen switch would block its worker for ever. The watchdog thread shuts the
socket of a command that has not returned by its deadline; python-ESL then sees the connection
close and returns no answer, which the client turns into "switch unavailable". One thread per
process serves every connection.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator

COMMAND_TIMEOUT_SECONDS = 5.0


class _Watchdog:
    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._deadlines: dict[int, tuple[float, int]] = {}
        self._tokens = itertools.count()
        self._thread: threading.Thread | None = None

    @contextlib.contextmanager
    def deadline(self, fd: int, seconds: float) -> Iterator[None]:
        """Cut ``fd``'s connection if the block has not finished within ``seconds``."""
        with self._condition:
            token = next(self._tokens)
            self._deadlines[token] = (time.monotonic() + seconds, fd)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="esl-watchdog", daemon=True)
                self._thread.start()
            self._condition.notify()
        try:
            yield
        finally:
            # Under the lock, so the fd is never shut after the command returned (it could be reused).
            with self._condition:
                self._deadlines.pop(token, None)

    def _run(self) -> None:
        with self._condition:
            while True:
                now = time.monotonic()
                for token, (due, fd) in list(self._deadlines.items()):
                    if due <= now:
                        del self._deadlines[token]
                        _shut(fd)
                nearest = min((due for due, _ in self._deadlines.values()), default=now + 60.0)
                self._condition.wait(timeout=max(0.0, nearest - now))


def _shut(fd: int) -> None:
    with contextlib.suppress(OSError):
        duplicate = socket.socket(fileno=os.dup(fd))
        try:
            duplicate.shutdown(socket.SHUT_RDWR)
        finally:
            duplicate.close()


_watchdog = _Watchdog()


def command_deadline(fd: int, seconds: float = COMMAND_TIMEOUT_SECONDS) -> contextlib.AbstractContextManager[None]:
    return _watchdog.deadline(fd, seconds)

"""What the dialer's processes last saw of each switch, shared through the cache (Redis).

The web must never wait on a switch: the status API and readiness read what the
listener and the workers last saw, with its age. The listener beats while it
follows a switch; the cycle dials a switch only while one of its listeners beats
(seed 003: dialing pauses until the connection is resumed — a call placed while
nobody listens would end unseen and be reported Stale).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

# A listener refreshes its beat this often while connected, and is taken as gone after the TTL.
LISTENER_BEAT_SECONDS = 1.0
LISTENER_TTL_SECONDS = 5.0
# A worker writes a successful round trip at most this often (a failure at once).
NOTE_INTERVAL_SECONDS = 1.0
# Past this age what was seen no longer tells whether the switch answers now.
FRESH_SECONDS = 10.0

_noted: dict[str, tuple[bool, float]] = {}


def _key(switch: str, what: str) -> str:
    return f"switch:{switch}:{what}"


def listener_beat(switch: str) -> None:
    """A listener is connected to ``switch`` and subscribed to its events."""
    cache.set(_key(switch, "listener"), time.time(), LISTENER_TTL_SECONDS)
    note(switch, ok=True)


def listener_gone(switch: str) -> None:
    """The listener lost ``switch`` (another listener of it beats again on its own)."""
    cache.delete(_key(switch, "listener"))


def listener_connected(switch: str) -> bool:
    return cache.get(_key(switch, "listener")) is not None


@dataclass(frozen=True)
class Seen:
    ok: bool
    at: float
    error: str

    @property
    def age(self) -> float:
        return max(0.0, time.time() - self.at)


def note(switch: str, *, ok: bool, error: str = "") -> None:
    """Record a round trip with ``switch`` (rate-limited while nothing changes)."""
    now = time.monotonic()
    last = _noted.get(switch)
    if last is not None and last[0] == ok and ok and now - last[1] < NOTE_INTERVAL_SECONDS:
        return
    _noted[switch] = (ok, now)
    cache.set(_key(switch, "seen"), {"ok": ok, "at": time.time(), "error": error[:200]}, None)


def last_seen(switch: str) -> Seen | None:
    value: dict[str, Any] | None = cache.get(_key(switch, "seen"))
    return None if value is None else Seen(bool(value["ok"]), float(value["at"]), str(value["error"]))

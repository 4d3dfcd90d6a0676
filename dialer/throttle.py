"""The originate throttle: at most DIALER_CALLS_PER_SECOND, evenly spaced, shared by all workers of a switch.

Each originate reserves the next free instant in Redis (one atomic script) and
waits until it comes, so workers on any number of hosts never exceed the rate
together, and calls are spread out rather than sent in bursts.
"""

from __future__ import annotations

import logging
import threading
import time

import redis
from django.conf import settings

# Reserve the next slot: returns how many microseconds the caller must wait before sending.
_RESERVE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local interval = tonumber(ARGV[1])
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], slot + interval, 'PX', math.floor(interval / 1000) + 60000)
return slot - now
"""
# How many slots are free within the horizon (microseconds), without reserving any.
_FREE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local next_slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
return math.floor((now + tonumber(ARGV[2]) - next_slot) / tonumber(ARGV[1]))
"""
# Slots are this much further apart than 1/rate, so that the jitter between a reserved slot and
# the command reaching the switch never lets the switch see more than the configured rate in a second.
JITTER_MARGIN = 1.03
# A caller that wakes later than this after its slot (a busy host, a paused process) does not send then,
# right before the next slot's holder: it takes a new slot. 10 % of the interval keeps originates evenly
# spaced; at least 1 ms (what sleeping may overshoot at very high rates), at most 20 ms, because lateness
# under 30 ms (the margin of a second) never lets a one-second window hold more than the rate.
LATE_FRACTION = 0.1
LATE_FLOOR_US = 1_000
LATE_CAP_US = 20_000
# A host too busy to be on time twice in a row sends on its third slot anyway: late beats never.
RETAKES = 2
_local = threading.local()
logger = logging.getLogger(__name__)


def _redis() -> redis.Redis:
    client: redis.Redis | None = getattr(_local, "client", None)
    if client is None:
        client = _local.client = redis.Redis.from_url(settings.REDIS_URL)
    return client


class Throttle:
    def __init__(self, switch_name: str, calls_per_second: float) -> None:
        self.key = f"throttle:{switch_name}"
        self.interval_us = int(1_000_000 * JITTER_MARGIN / calls_per_second)
        self.late_limit_us = min(max(self.interval_us * LATE_FRACTION, LATE_FLOOR_US), LATE_CAP_US)

    def wait_for_slot(self) -> None:
        """Block until this caller may send one originate, on time for its slot."""
        for retake in range(RETAKES + 1):
            wait_us = int(_redis().eval(_RESERVE, 1, self.key, self.interval_us))
            if wait_us <= 0:
                return
            slot = time.monotonic() + wait_us / 1_000_000
            time.sleep(wait_us / 1_000_000)
            late_us = (time.monotonic() - slot) * 1_000_000
            if late_us <= self.late_limit_us or retake == RETAKES:
                return
            logger.debug("woke %.1f ms after its slot on %s: taking another", late_us / 1000, self.key)

    def free_within(self, seconds: float) -> int:
        """Originates that may still be sent within ``seconds`` (what a cycle may claim)."""
        free = int(_redis().eval(_FREE, 1, self.key, self.interval_us, int(seconds * 1_000_000)))
        return max(free, 0)

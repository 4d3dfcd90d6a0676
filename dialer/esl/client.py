"""The switch adapter: python-ESL with a persistent connection, reconnect and backoff.

One ``SwitchClient`` per thread (python-ESL connections are not shared between
threads). It raises ``SwitchUnavailable`` when no command can be sent, which
the callers turn into the failover table's behaviour.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import ESL
from django.conf import settings
from django.core.cache import cache

from dialer.esl.commands import ApiCommand, build_gateway_status, build_uuid_exists
from dialer.esl.responses import GatewayState, parse_gateway_status

logger = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 30.0
# Gateway states are cached this long, shared by every worker: one check per gateway per cycle.
GATEWAY_CACHE_SECONDS = 2


class SwitchUnavailable(Exception):
    """The event socket is down: the command was not sent."""


@dataclass(frozen=True)
class SwitchAddress:
    host: str
    port: int
    password: str

    @property
    def name(self) -> str:
        return f"{self.host}:{self.port}"


def configured_switch() -> SwitchAddress:
    return SwitchAddress(settings.ESL_HOST, settings.ESL_PORT, settings.ESL_PASSWORD)


class SwitchClient:
    def __init__(self, address: SwitchAddress) -> None:
        self.address = address
        self._connection: ESL.ESLconnection | None = None
        self._failures = 0
        self._retry_at = 0.0
        # This process's copy of recent gateway states, in front of the shared cache.
        self._gateways: dict[str, tuple[float, GatewayState]] = {}

    def _connected(self) -> ESL.ESLconnection:
        if self._connection is not None and self._connection.connected():
            return self._connection
        if time.monotonic() < self._retry_at:
            raise SwitchUnavailable(
                f"{self.address.name}: waiting {self._retry_at - time.monotonic():.1f}s to reconnect"
            )
        connection = ESL.ESLconnection(self.address.host, str(self.address.port), self.address.password)
        if not connection.connected():
            self._failures += 1
            self._retry_at = time.monotonic() + min(2.0 ** (self._failures - 1) * 0.5, MAX_BACKOFF_SECONDS)
            raise SwitchUnavailable(f"{self.address.name}: cannot connect to the event socket")
        if self._failures:
            logger.info("event socket %s is back after %d failed attempts", self.address.name, self._failures)
        self._connection, self._failures, self._retry_at = connection, 0, 0.0
        return connection

    def _lost(self, what: str) -> SwitchUnavailable:
        self._connection = None
        return SwitchUnavailable(f"{self.address.name}: connection lost during {what}")

    def is_available(self) -> bool:
        """Connect if needed; False while the switch cannot be reached (after backoff)."""
        try:
            self._connected()
        except SwitchUnavailable:
            return False
        return True

    def answers(self) -> bool:
        """Whether the switch answers a command now (a round trip; a dropped socket is noticed here)."""
        try:
            self.api(ApiCommand("status", ""))
        except SwitchUnavailable:
            return False
        return True

    def api(self, command: ApiCommand) -> str:
        response = self._connected().api(command.command, command.args)
        if response is None:
            raise self._lost(command.command)
        return str(response.getBody() or "")

    def bgapi(self, command: ApiCommand, job_uuid: str) -> None:
        """Send a background command with the dialer's own Job-UUID (its result comes as BACKGROUND_JOB)."""
        reply = self._connected().bgapi(command.command, command.args, job_uuid)
        if reply is None or not (reply.getHeader("Reply-Text") or "").startswith("+OK"):
            raise self._lost(f"bgapi {command.command}")

    def gateway_state(self, gateway_id: str) -> GatewayState:
        """The gateway's state, asked of the switch at most once per GATEWAY_CACHE_SECONDS by all workers."""
        now = time.monotonic()
        local = self._gateways.get(gateway_id)
        if local is not None and now - local[0] < GATEWAY_CACHE_SECONDS:
            return local[1]
        key = f"gateway:{self.address.name}:{gateway_id}"
        cached = cache.get(key)
        if cached is not None:
            state = GatewayState(cached)
        else:
            state = parse_gateway_status(self.api(build_gateway_status(gateway_id)))
            cache.set(key, state.value, GATEWAY_CACHE_SECONDS)
        self._gateways[gateway_id] = (now, state)
        return state

    def call_exists(self, call_id: str) -> bool:
        return self.api(build_uuid_exists(call_id)).strip() == "true"


_local = threading.local()


def switch_client(address: SwitchAddress | None = None) -> SwitchClient:
    """This thread's client for ``address`` (the configured switch by default)."""
    address = address or configured_switch()
    clients: dict[SwitchAddress, SwitchClient] = _local.__dict__.setdefault("clients", {})
    if address not in clients:
        clients[address] = SwitchClient(address)
    return clients[address]

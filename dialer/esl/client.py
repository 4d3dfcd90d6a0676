"""The switch adapter: python-ESL with a persistent connection, reconnect and backoff.

One ``SwitchClient`` per thread (python-ESL connections are not shared between
threads). It raises ``SwitchUnavailable`` when nothing could be sent and
``CommandLost`` when a command may have reached the switch before the connection
failed; the callers turn them into the failover table's behaviour. Every command
has a deadline (python-ESL has none), and each round trip is noted in the shared
switch state that the web reads.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import ESL
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from dialer import switch_state
from dialer.esl.commands import ApiCommand, build_gateway_list, build_gateway_status
from dialer.esl.gateway_list import GatewayEntry, parse_gateway_list
from dialer.esl.probe import probe_event_socket
from dialer.esl.responses import GatewayState, UnexpectedResponse, parse_gateway_status
from dialer.esl.watchdog import command_deadline

logger = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 30.0
# Gateway states are cached this long, shared by every worker: one check per gateway per cycle.
GATEWAY_CACHE_SECONDS = 2
# A connection that has not answered for this long is probed before a call depends on it.
IDLE_PROBE_SECONDS = 1.0


class SwitchUnavailable(Exception):
    """Nothing reached the switch: its event socket is down or did not answer."""


class CommandLost(SwitchUnavailable):
    """The connection failed while a command was being sent: the command may have reached the switch."""


# SPEC section 10: with no switch rows, the settings of section 3 are the switch named ``default``.
DEFAULT_SWITCH = "default"


@dataclass(frozen=True)
class SwitchAddress:
    host: str
    port: int
    password: str = field(repr=False)
    # The switch's identity: contacts, throttle, claim lock and listeners are keyed by it, not by its
    # address (which changes when a switch moves, or a demo restarts on another port).
    name: str = DEFAULT_SWITCH

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"


class SwitchNotConfigured(ImproperlyConfigured):
    """The event socket has no password: FreeSWITCH would refuse every connection.

    Raised by whatever is about to talk to the switch, not by the settings, so that commands that
    never do (migrate, imports, purges) run on hosts that are not given the switch's password.
    """


ESL_PASSWORD_MISSING = "ESL_PASSWORD is not set: it is required to talk to the switch when DIALER_SWITCH is esl"


def configured_switch() -> SwitchAddress:
    """The switch of the settings (section 3); refuses, naming ESL_PASSWORD, when it has no password."""
    if not settings.ESL_PASSWORD:
        raise SwitchNotConfigured(ESL_PASSWORD_MISSING)
    return SwitchAddress(settings.ESL_HOST, settings.ESL_PORT, settings.ESL_PASSWORD)


class SwitchClient:
    def __init__(self, address: SwitchAddress) -> None:
        self.address = address
        self._connection: ESL.ESLconnection | None = None
        self._failures = 0
        self._retry_at = 0.0
        self._last_reply = 0.0
        # This process's copy of recent gateway states, in front of the shared cache.
        self._gateways: dict[str, tuple[float, GatewayState]] = {}

    def _connected(self) -> ESL.ESLconnection:
        if self._connection is not None and self._connection.connected():
            return self._connection
        if time.monotonic() < self._retry_at:
            raise SwitchUnavailable(
                f"{self.address.name}: waiting {self._retry_at - time.monotonic():.1f}s to reconnect"
            )
        try:
            # python-ESL's constructor blocks for ever on a switch that accepts TCP but never greets.
            probe_event_socket(self.address.host, self.address.port, self.address.password)
        except OSError as exc:
            raise self._connect_failed(f"{exc.__class__.__name__}: {exc}") from exc
        connection = ESL.ESLconnection(self.address.host, str(self.address.port), self.address.password)
        if not connection.connected():
            raise self._connect_failed("cannot connect to the event socket")
        if self._failures:
            logger.info("event socket %s is back after %d failed attempts", self.address.name, self._failures)
        self._connection, self._failures, self._retry_at = connection, 0, 0.0
        self._last_reply = time.monotonic()
        return connection

    def _connect_failed(self, reason: str) -> SwitchUnavailable:
        self._failures += 1
        self._retry_at = time.monotonic() + min(2.0 ** (self._failures - 1) * 0.5, MAX_BACKOFF_SECONDS)
        switch_state.note(self.address.name, ok=False, error=reason)
        return SwitchUnavailable(f"{self.address.name}: {reason}")

    def _round_trip(self, send: Callable[[ESL.ESLconnection], ESL.ESLevent | None]) -> ESL.ESLevent | None:
        """One command and its answer, cut after COMMAND_TIMEOUT_SECONDS; None when the connection failed."""
        connection = self._connected()
        with command_deadline(connection.socketDescriptor()):
            reply = send(connection)
        if reply is None:
            self._connection = None
            switch_state.note(self.address.name, ok=False, error="connection lost")
            return None
        self._last_reply = time.monotonic()
        switch_state.note(self.address.name, ok=True)
        return reply

    def is_available(self) -> bool:
        """Connect if needed; False while the switch cannot be reached (after backoff)."""
        try:
            self._connected()
        except SwitchUnavailable:
            return False
        return True

    def api(self, command: ApiCommand) -> str:
        """A query (never an originate): on a connection found dead it is asked once more on a new one.

        After a switch restart python-ESL still calls the old socket connected; the first command finds
        it dead. A query has no effect, so asking again is safe.
        """
        for _ in range(2):
            reply = self._round_trip(lambda connection: connection.api(command.command, command.args))
            if reply is not None:
                return str(reply.getBody() or "")
        raise SwitchUnavailable(f"{self.address.name}: connection lost during {command.command}")

    def command(self, command: ApiCommand) -> str:
        """A command with an effect on a call (``uuid_transfer``, ``uuid_kill``): sent once, never repeated.

        Raises ``SwitchUnavailable`` when no reply came (it may or may not have reached the switch).
        """
        self.ensure_alive()
        reply = self._round_trip(lambda connection: connection.api(command.command, command.args))
        if reply is None:
            raise SwitchUnavailable(f"{self.address.name}: connection lost during {command.command}")
        return str(reply.getBody() or "")

    def ensure_alive(self) -> None:
        """Before a command that must not be lost: a connection idle for a while is probed first.

        Raises ``SwitchUnavailable`` (nothing sent) when no connection answers.
        """
        if time.monotonic() - self._last_reply > IDLE_PROBE_SECONDS:
            self.api(ApiCommand("status", ""))

    def bgapi(self, command: ApiCommand, job_uuid: str) -> None:
        """Send a background command with the dialer's own Job-UUID (its result comes as BACKGROUND_JOB).

        Raises ``CommandLost`` when the connection failed on the way: the command may have been received.
        """
        reply = self._round_trip(lambda connection: connection.bgapi(command.command, command.args, job_uuid))
        if reply is None or not (reply.getHeader("Reply-Text") or "").startswith("+OK"):
            self._connection = None
            raise CommandLost(f"{self.address.name}: connection lost during bgapi {command.command}")

    def gateway_list(self) -> tuple[GatewayEntry, ...] | None:
        """Every gateway this switch has now: one ``sofia xmlstatus gateway``, parsed.

        ``None`` while the switch cannot say (``-ERR sofia Command not found!``: mod_sofia unloaded),
        which is not "no gateways". Raises ``SwitchUnavailable`` when the switch does not answer and
        ``GatewayListUnreadable`` (an ``UnexpectedResponse``) when the answer is not a gateway list.
        """
        return parse_gateway_list(self.api(build_gateway_list()))

    def gateway_state(self, gateway_id: str) -> GatewayState:
        """The gateway's state, asked of the switch at most once per GATEWAY_CACHE_SECONDS by all workers.

        An answer that is not a gateway status (``-ERR sofia Command not found!`` while mod_sofia is
        unloaded during a shutdown or reload) is "unavailable now", never an invalid gateway.
        """
        now = time.monotonic()
        local = self._gateways.get(gateway_id)
        if local is not None and now - local[0] < GATEWAY_CACHE_SECONDS:
            return local[1]
        key = f"gateway:{self.address.name}:{gateway_id}"
        cached = cache.get(key)
        if cached is not None:
            state = GatewayState(cached)
        else:
            body = self.api(build_gateway_status(gateway_id))
            try:
                state = parse_gateway_status(body)
            except UnexpectedResponse:
                logger.warning("gateway %s on %s: unreadable status %r", gateway_id, self.address.name, body[:80])
                state = GatewayState.UNAVAILABLE
            cache.set(key, state.value, GATEWAY_CACHE_SECONDS)
        self._gateways[gateway_id] = (now, state)
        return state


_local = threading.local()


def switch_client(address: SwitchAddress | None = None) -> SwitchClient:
    """This thread's client for ``address`` (the configured switch by default)."""
    address = address or configured_switch()
    clients: dict[SwitchAddress, SwitchClient] = _local.__dict__.setdefault("clients", {})
    if address not in clients:
        clients[address] = SwitchClient(address)
    return clients[address]

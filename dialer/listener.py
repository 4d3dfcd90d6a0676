"""The event listener's loop: connect, subscribe, apply events, reconnect; never lose an end.

Events are applied in arrival order from an in-memory queue. While the database
cannot be reached the queue keeps them and is retried with backoff, so an end
reported during a database outage is applied when it returns. After every
(re)connection, calls the switch no longer knows are given the result ``Stale``.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections import deque
from collections.abc import Callable

import ESL
from django.db import InterfaceError, OperationalError, close_old_connections, connection

from campaigns.choices import ContactStatus
from campaigns.models import Contact
from dialer.esl.client import MAX_BACKOFF_SECONDS, SwitchAddress
from dialer.esl.commands import build_uuid_exists
from dialer.esl.wire import Event, parse_event
from dialer.outcomes import apply_events, end_stale_calls

logger = logging.getLogger(__name__)
SUBSCRIBED = "BACKGROUND_JOB CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE HEARTBEAT"
# FreeSWITCH sends a HEARTBEAT every 20 s. A connection silent for three of them is dead even if TCP
# never said so (a firewall that dropped its state, a frozen switch): it is replaced, and the reconcile
# that follows every connection ends the calls the switch no longer knows.
SILENCE_LIMIT_SECONDS = 60.0
# Events applied per transaction when they arrive faster than they are applied.
BATCH = 200


class EventListener:
    def __init__(
        self, address: SwitchAddress, *, stopping: Callable[[], bool], silence_limit: float = SILENCE_LIMIT_SECONDS
    ) -> None:
        self.address = address
        self.stopping = stopping
        self.silence_limit = silence_limit
        self.pending: deque[Event] = deque()
        self.applied = 0
        self._db_retry_at = 0.0
        self._db_failures = 0

    def run(self) -> None:
        failures = 0
        while not self.stopping():
            conn = ESL.ESLconnection(self.address.host, str(self.address.port), self.address.password)
            if not conn.connected() or conn.events("plain", SUBSCRIBED) != 0:
                failures += 1
                self._sleep(min(0.5 * 2 ** (failures - 1), MAX_BACKOFF_SECONDS))
                continue
            failures = 0
            logger.info("listening to %s", self.address.name)
            self.reconcile(conn)
            self.listen(conn)
            if not self.stopping():
                logger.warning("lost the event socket %s; reconnecting", self.address.name)
        self.flush(force=True)

    def listen(self, conn: ESL.ESLconnection) -> None:
        heard = time.monotonic()
        while not self.stopping():
            received = conn.recvEventTimed(200)
            if received is not None:
                heard = time.monotonic()
            # Take what has already arrived before applying, so a burst is applied in one batch.
            while received is not None:
                if received.getHeader("Event-Name") not in (None, "SERVER_DISCONNECTED", "HEARTBEAT"):
                    self.pending.append(parse_event(received.serialize("plain")))
                if len(self.pending) >= BATCH:
                    break
                received = conn.recvEventTimed(1)
            self.flush()
            if received is None and not conn.connected():
                return
            if time.monotonic() - heard > self.silence_limit:
                logger.warning(
                    "nothing from %s for %.0f s, not even a heartbeat", self.address.name, self.silence_limit
                )
                conn.disconnect()
                return

    def flush(self, *, force: bool = False) -> None:
        """Apply queued events in order, in batches (one commit each); on a lost database keep them."""
        while self.pending and (force or time.monotonic() >= self._db_retry_at):
            batch = list(itertools.islice(self.pending, BATCH))
            try:
                outcomes = apply_events(batch)
            except (OperationalError, InterfaceError) as exc:
                self._database_lost(exc)
                if force:
                    logger.error("stopping with %d events not applied: %s", len(self.pending), exc)
                return
            for _ in batch:
                self.pending.popleft()
            self.applied += len(batch)
            self._db_failures = 0
            logger.debug("events applied: %s", outcomes)

    def _database_lost(self, exc: Exception) -> None:
        self._db_failures += 1
        delay = min(0.2 * 2 ** (self._db_failures - 1), 5.0)
        self._db_retry_at = time.monotonic() + delay
        logger.warning("database unreachable, %d events kept, retry in %.1fs: %s", len(self.pending), delay, exc)
        connection.close()

    def reconcile(self, conn: ESL.ESLconnection) -> None:
        """Calls placed on this switch that it no longer knows ended while nobody listened: Stale."""
        close_old_connections()
        try:
            candidates = list(
                Contact.objects.filter(
                    status=ContactStatus.DIALED, switch_name=self.address.name, dial_time__isnull=False
                ).values_list("call_id", flat=True)
            )
        except (OperationalError, InterfaceError) as exc:
            self._database_lost(exc)
            return
        gone = []
        for call_id in candidates:
            command = build_uuid_exists(str(call_id))
            response = conn.api(command.command, command.args)
            if response is None:
                return
            if (response.getBody() or "").strip() != "true":
                gone.append(str(call_id))
        # Ends reported before those answers were queued meanwhile: they carry the real results.
        while (received := conn.recvEventTimed(1)) is not None:  # 0 would block until an event comes
            self.pending.append(parse_event(received.serialize("plain")))
        self.flush()
        stale = end_stale_calls(gone)
        if stale:
            logger.warning("%d calls unknown to %s after reconnecting: ended as Stale", stale, self.address.name)

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping() and time.monotonic() < deadline:
            time.sleep(min(0.1, seconds))

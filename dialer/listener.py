"""The event listener's loop: connect, subscribe, apply events, reconnect; never lose an end.

Events are applied in arrival order from an in-memory queue. While the database
cannot be reached the queue keeps them and is retried with backoff, so an end
reported during a database outage is applied when it returns. A batch that fails
for any other reason is applied one event at a time: the event that fails alone is
kept in ``UnappliedEvent`` with its text and error, and the rest are applied.
After every (re)connection, calls the switch no longer knows are given the result
``Stale``. While connected the listener beats in the shared switch state: workers
dial a switch only while one of its listeners beats.
"""

from __future__ import annotations

import itertools
import logging
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import ESL
from django.db import InterfaceError, OperationalError, close_old_connections, connection

from campaigns.choices import ContactStatus
from campaigns.models import Contact
from dialer import switch_state
from dialer.esl.client import SwitchAddress
from dialer.esl.commands import build_uuid_exists
from dialer.esl.wire import Event, parse_event
from dialer.models import UnappliedEvent
from dialer.outcomes import apply_events, end_stale_calls

logger = logging.getLogger(__name__)
SUBSCRIBED = (
    "BACKGROUND_JOB CHANNEL_PROGRESS CHANNEL_PROGRESS_MEDIA CHANNEL_ANSWER CHANNEL_PARK CHANNEL_BRIDGE "
    "CHANNEL_HANGUP_COMPLETE HEARTBEAT"
)
# FreeSWITCH sends a HEARTBEAT every 20 s. A connection silent for three of them is dead even if TCP
# never said so (a firewall that dropped its state, a frozen switch): it is replaced, and the reconcile
# that follows every connection ends the calls the switch no longer knows.
SILENCE_LIMIT_SECONDS = 60.0
# Events applied per transaction when they arrive faster than they are applied.
BATCH = 200
# Reconnecting is cheap and nothing is dialed until a listener is back: retry often.
MAX_RECONNECT_SECONDS = 2.0
# A call stamped as sending this shortly before the listener connected may not have reached the switch
# when it is first asked about.
IN_FLIGHT_MARGIN = timedelta(seconds=1)


class EventListener:
    def __init__(
        self, address: SwitchAddress, *, stopping: Callable[[], bool], silence_limit: float = SILENCE_LIMIT_SECONDS
    ) -> None:
        self.address = address
        self.stopping = stopping
        self.silence_limit = silence_limit
        self.pending: deque[Event] = deque()
        self.applied = 0
        self.unapplied = 0
        self._db_retry_at = 0.0
        self._db_failures = 0
        self._beat_at = 0.0

    def run(self) -> None:
        failures = 0
        while not self.stopping():
            conn = ESL.ESLconnection(self.address.host, str(self.address.port), self.address.password)
            if not conn.connected() or conn.events("plain", SUBSCRIBED) != 0:
                failures += 1
                switch_state.note(self.address.name, ok=False, error="the listener cannot connect")
                self._sleep(min(0.25 * 2 ** (failures - 1), MAX_RECONNECT_SECONDS))
                continue
            failures = 0
            connected_at = datetime.now(tz=UTC)
            logger.info("listening to %s", self.address.name)
            self._beat(force=True)
            try:
                self.reconcile(conn, connected_at=connected_at)
                self.listen(conn)
            finally:
                switch_state.listener_gone(self.address.name)
            if not self.stopping():
                logger.warning("lost the event socket %s; reconnecting", self.address.name)
        self.flush(force=True)

    def _beat(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._beat_at >= switch_state.LISTENER_BEAT_SECONDS:
            switch_state.listener_beat(self.address.name)
            self._beat_at = now

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
            self._beat()

    def flush(self, *, force: bool = False) -> None:
        """Apply queued events in order, in batches (one commit each); on a lost database keep them."""
        while self.pending and (force or time.monotonic() >= self._db_retry_at):
            batch = list(itertools.islice(self.pending, BATCH))
            try:
                outcomes = self._apply(batch)
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

    def _apply(self, batch: list[Event]) -> list[str]:
        """The batch in one transaction; if it fails (not for a lost database), each event on its own."""
        try:
            return apply_events(batch)
        except (OperationalError, InterfaceError):
            raise
        except Exception:
            if len(batch) == 1:
                return [self._keep_unapplied(batch[0])]
        return [outcome for event in batch for outcome in self._apply([event])]

    def _keep_unapplied(self, event: Event) -> str:
        logger.exception("event %s of %s cannot be applied; kept", event.name, self.address.name)
        error = traceback.format_exc()[-4000:]
        UnappliedEvent.objects.create(
            switch_name=self.address.name,
            event_name=event.name[:60],
            call_id=(event.get("Unique-ID") or event.get("Job-UUID"))[:60],
            raw=event.raw,
            error=error,
        )
        self.unapplied += 1
        return "unapplied"

    def _database_lost(self, exc: Exception) -> None:
        self._db_failures += 1
        delay = min(0.2 * 2 ** (self._db_failures - 1), 5.0)
        self._db_retry_at = time.monotonic() + delay
        logger.warning("database unreachable, %d events kept, retry in %.1fs: %s", len(self.pending), delay, exc)
        connection.close()

    def reconcile(self, conn: ESL.ESLconnection, *, connected_at: datetime) -> None:
        """Calls placed on this switch that it no longer knows ended while nobody listened: Stale.

        A call stamped as sending just before this connection may still be on its way to the switch
        (the stamp commits before the originate leaves): one the switch does not know yet is asked
        about again once IN_FLIGHT_MARGIN has passed.
        """
        close_old_connections()
        try:
            candidates: dict[uuid.UUID, datetime] = dict(
                Contact.objects.filter(
                    status=ContactStatus.DIALED, switch_name=self.address.name, dial_time__isnull=False
                ).values_list("call_id", "dial_time")  # type: ignore[arg-type]  # both are NOT NULL here
            )
        except (OperationalError, InterfaceError) as exc:
            self._database_lost(exc)
            return
        gone = self._unknown_to_switch(conn, [str(call_id) for call_id in candidates])
        if gone is None:
            return
        recent = [call_id for call_id in gone if candidates[uuid.UUID(call_id)] > connected_at - IN_FLIGHT_MARGIN]
        if recent:
            self._sleep(IN_FLIGHT_MARGIN.total_seconds())
            still = self._unknown_to_switch(conn, recent)
            if still is None:
                return
            gone = [call_id for call_id in gone if call_id not in recent or call_id in still]
        # Ends reported before those answers were queued meanwhile: they carry the real results.
        while (received := conn.recvEventTimed(1)) is not None:  # 0 would block until an event comes
            self.pending.append(parse_event(received.serialize("plain")))
        self.flush()
        stale = end_stale_calls(gone)
        if stale:
            logger.warning("%d calls unknown to %s after reconnecting: ended as Stale", stale, self.address.name)

    def _unknown_to_switch(self, conn: ESL.ESLconnection, call_ids: list[str]) -> list[str] | None:
        """The calls ``uuid_exists`` says the switch does not have; None when the connection was lost."""
        unknown = []
        for call_id in call_ids:
            command = build_uuid_exists(call_id)
            response = conn.api(command.command, command.args)
            if response is None:
                return None
            if (response.getBody() or "").strip() != "true":
                unknown.append(call_id)
            self._beat()
        return unknown

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping() and time.monotonic() < deadline:
            time.sleep(min(0.1, seconds))

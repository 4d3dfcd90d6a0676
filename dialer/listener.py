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
from collections import deque
from collections.abc import Callable
from datetime import datetime

import ESL
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from django.utils import timezone

from dialer import switch_state
from dialer.esl.channel_list import ChannelListUnknown, parse_channel_list
from dialer.esl.client import SwitchAddress
from dialer.esl.commands import build_channel_list, build_uuid_exists
from dialer.esl.responses import UnexpectedResponse
from dialer.esl.wire import Event, parse_event
from dialer.models import UnappliedEvent
from dialer.outcomes import apply_events, end_stale_calls
from dialer.reconcile import IN_FLIGHT_MARGIN, judge, sent_calls

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
            logger.info("listening to %s", self.address.name)
            self._beat(force=True)
            try:
                self.reconcile(conn)
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

    def reconcile(self, conn: ESL.ESLconnection) -> None:
        """Calls placed on this switch that it no longer holds ended while nobody listened: Stale, at once.

        One ``show channels as json`` (``dialer.reconcile`` decides; see its docstring for the race); calls
        stamped just before the question are asked about again once IN_FLIGHT_MARGIN has passed. A switch
        that cannot list its channels (``-ERR``, an answer this code cannot read) is asked ``uuid_exists``
        for each call instead: never "no calls" from an answer not understood.
        """
        close_old_connections()
        only: set[str] | None = None
        for _ in range(2):
            asked = self._ask_channels(conn)
            if asked is None:
                return
            asked_at, live = asked
            # Ends reported before the answer were queued meanwhile: they carry the real results.
            while (received := conn.recvEventTimed(1)) is not None:  # 0 would block until an event comes
                self.pending.append(parse_event(received.serialize("plain")))
            self.flush()
            try:
                sent = sent_calls(self.address.name, before=asked_at)
            except (OperationalError, InterfaceError) as exc:
                self._database_lost(exc)
                return
            if only is not None:
                sent = {call_id: at for call_id, at in sent.items() if call_id in only}
            if live is None:
                live = self._existing_on_switch(conn, list(sent))
                if live is None:
                    return
            verdict = judge(sent, live, asked_at=asked_at)
            stale = end_stale_calls(verdict.stale) if verdict.stale else 0
            if stale:
                logger.warning("%d calls unknown to %s after connecting: ended as Stale", stale, self.address.name)
            if not verdict.unsure:
                return
            only = set(verdict.unsure)
            self._sleep(IN_FLIGHT_MARGIN.total_seconds())

    def _ask_channels(self, conn: ESL.ESLconnection) -> tuple[datetime, frozenset[str] | None] | None:
        """When the list was asked for and the channels on it (None: the switch cannot list them).

        None as a whole when the connection was lost.
        """
        command = build_channel_list()
        asked_at = timezone.now()
        response = conn.api(command.command, command.args)
        if response is None:
            return None
        body = response.getBody() or ""
        try:
            return asked_at, parse_channel_list(body)
        except ChannelListUnknown as exc:
            logger.warning("%s cannot list its channels (%s): asking about each call", self.address.name, exc)
        except UnexpectedResponse as exc:
            logger.error("unreadable channel list from %s (%s): asking about each call", self.address.name, exc)
        return asked_at, None

    def _existing_on_switch(self, conn: ESL.ESLconnection, call_ids: list[str]) -> frozenset[str] | None:
        """The calls ``uuid_exists`` says the switch has; None when the connection was lost."""
        existing = set()
        for call_id in call_ids:
            command = build_uuid_exists(call_id)
            response = conn.api(command.command, command.args)
            if response is None:
                return None
            if (response.getBody() or "").strip() == "true":
                existing.add(call_id)
            self._beat()
        return frozenset(existing)

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping() and time.monotonic() < deadline:
            time.sleep(min(0.1, seconds))

"""What one call costs the database, beside what this PostgreSQL takes: the figures behind the README's sizing.

CALLS IVR contacts are received (intake), then dialed through the production path: the cycle
(``try_dial_next_batch``) against the switch simulator over TCP, the production ``EventListener`` applying the
switch's events, the history rows, the voice connector's outbox (delivery notifications) and the attempt-record
outbox, both delivered to a local HTTP receiver by a third thread as the delivery workers do. Cycles run as in
production: one per poll interval, and one when a commit asks for it (a call's end). No worker runs: the tasks
the code asks for after its commits wake these threads instead of going to the broker (``Requests``).

Counted for each phase: every SQL statement of every Django connection (a wrapper installed on each connection
as it is created), and from PostgreSQL's own statistics for the bench database the commits, rows inserted /
updated / deleted, the WAL written and the bytes the tables (with their indexes) grew by. The baseline, in the
same run: write transactions on a scratch table (1 and 10 pairs of UPDATE + INSERT per commit) from 2 and 8
sessions for 10 s each — what this server commits, and executes, per second — so that the per-call figures read
as calls per second.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.utils import timezone

from bench.table import print_table
from campaigns.intake import receive_contacts
from campaigns.models import Campaign
from campaigns.samples import sample_contacts
from campaigns.validation import ContactInput, validate_contact
from dialer.cycle import try_dial_next_batch
from dialer.esl.client import SwitchClient, configured_switch
from dialer.listener import EventListener
from dialer.models import Switch
from dialer.simulators.scenario import Scenario
from dialer.simulators.threaded import ThreadedSwitch
from dialer.tasks import deliver_due_voice_connector_messages
from outbound.celery import app
from reporting.attempt_records import deliver_due
from tests.fakes.http_receiver import HttpReceiver

CALLS = 2000
CAMPAIGN = "bench-per-call"
TABLES = ("campaigns_contact", "reporting_callhistory", "reporting_attemptrecord", "dialer_voiceconnectormessage")
BASELINE_SECONDS = 10.0
BASELINE_SESSIONS = (2, 8)


def scenario() -> Scenario:
    """Quick calls, so the run measures the database rather than waiting: most answered for a tenth of a
    second, some busy, some never answered (they ring 0.2 s)."""
    return Scenario(
        answer_ratio=0.7, busy_ratio=0.15, ring_seconds=(0.01, 0.03), talk_seconds=(0.05, 0.1),
        no_answer_seconds=0.2, seed=11,
    )  # fmt: skip


class StatementCounter:
    """Every statement of every Django connection, by the thread that ran it (thread-safe).

    Installed on each connection as it is created (``connection_created``), so the listener's and the delivery
    thread's connections are counted as well as this thread's. BEGIN and COMMIT are not statements here: Django
    sends them through the driver, not through ``execute``.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_thread: Counter[str] = Counter()

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        """Django's execute wrapper: one statement (or one ``executemany``) counted, then run."""
        with self.lock:
            self.by_thread[threading.current_thread().name] += 1
        return execute(sql, params, many, context)

    def install(self, sender: Any = None, connection: BaseDatabaseWrapper | None = None, **_: Any) -> None:
        """The ``connection_created`` receiver (and for a connection already open): once per connection."""
        if connection is not None and self not in connection.execute_wrappers:
            connection.execute_wrappers.append(self)

    def total(self) -> int:
        """All threads' statements so far (read under the lock: the listener may be counting)."""
        with self.lock:
            return sum(self.by_thread.values())


@dataclass
class Snapshot:
    """The bench database's counters, the WAL position and the tables' sizes at one instant."""

    commits: int
    rollbacks: int
    inserted: int
    updated: int
    deleted: int
    wal_lsn: str
    table_bytes: int
    other_commits: int  # other databases of the cluster: WAL is cluster-wide, this says whether it is ours
    contact_updates: int
    contact_hot_updates: int


@dataclass
class Cost:
    """One phase's totals: per call is each divided by the calls."""

    calls: int
    seconds: float
    statements: Counter[str] = field(default_factory=Counter)
    commits: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    wal_bytes: int = 0
    wal_bytes_ours: int = 0
    table_bytes: int = 0
    other_commits: int = 0
    contact_updates: int = 0
    contact_hot_updates: int = 0


class Probe:
    """The bench's own questions to PostgreSQL, on a connection of its own (never counted as the dialer's).

    Each of its queries is one transaction in ``pg_stat_database``: it counts them, so that they are taken
    out of the commits measured.
    """

    def __init__(self) -> None:
        self.conn = psycopg.connect(_dsn(), autocommit=True)
        self.queries = 0

    def one(self, sql: str, params: Any = None) -> Any:
        """One row of one query, counted (each is a transaction in the statistics read)."""
        self.queries += 1
        row = self.conn.execute(sql, params).fetchone()
        assert row is not None
        return row

    def close(self) -> None:
        """Closed inside the measured block, so that its backend's statistics are flushed before the reading."""
        self.conn.close()


def _dsn() -> str:
    """Django's database as a libpq string: the probe and the baseline talk to it outside Django's counting."""
    db = settings.DATABASES["default"]
    parts = {"dbname": db["NAME"], "user": db["USER"], "password": db["PASSWORD"], "host": db["HOST"]}
    parts["port"] = str(db["PORT"] or 5432)
    return " ".join(f"{key}='{value}'" for key, value in parts.items() if value)


def snapshot() -> Snapshot:
    """Read after every connection that wrote has closed: a backend's statistics are flushed when it exits
    (PostgreSQL 15 flushes a live backend's only every second or so). One query on a new connection, so its
    own transaction is not in what it reads."""
    time.sleep(1.5)
    probe = Probe()
    try:
        row = probe.one(
            """
            SELECT d.xact_commit, d.xact_rollback, d.tup_inserted, d.tup_updated, d.tup_deleted,
                   pg_current_wal_lsn()::text,
                   (SELECT sum(pg_total_relation_size(t::regclass))::bigint FROM unnest(%s::text[]) t),
                   (SELECT sum(o.xact_commit) FROM pg_stat_database o
                    WHERE o.datname IS DISTINCT FROM current_database())::bigint,
                   (SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'campaigns_contact'),
                   (SELECT n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'campaigns_contact')
            FROM pg_stat_database d WHERE d.datname = current_database()
            """,
            [list(TABLES)],
        )
    finally:
        probe.close()
    return Snapshot(*row)


def wal_of_this_database(start: str, end: str) -> int:
    """The WAL records from ``start`` to ``end`` that touch this database's relations, and every record of the
    transactions that wrote them (their commit records), read with pg_walinspect: the cluster's WAL position
    also moves with whatever else runs on the server."""
    probe = Probe()
    try:
        probe.conn.execute("CREATE EXTENSION IF NOT EXISTS pg_walinspect")
        return int(probe.one(_OUR_WAL, {"start": start, "end": end})[0] or 0)
    finally:
        probe.close()


_OUR_WAL = """
WITH r AS (SELECT xid, record_length, block_ref FROM pg_get_wal_records_info(%(start)s::pg_lsn, %(end)s::pg_lsn)),
mine AS (
    SELECT 'rel ' || (SELECT dattablespace FROM pg_database WHERE datname = current_database()) || '/'
        || (SELECT oid FROM pg_database WHERE datname = current_database()) || '/' AS tag
),
ours AS (SELECT DISTINCT xid FROM r, mine WHERE r.block_ref LIKE '%%' || mine.tag || '%%' AND r.xid <> '0')
SELECT sum(record_length) FROM r, mine
WHERE r.block_ref LIKE '%%' || mine.tag || '%%' OR r.xid IN (SELECT xid FROM ours)
"""


def wal_between(start: str, end: str) -> int:
    """WAL bytes from ``start`` to ``end`` (cluster-wide: PostgreSQL 15 keeps no WAL figure per database)."""
    probe = Probe()
    try:
        return int(probe.one("SELECT pg_wal_lsn_diff(%s::pg_lsn, %s::pg_lsn)", [end, start])[0])
    finally:
        probe.close()


@contextmanager
def measured(cost: Cost, counter: StatementCounter, probe_queries: Callable[[], int]) -> Iterator[Cost]:
    """Fill ``cost`` with what the block did; every Django connection is closed before each reading.

    A temporary replication slot (gone with its session) keeps the WAL of the block until it is read: other
    work on the server can otherwise recycle the segments within a minute."""
    keeper = psycopg.connect(_dsn(), autocommit=True)
    keeper.execute("SELECT pg_create_physical_replication_slot(%s, true, true)", [f"bench_per_call_{os.getpid()}"])
    connection.close()
    before = snapshot()
    counted = Counter(counter.by_thread)
    started = time.perf_counter()
    yield cost
    cost.seconds = time.perf_counter() - started
    connection.close()
    after = snapshot()
    cost.statements = Counter(counter.by_thread)
    cost.statements.subtract(counted)
    # The after-snapshot's own query is not in its reading; the before-snapshot's is (one), and the probes'.
    cost.commits = after.commits - before.commits - 1 - probe_queries()
    cost.inserted, cost.updated = after.inserted - before.inserted, after.updated - before.updated
    cost.deleted = after.deleted - before.deleted
    cost.wal_bytes = wal_between(before.wal_lsn, after.wal_lsn)
    cost.wal_bytes_ours = wal_of_this_database(before.wal_lsn, after.wal_lsn)
    keeper.close()
    cost.table_bytes = after.table_bytes - before.table_bytes
    cost.other_commits = after.other_commits - before.other_commits
    cost.contact_updates = after.contact_updates - before.contact_updates
    cost.contact_hot_updates = after.contact_hot_updates - before.contact_hot_updates


def empty_tables() -> None:
    """The measured tables start (and are left) empty in the bench's own database, as the other benches do."""
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(TABLES)}")
    Campaign.objects.filter(campaign_id=CAMPAIGN).delete()


def receive() -> None:
    """The contacts arrive as through the API: validated, then received in one call."""
    rows = sample_contacts(
        CALLS, campaign_id=CAMPAIGN, start=timezone.now() - timedelta(hours=1), first_number=4915200000000
    )
    inputs = [c for c in map(validate_contact, rows) if isinstance(c, ContactInput)]
    assert len(inputs) == CALLS
    receive_contacts(inputs)


def vacuum() -> None:
    """As autovacuum keeps a production table between loads and calls (outside what is measured)."""
    connection.close()
    with psycopg.connect(_dsn(), autocommit=True) as conn:
        for table in TABLES:
            conn.execute(f"VACUUM ANALYZE {table}")


class Requests:
    """Stands in for the broker and the workers' wake-ups: a task the code asks for after a commit (a cycle when
    a call ends, a delivery run when records are queued) wakes the thread that does that work here, instead of
    waiting in Redis for a worker that this benchmark does not run."""

    def __init__(self) -> None:
        self.cycle = threading.Event()
        self.delivery = threading.Event()
        self.asked: Counter[str] = Counter()

    def send_task(self, name: str, *args: Any, **kwargs: Any) -> None:
        """``Celery.send_task``'s place while the calls run."""
        self.asked[name] += 1
        if name == "dialer.tasks.dial_cycle":
            self.cycle.set()
        elif "deliver" in name:
            self.delivery.set()

    @contextmanager
    def installed(self) -> Iterator[Requests]:
        """On the Celery app for the block (``.delay()`` goes through ``send_task`` too). The app is made the
        default first: ``current_app`` on a thread that did not create it (the listener's here) is otherwise
        Celery's fallback app, not this project's."""
        app.set_default()
        app.send_task = self.send_task
        try:
            yield self
        finally:
            del app.send_task  # the class's method again


def dial_everything(probe: Probe) -> Requests:
    """Cycles on this thread, the listener on its own, deliveries on a third (one delivery worker), until every
    call has ended and every record and notification is delivered."""
    stop = threading.Event()
    requests = Requests()
    listener = EventListener(configured_switch(), stopping=stop.is_set)
    threads = [
        threading.Thread(target=_closing(listener.run), name="listener", daemon=True),
        threading.Thread(target=_closing(lambda: _deliver(stop, requests)), name="deliveries", daemon=True),
    ]
    for thread in threads:
        thread.start()
    client = SwitchClient(configured_switch())
    with requests.installed():
        try:
            _cycles(requests, client, probe)
            _wait_for(probe, _DELIVERED, "every record and notification delivered")
        finally:
            stop.set()
            requests.delivery.set()
            for thread in threads:
                thread.join(timeout=30)
    return requests


def _closing(target: Callable[[], None]) -> Callable[[], None]:
    """``target`` run on a thread that closes its connection at the end, so its statistics reach the reading."""

    def run() -> None:
        try:
            target()
        finally:
            connection.close()  # the backend exits and its statistics are flushed

    return run


def _cycles(requests: Requests, client: SwitchClient, probe: Probe) -> None:
    """As beat and the dialing workers do: one cycle per poll interval, and one when a call's end asked for it."""
    deadline = time.monotonic() + 600
    checked = 0.0
    while time.monotonic() < deadline:
        requests.cycle.clear()
        try_dial_next_batch(client)
        if time.monotonic() - checked >= 1.0:
            checked = time.monotonic()
            if probe.one(_UNFINISHED, [CAMPAIGN])[0] == 0:
                return
        requests.cycle.wait(settings.DIALER_POLL_INTERVAL)
    raise AssertionError("the calls did not all end within 10 minutes")


def _deliver(stop: threading.Event, requests: Requests) -> None:
    """As the delivery workers do: when a commit asked for it, and every second, whatever is due."""
    while not stop.is_set():
        requests.delivery.clear()
        sent = deliver_due(limit=500) + deliver_due_voice_connector_messages()
        if not sent:
            requests.delivery.wait(1.0)


def _wait_for(probe: Probe, sql: str, what: str, timeout: float = 120.0) -> None:
    """Until ``sql`` counts nothing left: the run ends when the last record and notification were delivered."""
    deadline = time.monotonic() + timeout
    while probe.one(sql)[0] != 0:
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


_UNFINISHED = "SELECT count(*) FROM campaigns_contact WHERE campaign_id = %s AND status NOT IN ('ended', 'failed')"
_DELIVERED = """
SELECT (SELECT count(*) FROM reporting_attemptrecord WHERE saved_at IS NULL)
     + (SELECT count(*) FROM dialer_voiceconnectormessage WHERE delivered_at IS NULL)
"""


@dataclass(frozen=True)
class Baseline:
    """What the server did with one kind of scratch transaction from ``sessions`` sessions."""

    sessions: int
    statements_per_commit: int
    commits_per_second: float
    wal_bytes_per_second: float

    @property
    def seconds_per_commit(self) -> float:
        """The server's time per transaction of this kind at this concurrency (its throughput's inverse)."""
        return 1.0 / self.commits_per_second


def baseline(sessions: int, pairs: int) -> Baseline:
    """Write transactions of ``pairs`` times (UPDATE one of 100 rows, INSERT a log row), then commit, from ``sessions``
    sessions for BASELINE_SECONDS. With one pair the commit (its WAL flush) dominates; with ten the statements do:
    the two together split the server's time into a cost per commit and a cost per statement."""
    with psycopg.connect(_dsn(), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_scratch_counter, bench_scratch_log")
        conn.execute("CREATE TABLE bench_scratch_counter (id int PRIMARY KEY, n bigint NOT NULL)")
        conn.execute("INSERT INTO bench_scratch_counter SELECT g, 0 FROM generate_series(1, 100) g")
        conn.execute(
            "CREATE TABLE bench_scratch_log (id bigserial PRIMARY KEY, k int NOT NULL, "
            "at timestamptz NOT NULL DEFAULT now(), note text NOT NULL)"
        )
        start_lsn = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]  # type: ignore[index]
    done = [0] * sessions
    stop_at = time.monotonic() + BASELINE_SECONDS

    def work(index: int) -> None:
        with psycopg.connect(_dsn()) as conn:
            k = index
            while time.monotonic() < stop_at:
                with conn.transaction():
                    for _ in range(pairs):
                        k = k % 100 + 1
                        conn.execute("UPDATE bench_scratch_counter SET n = n + 1 WHERE id = %s", [k])
                        conn.execute("INSERT INTO bench_scratch_log (k, note) VALUES (%s, %s)", [k, "a call ended"])
                done[index] += 1

    threads = [threading.Thread(target=work, args=[i]) for i in range(sessions)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    with psycopg.connect(_dsn(), autocommit=True) as conn:
        end_lsn = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]  # type: ignore[index]
        conn.execute("DROP TABLE bench_scratch_counter, bench_scratch_log")
    return Baseline(sessions, 2 * pairs, sum(done) / seconds, wal_between(start_lsn, end_lsn) / seconds)


def calls_per_second(small: Baseline, large: Baseline, *, commits: float, statements: float) -> float:
    """Calls per second if a call's commits and statements cost what the scratch ones cost at this concurrency:
    the server's time per commit ``a`` and per statement ``b`` from ``1/rate = a + n·b`` at the two sizes."""
    b = (large.seconds_per_commit - small.seconds_per_commit) / (
        large.statements_per_commit - small.statements_per_commit
    )
    a = small.seconds_per_commit - small.statements_per_commit * b
    return 1.0 / (commits * a + statements * b)


def server_settings() -> str:
    """The settings the figures depend on, printed with them (the test server's defaults here)."""
    probe = Probe()
    try:
        names = ("server_version", "fsync", "synchronous_commit", "shared_buffers", "max_wal_size")
        values = [str(probe.one(f"SHOW {name}")[0]) for name in names]
    finally:
        probe.close()
    return ", ".join(f"{n}={v}" for n, v in zip(names, values, strict=True))


def run() -> None:
    if Switch.objects.exists():
        raise SystemExit("per_call_cost needs a database with no switch rows (the settings' switch is dialed)")
    counter = StatementCounter()
    counter.install(connection=connection)
    connection_created.connect(counter.install, weak=False, dispatch_uid="bench-per-call-cost")
    switch = ThreadedSwitch(scenario()).start()
    receiver = HttpReceiver().start()
    settings.ESL_HOST, settings.ESL_PORT, settings.ESL_PASSWORD = "127.0.0.1", switch.port, "ClueCon"
    settings.MAX_CONCURRENT_CALLS = 50
    settings.DIALER_CALLS_PER_SECOND = 200.0
    settings.DIALER_POLL_INTERVAL = 1.0
    settings.DEFAULT_IVR = "5000"
    settings.ATTEMPT_RECORD_URL = f"{receiver.url}/attempts"
    settings.VOICE_CONNECTOR_URL, settings.VOICE_CONNECTOR_TOKEN = receiver.url, "bench"
    probe: Probe | None = None
    try:
        empty_tables()
        vacuum()
        intake = Cost(CALLS, 0.0)
        with measured(intake, counter, lambda: 0):
            receive()
        vacuum()
        probe = Probe()
        calls = Cost(CALLS, 0.0)
        with measured(calls, counter, lambda: probe.queries if probe else 0):
            asked = dial_everything(probe).asked
            probe.close()
        outcomes = _outcomes()
        received = len(receiver.received)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM reporting_callhistory")
            histories = int(cursor.fetchone()[0])
        bases = [(baseline(sessions, 1), baseline(sessions, 10)) for sessions in BASELINE_SESSIONS]
        about = server_settings()
    finally:
        connection_created.disconnect(dispatch_uid="bench-per-call-cost")
        while counter in connection.execute_wrappers:
            connection.execute_wrappers.remove(counter)
        switch.close()
        receiver.stop()
        empty_tables()
    _print(intake, calls, bases, about, outcomes=outcomes, histories=histories, posts=received)
    print("tasks the code asked for while the calls ran: " + ", ".join(f"{n} {c:,}" for n, c in asked.most_common()))


def _outcomes() -> str:
    """The calls' results, to show the mix measured (answered, busy, no answer)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT call_result, count(*) FROM campaigns_contact WHERE campaign_id = %s GROUP BY 1 ORDER BY 2 DESC",
            [CAMPAIGN],
        )
        return ", ".join(f"{result or '-'} {n:,}" for result, n in cursor.fetchall())


def _print(
    intake: Cost,
    calls: Cost,
    bases: list[tuple[Baseline, Baseline]],
    about: str,
    *,
    outcomes: str,
    histories: int,
    posts: int,
) -> None:
    """The mix measured, the per-call table, the statements by thread, and the baseline with calls/s."""
    print(
        f"\nPostgreSQL: {about}. {CALLS:,} IVR calls: {outcomes}; {histories:,} history rows; "
        f"{posts:,} POSTs received (attempt records, notifications). Dialing took {calls.seconds:.1f} s "
        f"({CALLS / calls.seconds:.0f} calls/s; throttle {settings.DIALER_CALLS_PER_SECOND:.0f}/s, "
        f"{settings.MAX_CONCURRENT_CALLS} lines)."
    )
    rows: list[tuple[object, ...]] = []
    for name, cost in (("intake (receive_contacts)", intake), ("dial → end → deliver", calls)):
        n = cost.calls
        rows.append(
            (
                name, cost.statements.total() / n, cost.statements.total(), cost.commits / n, cost.inserted / n,
                cost.updated / n, cost.deleted / n, cost.wal_bytes_ours / n, cost.wal_bytes / n,
                cost.table_bytes / n, cost.other_commits,
            )
        )  # fmt: skip
    print_table(
        f"database cost per contact / call ({CALLS:,}), all connections",
        ["phase", "statements", "(in all)", "commits", "rows ins", "rows upd", "rows del", "WAL bytes", "(cluster)",
         "table+index bytes", "other DBs' commits"],
        rows,
    )  # fmt: skip
    print_table(
        "statements per call by thread (dial → end → deliver)",
        ["thread", "statements/call"],
        [(thread, count / calls.calls) for thread, count in sorted(calls.statements.items()) if count],
    )
    hot = calls.contact_hot_updates / calls.contact_updates if calls.contact_updates else 0.0
    print(f"contact rows updated per call {calls.contact_updates / calls.calls:.2f}, of which HOT {hot:.0%}")
    commits, statements = calls.commits / calls.calls, calls.statements.total() / calls.calls
    wal = calls.wal_bytes_ours / calls.calls
    rows = []
    for small, large in bases:
        for scratch in (small, large):
            rows.append(
                (
                    scratch.sessions, scratch.statements_per_commit, scratch.commits_per_second,
                    scratch.commits_per_second * scratch.statements_per_commit,
                    scratch.wal_bytes_per_second / 1e6, scratch.commits_per_second / commits,
                    calls_per_second(small, large, commits=commits,
                                                                          statements=statements),
                )
            )  # fmt: skip
    print_table(
        f"baseline: scratch write transactions, {BASELINE_SECONDS:.0f} s each; calls/s at that rate "
        f"({commits:.2f} commits, {statements:.1f} statements, {wal:,.0f} WAL bytes per call)",
        ["sessions", "stmts/commit", "commits/s", "statements/s", "WAL MB/s", "calls/s by commits",
         "calls/s, commits + statements"],
        rows,
    )  # fmt: skip

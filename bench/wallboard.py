"""The wallboard (``/admin/``) at 10,000 and 1,000,000 contacts: its first paint and the htmx refresh that every
open console sends every 5 s (``HX-Request: true``, the wallboard fragment alone).

The wallboard promises to cost the database the same with ten contacts or ten million (``outbound/wallboard.py``):
it reads the count snapshots, the live contacts through a partial index, the statistics the beat computes ahead,
agent states, and the call history of the last minutes through its time indexes. A page polled by every operator
all day must keep that promise, so both requests are measured on the campaigns of ``bench/status_counts.py``
(64 campaigns, 150 calls in progress) grown from 10,000 to 1,000,000 contacts, with what does not grow with the
contacts held the same at both sizes: ``HISTORY`` calls over the last hour, two switches, ``PREDICTIVE`` predictive
campaigns (one pacing query each for their dial level) whose queues have agents, confirmed just before measuring.

Per request: median and p95 milliseconds over ``REPEAT`` requests, the number of SQL queries (it must not change
with the size) and the time spent in them, through Django's test client signed in as a superuser (who sees every
part). The statistics and the predictive campaigns' pacing history are kept cached, as the beat and the dial cycle
keep them between two polls. Beside them, in the same run, what the refresh would cost if it counted every contact
per campaign and status on each poll instead of reading the snapshots — the naive ``GROUP BY`` of
``bench/status_counts.py``, swapped in for the counts — and that ``GROUP BY`` alone.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from unittest import mock

from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.status_counts import CAMPAIGNS, PREFIX, REPEAT, create_campaigns, grown, naive_counts, samples_ms
from bench.table import print_table
from campaigns.choices import CampaignType, DialingMode
from campaigns.models import Campaign
from dialer.models import AgentState, AgentStateName, Switch
from dialer.results import ResultCode
from reporting import pacing_history, stats
from reporting.models import CallHistory

HISTORY = 3_000  # calls over the last hour, about 50 of them in the last minute
SWITCHES = ("wb-a", "wb-b")
PREDICTIVE = 4  # campaigns turned into predictive agent campaigns, each with a queue of its own
AGENTS = 20  # per queue
QUEUE = "wb-q"
USER = "bench-wallboard"
# How the history's calls ended: mostly answered, some dropped or abandoned, the rest not reached.
RESULTS = (ResultCode.ANSWER, ResultCode.ANSWER, ResultCode.NO_ANSWER, ResultCode.BUSY, ResultCode.DROPPED,
           ResultCode.ABANDONED)  # fmt: skip
AGENT_STATES = (AgentStateName.READY, AgentStateName.TALKING, AgentStateName.WRAPUP, AgentStateName.NOT_READY)


@dataclass(frozen=True)
class Measured:
    """One request measured ``REPEAT`` times: its timings and what each sent to the database."""

    median_ms: float
    p95_ms: float
    queries: str  # "12", or "12-14" if they differ from one request to the next
    sql_ms: float  # median time spent in those queries
    # The query that took longest (by its median over the requests), as sent, and that median: what to EXPLAIN.
    slowest_sql: str = ""
    slowest_ms: float = 0.0

    def row(self, size: str, request: str) -> tuple[object, ...]:
        return (size, request, self.median_ms, self.p95_ms, self.queries, self.sql_ms)


def measure(run: Callable[[], object], repeat: int = REPEAT) -> Measured:
    """``run`` timed by ``samples_ms``, each call's queries captured (the untimed warm-up's dropped)."""
    queries: list[int] = []
    sql_ms: list[float] = []
    # Each statement's times over the timed calls: the same request sends the same SQL text each time, so the
    # slowest is picked by its median, not by whichever query one noisy call happened to stall on.
    by_sql: dict[str, list[float]] = {}

    def captured() -> None:
        with CaptureQueriesContext(connection) as context:
            run()
        if queries:  # not the warm-up
            for query in context.captured_queries:
                by_sql.setdefault(query["sql"], []).append(float(query["time"]) * 1000)
        queries.append(len(context.captured_queries))
        sql_ms.append(sum(float(q["time"]) for q in context.captured_queries) * 1000)

    timings = samples_ms(captured, repeat)
    low, high = min(queries[1:]), max(queries[1:])
    medians = {sql: statistics.median(times) for sql, times in by_sql.items()}
    slowest = max(medians, key=medians.__getitem__, default="")
    return Measured(
        median_ms=statistics.median(timings),
        p95_ms=statistics.quantiles(timings, n=20, method="inclusive")[-1],
        queries=str(low) if low == high else f"{low}-{high}",
        sql_ms=statistics.median(sql_ms[1:]),
        slowest_sql=slowest,
        slowest_ms=medians.get(slowest, 0.0),
    )


def signed_in(username: str) -> Client:
    """A test client signed in as a new superuser ``username`` (who sees every part of every page)."""
    user = User.objects.create_superuser(username, password=None)
    console = Client(SERVER_NAME="127.0.0.1")  # an allowed host
    console.force_login(user)
    return console


def clear() -> None:
    """Remove what this benchmark adds beside the campaigns (a database with switch rows dials only on them)."""
    CallHistory.objects.filter(campaign_id__startswith=PREFIX).delete()
    AgentState.objects.filter(queue_name__startswith=QUEUE).delete()
    Switch.objects.filter(name__in=SWITCHES).delete()
    User.objects.filter(username=USER).delete()


def add_switches() -> None:
    for name in SWITCHES:
        Switch.objects.create(name=name, host="127.0.0.1", password="bench", max_concurrent_calls=100)


def add_agents() -> None:
    """``AGENTS`` agents in each predictive campaign's queue, in every state in turn."""
    now = timezone.now()
    AgentState.objects.bulk_create(
        AgentState(agent_extension=f"{9000 + a}", queue_name=f"{QUEUE}{q}", state=AGENT_STATES[a % len(AGENT_STATES)],
                   occurred_at=now - timedelta(seconds=30 + a), confirmed_at=now)
        for q in range(PREDICTIVE) for a in range(AGENTS)
    )  # fmt: skip


def make_predictive() -> None:
    """The first ``PREDICTIVE`` bench campaigns dial predictively for their queue, so the wallboard shows their dial
    level and agents (the others stay IVR campaigns)."""
    for q in range(PREDICTIVE):
        Campaign.objects.filter(campaign_id=f"{PREFIX}{q}").update(
            campaign_type=CampaignType.AGENT, dialing_mode=DialingMode.PREDICTIVE, queue_name=f"{QUEUE}{q}"
        )


def record_history(total: int = HISTORY) -> None:
    """``total`` calls dialed over the hour before now, 40 s each, across the campaigns and switches; written again
    before each size so that the last minutes hold the same calls at both."""
    CallHistory.objects.filter(campaign_id__startswith=PREFIX).delete()
    now = timezone.now()
    spacing = timedelta(hours=1) / total
    calls = []
    for n in range(total):
        dialing_at = now - (n + 1) * spacing
        released_at = dialing_at + timedelta(seconds=40)
        calls.append(
            CallHistory(
                contact_id=f"wb-{n}", campaign_id=f"{PREFIX}{n % CAMPAIGNS}", customer_number=f"+4930{n:07d}",
                campaign_type=CampaignType.IVR, switch_name=SWITCHES[n % len(SWITCHES)], dialing_at=dialing_at,
                answered_at=dialing_at + timedelta(seconds=8), released_at=released_at if released_at <= now else None,
                call_result_code=RESULTS[n % len(RESULTS)] if released_at <= now else None,
            )
        )  # fmt: skip
    CallHistory.objects.bulk_create(calls, batch_size=1000)


def confirm_agents() -> None:
    """The voice connector confirms the agents' states (they count only within AGENT_STATE_TTL)."""
    AgentState.objects.filter(queue_name__startswith=QUEUE).update(confirmed_at=timezone.now())


def run() -> None:
    clear()
    add_switches()
    add_agents()
    console = signed_in(USER)
    campaign_ids = [f"{PREFIX}{g}" for g in range(CAMPAIGNS)]

    def wallboard(headers: dict[str, str]) -> bytes:
        response = console.get("/admin/", headers=headers)
        assert response.status_code == 200
        assert b'id="wallboard"' in response.content
        return response.content

    def page() -> None:
        assert b"<html" in wallboard({})

    def refresh() -> None:
        assert b"<html" not in wallboard({"HX-Request": "true"})  # the fragment alone

    requests = (
        ("full page GET /admin/", page),
        ("refresh (HX-Request)", refresh),
    )
    rows: list[tuple[object, ...]] = []
    medians: dict[tuple[str, str], float] = {}
    try:
        with mock.patch.object(stats, "CACHE_SECONDS", 3600), mock.patch.object(pacing_history, "CACHE_SECONDS", 3600):
            for size in grown():
                make_predictive()
                record_history()
                stats.refresh_statistics()
                confirm_agents()
                for name, request in requests:
                    measured = measure(request)
                    medians[size, name] = measured.median_ms
                    rows.append(measured.row(size, name))
                with mock.patch("outbound.wallboard.contact_counts", naive_counts):
                    rows.append(measure(refresh).row(size, "naive: refresh counting every contact"))
                rows.append(measure(lambda: naive_counts(campaign_ids)).row(size, "naive: the GROUP BY alone"))
    finally:
        clear()
        create_campaigns()  # leave the bench database small
    for name, _ in requests:
        ratio = medians["1,000,000", name] / medians["10,000", name]
        rows.append(("1,000,000 / 10,000", f"{name}: median ratio", ratio, "", "", ""))
    print_table(
        f"the wallboard over {CAMPAIGNS} campaigns ({PREDICTIVE} predictive), {HISTORY:,} calls in the last hour "
        f"({REPEAT} requests each)",
        ["contacts", "request", "median ms", "p95 ms", "SQL queries", "SQL ms (median)"],
        rows,
    )

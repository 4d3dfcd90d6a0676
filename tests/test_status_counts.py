"""Contact counts in the status API, /metrics and the admin: live for calls in progress, from a periodic count with
its age for the rest, and never by reading every contact (issue 10)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.choices import ContactStatus
from campaigns.counts import COUNTED_STATUSES, LIVE_STATUSES
from campaigns.models import Contact, ContactCountSnapshot
from campaigns.tasks import refresh_contact_counts
from reporting.tasks import refresh_statistics
from tests.conftest import add_contacts
from tests.console_pages import list_rows
from tests.test_settings import start

EVERY_STATUS = list(ContactStatus.values)


def load(campaign_id: str, count: int, **statuses: int) -> list[str]:
    """``count`` contacts through the intake service, the first ones then moved to ``statuses`` behind its back."""
    ids = add_contacts(count, campaign_id)
    moved = 0
    for status, n in statuses.items():
        Contact.objects.filter(id__in=ids[moved : moved + n]).update(status=status)
        moved += n
    return ids


def campaign_in(body: dict[str, Any], campaign_id: str) -> dict[str, Any]:
    return next(c for c in body["campaigns"] if c["campaign_id"] == campaign_id)


def rows_per_status(campaign_id: str) -> dict[str, int]:
    counts = dict.fromkeys(EVERY_STATUS, 0)
    for status in Contact.objects.filter(campaign_id=campaign_id).values_list("status", flat=True):
        counts[status] += 1
    return counts


def test_the_status_api_counts_live_statuses_at_once_and_the_others_after_a_refresh(manager):
    ids = load("c1", 10, dialed=2, agent_pending=1, ended=3, failed=1, stopped=1)
    c1 = campaign_in(manager.get("/api/v1/dialer/status/").json(), "c1")
    assert c1["contacts"] == rows_per_status("c1")  # never counted: counted at its first read
    assert set(c1["contacts"]) == set(EVERY_STATUS)
    assert datetime.fromisoformat(c1["counted_at"])
    assert 0 <= c1["counts_age_seconds"] < 60

    Contact.objects.filter(id__in=ids[8:10]).update(status="dialed")  # two pending contacts are claimed
    Contact.objects.filter(id__in=ids[0:2]).update(status="ended")  # two calls end
    c1 = campaign_in(manager.get("/api/v1/dialer/status/").json(), "c1")
    assert c1["contacts"]["dialed"] == 2  # live: 2 + 2 claimed - 2 ended
    assert (c1["contacts"]["pending"], c1["contacts"]["ended"]) == (2, 3)  # as last counted

    refresh_contact_counts()
    body = manager.get("/api/v1/dialer/status/").json()
    assert campaign_in(body, "c1")["contacts"] == rows_per_status("c1")
    assert body["active_calls"] == 3


def test_a_campaign_without_contacts_shows_zeros_with_its_age(manager):
    assert manager.post("/api/v1/campaigns/", {"campaign_id": "empty"}, format="json").status_code == 201
    empty = campaign_in(manager.get("/api/v1/dialer/status/").json(), "empty")
    assert empty["contacts"] == dict.fromkeys(EVERY_STATUS, 0)
    assert empty["counts_age_seconds"] is not None


def test_contacts_received_show_at_once_and_a_stop_recounts_its_campaign(manager, django_capture_on_commit_callbacks):
    load("c1", 3)
    assert campaign_in(manager.get("/api/v1/dialer/status/").json(), "c1")["contacts"]["pending"] == 3
    with django_capture_on_commit_callbacks(execute=True):
        add_contacts(4, "c1")
    assert campaign_in(manager.get("/api/v1/dialer/status/").json(), "c1")["contacts"]["pending"] == 7
    with django_capture_on_commit_callbacks(execute=True):
        assert manager.post("/api/v1/campaigns/c1/stop/").status_code == 200
    contacts = campaign_in(manager.get("/api/v1/dialer/status/").json(), "c1")["contacts"]
    assert (contacts["pending"], contacts["stopped"]) == (0, 7)


def test_metrics_report_the_counts_and_their_age(client, manager):
    load("m1", 6, dialed=1, agent_pending=1, failed=2)
    text = client.get("/metrics").content.decode()
    for status, count in rows_per_status("m1").items():
        assert f'outbound_contacts{{campaign="m1",status="{status}"}} {count}.0' in text
    age = re.search(r'outbound_contact_counts_age_seconds\{campaign="m1"\} ([0-9.e+-]+)', text)
    assert age is not None
    assert 0 <= float(age.group(1)) < 60

    Contact.objects.filter(campaign_id="m1", status="pending").update(status="dialed")
    text = client.get("/metrics").content.decode()
    assert 'outbound_contacts{campaign="m1",status="dialed"} 3.0' in text  # live
    assert 'outbound_contacts{campaign="m1",status="pending"} 2.0' in text  # as last counted
    refresh_contact_counts()
    assert 'outbound_contacts{campaign="m1",status="pending"} 0.0' in client.get("/metrics").content.decode()


def test_the_admin_shows_the_same_counts(operator, manager):
    load("c1", 5, dialed=1, stopped=2)
    page = operator.get("/admin/campaigns/campaign/").content.decode()
    (cells,) = list_rows(page)
    rows = rows_per_status("c1")
    shown = {name: int(cells[name]) for name in ("dialable_now", "waiting", "done", "in_progress")}
    assert shown == {
        "dialable_now": rows.get("pending", 0), "waiting": rows.get("stopped", 0),
        "done": rows.get("ended", 0) + rows.get("failed", 0), "in_progress": rows.get("dialed", 0),
    }  # fmt: skip
    assert operator.get("/admin/campaigns/campaign/?o=3").status_code == 200  # sorted by state


def test_a_count_is_never_written_over_a_newer_one(db):
    load("c1", 2)
    refresh_contact_counts()
    later = ContactCountSnapshot.objects.filter(campaign_id="c1", status="pending")
    later.update(count=99, counted_at=datetime.now().astimezone() + timedelta(hours=1))
    refresh_contact_counts()
    assert later.get().count == 99


def test_the_refresh_is_periodic_and_on_the_deliveries_queue():
    entry = django_settings.CELERY_BEAT_SCHEDULE["contact-counts"]
    assert entry["task"] == "campaigns.tasks.refresh_contact_counts"
    assert entry["schedule"] == django_settings.CONTACT_COUNTS_INTERVAL == 30.0
    from outbound.celery import app

    assert app.amqp.router.route({}, "campaigns.tasks.refresh_contact_counts")["queue"].name == "deliveries"


def test_a_bad_counts_interval_stops_start_up_naming_it():
    result = start(CONTACT_COUNTS_INTERVAL="0")
    assert result.returncode != 0
    assert "CONTACT_COUNTS_INTERVAL" in result.stderr


# --- Cost: what a request reads of the contacts does not grow with them ---


def contact_rows_read(sql: str) -> int:
    """Rows one scan of campaigns_contact reads in the statement, by EXPLAIN ANALYZE with sequential scans discouraged.

    A tiny table is always scanned whole otherwise; with seq scans off the planner takes an index wherever the
    statement has a condition an index answers, and reads the whole index where it has none.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        (plan,) = cursor.fetchone()
        cursor.execute("SET LOCAL enable_seqscan = on")
    return _rows_in(plan[0]["Plan"])


def _rows_in(node: dict[str, Any]) -> int:
    """The most rows one scan of campaigns_contact reads in the plan (per execution: a subquery runs per campaign)."""
    rows = 0
    if node.get("Relation Name") == "campaigns_contact":
        rows = (
            node["Actual Rows"] + node.get("Rows Removed by Filter", 0) + node.get("Rows Removed by Index Recheck", 0)
        )
    return max([rows, *(_rows_in(child) for child in node.get("Plans", []))])


def contact_reads(queries: CaptureQueriesContext) -> list[tuple[int, str]]:
    return [
        (contact_rows_read(q["sql"]), q["sql"])
        for q in queries.captured_queries
        if re.search(r"\bcampaigns_contact\b", q["sql"]) and q["sql"].lstrip().upper().startswith("SELECT")
    ]


def many_contacts(per_campaign: int) -> int:
    """Three campaigns of ``per_campaign`` contacts, two of each in a call, the rest in every other status."""
    live = 0
    for campaign_id in ("k1", "k2", "k3"):
        rest = per_campaign - 2
        load(campaign_id, per_campaign, dialed=1, agent_pending=1, ended=rest // 3, failed=rest // 3)
        live += 2
    refresh_contact_counts()
    return live


def test_the_status_api_reads_only_the_contacts_in_a_call(manager, django_assert_max_num_queries):
    live = many_contacts(40)
    refresh_statistics()  # the periodic task keeps them computed ahead of the polls
    with django_assert_max_num_queries(8), CaptureQueriesContext(connection) as queries:
        assert manager.get("/api/v1/dialer/status/").status_code == 200
    reads = contact_reads(queries)
    assert reads, "the live statuses are read from the contacts"
    for rows, sql in reads:
        assert rows <= live, f"{rows} contacts read by: {sql}"


def test_metrics_read_only_the_contacts_in_a_call(db, client, django_assert_max_num_queries):
    live = many_contacts(40)
    # A fixed number: the campaign series, the backlogs, and each switch's (its rows, its calls in one grouped query).
    with django_assert_max_num_queries(10), CaptureQueriesContext(connection) as queries:
        assert client.get("/metrics").status_code == 200
    for rows, sql in contact_reads(queries):
        assert rows <= live, f"{rows} contacts read by: {sql}"


def test_the_admin_campaign_list_reads_only_the_contacts_in_a_call(operator):
    live = many_contacts(40)
    refresh_statistics()
    with CaptureQueriesContext(connection) as queries:
        assert operator.get("/admin/campaigns/campaign/").status_code == 200
    reads = contact_reads(queries)
    assert reads
    for rows, sql in reads:
        assert rows <= live, f"{rows} contacts read by: {sql}"


def test_the_number_of_queries_does_not_grow_with_the_contacts(manager, client):
    def queries_for(path: str, api: Any) -> int:
        api.get(path)
        with CaptureQueriesContext(connection) as queries:
            api.get(path)
        return len(queries.captured_queries)

    many_contacts(6)
    few = (queries_for("/api/v1/dialer/status/", manager), queries_for("/metrics", client))
    many_contacts(200)
    assert (queries_for("/api/v1/dialer/status/", manager), queries_for("/metrics", client)) == few


def test_the_statuses_split_into_live_and_counted():
    assert set(LIVE_STATUSES) == {"dialed", "agent_pending"}
    assert set(LIVE_STATUSES) | set(COUNTED_STATUSES) == set(EVERY_STATUS)


def test_statistics_are_computed_ahead_of_the_polls_and_served_with_their_age(manager):
    load("s1", 3)
    assert refresh_statistics() == 1
    with CaptureQueriesContext(connection) as queries:
        body = campaign_in(manager.get("/api/v1/dialer/status/").json(), "s1")
    assert not [q for q in queries.captured_queries if "campaigns_contact" in q["sql"] and "'pending'" in q["sql"]]
    assert "GSW_STAT_HIT_RATIO" in body["statistics"]
    assert 0 <= body["statistics_age_seconds"] < 60
    assert "campaign-statistics" in django_settings.CELERY_BEAT_SCHEDULE

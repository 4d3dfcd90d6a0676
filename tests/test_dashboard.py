"""Statistics where operators look: "Calls over time", the campaign pages and the dialer status API."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from reporting.dashboard import (
    WINDOWS,
    Interval,
    ResultCount,
    bounds,
    breakdown,
    chart,
    fill,
    nice_step,
    select,
    time_series,
)
from reporting.models import CallHistory
from tests.conftest import contacts_payload
from tests.console_pages import list_rows

T10 = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def call(campaign_id: str, released_at: datetime, result: str = "Normal clearing", n: int = 0) -> CallHistory:
    return CallHistory.objects.create(
        contact_id=f"{campaign_id}-{released_at:%H%M%S}-{n}", campaign_id=campaign_id, contact_list="default",
        customer_number="+491", campaign_type="IVR", dialing_at=released_at - timedelta(minutes=1),
        released_at=released_at, call_result=result, call_result_code=33,
    )  # fmt: skip


@pytest.fixture
def history(manager):
    manager.post("/api/v1/contacts/", contacts_payload(2, "c1"), format="json")
    now = timezone.now()
    for n, (code, result) in enumerate([(33, "Normal clearing"), (33, "Normal clearing"), (6, "User busy")]):
        CallHistory.objects.create(
            contact_id=f"h{n}", campaign_id="c1", contact_list="default", customer_number="+491",
            campaign_type="IVR", dialing_at=now - timedelta(minutes=3), released_at=now - timedelta(minutes=2),
            call_result=result, call_result_code=code,
        )  # fmt: skip


def six_hours(rows: list[ResultCount], now: datetime = T10 + timedelta(hours=1, minutes=7)) -> list[Interval]:
    start, end = bounds(WINDOWS["6h"], now, UTC)
    return fill(rows, start, end, WINDOWS["6h"].bucket)


# --- The decisions, without a database ---


def test_every_interval_of_the_window_is_there_the_empty_ones_with_zero_calls():
    intervals = six_hours([ResultCount(T10, "Answer", 4), ResultCount(T10 + timedelta(hours=1), "Busy", 2)])
    assert len(intervals) == 24  # 6 h of 15 min
    assert (intervals[0].start, intervals[-1].end) == (
        T10 - timedelta(hours=4, minutes=45),
        T10 + timedelta(hours=1.25),
    )
    by_start = {interval.start: interval.total for interval in intervals}
    assert by_start[T10] == 4
    assert [by_start[T10 + timedelta(minutes=m)] for m in (15, 30, 45)] == [0, 0, 0]
    assert by_start[T10 + timedelta(hours=1)] == 2
    assert all(later.start == earlier.end for earlier, later in itertools.pairwise(intervals))


def test_the_window_ends_with_the_interval_now_is_in_on_the_local_clock():
    berlin = ZoneInfo("Europe/Berlin")
    start, end = bounds(WINDOWS["24h"], datetime(2026, 11, 21, 9, 40, tzinfo=UTC), berlin)
    assert (f"{start:%d %H:%M}", f"{end:%d %H:%M}") == ("20 11:00", "21 11:00")  # 10:40 in Berlin, hourly bars
    start, end = bounds(WINDOWS["7d"], datetime(2026, 11, 21, 9, 40, tzinfo=UTC), berlin)
    assert (f"{start:%d %H:%M}", f"{end:%d %H:%M}") == ("14 12:00", "21 12:00")  # 6 h bars from local midnight


def test_empty_intervals_keep_their_place_on_the_axis_and_bars_stack_by_result():
    rows = [
        ResultCount(T10, "Answer", 12),
        ResultCount(T10, "Busy", 3),
        ResultCount(T10 + timedelta(hours=1), "Busy", 6),
    ]
    intervals = six_hours(rows)
    drawn = chart(intervals, width=960, height=300)
    xs = [column.x for column in drawn.columns]
    assert len(xs) == 24
    assert (
        max(b - a for a, b in itertools.pairwise(xs)) - min(b - a for a, b in itertools.pairwise(xs)) < 0.02
    )  # evenly spaced, gaps included
    ten = drawn.columns[[interval.start for interval in intervals].index(T10)]
    answer, busy = ten.segments
    assert answer.height == pytest.approx(4 * busy.height)
    assert answer.y + answer.height == drawn.bottom  # the most frequent result at the bottom
    assert busy.y + busy.height == pytest.approx(answer.y)
    assert ten.title == "10:00\u201310:15 · Answer 12 · Busy 3"
    empty = drawn.columns[[interval.start for interval in intervals].index(T10 + timedelta(minutes=15))]
    assert (empty.segments, empty.title) == ([], "10:15\u201310:30 · no calls")
    assert [(entry.result, entry.calls) for entry in drawn.legend] == [("Answer", 12), ("Busy", 9)]
    assert drawn.legend[0].colour != drawn.legend[1].colour
    assert (drawn.y_title, drawn.x_title) == ("calls ended per 15 min", "time (UTC)")


def test_the_time_axis_is_labelled_on_round_times_with_the_date_where_the_window_spans_days():
    six = chart(six_hours([]))
    assert [(tick.label, tick.date) for tick in six.x_ticks] == [(f"{h:02}:00", "") for h in range(6, 12)]
    assert six.x_ticks[0].at == pytest.approx(six.columns[3].x - (six.columns[1].x - six.columns[0].x) * 0.1, abs=0.02)
    start, end = bounds(WINDOWS["24h"], datetime(2026, 11, 21, 10, 7, tzinfo=UTC), UTC)
    day = chart(fill([], start, end, WINDOWS["24h"].bucket))
    labels = [(tick.label, tick.date) for tick in day.x_ticks]
    assert labels == [
        ("12:00", "Fri 20 Nov"), ("15:00", ""), ("18:00", ""), ("21:00", ""),
        ("00:00", "Sat 21 Nov"), ("03:00", ""), ("06:00", ""), ("09:00", ""),
    ]  # fmt: skip
    assert day.columns[0].title.startswith("Fri 20 Nov 11:00\u201312:00")
    start, end = bounds(WINDOWS["1h"], datetime(2026, 11, 21, 10, 7, tzinfo=UTC), UTC)
    hour = chart(fill([], start, end, WINDOWS["1h"].bucket))
    assert [tick.label for tick in hour.x_ticks] == ["09:10", "09:20", "09:30", "09:40", "09:50", "10:00"]
    assert hour.y_title == "calls ended per 2 min"


@pytest.mark.parametrize("tallest", [0, 1, 3, 7, 12, 49, 50, 51, 99, 230, 1001, 7777])
def test_the_y_ticks_are_nice_numbers_covering_the_tallest_bar(tallest):
    drawn = chart(six_hours([ResultCount(T10, "Answer", tallest)]))
    values = [int(tick.label) for tick in drawn.y_ticks]
    step = values[1] - values[0]
    assert re.fullmatch(r"[125]0*", str(step))
    assert values == list(range(0, values[-1] + 1, step))
    assert values[-1] >= tallest
    assert values[-1] - step < max(tallest, 1)  # no tick above the first one over the tallest bar
    assert 2 <= len(values) <= 7
    assert (drawn.y_ticks[0].at, drawn.y_ticks[-1].at) == (drawn.bottom, drawn.top)


def test_nice_steps():
    assert [nice_step(n) for n in (0, 5, 6, 10, 11, 25, 26, 50, 51)] == [1, 1, 2, 2, 5, 5, 10, 10, 20]


def test_the_breakdown_counts_each_result_and_its_share_of_the_campaign():
    rows = [("c2", "Answer", 1), ("c1", "Answer", 6), ("c1", "Busy", 2), ("c1", "No answer", 2), ("c2", "Busy", 3)]
    table = breakdown(rows, {"c1": "Sales"})
    assert table.results == ["Answer", "Busy", "No answer"]
    c1, c2 = table.rows
    assert (c1.campaign_id, c1.name, c1.total, c2.name) == ("c1", "Sales", 10, None)
    assert [(share.calls, share.percent) for share in c1.shares] == [(6, 60.0), (2, 20.0), (2, 20.0)]
    assert [(share.calls, share.percent) for share in c2.shares] == [(1, 25.0), (3, 75.0), (0, 0.0)]
    assert [(share.calls, round(share.percent, 1)) for share in table.total.shares] == [(7, 50.0), (5, 35.7), (2, 14.3)]
    assert table.total.total == 14


def test_a_bad_window_or_campaign_falls_back_with_a_notice():
    assert select(None, None, {"c1"}) == select("6h", "", {"c1"})
    assert select("7d", "c1", {"c1"}).notices == []
    shown = select("2y", "nope", {"c1"})
    assert (shown.window, shown.campaign_id) == ("6h", None)
    assert shown.notices == [
        "Unknown window “2y”: showing the last 6 hours.",
        "No campaign “nope”: showing all campaigns.",
    ]


# --- The database and the page ---


@pytest.mark.django_db
def test_the_time_series_counts_calls_per_interval_in_one_query_and_per_campaign(django_assert_num_queries):
    for n in range(3):
        call("c1", T10 + timedelta(seconds=n))
    call("c1", T10 + timedelta(hours=1, minutes=14), "User busy")
    call("c2", T10 + timedelta(minutes=5))
    call("c1", T10 - timedelta(hours=7))  # before the window
    call("c1", T10 + timedelta(minutes=3), "")
    now = T10 + timedelta(hours=1, minutes=20)
    with django_assert_num_queries(1):
        every = time_series(campaign_id=None, window="6h", now=now)
    totals = {column.title.split(" · ")[0]: column.title for column in every.columns}
    assert len(every.columns) == 24
    assert totals["10:00\u201310:15"] == "10:00\u201310:15 · Normal clearing 4 · (no result) 1"
    assert totals["10:15\u201310:30"] == "10:15\u201310:30 · no calls"
    assert totals["11:00\u201311:15"] == "11:00\u201311:15 · User busy 1"
    assert every.total == 6
    one = time_series(campaign_id="c1", window="6h", now=now)
    assert one.total == 5
    assert one.columns[-6].title == "10:00\u201310:15 · Normal clearing 3 · (no result) 1"


def test_the_page_draws_calls_over_time_and_results_per_campaign(operator, manager, history):
    manager.post("/api/v1/contacts/", contacts_payload(1, "c2"), format="json")
    call("c2", timezone.now() - timedelta(minutes=1), "User busy")
    page = operator.get("/admin/reporting/callhistory/dashboard/").content.decode()
    assert "Calls over time" in page
    assert 'viewBox="0 0 960 300" width="100%"' in page
    assert page.count('<g class="interval">') == 24  # 6 h of 15 min by default, empty ones included
    assert "· Normal clearing 2 · User busy " in page  # c2's call may be in the next interval
    assert "User busy <strong>2</strong>" in re.sub(r"\s+", " ", page)
    assert "calls ended per 15 min" in page
    assert "time (UTC)" in page
    assert '<a href="?campaign=c1&amp;window=6h">' in page
    assert "2 <small>66.7 %</small>" in page  # c1: 2 of its 3 calls ended in normal clearing
    assert "2 <small>50.0 %</small>" in page  # all campaigns: 2 of 4 calls ended busy
    assert '<option value="c1">' in page
    assert "<script" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]  # drawn by the server, no script


def test_the_campaign_filter_counts_only_that_campaign(operator, manager, history):
    manager.post("/api/v1/contacts/", contacts_payload(1, "c2"), format="json")
    call("c2", timezone.now() - timedelta(minutes=1), "User busy")
    page = operator.get("/admin/reporting/callhistory/dashboard/?campaign=c2&window=1h").content.decode()
    assert page.count('<g class="interval">') == 30  # 1 h of 2 min
    assert "· User busy 1</title>" in page
    assert "Normal clearing" not in page.split("Results per campaign")[0]
    assert '<option value="c2" selected>' in page
    assert '<a href="?window=24h&amp;campaign=c2"' in page


@pytest.mark.parametrize(
    "query", ["?window=2y", "?window=6H", "?window=%3Cb%3E", "?campaign=nope", "?campaign=c1%27--&window="]
)
def test_a_bad_window_or_campaign_shows_a_notice_not_an_error(operator, history, query):
    response = operator.get(f"/admin/reporting/callhistory/dashboard/{query}")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="notice"' in page
    assert page.count('<g class="interval">') == 24


def test_the_campaign_page_and_the_status_api_carry_the_statistics(operator, manager, history):
    (row,) = list_rows(operator.get("/admin/campaigns/campaign/").content.decode())
    assert row["hit_ratio"] == "66.7 %"
    status = manager.get("/api/v1/dialer/status/").json()
    stats = next(c for c in status["campaigns"] if c["campaign_id"] == "c1")["statistics"]
    assert (stats["dialed"], stats["answered"], stats["GSW_STAT_HIT_RATIO"]) == (3, 2, 0.6667)
    assert stats["GSW_CALLING_LISTS"][0]["GSW_CALLING_LIST"] == "default"

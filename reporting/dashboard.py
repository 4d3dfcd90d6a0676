"""The operators' "Calls over time": calls ended per interval by result, drawn as SVG (no script, no CDN).

The decisions (which intervals, the geometry of the chart, the per-campaign breakdown) are pure functions over
plain values, tested on their own; the two reads of the database are the thin `time_series` and `results_by_campaign`.

To draw one campaign's chart on another page::

    chart = time_series(campaign_id=campaign.campaign_id, window="24h")
    {% include "admin/reporting/time_series.html" with chart=chart %}
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Final

from django.db.models import Count, DateTimeField, Func, QuerySet, Value
from django.utils import timezone

from reporting.models import CallHistory


@dataclass(frozen=True)
class Window:
    """How far back the page looks, and the interval one bar stands for (24 to 48 bars whatever the window)."""

    key: str
    span: timedelta
    bucket: timedelta
    label: str


WINDOWS: Final = {
    window.key: window
    for window in (
        Window("1h", timedelta(hours=1), timedelta(minutes=2), "last hour"),
        Window("6h", timedelta(hours=6), timedelta(minutes=15), "last 6 hours"),
        Window("24h", timedelta(hours=24), timedelta(hours=1), "last 24 hours"),
        Window("7d", timedelta(days=7), timedelta(hours=6), "last 7 days"),
    )
}
DEFAULT_WINDOW: Final = "6h"
# Where date_bin's grid starts: local midnight, so that 1 h and 6 h intervals begin on the hour of the operators' clock.
GRID_ORIGIN: Final = datetime(2000, 1, 1)  # naive: given the display time zone where used
NO_RESULT: Final = "(no result)"
COLOURS: Final = ("#2e7d32", "#f9a825", "#c62828", "#1565c0", "#6a1b9a", "#00838f", "#8d6e63", "#546e7a")
# The chart's own coordinates (viewBox); it is drawn at 100 % of the page's width and scales with it.
WIDTH: Final = 960
HEIGHT: Final = 300
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 56, 12, 12, 58
Y_TICKS: Final = 5  # about this many steps up the y axis
MAX_X_TICKS: Final = 8  # time labels along the x axis, at most: more would overlap at 1280 px
X_TICK_MINUTES: Final = (2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440)


@dataclass(frozen=True)
class Selection:
    """What the page shows, once the query string has been checked, and why it differs from what was asked."""

    window: str
    campaign_id: str | None
    notices: list[str]


@dataclass(frozen=True)
class ResultCount:
    """One row of the grouped query: the calls of one result that ended in the interval starting at `start`."""

    start: datetime
    result: str
    calls: int


@dataclass(frozen=True)
class Interval:
    """One interval of the window with its calls per result; empty (no calls) when none ended in it."""

    start: datetime
    end: datetime
    calls: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.calls.values())


@dataclass(frozen=True)
class Segment:
    """One result's part of a bar."""

    y: float
    height: float
    colour: str


@dataclass(frozen=True)
class Column:
    """One interval's place on the x axis, its stacked bar (no segment when empty) and its tooltip."""

    x: float
    width: float
    segments: list[Segment]
    title: str


@dataclass(frozen=True)
class Tick:
    """An axis label at `at` (x or y in chart coordinates); `date` only where the day changes on the x axis."""

    at: float
    label: str
    date: str = ""


@dataclass(frozen=True)
class LegendEntry:
    result: str
    colour: str
    calls: int


@dataclass(frozen=True)
class Chart:
    """Everything the template draws, already in chart coordinates: the template does no arithmetic."""

    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int
    columns: list[Column]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    legend: list[LegendEntry]
    y_title: str
    x_title: str
    total: int

    @property
    def middle_x(self) -> float:
        return (self.left + self.right) / 2

    @property
    def middle_y(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def plot_height(self) -> int:
        return self.bottom - self.top


@dataclass(frozen=True)
class Share:
    """Calls of one result, and their share (%) of the calls of the row they are in."""

    calls: int
    percent: float


@dataclass(frozen=True)
class BreakdownRow:
    """One campaign's calls by result; `name` None for a campaign id the Campaign table does not know (no link)."""

    campaign_id: str
    name: str | None
    shares: list[Share]
    total: int


@dataclass(frozen=True)
class Breakdown:
    results: list[str]
    rows: list[BreakdownRow]
    total: BreakdownRow


def select(window: str | None, campaign_id: str | None, campaigns: Collection[str]) -> Selection:
    """The window and campaign asked for, or the defaults with a notice: a mistyped link shows a page, not an error."""
    notices = []
    if window and window not in WINDOWS:
        notices.append(f"Unknown window “{window}”: showing the {WINDOWS[DEFAULT_WINDOW].label}.")
    if campaign_id and campaign_id not in campaigns:
        notices.append(f"No campaign “{campaign_id}”: showing all campaigns.")
    return Selection(
        window if window in WINDOWS else DEFAULT_WINDOW,
        campaign_id if campaign_id in campaigns else None,
        notices,
    )


def bounds(window: Window, now: datetime, zone: tzinfo) -> tuple[datetime, datetime]:
    """The window's start and end on the interval grid, in `zone`. It ends with the interval `now` is in (still
    filling), so that the latest calls are drawn and every bar but the last stands for a whole interval."""
    origin = GRID_ORIGIN.replace(tzinfo=zone).astimezone(UTC)  # arithmetic in UTC: no wall-clock jumps
    end = origin + ((now - origin) // window.bucket + 1) * window.bucket
    return (end - window.span).astimezone(zone), end.astimezone(zone)


def fill(rows: Iterable[ResultCount], start: datetime, end: datetime, bucket: timedelta) -> list[Interval]:
    """Every interval from `start` to `end`, the empty ones too (a gap in calls is a gap on the axis, not a
    missing bar); in the time zone of `start`."""
    calls: defaultdict[datetime, Counter[str]] = defaultdict(Counter)
    for row in rows:
        calls[row.start][row.result] += row.calls
    zone, first = start.tzinfo, start.astimezone(UTC)
    starts = [first + n * bucket for n in range((end - start) // bucket)]
    return [Interval(at.astimezone(zone), (at + bucket).astimezone(zone), calls.get(at, Counter())) for at in starts]


def nice_step(tallest: int, steps: int = Y_TICKS) -> int:
    """The smallest of 1, 2, 5 times 10^n that climbs over `tallest` in about `steps` steps."""
    magnitude = 1
    while True:
        for multiple in (1, 2, 5):
            if multiple * magnitude * steps >= tallest:
                return multiple * magnitude
        magnitude *= 10


def duration(bucket: timedelta) -> str:
    minutes = int(bucket.total_seconds() // 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h"


def ranked(counts: Iterable[Mapping[str, int]]) -> tuple[Counter[str], list[str]]:
    """The calls per result summed, and the results most frequent first (ties by name): the order of the stacks,
    the legend and the breakdown's columns, so that the big numbers come first."""
    totals: Counter[str] = Counter()
    for per_result in counts:
        totals.update(per_result)
    return totals, sorted(totals, key=lambda result: (-totals[result], result))


def chart(intervals: list[Interval], width: int = WIDTH, height: int = HEIGHT) -> Chart:
    """Stacked bars (most frequent result at the bottom) on a time axis, with nice y ticks over the tallest bar;
    `intervals` as from `fill` (at least one, consecutive, of the same length)."""
    totals, results = ranked(interval.calls for interval in intervals)
    colours = {result: COLOURS[i % len(COLOURS)] for i, result in enumerate(results)}
    left, top, right, bottom = MARGIN_LEFT, MARGIN_TOP, width - MARGIN_RIGHT, height - MARGIN_BOTTOM
    tallest = max(interval.total for interval in intervals)
    step = nice_step(tallest)
    ceiling = max(-(-tallest // step), 1) * step  # the first tick at or over the tallest bar
    scale = (bottom - top) / ceiling
    pitch = (right - left) / len(intervals)
    spans_days = intervals[0].start.date() != (intervals[-1].end - timedelta(seconds=1)).date()
    columns = []
    for n, interval in enumerate(intervals):
        segments, base = [], float(bottom)
        for result in results:
            if calls := interval.calls.get(result, 0):
                base -= calls * scale
                segments.append(Segment(round(base, 2), round(calls * scale, 2), colours[result]))
        when = f"{interval.start:%a %d %b }" if spans_days else ""
        counts = [f"{result} {interval.calls[result]}" for result in results if interval.calls.get(result)]
        title = " · ".join([f"{when}{interval.start:%H:%M}\u2013{interval.end:%H:%M}", *(counts or ["no calls"])])
        columns.append(Column(round(left + n * pitch + pitch * 0.1, 2), round(pitch * 0.8, 2), segments, title))
    zone, bucket = intervals[0].start.tzinfo, intervals[0].end - intervals[0].start
    return Chart(
        width, height, left, top, right, bottom, columns,
        x_ticks(intervals, left, pitch, spans_days),
        [Tick(round(bottom - value * scale, 2), str(value)) for value in range(0, ceiling + 1, step)],
        [LegendEntry(result, colours[result], totals[result]) for result in results],
        f"calls ended per {duration(bucket)}", f"time ({zone})", sum(totals.values()),
    )  # fmt: skip


def x_ticks(intervals: list[Interval], left: float, pitch: float, spans_days: bool) -> list[Tick]:
    """Time labels where the local clock is on a round step (every 10 min, hour, 3 h, day…) that leaves at most
    MAX_X_TICKS labels; the date under the first label and wherever the day changes, when the window spans days."""
    bucket = int((intervals[0].end - intervals[0].start).total_seconds() // 60)
    every = next(
        (m for m in X_TICK_MINUTES if m % bucket == 0 and len(intervals) * bucket / m <= MAX_X_TICKS),
        X_TICK_MINUTES[-1],
    )
    ticks, last_date = [], None
    for n, interval in enumerate(intervals):
        at = interval.start
        if (at.hour * 60 + at.minute) % every == 0:
            date = f"{at:%a %d %b}" if spans_days and at.date() != last_date else ""
            ticks.append(Tick(round(left + n * pitch, 2), f"{at:%H:%M}", date))
            last_date = at.date()
    return ticks


def breakdown(rows: Iterable[tuple[str, str, int]], names: Mapping[str, str]) -> Breakdown:
    """Campaign-by-result counts from (campaign id, result, calls) rows, each with its share of the campaign's calls,
    and a total row with each result's share of all calls; results by frequency, campaigns by id."""
    calls: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for campaign_id, result, n in rows:
        calls[campaign_id][result] += n
    totals, results = ranked(calls.values())

    def row(campaign_id: str, name: str | None, counts: Counter[str]) -> BreakdownRow:
        total = sum(counts.values())
        shares = [Share(counts[result], 100 * counts[result] / total if total else 0.0) for result in results]
        return BreakdownRow(campaign_id, name, shares, total)

    return Breakdown(
        results,
        [row(campaign_id, names.get(campaign_id), calls[campaign_id]) for campaign_id in sorted(calls)],
        row("", "Total", totals),
    )


def _window_bounds(window: str, now: datetime | None) -> tuple[Window, datetime, datetime]:
    chosen = WINDOWS[window]
    start, end = bounds(chosen, now or timezone.now(), timezone.get_current_timezone())
    return chosen, start, end


def _ended(start: datetime, end: datetime) -> QuerySet[CallHistory]:
    """The calls ended in [start, end), by index call_history_released: the cost follows the calls in the window,
    never the contacts. No ordering, which would otherwise join the GROUP BY."""
    return CallHistory.objects.filter(released_at__gte=start, released_at__lt=end).order_by()


def time_series(*, campaign_id: str | None, window: str, now: datetime | None = None) -> Chart:
    """The chart of calls ended per interval by result over `window` (a key of WINDOWS; KeyError otherwise),
    for one campaign or (None) all, in the current time zone; one grouped query (date_bin, result)."""
    chosen, start, end = _window_bounds(window, now)
    calls = _ended(start, end) if campaign_id is None else _ended(start, end).filter(campaign_id=campaign_id)
    # The grid starts at `start`, which is on it: the database's intervals are those of `fill`.
    interval = Func(
        Value(chosen.bucket), "released_at", Value(start), function="date_bin", output_field=DateTimeField()
    )
    rows = calls.annotate(interval=interval).values_list("interval", "call_result").annotate(calls=Count("id"))
    return chart(fill((ResultCount(at, result or NO_RESULT, n) for at, result, n in rows), start, end, chosen.bucket))


def results_by_campaign(*, window: str, names: Mapping[str, str], now: datetime | None = None) -> Breakdown:
    """Every campaign's calls by result over `window` (the same intervals as `time_series`): one grouped query."""
    _, start, end = _window_bounds(window, now)
    rows = _ended(start, end).values_list("campaign_id", "call_result").annotate(calls=Count("id"))
    return breakdown(((campaign_id, result or NO_RESULT, n) for campaign_id, result, n in rows), names)

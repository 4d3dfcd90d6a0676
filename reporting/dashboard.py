"""The operators' dashboard: calls and results over time, drawn as SVG (no script, no CDN)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from django.db import connection
from django.utils import timezone

BUCKET: Final = timedelta(minutes=10)
SPAN: Final = timedelta(hours=6)
COLOURS: Final = ("#2e7d32", "#f9a825", "#c62828", "#1565c0", "#6a1b9a", "#00838f", "#8d6e63", "#546e7a")


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


def results_over_time(now: datetime | None = None) -> list[tuple[datetime, str, int]]:
    """(bucket start, result, calls) for the calls that ended in the last SPAN."""
    since = (now or timezone.now()) - SPAN
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT date_bin(%s, released_at, timestamptz '2000-01-01'), coalesce(nullif(call_result, ''), '?'), "
            "count(*) FROM reporting_callhistory WHERE released_at >= %s GROUP BY 1, 2 ORDER BY 1, 2",
            [f"{int(BUCKET.total_seconds())} seconds", since],
        )
        return [(start, result, int(n)) for start, result, n in cursor.fetchall()]


def stacked_bars(
    rows: list[tuple[datetime, str, int]], *, width: float = 720, height: float = 200
) -> tuple[list[Bar], dict[str, str]]:
    """Bars stacked by result per bucket (pure); returns the bars and the legend (result → colour)."""
    results = sorted({result for _, result, _ in rows})
    legend = {result: COLOURS[i % len(COLOURS)] for i, result in enumerate(results)}
    buckets = sorted({start for start, _, _ in rows})
    totals = {start: sum(n for s, _, n in rows if s == start) for start in buckets}
    tallest = max(totals.values(), default=0) or 1
    step = width / max(len(buckets), 1)
    bars, stacked = [], dict.fromkeys(buckets, 0.0)
    for start, result, n in rows:
        column = buckets.index(start)
        bar_height = height * n / tallest
        stacked[start] += bar_height
        label = f"{start:%H:%M} {result}: {n}"
        bars.append(Bar(column * step + 1, height - stacked[start], step - 2, bar_height, legend[result], label))
    return bars, legend

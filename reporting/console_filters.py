"""List filters of the console that read the call history, at a cost that does not grow with the tables."""

from __future__ import annotations

from django.contrib import admin
from django.core.cache import cache
from django.http import HttpRequest

from campaigns.console_lists import ColumnFilter
from reporting.models import CallHistory

# The results offered are those of this many most recent calls: the stock filter listed the distinct values of the
# whole column, reading every contact (137 ms at 1,000,000) or call on each page of the list.
RECENT_CALLS = 10_000
OFFERED_FOR_SECONDS = 60


def recent_results() -> list[str]:
    """The results of the latest calls (index ``call_history_dialing``), shared by every list for a minute."""
    offered: list[str] | None = cache.get("console:recent-results")
    if offered is None:
        latest = CallHistory.objects.order_by("-dialing_at").values_list("call_result", flat=True)[:RECENT_CALLS]
        offered = sorted({result for result in latest if result})
        cache.set("console:recent-results", offered, OFFERED_FOR_SECONDS)
    return offered


class RecentResultFilter(ColumnFilter):
    """Rows by call result, offering the results of the latest calls; any result given in the address filters."""

    title = "call result"
    parameter_name = "call_result"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:  # type: ignore[type-arg]
        return [(result, result) for result in recent_results()]


def choices_filter(field: str, title: str, choices: list[tuple[str, str]]) -> type[admin.SimpleListFilter]:
    """A filter on a plain text column whose values are known (the history copies them from choice fields)."""

    class KnownValues(ColumnFilter):
        parameter_name = field

        def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:  # type: ignore[type-arg]
            return choices

    KnownValues.title = title
    KnownValues.__name__ = f"{field.title().replace('_', '')}Filter"
    return KnownValues

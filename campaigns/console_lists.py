"""What the console's long lists (contacts, do-not-call entries, calls) share: the campaign filter and number search.

``reporting`` builds its call history list from these too (it may import ``campaigns``, never the reverse).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from unfold.admin import ModelAdmin

from campaigns import dnc
from campaigns.models import Campaign
from campaigns.numbers import InvalidNumber, canonical_number


class CampaignFilter(admin.SimpleListFilter):
    """Rows of one campaign, offered from the campaigns table.

    The stock filter on a plain ``campaign_id`` column lists the column's distinct values, which reads every one of
    millions of contacts or calls on each page load; the campaigns table has a row per campaign. A campaign id that
    is no longer in it (history outlives a deleted campaign) still filters when given in the query string.
    """

    title = "campaign"
    parameter_name = "campaign_id"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:  # type: ignore[type-arg]
        return [(campaign_id, campaign_id) for campaign_id in Campaign.objects.values_list("campaign_id", flat=True)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset if value is None else queryset.filter(campaign_id=value)


def searched_numbers(term: str) -> frozenset[str]:
    """The stored forms of the number ``term`` names, however it is written (empty when it names none).

    Read as the Do-Not-Call list reads numbers (``canonical_number`` with ``DEFAULT_REGION``), and digits typed
    without '+' also as E.164 without its '+' ("4950100000011"), which needs no region. Contacts may be stored
    without the '+' (the intake accepts both), so each number is looked up in both forms: still exact matches,
    which the number indexes serve.
    """
    written = term.strip()
    candidates = (written,) if written.startswith("+") else (written, f"+{written}")
    numbers = set()
    for candidate in candidates:
        try:
            numbers.add(canonical_number(candidate, default_region=dnc.default_region()))
        except InvalidNumber:
            continue
    return frozenset(numbers | {number.removeprefix("+") for number in numbers})


class NumberSearchMixin(ModelAdmin):
    """The list's search also finds the rows of the number searched for, in any written form ("0501 0000 0006").

    Django's search splits "+49 501 0000 0006" into words that each must match a search field, so without this a
    number typed as people write it finds nothing. ``number_field`` is the model's number column.
    """

    number_field = "customer_number"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        numbers = searched_numbers(search_term)
        if not numbers:
            return found, may_have_duplicates
        return found | queryset.filter(**{f"{self.number_field}__in": numbers}), may_have_duplicates


def to_the_second(value: datetime | None) -> str | None:
    """A time as the lists show it: local, to the second (the admin's default format stops at minutes)."""
    return None if value is None else f"{timezone.localtime(value):%Y-%m-%d %H:%M:%S}"

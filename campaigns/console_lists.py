"""What the console's long lists (contacts, do-not-call entries, calls) share: the campaign filter and number search.

``reporting`` builds its call history list from these too (it may import ``campaigns``, never the reverse).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Field, Model, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from unfold.admin import ModelAdmin

from campaigns import dnc
from campaigns.models import Campaign
from campaigns.numbers import InvalidNumber, canonical_number


class ColumnFilter(admin.SimpleListFilter):
    """Rows whose column ``parameter_name`` holds the value chosen. Subclasses say which values are offered, from
    somewhere cheaper than the column itself: the stock filter of a plain column lists its distinct values, which
    reads every one of millions of rows on each page load. Any value given in the address filters."""

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset if value is None else queryset.filter(**{str(self.parameter_name): value})


class CampaignFilter(ColumnFilter):
    """Rows of one campaign, offered from the campaigns table.

    The campaigns table has a row per campaign. A campaign id that is no longer in it (history outlives a deleted
    campaign) still filters when given in the query string.
    """

    title = "campaign"
    parameter_name = "campaign_id"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:  # type: ignore[type-arg]
        return [(campaign_id, campaign_id) for campaign_id in Campaign.objects.values_list("campaign_id", flat=True)]


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


def exactly(model: type[Model], fields: tuple[str, ...], term: str) -> Q:
    """Rows whose ``fields`` hold ``term`` as typed or in lower case (ids are stored in lower case), compared as the
    columns' indexes can answer; a field that cannot hold the term (a UUID column and a number) is left out."""
    written = term.strip()
    match = Q(pk__in=[])
    for name in fields:
        field = model._meta.get_field(name)
        try:
            values = (
                {field.to_python(value) for value in (written, written.lower())} if isinstance(field, Field) else set()
            )
        except ValidationError:
            continue
        match |= Q(**{f"{name}__in": values})
    return match


class NumberSearchMixin(ModelAdmin):
    """The list's search: the term exactly, in each of the ``search_fields`` named with "=", and the rows of the
    number searched for in any written form ("0501 0000 0006").

    Django's "=" search compares the upper case of both sides, which no index serves: one contact among 1,000,000
    took 0.6 s to find, reading every row. Here each is an exact comparison its column's index answers. Django's
    search also splits "+49 501 0000 0006" into words that must each match, so a number typed as people write it
    found nothing; ``number_field`` is the model's number column, searched in its stored forms. A search field
    without "=" is searched for the term anywhere in it, as Django does (a search that reads the whole table).
    """

    number_field = "customer_number"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        if not search_term.strip():
            return queryset, False
        exact = tuple(name[1:] for name in self.search_fields if name.startswith("="))
        match = exactly(queryset.model, exact, search_term)
        for name in (name for name in self.search_fields if not name.startswith("=")):
            match |= Q(**{f"{name}__icontains": search_term.strip()})
        numbers = searched_numbers(search_term)
        if numbers:
            match |= Q(**{f"{self.number_field}__in": numbers})
        return queryset.filter(match), False


def to_the_second(value: datetime | None) -> str | None:
    """A time as the lists show it: local, to the second (the admin's default format stops at minutes)."""
    return None if value is None else f"{timezone.localtime(value):%Y-%m-%d %H:%M:%S}"

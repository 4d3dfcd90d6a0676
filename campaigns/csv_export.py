"""A console list downloaded as CSV, exactly as it is filtered and searched on screen, however long it is.

The rows are streamed: read from the database through a server-side cursor ``CHUNK`` rows at a time and written
out as they are read, so that a million contacts take the memory of one chunk, in the web process and in the
database driver alike. ``reporting`` exports its call history with this module too.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, Final

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import lookup_field
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from unfold.admin import ModelAdmin

# Rows read from the cursor, and written out, at a time.
CHUNK: Final = 2000
# What a spreadsheet opening the file takes for the start of a formula (OWASP's list: tab and CR too).
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
# A signed whole number is read as a number, never as a formula that calls anything (see ``cell``).
_SIGNED_NUMBER: Final = re.compile(r"[+-][0-9]+")


def cell(value: object) -> object:
    """A value as the file holds it: times in ISO 8601 with their offset, nothing for NULL, text that a spreadsheet
    would run as a formula ("=HYPERLINK(…)", "@SUM(…)") behind an apostrophe, so that it is shown, never run.

    A signed whole number stays as it is: it can call nothing, and it is how E.164 phone numbers are written
    ("+4950100000011"). The exemption is by content, not by column: numbers in history rows are not checked by
    the database, so a column of numbers cannot vouch for what a row holds; and an apostrophe there would reach
    every program that reads the file (a CRM import, a script) as part of the number.
    """
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _SIGNED_NUMBER.fullmatch(value):
        return f"'{value}"
    return value


class _Line:
    """The file ``csv.writer`` writes to: it hands each line back, to be sent instead of stored."""

    def write(self, line: str) -> str:
        return line


def _lines(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(header)
    remaining = iter(rows)
    while chunk := list(itertools.islice(remaining, CHUNK)):  # one write per chunk, not per row
        yield "".join(writer.writerow([cell(value) for value in row]) for row in chunk)


def streaming_csv(name: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> StreamingHttpResponse:
    """A download of ``rows`` under ``header``, named ``<name>-<UTC time>.csv``; ``rows`` is read while it is sent."""
    response = StreamingHttpResponse(_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{timezone.now():%Y%m%dT%H%M%SZ}.csv"'
    return response


class CsvExportMixin(ModelAdmin):
    """An "Export CSV" link on the list (``export_url`` in its template) downloading every row the list shows.

    The rows are the list's own: its filters, search and order, every page of it. ``csv_columns`` names the columns
    as ``list_display`` does (a field, or a method of the admin taking the row); the header row repeats the names.
    Whoever may read the list may download it: the model's view permission.
    """

    csv_columns: tuple[str, ...] = ()

    def _url_name(self, view: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{view}"

    def get_urls(self) -> list[URLPattern]:
        export = path("export/", self.admin_site.admin_view(self.export_view), name=self._url_name("export"))
        return [export, *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """The export link carries the list's query string: its filters, search and order."""
        url = reverse(f"admin:{self._url_name('export')}")
        query = request.GET.urlencode()
        context = {**(extra_context or {}), "export_url": f"{url}?{query}" if query else url}
        response: HttpResponse = super().changelist_view(request, context)
        return response

    def export_view(self, request: HttpRequest) -> HttpResponseBase:
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:  # as the list answers a filter it cannot apply
            return HttpResponseRedirect(reverse(f"admin:{self._url_name('changelist')}") + "?e=1")
        rows = (self.csv_row(obj) for obj in changelist.get_queryset(request).iterator(chunk_size=CHUNK))
        return streaming_csv(str(self.opts.model_name), self.csv_columns, rows)

    def csv_row(self, obj: Model) -> list[object]:
        return [lookup_field(name, obj, self)[2] for name in self.csv_columns]

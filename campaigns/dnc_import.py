"""Do-Not-Call entries from CSV (``import_dnc`` and the admin's Import CSV page), reported as contacts are.

Each row goes through ``dnc.validate_entry``, the rule of the API and the admin; good rows are listed
with ``dnc.add_entries`` in one transaction (an interrupted import lists nothing, a re-run one changes
nothing), bad rows are reported with their line, field and reason in the contact importer's
``RowError``. A number listed twice in the file (in any two spellings) is reported on its later lines.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, TextIO

from django.db import transaction

from campaigns.dnc import ENTRY_FIELDS, Entry, add_entries, repeats, validate_entry
from campaigns.importer import ImportFileError, ImportReport, RowError

_PROGRESS_EVERY: Final = 1000


@dataclass
class DncImportReport(ImportReport):
    """``imported`` counts new entries, ``already_present`` those listed as they are; ``updated`` the rest."""

    updated: int = 0


def import_entries(
    stream: TextIO,
    *,
    added_by: str,
    now: datetime,
    campaign_id: str = "",
    expires_at: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> DncImportReport:
    """Import a CSV whose header names ``customer_number`` and any of ``campaign_id, expires_at, reason``.

    ``campaign_id`` and ``expires_at`` apply to the rows that leave theirs empty ("" and None: every
    campaign, for good). ``progress`` is called with the number of rows read since its last call.
    """
    reader = csv.reader(stream)
    header = _check_header(next(reader, None))
    report = DncImportReport()
    entries: list[Entry] = []
    lines: list[int] = []
    for row in reader:
        report.rows += 1
        if progress is not None and report.rows % _PROGRESS_EVERY == 0:
            progress(_PROGRESS_EVERY)
        if len(row) != len(header):
            message = f"has {len(row)} values, the header has {len(header)}"
            report.errors.append(RowError(reader.line_num, None, "row", message))
            continue
        raw: dict[str, Any] = {name: value.strip() for name, value in zip(header, row, strict=True)}
        raw["campaign_id"] = raw.get("campaign_id") or campaign_id
        raw["expires_at"] = raw.get("expires_at") or expires_at
        result = validate_entry(raw, now=now)
        if isinstance(result, Entry):
            entries.append(result)
            lines.append(reader.line_num)
        else:
            report.errors.extend(RowError(reader.line_num, None, e.field, e.message) for e in result)
    if progress is not None:
        progress(report.rows % _PROGRESS_EVERY)
    repeated = repeats(entries)
    for position, first in repeated.items():
        scope = entries[position].campaign_id or "every campaign"
        message = f"repeats line {lines[first]}: {entries[position].customer_number} for {scope}"
        report.errors.append(RowError(lines[position], None, "customer_number", message))
    with transaction.atomic():
        added = add_entries([e for i, e in enumerate(entries) if i not in repeated], added_by=added_by, now=now)
    report.imported, report.updated, report.already_present = added.created, added.updated, added.unchanged
    report.errors.sort(key=lambda e: e.line)
    return report


def _check_header(header: list[str] | None) -> list[str]:
    if not header:
        raise ImportFileError("The file is empty: expected a header line naming customer_number.")
    names = [name.strip() for name in header]
    unknown = [n for n in names if n not in ENTRY_FIELDS]
    if unknown:
        raise ImportFileError(f"Unknown column(s): {', '.join(unknown)}. Known: {', '.join(ENTRY_FIELDS)}.")
    if "customer_number" not in names:
        raise ImportFileError("Missing column: customer_number.")
    return names

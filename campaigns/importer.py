"""Bulk CSV import of contacts: validated in Python, loaded with PostgreSQL COPY.

Every row goes through ``validate_contact`` (the API's rules). Good rows are
streamed into a temporary staging table, then moved into ``campaigns_contact``
with one INSERT … SELECT inside the same transaction, so an interrupted import
writes nothing and a finished one writes every good row. An id already stored
is skipped when identical and reported when different, as the API does; an id
repeated inside the file is reported on its later lines.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from django.db import connection, transaction
from django.utils import timezone

from campaigns import counts
from campaigns.calling_hours import zone_key
from campaigns.intake import ensure_campaigns, ensure_lists, initial_status
from campaigns.validation import INPUT_FIELDS, REQUIRED_FIELDS, ContactInput, validate_contact

# Rows are handed to COPY in chunks of about this many bytes.
_COPY_CHUNK = 1 << 20
_CONTENT = (
    "customer_number", "campaign_type", "gateway_id", "campaign_contact_id", "start_time", "end_time", "priority",
    "ivr", "dialing_mode", "routing_mode", "resource_id", "queue_name", "time_zone",
)  # fmt: skip


class ImportFileError(Exception):
    """The file as a whole cannot be imported (no header, unknown columns); nothing was written."""


@dataclass(frozen=True)
class RowError:
    line: int
    id: str | None
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}" + (f" (id {self.id})" if self.id else "")


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    already_present: int = 0
    errors: list[RowError] = field(default_factory=list)


@dataclass
class _Staged:
    first: ContactInput | None = None
    list_names: set[str] = field(default_factory=set)


def import_contacts(
    stream: TextIO,
    *,
    campaign_id: str,
    list_name: str,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import a CSV of contacts into ``campaign_id``; see the module docstring for the guarantees.

    ``list_name`` is the calling list of rows without a ``contact_list`` column value.
    ``progress`` is called with the number of rows read since its last call.
    """
    reader = csv.reader(stream)
    header = _check_header(next(reader, None))
    report = ImportReport()
    good = _valid_rows(reader, header, campaign_id=campaign_id, list_name=list_name, report=report, progress=progress)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_CREATE_STAGING)
        staged = _copy_to_staging(cursor, good)
        if staged.first is not None:
            campaign = ensure_campaigns([staged.first])[campaign_id]
            ensure_lists((campaign_id, name) for name in staged.list_names)
            report.errors.extend(_repeated_ids(cursor))
            report.already_present, conflicts = _compare_with_stored(cursor, campaign_id)
            report.errors.extend(conflicts)
            status = initial_status(campaign)
            cursor.execute(_INSERT, {"campaign": campaign_id, "status": status, "now": timezone.now()})
            report.imported = cursor.rowcount
            counts.add_received_on_commit({(campaign_id, status): report.imported})
        cursor.execute("DROP TABLE contact_import")
    report.errors.sort(key=lambda e: e.line)
    return report


def _check_header(header: list[str] | None) -> list[str]:
    if not header:
        raise ImportFileError("The file is empty: expected a header line with the contact field names.")
    names = [name.strip() for name in header]
    unknown = [n for n in names if n not in INPUT_FIELDS]
    if unknown:
        raise ImportFileError(f"Unknown column(s): {', '.join(unknown)}. Known: {', '.join(INPUT_FIELDS)}.")
    missing = [n for n in REQUIRED_FIELDS if n not in names and n != "campaign_id"]
    if missing:
        raise ImportFileError(f"Missing column(s): {', '.join(missing)}.")
    return names


def _valid_rows(
    reader: Any,
    header: list[str],
    *,
    campaign_id: str,
    list_name: str,
    report: ImportReport,
    progress: Callable[[int], None] | None,
) -> Iterator[tuple[int, ContactInput]]:
    """Yield (line, contact) for good rows; record every bad row in ``report``."""
    width = len(header)
    for row in reader:
        report.rows += 1
        if progress is not None and report.rows % 10_000 == 0:
            progress(10_000)
        line = reader.line_num
        if len(row) != width:
            report.errors.append(RowError(line, None, "row", f"has {len(row)} values, the header has {width}"))
            continue
        raw = dict(zip(header, row, strict=True))
        if raw.setdefault("campaign_id", campaign_id) != campaign_id:
            report.errors.append(RowError(line, raw.get("id"), "campaign_id", f"is not the imported {campaign_id}"))
            continue
        if not raw.get("contact_list"):
            raw["contact_list"] = list_name
        result = validate_contact(raw)
        if isinstance(result, ContactInput):
            yield line, result
        else:
            report.errors.extend(RowError(line, raw.get("id"), e.field, e.message) for e in result)
    if progress is not None:
        progress(report.rows % 10_000)


def _copy_to_staging(cursor: Any, rows: Iterable[tuple[int, ContactInput]]) -> _Staged:
    """Stream rows to COPY as text. Values are whitelisted, so none holds a tab, newline or backslash."""
    staged = _Staged()
    chunk: list[str] = []
    size = 0
    with cursor.copy(_COPY_STAGING) as copy:
        for line, c in rows:
            if staged.first is None:
                staged.first = c
            staged.list_names.add(c.contact_list)
            text = (
                f"{line}\t{c.id}\t{c.customer_number}\t{c.campaign_type}\t{c.gateway_id}\t{c.campaign_contact_id}\t"
                f"{c.start_time.isoformat()}\t{c.end_time.isoformat()}\t{c.priority}\t{c.ivr}\t{c.dialing_mode}\t"
                f"{c.routing_mode}\t{c.resource_id}\t{c.queue_name}\t{c.contact_list}\t{c.time_zone}\t"
                f"{zone_key(own=c.time_zone, number=c.customer_number)}\n"
            )
            chunk.append(text)
            size += len(text)
            if size >= _COPY_CHUNK:
                copy.write("".join(chunk))
                chunk, size = [], 0
        if chunk:
            copy.write("".join(chunk))
    return staged


def _repeated_ids(cursor: Any) -> list[RowError]:
    """Later lines of an id repeated in the file are errors, and leave the staging table."""
    cursor.execute(
        "DELETE FROM contact_import s USING contact_import f "
        "WHERE s.id = f.id AND s.line > f.line RETURNING s.line, s.id, "
        "(SELECT min(line) FROM contact_import WHERE id = s.id)"
    )
    return [RowError(line, cid, "id", f"repeats the id of line {first}") for line, cid, first in cursor.fetchall()]


def _compare_with_stored(cursor: Any, campaign_id: str) -> tuple[int, list[RowError]]:
    """Count identical re-imports; report ids stored with other content. Both leave the staging table."""
    same = " AND ".join(f"c.{name} = s.{name}" for name in _CONTENT)
    cursor.execute(
        "DELETE FROM contact_import s USING campaigns_contact c "
        "JOIN campaigns_contactlist l ON l.id = c.contact_list_id "
        f"WHERE c.id = s.id RETURNING s.line, s.id, ({same} AND c.campaign_id = %s AND l.name = s.list_name)",
        [campaign_id],
    )
    rows = cursor.fetchall()
    message = "already exists with other content"
    conflicts = [RowError(line, cid, "id", message) for line, cid, equal in rows if not equal]
    return len(rows) - len(conflicts), conflicts


_CREATE_STAGING = """
CREATE TEMPORARY TABLE contact_import (
    line integer, id varchar(40), customer_number text, campaign_type text, gateway_id text,
    campaign_contact_id text, start_time timestamptz, end_time timestamptz, priority smallint, ivr text,
    dialing_mode text, routing_mode text, resource_id text, queue_name text, list_name text, time_zone text,
    tz_key text
)"""
_COPY_STAGING = "COPY contact_import FROM STDIN"
# Contacts are received one microsecond apart in file order, so FIFO follows the file.
_INSERT = """
INSERT INTO campaigns_contact (
    id, customer_number, campaign_type, gateway_id, status, call_result, received_time, dial_time,
    campaign_contact_id, campaign_id, start_time, end_time, priority, ivr, dialing_mode, routing_mode,
    resource_id, queue_name, contact_list_id, attempts, call_id, claimed_at, agent_extension, answered_at, ended_at,
    hangup_cause, switch_name, updated_at, scheduled, wake_at, time_zone, tz_key
)
SELECT s.id, s.customer_number, s.campaign_type, s.gateway_id, %(status)s, '',
    %(now)s + s.line * interval '1 microsecond', NULL, s.campaign_contact_id, %(campaign)s, s.start_time,
    s.end_time, s.priority, s.ivr, s.dialing_mode, s.routing_mode, s.resource_id, s.queue_name, l.id, 0, NULL,
    NULL, '', NULL, NULL, '', '', %(now)s, s.start_time > %(now)s,
    CASE WHEN s.start_time > %(now)s THEN s.start_time END, s.time_zone, s.tz_key
FROM contact_import s JOIN campaigns_contactlist l ON l.campaign_id = %(campaign)s AND l.name = s.list_name
ORDER BY s.line
ON CONFLICT (id) DO NOTHING
"""

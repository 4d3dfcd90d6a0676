"""Contact import throughput: ``import_contacts`` against a plain ``bulk_create`` and a raw COPY.

All three load the same generated CSV into ``campaigns_contact`` with its real
indexes and constraints. The raw COPY skips every check and is the physical
limit of this machine; the ``bulk_create`` loop is what a straightforward
Django import would do. ``BENCH_IMPORT_ROWS`` sets the size (default 1,000,000).
"""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from bench.table import print_table
from campaigns.importer import import_contacts
from campaigns.intake import ensure_lists
from campaigns.models import Campaign, Contact, ContactList
from campaigns.samples import sample_contacts

CAMPAIGN = "bench-import"
LIST = "bench"
COLUMNS = ["id", "customer_number", "campaign_type", "gateway_id", "campaign_contact_id", "campaign_id",
           "start_time", "end_time", "priority"]  # fmt: skip
DATA = Path(__file__).resolve().parent / "data"


def generated_csv(rows: int) -> Path:
    """A CSV of ``rows`` valid IVR contacts, generated once and kept in bench/data/."""
    path = DATA / f"contacts_{rows}.csv"
    if not path.exists():
        DATA.mkdir(exist_ok=True)
        start = datetime(2026, 1, 1, tzinfo=UTC)
        partial = path.with_suffix(".part")
        with partial.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(sample_contacts(rows, campaign_id=CAMPAIGN, start=start, window=timedelta(days=365)))
        partial.rename(path)
    return path


def reset() -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE campaigns_contact")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE campaigns_contact")


def with_import_command(path: Path) -> int:
    with path.open(newline="") as stream:
        report = import_contacts(stream, campaign_id=CAMPAIGN, list_name=LIST)
    assert not report.errors, report.errors[:3]
    return report.imported


def with_bulk_create(path: Path) -> int:
    """The baseline: one model instance per row, ``bulk_create`` in batches, no validation."""
    contact_list = ContactList.objects.get(campaign_id=CAMPAIGN, name=LIST)
    now = timezone.now()
    batch: list[Contact] = []
    total = 0
    with path.open(newline="") as stream, transaction.atomic():
        for row in csv.DictReader(stream):
            batch.append(Contact(**row, contact_list=contact_list, received_time=now))
            if len(batch) == 5000:
                total += len(Contact.objects.bulk_create(batch))
                batch = []
        total += len(Contact.objects.bulk_create(batch))
    return total


def with_raw_copy(path: Path) -> int:
    """The physical limit: the file's bytes straight into the table, the other columns from defaults."""
    list_id = ContactList.objects.get(campaign_id=CAMPAIGN, name=LIST).pk
    defaults = {
        "status": "'pending'", "call_result": "''", "received_time": "now()", "ivr": "''", "dialing_mode": "''",
        "routing_mode": "''", "resource_id": "''", "queue_name": "''", "contact_list_id": str(int(list_id)),
        "attempts": "0", "agent_extension": "''", "hangup_cause": "''", "switch_name": "''", "updated_at": "now()",
    }  # fmt: skip
    set_defaults(defaults)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            command = f"COPY campaigns_contact ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv, HEADER true)"
            with path.open("rb") as stream, cursor.copy(command) as copy:
                while block := stream.read(1 << 20):
                    copy.write(block)
            cursor.execute("SELECT count(*) FROM campaigns_contact")
            total = int(cursor.fetchone()[0])
    finally:
        set_defaults(dict.fromkeys(defaults))
    return total


def set_defaults(defaults: Mapping[str, str | None]) -> None:
    """Give (or take back, with None) column defaults, in their own transaction."""
    with connection.cursor() as cursor:
        for column, value in defaults.items():
            change = "DROP DEFAULT" if value is None else f"SET DEFAULT {value}"
            cursor.execute(f"ALTER TABLE campaigns_contact ALTER COLUMN {column} {change}")


def measure(load: Callable[[Path], int], path: Path) -> tuple[int, float]:
    reset()
    started = time.perf_counter()
    loaded = load(path)
    return loaded, time.perf_counter() - started


def run() -> None:
    rows = int(os.environ.get("BENCH_IMPORT_ROWS", "1000000"))
    path = generated_csv(rows)
    Campaign.objects.get_or_create(campaign_id=CAMPAIGN, defaults={"name": CAMPAIGN})
    ensure_lists([(CAMPAIGN, LIST)])
    results = []
    for name, load in [("raw COPY (no checks)", with_raw_copy), ("import_contacts", with_import_command),
                       ("bulk_create baseline", with_bulk_create)]:  # fmt: skip
        loaded, seconds = measure(load, path)
        assert loaded == rows, f"{name} loaded {loaded} of {rows}"
        results.append((name, loaded, seconds, loaded / seconds))
    reset()
    copy_rate = results[0][3]
    print_table(
        f"contact import, {rows:,} rows ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        ["method", "rows", "seconds", "rows/s", "vs raw COPY"],
        [(*r, f"{r[3] / copy_rate:.0%}") for r in results],
    )

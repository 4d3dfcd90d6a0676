"""``import_contacts``: good rows in, bad rows reported by line, nothing half-written."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from campaigns.control import stop_campaign
from campaigns.importer import import_contacts
from campaigns.models import Campaign, Contact
from campaigns.samples import sample_contacts
from tests.conftest import NOW

FIELDS = [
    "id",
    "customer_number",
    "campaign_type",
    "gateway_id",
    "campaign_contact_id",
    "start_time",
    "end_time",
    "priority",
]


def rows(count: int, campaign_id: str = "imp") -> list[dict[str, str]]:
    generated = sample_contacts(count, campaign_id=campaign_id, start=NOW - timedelta(hours=1))
    return [{k: v for k, v in row.items() if k in FIELDS} for row in generated]


def write_csv(path: Path, items: list[dict[str, str]], fields: list[str] = FIELDS) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(items)
    return path


def run(path: Path, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_contacts", str(path), "--no-progress", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_importing_nothing(path: Path, *args: str) -> tuple[str, str]:
    """A run that imports no row: it reports as usual, then fails (a non-zero exit for a script)."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="no row was imported"):
        call_command("import_contacts", str(path), "--no-progress", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_good_rows_are_imported_and_bad_rows_listed_with_line_and_reason(db, tmp_path):
    items = rows(6)
    items[1]["customer_number"] = "+4930,1"
    items[3]["start_time"] = "2026-11-21T09:00:00"
    items[4]["id"] = items[0]["id"]
    out, err = run(write_csv(tmp_path / "spring.csv", items), "--campaign", "imp")
    assert "6 rows: 3 imported, 0 already present, 3 errors in 3 rows" in out
    assert "line 3: customer_number:" in err
    assert "line 5: start_time: Must include a time zone" in err
    assert "line 6: id: repeats the id of line 2" in err
    stored = Contact.objects.filter(campaign_id="imp").order_by("received_time")
    assert [c.id for c in stored] == [items[0]["id"], items[2]["id"], items[5]["id"]]
    assert {c.contact_list.name for c in stored} == {"spring"}
    assert {c.status for c in stored} == {"pending"}


def test_a_row_of_another_campaign_or_with_missing_values_is_an_error(db, tmp_path):
    items = [dict(row, campaign_id="imp") for row in rows(3)]
    items[0]["campaign_id"] = "other"
    path = tmp_path / "x.csv"
    write_csv(path, items, [*FIELDS, "campaign_id"])
    text = path.read_text().splitlines()
    text[2] = text[2] + ",extra"
    path.write_text("\n".join(text) + "\n")
    out, err = run(path, "--campaign", "imp", "--list", "leads")
    assert "1 imported" in out
    assert "line 2: campaign_id: is not the imported imp" in err
    assert "line 3: row: has 10 values, the header has 9" in err
    assert Contact.objects.get().contact_list.name == "leads"


def test_reimporting_skips_identical_rows_and_reports_changed_ones(db, tmp_path):
    items = rows(3)
    run(write_csv(tmp_path / "a.csv", items), "--campaign", "imp", "--list", "a")
    items[2]["customer_number"] = "+4930777"
    out, err = run_importing_nothing(write_csv(tmp_path / "a.csv", items), "--campaign", "imp", "--list", "a")
    assert "3 rows: 0 imported, 2 already present, 1 errors" in out
    assert "line 4: id: already exists with other content" in err
    assert Contact.objects.count() == 3


def test_a_file_with_an_unknown_column_is_refused_whole(db, tmp_path):
    items = [dict(row, colour="red") for row in rows(2)]
    with pytest.raises(CommandError, match="Unknown column"):
        run(write_csv(tmp_path / "c.csv", items, [*FIELDS, "colour"]), "--campaign", "imp")
    assert Contact.objects.count() == 0


def test_bad_arguments_name_the_argument(db, tmp_path):
    with pytest.raises(CommandError, match="--campaign"):
        run(write_csv(tmp_path / "d.csv", rows(1)), "--campaign", "a b")
    with pytest.raises(CommandError, match="FILE"):
        run(tmp_path / "missing.csv", "--campaign", "imp")


def test_contacts_imported_into_a_stopped_campaign_are_stopped(db, tmp_path):
    run(write_csv(tmp_path / "e.csv", rows(1)), "--campaign", "imp")
    stop_campaign("imp")
    run(write_csv(tmp_path / "f.csv", rows(2)), "--campaign", "imp")
    assert sorted(Contact.objects.values_list("status", flat=True)) == ["stopped"] * 3
    assert Campaign.objects.get().state == "stopped"


def test_an_interrupted_import_writes_nothing(db, tmp_path):
    path = write_csv(tmp_path / "big.csv", rows(10_500))

    def interrupt(done: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), path.open(newline="") as stream:
        import_contacts(stream, campaign_id="imp", list_name="big", progress=interrupt)
    assert Contact.objects.count() == 0
    with path.open(newline="") as stream:
        report = import_contacts(stream, campaign_id="imp", list_name="big")
    assert (report.rows, report.imported, report.errors) == (10_500, 10_500, [])


def test_purge_contacts_removes_only_the_chosen_statuses(db, tmp_path):
    run(write_csv(tmp_path / "g.csv", rows(4)), "--campaign", "imp")
    first, second = Contact.objects.order_by("received_time")[:2]
    Contact.objects.filter(pk=first.pk).update(status="ended")
    Contact.objects.filter(pk=second.pk).update(status="dialed")
    out = io.StringIO()
    call_command("purge_contacts", "--campaign", "imp", "--status", "ended", "--status", "pending", stdout=out)
    assert "purged 3 contacts" in out.getvalue()
    assert list(Contact.objects.values_list("status", flat=True)) == ["dialed"]
    with pytest.raises(CommandError):
        call_command("purge_contacts", "--campaign", "imp", "--status", "dialed")
    with pytest.raises(CommandError, match="nobody"):
        call_command("purge_contacts", "--campaign", "nobody")

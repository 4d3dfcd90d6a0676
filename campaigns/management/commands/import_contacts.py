"""``python manage.py import_contacts FILE --campaign ID [--list NAME]``: bulk CSV import."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from campaigns import alphabets
from campaigns.importer import ImportFileError, ImportReport, import_contacts

MAX_LISTED_ERRORS = 1000


def default_list_name(path: Path) -> str:
    """A calling list named after the file (its stem, limited to the list-name alphabet)."""
    name = re.sub(r"[^A-Za-z0-9 ._-]", "_", path.stem).strip(" ._-")[:100]
    return name or "import"


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))


def list_errors(command: BaseCommand, report: ImportReport) -> None:
    """The rejected rows on stderr, one a line (line, field, reason), at most MAX_LISTED_ERRORS of them."""
    for error in report.errors[:MAX_LISTED_ERRORS]:
        command.stderr.write(str(error))
    if len(report.errors) > MAX_LISTED_ERRORS:
        command.stderr.write(f"... and {len(report.errors) - MAX_LISTED_ERRORS} more errors")


class Command(BaseCommand):
    help = "Import contacts from a CSV file whose header names the contact fields (one transaction)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--campaign", required=True, help="campaign_id of every imported contact")
        parser.add_argument("--list", dest="list_name", help="calling list name (default: the file name)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, file: Path, campaign: str, list_name: str | None, **options: Any) -> None:
        if not re.fullmatch(alphabets.CAMPAIGN_ID, campaign):
            raise CommandError(f"--campaign: {campaign!r} is not a valid campaign id")
        if list_name is not None and not re.fullmatch(alphabets.LIST_NAME, list_name):
            raise CommandError(f"--list: {list_name!r} is not a valid list name")
        if not file.is_file():
            raise CommandError(f"FILE: {file} does not exist")
        total = max(count_lines(file) - 1, 0)
        bar = tqdm(total=total, unit="rows", disable=options["no_progress"], file=self.stderr)
        try:
            with file.open(newline="", encoding="utf-8-sig") as stream:
                report = import_contacts(
                    stream, campaign_id=campaign, list_name=list_name or default_list_name(file), progress=bar.update
                )
        except ImportFileError as exc:
            raise CommandError(f"{file}: {exc}") from exc
        finally:
            bar.close()
        list_errors(self, report)
        self.stdout.write(
            f"{report.rows} rows: {report.imported} imported, {report.already_present} already present, "
            f"{len(report.errors)} errors in {len({e.line for e in report.errors})} rows"
        )

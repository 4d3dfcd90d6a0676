"""``python manage.py import_dnc FILE [--campaign ID] [--expires ISO]``: Do-Not-Call entries from CSV."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from campaigns.dnc import check_campaign_id, check_expiry
from campaigns.dnc_import import DncImportReport, import_entries
from campaigns.importer import ImportFileError
from campaigns.management.commands.import_contacts import count_lines, list_errors, progress_bar
from campaigns.validation import FieldError


class Command(BaseCommand):
    help = (
        "List the numbers of a CSV file on the Do-Not-Call list (one transaction). The header names "
        "customer_number and any of campaign_id, expires_at, reason; numbers may be written any way."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--campaign", default="", help="campaign_id of rows that name none (default: every)")
        parser.add_argument("--expires", default="", help="ISO 8601 expiry of rows that give none (default: never)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, file: Path, campaign: str, expires: str, **options: Any) -> None:
        now = timezone.now()
        campaign_id, expires_at = _defaults(campaign, expires, now)
        if not file.is_file():
            raise CommandError(f"FILE: {file} does not exist")
        bar = progress_bar(self, total=max(count_lines(file) - 1, 0), disable=options["no_progress"])
        try:
            with file.open(newline="", encoding="utf-8-sig") as stream:
                report = import_entries(
                    stream, added_by=f"import:{file.name}", now=now, campaign_id=campaign_id,
                    expires_at=expires_at, progress=bar.update,
                )  # fmt: skip
        except ImportFileError as exc:
            raise CommandError(f"{file}: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{file}: not UTF-8 text (byte {exc.start})") from exc
        finally:
            bar.close()
        self.write_report(report)

    def write_report(self, report: DncImportReport) -> None:
        list_errors(self, report)
        self.stdout.write(
            f"{report.rows} rows: {report.imported} added, {report.updated} updated, "
            f"{report.already_present} already listed, {len(report.errors)} errors in "
            f"{len({e.line for e in report.errors})} rows"
        )


def _defaults(campaign: str, expires: str, now: datetime) -> tuple[str, datetime | None]:
    """--campaign and --expires, checked as an entry's own fields are."""
    checked_campaign = check_campaign_id(campaign)
    if isinstance(checked_campaign, FieldError):
        raise CommandError(f"--campaign: {checked_campaign.message}")
    if not expires:
        return checked_campaign, None
    checked_expiry = check_expiry(expires, now=now)
    if isinstance(checked_expiry, FieldError):
        raise CommandError(f"--expires: {checked_expiry.message}")
    return checked_campaign, checked_expiry

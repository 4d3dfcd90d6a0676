"""``python manage.py import_contacts FILE --campaign ID [--list NAME]``: bulk CSV import."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from tqdm import tqdm

from campaigns import alphabets
from campaigns.importer import ImportFileError, ImportReport, import_contacts

MAX_LISTED_ERRORS = 1000
# Away from a terminal (a log file, a pipe) the progress is a plain line this often, not a bar redrawn in place.
PROGRESS_LOG_SECONDS = 10.0
PROGRESS_LOG_FORMAT = "{n_fmt}/{total_fmt} rows read ({percentage:.0f}%), {elapsed} elapsed, {remaining} left"


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


class ProgressStream:
    """Where tqdm writes: the command's stderr, never painted as an error, in lines away from a terminal.

    Django styles every write to a command's stderr as an ERROR (bold red on a terminal) and ends it with a
    newline, so the bar came out as a red line per redraw. tqdm redraws in place with carriage returns ten
    times a second, which a log file keeps as one endless line: there each redraw is a line of its own.
    """

    def __init__(self, out: OutputWrapper) -> None:
        self.out = out
        self.terminal = out.isatty()
        # tqdm draws its bar in Unicode blocks only on a stream that declares an encoding able to show them.
        self.encoding: str | None = getattr(out, "encoding", None)

    def fileno(self) -> int:
        """The terminal's descriptor, from which tqdm reads its width."""
        return self.out.fileno()

    def write(self, text: str) -> None:
        if self.terminal:
            self.out.write(text, style_func=str, ending="")
        elif line := text.strip("\r\n").rstrip():
            self.out.write(line, style_func=str)

    def flush(self) -> None:
        self.out.flush()


def progress_bar(command: BaseCommand, *, total: int, disable: bool) -> tqdm:
    """A bar redrawn in place on a terminal; elsewhere a plain line every PROGRESS_LOG_SECONDS, and at the end."""
    stream = ProgressStream(command.stderr)
    if stream.terminal:
        return tqdm(total=total, unit="rows", disable=disable, file=stream)
    return tqdm(
        total=total, disable=disable, file=stream, mininterval=PROGRESS_LOG_SECONDS, bar_format=PROGRESS_LOG_FORMAT
    )


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
        bar = progress_bar(self, total=total, disable=options["no_progress"])
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
        if report.imported == 0 and (report.errors or not report.already_present):
            # A script or a cron job must notice a file that loaded nothing; a file loaded again (every row
            # already stored, none rejected) is not a failure.
            raise CommandError("no row was imported" if report.rows else "no row was imported: the file has no rows")

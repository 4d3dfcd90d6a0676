"""CSV lists uploaded in the admin, imported by a worker while the admin shows the progress.

The upload request only stores the file and queues the import, so a list of millions
of rows never has to fit in a web request. The worker runs the same importer as
``import_contacts`` and writes the report in the import's own transaction: a worker
killed mid-import leaves nothing half-written and the redelivered task starts it
again, while a finished import is never run twice (a per-import advisory lock and
the state written with the rows).
"""

from __future__ import annotations

import io
import logging
from dataclasses import asdict

from celery import current_app
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from redis.exceptions import RedisError

from campaigns.choices import ImportState
from campaigns.importer import ImportFileError, ImportReport, import_contacts
from campaigns.models import ListImport

logger = logging.getLogger(__name__)
# The report keeps this many rejected rows (their count is always complete).
STORED_ERRORS = 1000
ENDED = (ImportState.DONE, ImportState.FAILED)


def queue_list_import(
    *, campaign_id: str, list_name: str, file_name: str, content: bytes, uploaded_by: str
) -> ListImport:
    """Store an uploaded file and queue its import once this transaction commits."""
    lines = content.count(b"\n") + (1 if content and not content.endswith(b"\n") else 0)
    job = ListImport.objects.create(
        campaign_id=campaign_id, list_name=list_name, file_name=file_name, content=content,
        total_rows=max(lines - 1, 0), uploaded_by=uploaded_by,
    )  # fmt: skip
    _forget_progress(job.pk)  # an id reused after a database restore must not show an old import's count
    transaction.on_commit(lambda: current_app.send_task("campaigns.tasks.import_list", args=[job.pk]))
    return job


def run_list_import(import_id: int) -> str:
    """Import one uploaded list (the task's body); returns what became of it."""
    if not ListImport.objects.filter(pk=import_id, state__in=[ImportState.QUEUED, ImportState.RUNNING]).update(
        state=ImportState.RUNNING, started_at=timezone.now()
    ):
        return "already ended"
    try:
        return _import(import_id)
    except (OperationalError, InterfaceError):
        raise  # the database went away: everything rolled back, and the task tries again
    except Exception as exc:
        # Anything else would leave the import "running" forever: the operator sees why it stopped.
        ListImport.objects.filter(pk=import_id, state=ImportState.RUNNING).update(
            state=ImportState.FAILED, message=f"The import stopped on an unexpected error: {exc!r}.",
            finished_at=timezone.now(), content=b"",
        )  # fmt: skip
        raise


def _import(import_id: int) -> str:
    """The rows and the report in one transaction, under the import's lock."""
    with transaction.atomic():
        if not _lock(import_id):
            return "running in another worker"
        job = ListImport.objects.get(pk=import_id)
        if job.state in ENDED:  # another worker finished it between our update and the lock
            return "already ended"
        stream = io.TextIOWrapper(io.BytesIO(job.content), encoding="utf-8-sig", newline="")
        try:
            report = import_contacts(
                stream, campaign_id=job.campaign_id, list_name=job.list_name, progress=_Progress(import_id)
            )
        except ImportFileError as exc:
            _finish(job, ImportState.FAILED, ImportReport(), message=str(exc))
        except UnicodeDecodeError as exc:
            _finish(job, ImportState.FAILED, ImportReport(), message=f"The file is not UTF-8 text (byte {exc.start}).")
        else:
            _finish(job, ImportState.DONE, report)
    logger.info("list import %d of %s: %s", import_id, job.file_name, job.state)
    return str(job.state)


def rows_read(job: ListImport) -> int:
    """Rows read so far: the final count once ended, the worker's progress while it runs."""
    if job.state in ENDED:
        return job.rows
    try:
        return int(cache.get(_progress_key(job.pk)) or 0)
    except RedisError:
        return 0  # progress is only shown; the import does not depend on it


class _Progress:
    """The importer's progress callback (rows read since its last call), published through the cache."""

    def __init__(self, import_id: int) -> None:
        self.key = _progress_key(import_id)
        self.rows = 0

    def __call__(self, rows: int) -> None:
        self.rows += rows
        try:
            cache.set(self.key, self.rows, timeout=24 * 3600)
        except RedisError as exc:
            logger.debug("progress not published: %s", exc)


def _progress_key(import_id: int) -> str:
    return f"list-import:{import_id}:rows"


def _forget_progress(import_id: int) -> None:
    try:
        cache.delete(_progress_key(import_id))
    except RedisError as exc:
        logger.debug("progress not cleared: %s", exc)


def _lock(import_id: int) -> bool:
    """Held until the import's transaction ends, or its worker's connection does."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext('list-import'), %s)", [import_id])
        return bool(cursor.fetchone()[0])


def _finish(job: ListImport, state: ImportState, report: ImportReport, message: str = "") -> None:
    """The report, written in the import's transaction; the file itself is no longer needed."""
    job.state, job.message, job.finished_at, job.content = state, message, timezone.now(), b""
    job.rows, job.imported, job.already_present = report.rows, report.imported, report.already_present
    job.error_count, job.errors = len(report.errors), [asdict(e) for e in report.errors[:STORED_ERRORS]]
    job.save()
    transaction.on_commit(lambda: _forget_progress(job.pk))

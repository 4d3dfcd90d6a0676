"""Retention: rows past ``RETENTION_DAYS`` are deleted in bounded batches, never in one long statement.

The rule lives here, at the bottom of the dependency order, so that the dialer (its voice connector outbox)
and reporting (history, attempt records, agent updates) prune their own tables the same way without
either importing the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import models

M = TypeVar("M", bound=models.Model)

# Rows per DELETE: each batch is a transaction of its own, short enough never to hold locks for long or
# to bloat one transaction's WAL, whatever the backlog.
BATCH_SIZE = 1000
# Batches per task run: a run takes seconds, so the deliveries queue it shares is never held up; a run
# that stopped at this bound is followed by another at once.
BATCHES_PER_RUN = 50


@dataclass(frozen=True)
class Pruned:
    deleted: int
    # False when the run stopped at BATCHES_PER_RUN with old rows left: the caller runs again.
    finished: bool


def retention_cutoff(now: datetime) -> datetime | None:
    """Rows older than this may go; None when RETENTION_DAYS is 0 (keep everything for ever)."""
    days: int = settings.RETENTION_DAYS
    return now - timedelta(days=days) if days else None


def delete_in_batches(
    rows: models.QuerySet[M], *, batch_size: int = BATCH_SIZE, max_batches: int = BATCHES_PER_RUN
) -> Pruned:
    """Delete ``rows`` (their filter names what may go) a batch at a time, each batch in its own transaction.

    Each batch's DELETE repeats the filter, so a row that stopped qualifying after it was picked is kept.
    No ordering: the filter's index (or a bitmap of two) finds the rows, and "nothing to prune" stays cheap.
    """
    deleted = 0
    for _ in range(max_batches):
        ids = list(rows.order_by().values_list("pk", flat=True)[:batch_size])
        if ids:
            count, _ = rows.filter(pk__in=ids).delete()
            deleted += count
        if len(ids) < batch_size:
            return Pruned(deleted, finished=True)
    return Pruned(deleted, finished=False)

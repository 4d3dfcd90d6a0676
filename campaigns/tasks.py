"""Campaigns' Celery tasks: an uploaded list imported by a worker (wiring only)."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from campaigns import list_imports


# A lost database leaves the import rolled back: it is tried again, from the start, when it returns.
@shared_task(
    acks_late=True, ignore_result=True, autoretry_for=(OperationalError, InterfaceError), retry_backoff=True,
    retry_backoff_max=300, max_retries=None,
)  # fmt: skip
def import_list(import_id: int) -> str:
    return list_imports.run_list_import(import_id)

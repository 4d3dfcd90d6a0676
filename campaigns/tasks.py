"""Campaigns' Celery tasks: an uploaded list imported by a worker, the contact counts refreshed (wiring only)."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from campaigns import counts, list_imports


# A lost database leaves the import rolled back: it is tried again, from the start, when it returns.
@shared_task(
    acks_late=True, ignore_result=True, autoretry_for=(OperationalError, InterfaceError), retry_backoff=True,
    retry_backoff_max=300, max_retries=None,
)  # fmt: skip
def import_list(import_id: int) -> str:
    return list_imports.run_list_import(import_id)


# Periodic (CONTACT_COUNTS_INTERVAL): a lost refresh is made good by the next one, so no retries.
@shared_task(ignore_result=True)
def refresh_contact_counts() -> int:
    return counts.refresh_counts()

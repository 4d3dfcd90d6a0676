"""Conditional status changes of a claimed contact: each applies only from the status it expects.

Every function is one UPDATE … WHERE call_id = … AND status = … inside the
caller's transaction and returns whether it applied, so a late, repeated or
concurrent report can never move a contact twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection

from campaigns.choices import ContactStatus
from campaigns.models import Contact


def _move(call_id: str, source: str | tuple[str, ...], **changes: Any) -> bool:
    sources = (source,) if isinstance(source, str) else source
    return Contact.objects.filter(call_id=call_id, status__in=sources).update(**changes) == 1


def back_to_pending(call_id: str, *, source: str | tuple[str, ...], now: datetime) -> bool:
    """The attempt did not happen (gateway down, no agent, voice connector down): dial again later."""
    return _move(call_id, source, status=ContactStatus.PENDING, updated_at=now)


def to_failed(call_id: str, *, source: str | tuple[str, ...], result: str, now: datetime) -> bool:
    """The contact will not be dialed again (invalid gateway, switch down while sending)."""
    return _move(call_id, source, status=ContactStatus.FAILED, call_result=result, ended_at=now, updated_at=now)


def mark_sent(call_id: str, *, now: datetime) -> bool:
    """The originate left for the switch: the dial time of seed 001.

    Plain SQL: this runs once per call on the originate path, where the ORM's statement
    compilation costs more than the update itself.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE campaigns_contact SET dial_time = %s, updated_at = %s "
            "WHERE call_id = %s AND status = %s AND dial_time IS NULL",
            [now, now, call_id, ContactStatus.DIALED],
        )
        return bool(cursor.rowcount == 1)


def mark_answered(call_id: str, *, at: datetime) -> bool:
    changed = Contact.objects.filter(call_id=call_id, status=ContactStatus.DIALED, answered_at__isnull=True).update(
        answered_at=at, updated_at=at
    )
    return changed == 1

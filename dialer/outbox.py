"""Messages for the voice connector: queued with the state change, delivered until accepted."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import F
from django.utils import timezone

from campaigns.retention import Pruned, delete_in_batches, retention_cutoff
from campaigns.signals import on_commit_once
from dialer import voice_connector
from dialer.commit_hooks import request_delivery
from dialer.models import VoiceConnectorMessage

logger = logging.getLogger(__name__)
# A claimed delivery is not retried by others for this long (a worker killed mid-POST gets retried).
LEASE = timedelta(seconds=30)
MAX_BACKOFF_SECONDS = 300


@dataclass(frozen=True)
class OutboxMessage:
    kind: str
    contact_id: str
    call_id: str | None
    payload: dict[str, Any]


def queue_message(*, kind: str, contact_id: str, call_id: str | None, payload: dict[str, Any]) -> None:
    """Add one message in the current transaction (see ``queue_messages``)."""
    queue_messages([OutboxMessage(kind, contact_id, call_id, payload)])


def queue_messages(messages: list[OutboxMessage]) -> None:
    """Add messages in the current transaction (once per call and kind); a worker delivers them after commit."""
    if not messages or not voice_connector.is_configured():
        return
    now = timezone.now()
    with connection.cursor() as cursor:
        # One statement for a batch: this runs for every call end, on the listener's hot path.
        cursor.execute(
            _INSERT,
            [
                now,
                now,
                [m.kind for m in messages],
                [m.contact_id for m in messages],
                [m.call_id for m in messages],
                [json.dumps(m.payload) for m in messages],
            ],
        )
    on_commit_once(request_delivery)


_INSERT = """
INSERT INTO dialer_voiceconnectormessage (kind, contact_id, call_id, payload, created_at, next_attempt_at, attempts,
    last_error)
SELECT m.kind, m.contact_id, m.call_id, m.payload::jsonb, %s, %s, 0, ''
FROM unnest(%s::varchar[], %s::varchar[], %s::uuid[], %s::text[]) AS m(kind, contact_id, call_id, payload)
ON CONFLICT (call_id, kind) DO NOTHING
"""


def deliver(message_id: int) -> str:
    """Try to deliver one message; returns what happened (for logs and tests)."""
    now = timezone.now()
    due = VoiceConnectorMessage.objects.filter(pk=message_id, delivered_at__isnull=True, next_attempt_at__lte=now)
    if not due.update(next_attempt_at=now + LEASE, attempts=F("attempts") + 1):
        return "not due"
    message = VoiceConnectorMessage.objects.get(pk=message_id)
    attempted = VoiceConnectorMessage.objects.filter(pk=message_id)
    try:
        voice_connector.post(message.kind, message.payload)
    except voice_connector.VoiceConnectorError as exc:
        delay = min(2 ** (message.attempts - 1), MAX_BACKOFF_SECONDS)
        attempted.update(next_attempt_at=timezone.now() + timedelta(seconds=delay), last_error=str(exc)[:300])
        logger.warning(
            "%s for contact %s not delivered, retry in %ss: %s", message.kind, message.contact_id, delay, exc
        )
        return "retry"
    attempted.update(delivered_at=timezone.now())
    return "delivered"


def due_messages(limit: int = 500) -> list[int]:
    return list(
        VoiceConnectorMessage.objects.filter(delivered_at__isnull=True, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def prune_delivered(now: datetime | None = None) -> Pruned:
    """Delete messages the voice connector accepted more than RETENTION_DAYS ago; undelivered ones always stay."""
    cutoff = retention_cutoff(now or timezone.now())
    if cutoff is None:
        return Pruned(0, finished=True)
    return delete_in_batches(VoiceConnectorMessage.objects.filter(created_at__lt=cutoff, delivered_at__isnull=False))

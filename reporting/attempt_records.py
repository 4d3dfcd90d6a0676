"""Attempt records as an outbox: queued in the call's transaction, delivered until the receiver saves them.

Seed 004's answers: 200 saved; 409, 418, any other status, no connection, or no
answer within HISTORY_HTTP_RESPONSE_TIMEOUT (counted as 408) — not saved, sent
again after HISTORY_WAIT_RECOVERY_TIMEOUT. Record 1 of an attempt is claimed for
delivery only once its record 0 is saved.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import requests
from celery import current_app
from django.conf import settings
from django.db import connection
from django.db.models import F
from django.utils import timezone

from campaigns.signals import on_commit_once
from reporting.attempts import AttemptFacts, build_attempt_record
from reporting.models import AttemptRecord
from reporting.wait_conditions import refresh_wait_conditions

logger = logging.getLogger(__name__)
_local = threading.local()

_FACTS = """
SELECT h.call_id, h.attempt_guid, h.contact_id, h.campaign_id, h.customer_number, c.campaign_contact_id,
    h.contact_list, g.name, g.id, coalesce(nullif(c.queue_name, ''), g.queue_name),
    coalesce(nullif(c.dialing_mode, ''), g.dialing_mode), coalesce(nullif(g.tenant_name, ''), %s), c.claimed_at,
    h.dialing_at, h.answered_at, h.released_at, h.call_result_code, h.ringing_at, h.agent_answered_at
FROM reporting_callhistory h
JOIN campaigns_contact c ON c.id = h.contact_id
JOIN campaigns_campaign g ON g.campaign_id = h.campaign_id
WHERE h.call_id = ANY(%s::uuid[])
"""


def queue_attempt_records(call_ids: Iterable[str], *, sequences: tuple[int, ...]) -> None:
    """Write the records of these attempts (from their history rows) in the current transaction."""
    if not settings.ATTEMPT_RECORD_URL:
        return
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_FACTS, [settings.TENANT_NAME, list(call_ids)])
        rows = cursor.fetchall()
    records = []
    for call_id, guid, contact_id, campaign_id, number, *rest in rows:
        facts = AttemptFacts(str(guid), number, *rest)
        for sequence in sequences:
            records.append(
                AttemptRecord(
                    attempt_guid=guid, sequence=sequence, contact_id=contact_id, call_id=call_id,
                    campaign_id=campaign_id, customer_number=number, created_at=now, next_attempt_at=now,
                    payload=build_attempt_record(facts, sequence=sequence),
                )
            )  # fmt: skip
    # An attempt ended without a recorded send gets its record 0 here too; an existing one is kept.
    AttemptRecord.objects.bulk_create(records, ignore_conflicts=True)
    refresh_wait_conditions({r.campaign_id for r in records})
    on_commit_once(request_attempt_delivery)


def request_attempt_delivery() -> None:
    current_app.send_task("reporting.tasks.deliver_attempt_records")


def deliver_due(limit: int = 500) -> int:
    """Deliver a batch of due records, oldest first, on one keep-alive session; returns how many were saved."""
    if not settings.ATTEMPT_RECORD_URL:
        return 0  # kept until a receiver is configured again
    now = timezone.now()
    recovery = timedelta(seconds=settings.HISTORY_WAIT_RECOVERY_TIMEOUT)
    # Claimed rows are not due for others until the lease ends (a worker killed mid-batch is retried then).
    lease = max(recovery, timedelta(seconds=settings.HISTORY_HTTP_RESPONSE_TIMEOUT + 5))
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM, {"now": now, "lease_until": now + lease, "limit": limit})
        claimed = sorted(cursor.fetchall(), key=lambda row: (row[5], row[4]))
    outcomes: dict[str, list[int]] = {}
    untried: list[int] = []
    for record_id, _campaign, phone, payload, _sequence, _created in claimed:
        if untried or _unreachable(outcomes):
            # The receiver is down or hanging: the rest of the batch waits too, rather than each
            # record spending a timeout (and outliving its lease) against it.
            untried.append(record_id)
            continue
        status = _post(json.loads(payload) if isinstance(payload, str) else payload)
        outcomes.setdefault(status, []).append(record_id)
        _log(status, phone)
    finished = timezone.now()
    AttemptRecord.objects.filter(pk__in=untried).update(next_attempt_at=finished + recovery, attempts=F("attempts") - 1)
    for status, ids in outcomes.items():
        if status == "200":
            AttemptRecord.objects.filter(pk__in=ids).update(saved_at=finished, last_status=status)
        else:
            AttemptRecord.objects.filter(pk__in=ids).update(next_attempt_at=finished + recovery, last_status=status)
    refresh_wait_conditions({row[1] for row in claimed})
    return len(outcomes.get("200", []))


def _unreachable(outcomes: dict[str, list[int]]) -> bool:
    """Whether an answer so far says the receiver cannot be reached (no answer in time, no connection)."""
    return any(status == "408" or status.startswith("connection failed") for status in outcomes)


# Due records, record 1 only once its record 0 is saved; locked rows are skipped (another worker has them).
_CLAIM = """
UPDATE reporting_attemptrecord r SET next_attempt_at = %(lease_until)s, attempts = r.attempts + 1
WHERE r.id IN (
    SELECT d.id FROM reporting_attemptrecord d
    WHERE d.saved_at IS NULL AND d.next_attempt_at <= %(now)s
        AND (d.sequence = 0 OR NOT EXISTS (
            SELECT 1 FROM reporting_attemptrecord z
            WHERE z.attempt_guid = d.attempt_guid AND z.sequence = 0 AND z.saved_at IS NULL))
    ORDER BY d.created_at, d.sequence
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
RETURNING r.id, r.campaign_id, r.customer_number, r.payload, r.sequence, r.created_at
"""


def _log(status: str, phone: str) -> None:
    """The seed's log lines."""
    if status == "200":
        logger.info("Call Attempt Record has been saved for phone %s", phone)
    elif status == "408":
        logger.warning(
            "Save operation for Call Attempt Record was aborted (timeout elapsed) and the record has been queued "
            "for reprocessing for phone %s",
            phone,
        )
    else:
        logger.warning(
            "Call Attempt Record was not saved and has been queued for reprocessing for phone %s (%s)", phone, status
        )


def _post(payload: dict[str, Any]) -> str:
    """POST with a keep-alive session; the answer as a status string ("408" for no answer in time)."""
    session: requests.Session | None = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    try:
        response = session.post(
            settings.ATTEMPT_RECORD_URL, json=payload, timeout=settings.HISTORY_HTTP_RESPONSE_TIMEOUT
        )
    except requests.Timeout:
        return "408"
    except requests.RequestException as exc:
        return f"connection failed: {exc.__class__.__name__}"
    return str(response.status_code)

"""Hangup events applied per second by one listener's unit of work (parse + apply), beside a naive ORM baseline.

The events are CHANNEL_HANGUP_COMPLETE texts shaped like the FreeSWITCH 1.10.12
capture, one per dialed contact. The product path is the listener's: parse, then
``apply_events`` in batches (the conditional end, the history row, the voice
connector message, once each; one commit per batch). The
baseline applies each with model instances (read, assign, ``save()``, create the
history row) and no conditions.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from bench.table import print_table
from campaigns.intake import receive_contacts
from campaigns.models import Contact
from campaigns.samples import sample_contacts
from campaigns.validation import ContactInput, validate_contact
from dialer.esl.wire import parse_event, serialize_event
from dialer.listener import BATCH
from dialer.outcomes import apply_events
from reporting.models import CallHistory

EVENTS = 3000
CAMPAIGN = "bench-hangups"


def dialed_contacts() -> list[str]:
    """EVENTS contacts in ``dialed`` with a call id and an open history row; returns the call ids."""
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE campaigns_contact, reporting_callhistory, dialer_voiceconnectormessage")
    rows = sample_contacts(EVENTS, campaign_id=CAMPAIGN, start=timezone.now() - timedelta(hours=1))
    receive_contacts([c for c in map(validate_contact, rows) if isinstance(c, ContactInput)])
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE campaigns_contact SET status = 'dialed', call_id = gen_random_uuid(), dial_time = %s "
            "WHERE campaign_id = %s",
            [now, CAMPAIGN],
        )
    history = [
        CallHistory(contact_id=c.id, campaign_id=CAMPAIGN, call_id=c.call_id, customer_number=c.customer_number,
                    campaign_type="IVR", dialing_at=now)
        for c in Contact.objects.filter(campaign_id=CAMPAIGN)
    ]  # fmt: skip
    CallHistory.objects.bulk_create(history)
    return [str(h.call_id) for h in history]


def hangup_text(call_id: str) -> str:
    now = time.time()
    return serialize_event(
        [
            ("Event-Name", "CHANNEL_HANGUP_COMPLETE"), ("Core-UUID", str(uuid.uuid4())),
            ("Event-Date-Timestamp", str(int(now * 1_000_000))), ("Hangup-Cause", "NORMAL_CLEARING"),
            ("Channel-State", "CS_REPORTING"), ("Unique-ID", call_id), ("Answer-State", "hangup"),
            ("variable_hangup_cause", "NORMAL_CLEARING"), ("variable_answer_epoch", str(int(now) - 30)),
            ("variable_bridge_epoch", "0"), ("variable_sip_hangup_disposition", "recv_bye"),
            ("variable_billsec", "30"), ("variable_duration", "35"),
        ]
    )  # fmt: skip


def product(texts: list[str]) -> float:
    """As the listener does: parse, then apply in batches of its size, one commit per batch."""
    started = time.perf_counter()
    outcomes: list[str] = []
    for start in range(0, len(texts), BATCH):
        outcomes += apply_events([parse_event(text) for text in texts[start : start + BATCH]])
    elapsed = time.perf_counter() - started
    assert outcomes.count("ended") == len(texts), set(outcomes)
    return elapsed


def naive(texts: list[str]) -> float:
    started = time.perf_counter()
    for text in texts:
        event = parse_event(text)
        with transaction.atomic():
            contact = Contact.objects.get(call_id=event.get("Unique-ID"))
            contact.status, contact.call_result = "ended", "Normal clearing"
            contact.hangup_cause, contact.ended_at = event.get("Hangup-Cause"), timezone.now()
            contact.save()
            history = CallHistory.objects.get(call_id=contact.call_id)
            history.released_at, history.call_result = contact.ended_at, contact.call_result
            history.save()
    return time.perf_counter() - started


def run() -> None:
    settings.VOICE_CONNECTOR_URL = "http://127.0.0.1:9"  # messages are queued (their delivery is not measured)
    rows = []
    for name, apply in (("listener batches (product)", product), ("naive ORM per event (baseline)", naive)):
        texts = [hangup_text(call_id) for call_id in dialed_contacts()]
        seconds = apply(texts)
        rows.append((name, len(texts), seconds, len(texts) / seconds))
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE campaigns_contact, reporting_callhistory, dialer_voiceconnectormessage")
    print_table(
        "CHANNEL_HANGUP_COMPLETE events applied by one listener",
        ["path", "events", "seconds", "events/s"],
        rows,
    )

"""Retention: done rows older than RETENTION_DAYS go, in bounded batches; recent and unfinished rows stay."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from campaigns.retention import delete_in_batches
from dialer.models import MessageKind, VoiceConnectorMessage
from dialer.tasks import prune_delivered_voice_connector_messages
from outbound.celery import app
from reporting.models import AgentHistory, AgentUpdate, AttemptRecord, CallHistory
from reporting.tasks import prune_old_reporting_rows

OLD = timezone.now() - timedelta(days=91)
RECENT = timezone.now() - timedelta(days=89)


def message(label: str, *, created: datetime, delivered: datetime | None) -> None:
    row = VoiceConnectorMessage.objects.create(
        kind=MessageKind.CALL_RESULT, contact_id=label, call_id=uuid.uuid4(), payload={}, next_attempt_at=created,
        delivered_at=delivered,
    )  # fmt: skip
    VoiceConnectorMessage.objects.filter(pk=row.pk).update(created_at=created)


def record(label: str, *, created: datetime, saved: datetime | None) -> None:
    AttemptRecord.objects.create(
        attempt_guid=uuid.uuid4(), sequence=0, contact_id=label, call_id=uuid.uuid4(), campaign_id="c1",
        customer_number="+4930123", payload={}, created_at=created, next_attempt_at=created, saved_at=saved,
    )  # fmt: skip


def update(label: str, *, received: datetime, state: str) -> None:
    row = AgentUpdate.objects.create(contact_id=label, agent_extension="100", occurred_at=received, state=state)
    AgentUpdate.objects.filter(pk=row.pk).update(received_at=received)


def call(label: str, *, dialed: datetime, released: datetime | None) -> None:
    CallHistory.objects.create(
        contact_id=label, campaign_id="c1", customer_number="+4930123", campaign_type="IVR", dialing_at=dialed,
        released_at=released,
    )  # fmt: skip


@pytest.fixture
def rows(db):
    message("old delivered", created=OLD, delivered=OLD)
    message("recent delivered", created=RECENT, delivered=RECENT)
    message("old undelivered", created=OLD, delivered=None)
    record("old saved", created=OLD, saved=OLD)
    record("recent saved", created=RECENT, saved=RECENT)
    record("old unsaved", created=OLD, saved=None)
    update("old applied", received=OLD, state="applied")
    update("recent applied", received=RECENT, state="applied")
    update("old queued", received=OLD, state="queued")
    update("old rejected", received=OLD, state="rejected")
    call("old ended", dialed=OLD, released=OLD)
    call("recent ended", dialed=RECENT, released=RECENT)
    call("old never ended", dialed=OLD, released=None)
    call("in progress", dialed=timezone.now(), released=None)
    AgentHistory.objects.create(agent_extension="old", activity="reserved", occurred_at=OLD)
    AgentHistory.objects.create(agent_extension="recent", activity="reserved", occurred_at=RECENT)


def left() -> dict[str, set[str]]:
    return {
        "messages": set(VoiceConnectorMessage.objects.values_list("contact_id", flat=True)),
        "records": set(AttemptRecord.objects.values_list("contact_id", flat=True)),
        "updates": set(AgentUpdate.objects.values_list("contact_id", flat=True)),
        "calls": set(CallHistory.objects.values_list("contact_id", flat=True)),
        "agents": set(AgentHistory.objects.values_list("agent_extension", flat=True)),
    }


def test_done_rows_older_than_the_retention_go_and_the_rest_stay(rows, settings):
    settings.RETENTION_DAYS = 90
    assert prune_delivered_voice_connector_messages() == 1
    pruned = prune_old_reporting_rows()
    assert pruned == {"call_history": 2, "agent_history": 1, "attempt_records": 1, "agent_updates": 1}
    assert left() == {
        "messages": {"recent delivered", "old undelivered"},
        "records": {"recent saved", "old unsaved"},
        "updates": {"recent applied", "old queued", "old rejected"},
        "calls": {"recent ended", "in progress"},
        "agents": {"recent"},
    }


def test_zero_keeps_everything(rows, settings):
    settings.RETENTION_DAYS = 0
    before = left()
    assert prune_delivered_voice_connector_messages() == 0
    assert prune_old_reporting_rows() == {}
    assert left() == before


def test_a_backlog_is_deleted_a_bounded_batch_at_a_time(db):
    for index in range(5):
        AgentHistory.objects.create(agent_extension=str(index), activity="reserved", occurred_at=OLD)
    old = AgentHistory.objects.filter(occurred_at__lt=RECENT)
    first = delete_in_batches(old, batch_size=2, max_batches=2)
    assert (first.deleted, first.finished) == (4, False)
    second = delete_in_batches(old, batch_size=2, max_batches=2)
    assert (second.deleted, second.finished) == (1, True)
    assert not AgentHistory.objects.exists()


def test_beat_prunes_every_hour_on_the_deliveries_queue():
    schedule = {entry["task"]: entry for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    for task in ("dialer.tasks.prune_delivered_voice_connector_messages", "reporting.tasks.prune_old_reporting_rows"):
        assert schedule[task]["schedule"] == 3600.0
        assert task in app.tasks
        assert app.amqp.router.route({}, task)["queue"].name == "deliveries"

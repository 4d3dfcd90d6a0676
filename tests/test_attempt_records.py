"""Call attempt records (seed 004) delivered to a real HTTP receiver that answers as scripted."""

from __future__ import annotations

import logging

import pytest

from campaigns.models import Campaign, Contact
from dialer.cycle import try_dial_next_batch
from reporting.attempt_records import deliver_due
from reporting.models import AttemptRecord
from tests.conftest import add_contacts, wait_until
from tests.fakes.http_receiver import HttpReceiver


@pytest.fixture
def receiver(settings):
    server = HttpReceiver().start()
    settings.ATTEMPT_RECORD_URL = f"{server.url}/attempts"
    settings.HISTORY_WAIT_RECOVERY_TIMEOUT = 0
    settings.HISTORY_HTTP_RESPONSE_TIMEOUT = 0.5
    yield server
    server.stop()


def dial_and_end(count: int = 1, **overrides) -> list[str]:
    ids = add_contacts(count, **overrides)
    try_dial_next_batch()
    wait_until(lambda: Contact.objects.filter(pk__in=ids, status="ended").count() == count, what="the calls to end")
    return ids


def test_each_attempt_sends_record_0_at_dial_and_record_1_with_the_result(switch, listener, receiver):
    [contact_id] = dial_and_end()
    deliver_due()
    deliver_due()
    contact = Contact.objects.get(pk=contact_id)
    first, second = receiver.bodies("attempts")
    assert (first["GSW_OCS_SEQUENCE_NO"], second["GSW_OCS_SEQUENCE_NO"]) == (0, 1)
    assert first["GSW_HIST_SEQUENCE_NUM"] == 0
    assert first["GSW_CALL_ATTEMPT_GUID"] == second["GSW_CALL_ATTEMPT_GUID"]
    assert first["GSW_PHONE"] == contact.customer_number
    assert first["GSW_CUSTOMER_ID"] == contact.campaign_contact_id
    assert first["GSW_CAMPAIGN_NAME"] == "c1"
    assert first["GSW_CAMPAIGN_DBID"] == Campaign.objects.get(campaign_id="c1").pk
    assert first["GSW_TENANT_NAME"] == "Unknown"
    assert first["GSW_TZ_NAME"] == "Europe/Berlin"
    assert "GSW_CALL_RESULT" not in first
    assert second["GSW_CALL_RESULT"] == 33
    assert float(second["GSW_RELEASED"]) >= float(second["GSW_DIALING"])
    # CHANNEL_PROGRESS (180 Ringing) times the ringing, between the dial and the answer.
    assert float(second["GSW_DIALING"]) <= float(second["GSW_RINGING"]) <= float(second["GSW_ANSWERED"])
    assert AttemptRecord.objects.filter(saved_at__isnull=True).count() == 0


@pytest.mark.parametrize("status", [409, 418, 500])
def test_refused_records_are_resent_until_saved_and_never_after(switch, listener, receiver, status, caplog):
    receiver.status = status
    dial_and_end()
    with caplog.at_level(logging.WARNING):
        deliver_due()
    assert "Call Attempt Record was not saved and has been queued for reprocessing for phone" in caplog.text
    assert AttemptRecord.objects.filter(saved_at__isnull=True).count() == 2
    assert len(receiver.bodies("attempts")) == 1  # record 1 waits for record 0
    receiver.status = 200
    deliver_due()
    deliver_due()
    sent = receiver.bodies("attempts")
    assert [b["GSW_OCS_SEQUENCE_NO"] for b in sent] == [0, 0, 1]
    deliver_due()
    assert len(receiver.bodies("attempts")) == 3


def test_a_receiver_past_the_timeout_counts_as_408(switch, listener, receiver, caplog):
    receiver.delay = 1.0
    dial_and_end()
    with caplog.at_level(logging.WARNING):
        deliver_due()
    assert "Save operation for Call Attempt Record was aborted (timeout elapsed)" in caplog.text
    assert set(AttemptRecord.objects.values_list("last_status", flat=True)) >= {"408"}


def test_a_receiver_that_is_down_loses_nothing(switch, listener, receiver):
    receiver.stop()
    dial_and_end(3)
    deliver_due()
    assert AttemptRecord.objects.filter(saved_at__isnull=True).count() == 6
    # One refused connection is enough: the rest of the batch was not sent against a receiver that is down.
    assert sorted(AttemptRecord.objects.values_list("attempts", flat=True)) == [0, 0, 0, 0, 0, 1]
    receiver.start()
    for _ in range(3):
        deliver_due()
    sent = receiver.bodies("attempts")
    assert len(sent) == 6
    for guid in {b["GSW_CALL_ATTEMPT_GUID"] for b in sent}:
        assert [b["GSW_OCS_SEQUENCE_NO"] for b in sent if b["GSW_CALL_ATTEMPT_GUID"] == guid] == [0, 1]


def test_a_backlog_over_the_threshold_suspends_only_that_campaign(
    switch, listener, receiver, settings, caplog, manager
):
    settings.HISTORY_WAIT_CONDITION_THRESHOLD = 3
    receiver.status = 503
    with caplog.at_level(logging.WARNING):
        dial_and_end(2, campaign_id="slow")
    assert Campaign.objects.get(campaign_id="slow").waiting_for_records  # 4 records unsaved > 3
    status = manager.get("/api/v1/dialer/status/").json()
    assert next(c for c in status["campaigns"] if c["campaign_id"] == "slow")["waiting_for_records"] is True
    assert "Wait condition has been activated for Campaign Group slow (DBID" in caplog.text
    originated = len(switch.switch.originates)
    add_contacts(2, campaign_id="slow")
    add_contacts(2, campaign_id="other")
    try_dial_next_batch()
    dialed = [o["number"] for o in switch.switch.originates[originated:]]
    dialed_campaigns = {
        str(c) for c in Contact.objects.filter(customer_number__in=dialed).values_list("campaign_id", flat=True)
    }
    assert dialed_campaigns == {"other"}
    receiver.status = 200
    with caplog.at_level(logging.WARNING):
        deliver_due()
        deliver_due()
    assert not Campaign.objects.get(campaign_id="slow").waiting_for_records
    assert "Wait condition has been cleared for Campaign Group slow" in caplog.text
    try_dial_next_batch()
    assert Contact.objects.filter(campaign_id="slow", status="pending").count() == 0

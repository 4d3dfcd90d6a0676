"""Campaign status notifications (seed 002) to a real HTTP receiver, and the statistics they carry."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign
from outbound.celery import app as celery_app
from reporting.models import CallHistory
from reporting.notifications import notify_active_campaigns
from reporting.stats import Tally, agent_time, busy_factor, hit_ratio, overdial_rate, tallies, time_to_complete
from tests.conftest import contact_payload, contacts_payload
from tests.fakes.http_receiver import HttpReceiver

MANDATORY = {
    "GSW_USER_EVENT", "GSW_DATE_TIME", "GSW_TENANT_NAME", "GSW_TENANT_CCID", "GSW_CAMPAIGN_GROUP_NAME",
    "GSW_CAMPAIGN_GROUP_GUID", "GSW_CAMPAIGN_GROUP_DBID", "GSW_GROUP_NAME", "GSW_CAMPAIGN_NAME", "GSW_QUEUE_NAME",
    "GSW_CAMPAIGN_GROUP_STATE", "GSW_CAMPAIGN_GROUP_ACTION", "GSW_CAMPAIGN_GROUP_ACTOR", "GSW_STAT_BUSY_FACTOR",
    "GSW_STAT_HIT_RATIO", "GSW_STAT_OVERDIAL_RATE", "GSW_STAT_TIME_TO_COMPLETE",
}  # fmt: skip


@pytest.fixture
def receiver(settings):
    server = HttpReceiver().start()
    settings.STATUS_NOTIFICATION_URL = f"{server.url}/state"
    settings.TENANT_NAME, settings.TENANT_CCID = "Acme", "101"
    celery_app.conf.task_always_eager = True  # the notification task runs in the test, as a worker would
    yield server
    celery_app.conf.task_always_eager = False
    server.stop()


def test_each_campaign_change_posts_one_notification_with_the_ocs_values(manager, receiver, transactional_db):
    manager.post("/api/v1/campaigns/", {"campaign_id": "spring", "dialing_mode": "PREVIEW"}, format="json")
    manager.post("/api/v1/contacts/", contact_payload("spring"), format="json")
    manager.post("/api/v1/campaigns/spring/start/")
    manager.patch("/api/v1/campaigns/spring/", {"dialing_mode": "PROGRESSIVE"}, format="json")
    manager.post("/api/v1/campaigns/spring/stop/")
    manager.post("/api/v1/campaigns/spring/unload/")
    bodies = receiver.bodies("state")
    actions = [(b["GSW_CAMPAIGN_GROUP_ACTION"], b["GSW_CAMPAIGN_GROUP_STATE"]) for b in bodies]
    assert actions == [(7, 3), (9, 5), (11, 5), (10, 3), (8, 0)]  # load, start, set dialing mode, stop, unload
    campaign = Campaign.objects.get(campaign_id="spring")
    for body in bodies:
        assert set(body) >= MANDATORY
        assert body["GSW_USER_EVENT"] == "CampaignGroupState"
        assert (body["GSW_TENANT_NAME"], body["GSW_TENANT_CCID"]) == ("Acme", "101")
        assert body["GSW_CAMPAIGN_GROUP_GUID"] == str(campaign.guid)
        assert body["GSW_CAMPAIGN_GROUP_DBID"] == str(campaign.pk)
        assert body["GSW_CAMPAIGN_GROUP_ACTOR"] == 1
        assert float(body["GSW_DATE_TIME"]) > 0
        assert body["GSW_DATE_TIME"].split(".")[1].__len__() == 3
    assert "GSW_DIAL_MODE" not in bodies[0]  # only while running
    assert bodies[2]["GSW_DIAL_MODE"] == 2  # progressive
    assert bodies[1]["GSW_CALLING_LISTS"][0]["GSW_CALLING_LIST"] == "default"


def test_a_running_predictive_campaign_reports_what_it_optimises_and_its_goal(manager, receiver, transactional_db):
    change = {"dialing_mode": "PREDICTIVE", "caller_id": "+4930123456", "optimize_by": "BUSY_FACTOR",
              "optimize_goal": 0.85}  # fmt: skip
    manager.post("/api/v1/campaigns/", {"campaign_id": "summer"}, format="json")
    manager.post("/api/v1/contacts/", contact_payload("summer"), format="json")
    manager.post("/api/v1/campaigns/summer/start/")
    assert manager.patch("/api/v1/campaigns/summer/", change, format="json").status_code == 200
    body = receiver.bodies("state")[-1]
    assert (body["GSW_DIAL_MODE"], body["GSW_OPTIMIZE_BY"], body["GSW_OPTIMIZE_GOAL"]) == (1, 1, 85.0)
    manager.patch("/api/v1/campaigns/summer/", {"dialing_mode": "PROGRESSIVE"}, format="json")
    assert "GSW_OPTIMIZE_BY" not in receiver.bodies("state")[-1]  # predictive only


def test_first_sight_of_a_campaign_is_its_load(manager, receiver, transactional_db):
    manager.post("/api/v1/contacts/", contacts_payload(2, "autumn"), format="json")
    [body] = receiver.bodies("state")
    assert (body["GSW_CAMPAIGN_NAME"], body["GSW_CAMPAIGN_GROUP_ACTION"], body["GSW_CAMPAIGN_GROUP_STATE"]) == (
        "autumn", 7, 5)  # fmt: skip


def test_a_receiver_that_is_down_changes_nothing_for_the_campaign(manager, receiver, transactional_db, caplog):
    manager.post("/api/v1/contacts/", contact_payload("c1"), format="json")
    receiver.stop()
    with caplog.at_level(logging.WARNING):
        response = manager.post("/api/v1/campaigns/c1/stop/")
    assert response.status_code == 200
    assert Campaign.objects.get(campaign_id="c1").state == "stopped"
    assert "not delivered (no retry)" in caplog.text


def test_periodic_notifications_cover_the_active_campaigns_with_log_81001(manager, receiver, transactional_db, caplog):
    manager.post("/api/v1/contacts/", contact_payload("run"), format="json")
    manager.post("/api/v1/contacts/", contact_payload("halt"), format="json")
    manager.post("/api/v1/campaigns/halt/stop/")
    before = len(receiver.bodies("state"))
    with caplog.at_level(logging.DEBUG, logger="reporting.notifications"):
        assert notify_active_campaigns() == 1
    [periodic] = receiver.bodies("state")[before:]
    assert (periodic["GSW_CAMPAIGN_NAME"], periodic["GSW_CAMPAIGN_GROUP_ACTION"]) == ("run", 9)
    assert periodic["GSW_CAMPAIGN_GROUP_ACTOR"] == 2
    assert "81001 Sending periodic HTTP status notification CampaignGroupState for Campaign Group run to" in caplog.text


@pytest.mark.parametrize(("interval", "scheduled"), [("7", 7.0), ("0", None)])
def test_the_periodic_notification_is_scheduled_at_the_interval(interval, scheduled):
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.CELERY_BEAT_SCHEDULE.get('status-notifications', {}).get('schedule'))"
    )
    env = dict(os.environ, STATUS_NOTIFICATION_INTERVAL=interval, DJANGO_SETTINGS_MODULE="outbound.settings")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == str(scheduled)


@pytest.mark.parametrize(
    ("tally", "expected"),
    [
        (Tally(), (None, None, None, None)),
        (Tally(attempts=10, live_answers=4, lost_answers=1, remaining=90), (0.4, 0.25, None, 32400.0)),
        (Tally(attempts=4, live_answers=0, remaining=0, busy_seconds=45, logged_in_seconds=60), (0.0, None, 0.75, 0.0)),
    ],
)
def test_statistics_on_known_tallies(tally, expected):
    assert (hit_ratio(tally), overdial_rate(tally), busy_factor(tally), time_to_complete(tally)) == expected


def test_busy_time_runs_from_connect_to_wrap_up_and_logged_in_time_spans_the_activity():
    t0 = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)

    def at(minutes: float) -> datetime:
        return t0 + timedelta(minutes=minutes)

    events = [
        ("1001", "reserved", at(0)), ("1001", "connected", at(1)), ("1001", "released", at(4)),
        ("1001", "wrapup_done", at(5)), ("1001", "connected", at(8)), ("1001", "released", at(10)),
        ("1002", "reserved", at(0)), ("1002", "released", at(10)),
    ]  # fmt: skip
    busy, logged_in = agent_time(events)
    assert (busy, logged_in) == (6 * 60.0, 20 * 60.0)  # 1001: 4 + 2 busy minutes; both agents 10 minutes
    assert busy_factor(Tally(busy_seconds=busy, logged_in_seconds=logged_in)) == 0.3


def test_tallies_come_from_the_history_of_the_window(manager, transactional_db):
    manager.post("/api/v1/contacts/", contacts_payload(3, "w", contact_list="A"), format="json")
    now = timezone.now()
    rows = [(33, "A", 5), (26, "A", 5), (6, "B", 5), (7, "B", 5), (33, "A", 120)]  # code, list, minutes ago
    for n, (code, name, minutes) in enumerate(rows):
        CallHistory.objects.create(
            contact_id=f"c{n}", campaign_id="w", contact_list=name, customer_number="+491", campaign_type="IVR",
            dialing_at=now - timedelta(minutes=minutes + 1), released_at=now - timedelta(minutes=minutes),
            call_result_code=code,
        )  # fmt: skip
    campaign, lists = tallies("w", now=now)
    dialing = 6 * 60  # since the first call that ended in the window was dialed, not the whole hour
    assert campaign == Tally(attempts=4, live_answers=2, lost_answers=1, remaining=3, dialing_seconds=dialing)
    assert lists["A"] == Tally(attempts=2, live_answers=2, lost_answers=1, remaining=3, dialing_seconds=dialing)
    assert lists["B"] == Tally(attempts=2, live_answers=0, lost_answers=0, remaining=0, dialing_seconds=dialing)


def test_time_to_complete_counts_the_minutes_a_campaign_has_dialed_not_the_whole_hour():
    """900 calls completed in its first 15 minutes with 900 left: 15 more minutes, not 60 (it divided by the hour)."""
    assert time_to_complete(Tally(attempts=900, remaining=900, dialing_seconds=15 * 60)) == 900.0
    assert time_to_complete(Tally(attempts=2, remaining=10, dialing_seconds=1)) == 300.0  # measured over a minute

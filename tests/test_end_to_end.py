"""1,000 contacts in 5 campaigns through real processes: Celery worker and beat, listener, web, simulators.

What is asserted is measured at the simulated switch: one originate per dialed
contact, never more calls up than the slots, never more originates per second
than the throttle — and, with processes killed mid-run, nothing dialed twice
and nothing stuck.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests
from django.contrib.auth.models import User

from campaigns.models import Contact
from tests.conftest import add_contacts
from tests.e2e_harness import Deployment
from tests.fakes.http_receiver import HttpReceiver
from tests.switch_harness import switch_record
from tests.test_import_contacts import rows
from tests.test_list_import_admin import csv_bytes

pytestmark = pytest.mark.slow
FINAL = {"ended", "failed"}
SWITCH = ["--answer-ratio", "0.7", "--busy-ratio", "0.2", "--ring", "0.05-0.2", "--talk", "0.2-0.6",
          "--no-answer-after", "0.3", "--drop-before-agent", "0.05", "--seed", "3"]  # fmt: skip
AGENT = {"campaign_type": "AGENT", "dialing_mode": "PREDICTIVE", "routing_mode": "AGENT", "resource_id": "agent-pool"}


def load_campaigns(per_campaign: int = 200) -> None:
    for name in ("ivr-a", "ivr-b", "ivr-c"):
        add_contacts(per_campaign, name, ivr="5000")
    for name in ("agent-a", "agent-b"):
        add_contacts(per_campaign, name, **AGENT)


def wait_for_all_final(timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Contact.objects.exclude(status__in=FINAL).exists():
            return
        time.sleep(0.5)
    left = Counter(Contact.objects.exclude(status__in=FINAL).values_list("status", flat=True))
    raise AssertionError(f"contacts not finished after {timeout}s: {dict(left)}")


def assert_switch_saw_one_originate_per_dialed_contact(record: list[dict[str, Any]], *, crashed: bool = False) -> None:
    """No number dialed twice; every call that reached the switch was stamped as sent first, with its call id.

    After a crash between stamping a call as sending and writing its originate, the database has a
    call the switch never saw: that contact must never be redialed, and ends Stale after one attempt.
    """
    originates = Counter(e["number"] for e in record if e["event"] == "originate")
    assert max(originates.values()) == 1, [n for n, c in originates.items() if c > 1][:5]
    dialed = set(Contact.objects.filter(dial_time__isnull=False).values_list("customer_number", flat=True))
    assert set(originates) <= dialed  # the stamp commits before the command leaves
    call_of = {e["number"]: e["call_id"] for e in record if e["event"] == "originate"}
    for contact in Contact.objects.filter(customer_number__in=set(originates)):
        assert str(contact.call_id) == call_of[contact.customer_number], contact.customer_number
    if not crashed:
        assert set(originates) == dialed
        return
    for contact in Contact.objects.filter(customer_number__in=dialed - set(originates)):
        assert (contact.status, contact.call_result, contact.attempts) == ("ended", "Stale", 1), contact.customer_number


def peak_concurrent_calls(record: list[dict[str, Any]]) -> int:
    changes = []
    for entry in record:
        if entry["event"] == "originate":
            changes.append((entry["time"], 1))
        elif entry["event"] == "hangup":
            changes.append((entry["time"], -1))
    return max(itertools.accumulate(delta for _, delta in sorted(changes)))


def peak_originates_per_second(record: list[dict[str, Any]]) -> int:
    times = sorted(e["time"] for e in record if e["event"] == "originate")
    return max(sum(1 for t in times[i:] if t < start + 1.0) for i, start in enumerate(times))


@pytest.fixture
def deployment(transactional_db, tmp_path: Path):
    running = Deployment(tmp_path, max_calls=20, calls_per_second=40.0, switch_args=SWITCH)
    yield running
    running.stop()


def test_a_thousand_contacts_are_dialed_within_the_slots_and_the_throttle(deployment):
    load_campaigns()
    deployment.start()
    wait_for_all_final(timeout=240)
    record = switch_record(deployment.record)
    assert_switch_saw_one_originate_per_dialed_contact(record)
    assert peak_concurrent_calls(record) <= 20
    assert peak_originates_per_second(record) <= 40
    statuses = Counter(Contact.objects.values_list("status", flat=True))
    assert statuses["ended"] >= 950
    agent_results = Counter(Contact.objects.filter(campaign_type="AGENT").values_list("call_result", flat=True))
    assert agent_results["Normal clearing"] > 0
    assert agent_results["Dropped"] > 0


def test_killing_the_worker_and_the_listener_mid_run_dials_nobody_twice_and_leaves_nobody_stuck(deployment):
    load_campaigns(per_campaign=100)
    deployment.start()
    wait_until_ended(150)
    deployment.kill("worker")
    deployment.start_process("worker")
    wait_until_ended(300)
    deployment.kill("listener")
    time.sleep(1.0)  # calls end while nobody listens
    deployment.start_process("listener")
    wait_for_all_final(timeout=240)
    record = switch_record(deployment.record)
    assert_switch_saw_one_originate_per_dialed_contact(record, crashed=True)
    assert peak_concurrent_calls(record) <= 20


def wait_until_ended(count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while Contact.objects.filter(status="ended").count() < count:
        assert time.monotonic() < deadline, f"fewer than {count} calls ended in {timeout}s"
        time.sleep(0.2)


def test_a_list_uploaded_in_the_admin_is_imported_by_the_worker_and_dialed(deployment):
    """Browser → gunicorn → database → broker → Celery worker → importer, then the dialer takes the contacts."""
    User.objects.create_superuser("ops", "ops@example.com", "pw")
    deployment.start()
    base = f"http://127.0.0.1:{deployment.web_port}/admin"
    browser = requests.Session()
    browser.get(f"{base}/login/", timeout=10)
    login = {
        "username": "ops",
        "password": "pw",
        "next": "/admin/",
        "csrfmiddlewaretoken": browser.cookies["csrftoken"],
    }
    browser.post(f"{base}/login/", data=login, timeout=10)
    for _ in range(6):  # each request may reach another web worker: all of them know the session
        assert browser.get(f"{base}/", timeout=10).url == f"{base}/"
    content = csv_bytes(rows(300, "uploaded"))
    response = browser.post(
        f"{base}/campaigns/contactlist/import/",
        data={"campaign_id": "uploaded", "list_name": "Leads", "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
        files={"file": ("leads.csv", content, "text/csv")},
        timeout=30,
    )
    assert "/admin/campaigns/listimport/" in response.url
    deadline = time.monotonic() + 60
    while "300 rows: 300 imported" not in (page := browser.get(response.url, timeout=10).text):
        assert time.monotonic() < deadline, page[page.find("State:") :][:300]
        time.sleep(0.5)
    wait_for_all_final(timeout=120)
    assert Contact.objects.filter(campaign_id="uploaded", contact_list__name="Leads", status="ended").count() >= 280


def test_a_voice_connector_that_hangs_never_delays_a_call(transactional_db, tmp_path: Path):
    """Every end is reported to the voice connector, which takes 5 s per message: the calls go on regardless."""
    hanging = HttpReceiver().start()
    hanging.delay = 5.0
    quick = ["--answer-ratio", "1", "--ring", "0.05-0.1", "--talk", "0.1-0.3", "--seed", "5"]
    deployment = Deployment(
        tmp_path, max_calls=10, calls_per_second=20.0, switch_args=quick, voice_connector_url=hanging.url
    )
    try:
        add_contacts(60, "ivr-hang", ivr="5000")
        deployment.start()
        wait_for_all_final(timeout=60)
        delivered = len(hanging.bodies("call-results"))
        times = sorted(e["time"] for e in switch_record(deployment.record) if e["event"] == "originate")
    finally:
        deployment.stop()
        hanging.stop()
    assert len(times) == 60
    assert delivered < 60  # the deliveries were still hanging while every call was placed
    assert max(b - a for a, b in itertools.pairwise(times)) < 2.5  # a hanging delivery would stall one for 5 s

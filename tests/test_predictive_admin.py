"""The predictive pacing page of the operators' console (SPEC 5b): per predictive campaign its agents, calls in
flight, dial level, overdial rate against the cap, busy factor and why it is or is not dialed ahead."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django.utils import timezone

from campaigns.models import Campaign
from dialer.admin import pacing_mode
from dialer.agent_states import StateReport, apply_states
from dialer.pacing import History, PacingInput

PAGE = "/admin/dialer/agentstate/pacing/"


def _campaign(campaign_id: str, *, caller_id: str = "+4930123456", queue: str = "Sales_Queue") -> Campaign:
    return Campaign.objects.create(
        campaign_id=campaign_id, name=campaign_id, campaign_type="AGENT", dialing_mode="PREDICTIVE",
        queue_name=queue, caller_id=caller_id,
    )  # fmt: skip


def _agents(queue: str, *, ready: int = 0, talking: int = 0, now: datetime | None = None) -> None:
    now = now or timezone.now()
    states = ["ready"] * ready + ["talking"] * talking
    reports = [StateReport(str(1001 + n), queue, state, now) for n, state in enumerate(states)]
    with transaction.atomic():
        apply_states(reports, now=now)


def _row(page: str, campaign_id: str) -> list[str]:
    """The cells of the campaign's row in the page's table."""
    row = page.split(f"<tr><td>{campaign_id}</td>", 1)[1].split("</tr>", 1)[0]
    return [cell.split("</td>", 1)[0] for cell in row.split("<td>")[1:]]


@pytest.mark.django_db
def test_a_predictive_campaign_shows_its_agents_and_dials_progressively_without_history(admin_client, settings):
    settings.ABANDON_RATE_LIMIT = 0.03
    _campaign("p1")
    _agents("Sales_Queue", ready=2, talking=1)
    response = admin_client.get(PAGE)
    assert response.status_code == 200
    page = response.content.decode()
    assert '<meta http-equiv="refresh" content="5">' in page
    # state, ready, talking, wrap-up, ringing, waiting, dial level, overdial, busy factor (1 of 3 agents
    # talking since the same moment), live answers, mode
    assert _row(page, "p1") == [
        "running", "2", "1", "0", "0", "0", "0.00", "0.0 % of 3 %", "0.33", "0", "progressive until 20 live answers",
    ]  # fmt: skip


@pytest.mark.django_db
def test_a_queue_without_known_agents_is_said_to_be_dialed_progressively(admin_client):
    _campaign("p2", queue="Empty_Queue")
    cells = _row(admin_client.get(PAGE).content.decode(), "p2")
    assert cells[6] == "—"
    assert cells[-1] == "agents unknown: dialed progressively"


@pytest.mark.django_db
def test_a_campaign_without_caller_id_is_not_listed(admin_client):
    _campaign("p1")
    _campaign("nocid", caller_id="")
    page = admin_client.get(PAGE).content.decode()
    assert "<td>p1</td>" in page
    assert "nocid" not in page


@pytest.mark.django_db
def test_the_agent_states_page_links_to_the_pacing_page(admin_client):
    assert f'href="{PAGE}"' in admin_client.get("/admin/dialer/agentstate/").content.decode()


@pytest.mark.django_db
def test_a_user_who_is_not_staff_cannot_see_the_page():
    _campaign("p1")
    User.objects.create_user("someone", password="pw")
    browser = Client()
    browser.login(username="someone", password="pw")
    response = browser.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert Client().get(PAGE).status_code == 302


def _input(*, live_answers: int, overdial_rate: float) -> PacingInput:
    history = History(
        live_answers=live_answers, hit_ratio=0.3, mean_answer_seconds=8.0, mean_talk_seconds=60.0,
        mean_wrapup_seconds=10.0, overdial_rate=overdial_rate, busy_factor=0.8,
    )  # fmt: skip
    return PacingInput(
        ready_agents=2, talking=[5.0], wrapping_up=[], ringing=[1.0], waiting_calls=0, history=history,
        free_slots=0, throttle_budget=0, abandon_rate_limit=0.03,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("live_answers", "overdial_rate", "mode"),
    [(19, 0.0, "progressive until 20 live answers"), (20, 0.03, "at the cap: progressive"), (20, 0.029, "predictive")],
)
def test_the_mode_follows_the_rules_that_override_the_pacing_model(live_answers, overdial_rate, mode):
    assert pacing_mode(_input(live_answers=live_answers, overdial_rate=overdial_rate)) == mode

"""Agent states from the voice connector (section 5b): the newest wins, a repeat confirms, a stale one is unknown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from campaigns.choices import ApiRole
from campaigns.models import Contact
from dialer.agent_states import known_agents
from dialer.cycle import try_dial_next_batch
from dialer.models import AgentState
from reporting.stats import campaign_statistics, state_time
from tests.conftest import add_contacts
from tests.test_dialing_agent import AGENT

URL = "/api/v1/voice-connector/agent-states/"


def state(agent: str, name: str, at: str, queue: str = "Sales") -> dict[str, str]:
    return {"agent_extension": agent, "queue_name": queue, "state": name, "occurred_at": at}


def test_one_state_or_a_list_is_applied_at_once(vc_api):
    assert vc_api.post(URL, state("1001", "ready", "2026-12-01T10:00:00Z"), format="json").json() == {
        "applied": 1,
        "ignored": 0,
    }
    body = [state("1002", "talking", "2026-12-01T10:00:00Z"), state("1003", "wrapup", "2026-12-01T10:00:01Z")]
    assert vc_api.post(URL, body, format="json").json() == {"applied": 2, "ignored": 0}
    assert set(AgentState.objects.values_list("agent_extension", "state")) == {
        ("1001", "ready"),
        ("1002", "talking"),
        ("1003", "wrapup"),
    }


def test_an_older_report_is_ignored_and_the_same_one_again_confirms_it(vc_api):
    vc_api.post(URL, state("1001", "talking", "2026-12-01T10:00:05Z"), format="json")
    first = AgentState.objects.get().confirmed_at
    older = vc_api.post(URL, state("1001", "ready", "2026-12-01T10:00:00Z"), format="json").json()
    assert older == {"applied": 0, "ignored": 1}
    assert AgentState.objects.get().state == "talking"
    again = vc_api.post(URL, state("1001", "talking", "2026-12-01T10:00:05Z"), format="json").json()
    assert again == {"applied": 1, "ignored": 0}
    assert AgentState.objects.get().confirmed_at > first
    same_time_other_state = vc_api.post(URL, state("1001", "ready", "2026-12-01T10:00:05Z"), format="json")
    assert same_time_other_state.json() == {"applied": 0, "ignored": 1}
    newer = vc_api.post(URL, state("1001", "wrapup", "2026-12-01T10:01:00Z"), format="json").json()
    assert newer == {"applied": 1, "ignored": 0}
    assert AgentState.objects.get().state == "wrapup"


def test_one_agent_in_two_queues_has_a_state_in_each(vc_api):
    body = [state("1001", "ready", "2026-12-01T10:00:00Z"), state("1001", "not_ready", "2026-12-01T10:00:00Z", "Care")]
    assert vc_api.post(URL, body, format="json").json() == {"applied": 2, "ignored": 0}


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"state": "sleeping"}, "state"),
        ({"occurred_at": "2026-12-01T10:00:00"}, "occurred_at"),
        ({"agent_extension": "10,01"}, "agent_extension"),
        ({"queue_name": "Sales Queue"}, "queue_name"),
        ({"mood": "good"}, "mood"),
    ],
)
def test_a_bad_field_is_a_400_naming_it_and_nothing_is_applied(vc_api, item, field):
    body = [state("1001", "ready", "2026-12-01T10:00:00Z"), {**state("1002", "ready", "2026-12-01T10:00:00Z"), **item}]
    response = vc_api.post(URL, body, format="json")
    assert response.status_code == 400
    assert {(e["index"], e["field"]) for e in response.json()["errors"]} == {(1, field)}
    assert not AgentState.objects.exists()


def test_only_the_voice_connector_posts_agent_states(manager, client_for):
    for api in (manager, client_for(ApiRole.OPERATOR)):
        assert api.post(URL, state("1001", "ready", "2026-12-01T10:00:00Z"), format="json").status_code == 403


def test_a_state_not_confirmed_within_the_ttl_counts_as_unknown(vc_api, settings):
    now = timezone.now()
    vc_api.post(
        URL, [state("1001", "ready", now.isoformat()), state("1002", "talking", now.isoformat())], format="json"
    )
    assert known_agents("Sales", now=now) == {"ready": 1, "talking": 1}
    later = now + timedelta(seconds=settings.AGENT_STATE_TTL + 1)
    assert known_agents("Sales", now=later) == {}


def test_progressive_contacts_ask_for_no_more_agents_than_are_ready(switch, vc_api, voice_connector, settings):

    now = timezone.now().isoformat()
    ready = [state(f"10{n:02d}", "ready", now, "Sales_Queue") for n in range(3)]
    vc_api.post(URL, [*ready, state("1099", "talking", now, "Sales_Queue")], format="json")
    ids = add_contacts(10, **AGENT)
    try_dial_next_batch()
    assert len(voice_connector.bodies("agent-requests")) == 3
    statuses = [c.status for c in Contact.objects.filter(pk__in=ids)]
    assert (statuses.count("agent_pending"), statuses.count("pending")) == (3, 7)
    assert set(Contact.objects.filter(pk__in=ids, status="pending").values_list("attempts", flat=True)) == {0}
    try_dial_next_batch()  # the three requests are still outstanding: nobody more is asked for
    assert len(voice_connector.bodies("agent-requests")) == 3


def test_a_queue_whose_agents_are_unknown_is_paced_as_before(switch, voice_connector):

    add_contacts(5, **AGENT)
    try_dial_next_batch()
    assert len(voice_connector.bodies("agent-requests")) == 5


def test_busy_and_logged_in_time_are_read_from_the_states_agents_entered():
    at = lambda minute: datetime(2026, 12, 1, 10, minute, tzinfo=UTC)  # noqa: E731
    changes = [
        ("1001", "ready", at(0)),  # before the window: the state it was in when the window opened
        ("1001", "talking", at(10)),
        ("1001", "wrapup", at(20)),
        ("1001", "ready", at(25)),
        ("1001", "logged_out", at(30)),
    ]
    busy, logged_in = state_time(changes, since=at(5), now=at(40))
    assert (busy, logged_in) == (15 * 60.0, 25 * 60.0)


def test_the_busy_factor_of_a_campaign_comes_from_its_queues_agent_states(vc_api, manager):
    now = timezone.now().replace(microsecond=0)
    manager.post("/api/v1/campaigns/", {"campaign_id": "bf", "queue_name": "Sales"}, format="json")
    ago = lambda minutes: (now - timedelta(minutes=minutes)).isoformat()  # noqa: E731
    reports = [state("2001", "talking", ago(30)), state("2002", "ready", ago(30))]
    vc_api.post(URL, reports, format="json")
    vc_api.post(URL, reports, format="json")  # confirmations add no history
    vc_api.post(URL, [state("2001", "wrapup", ago(10)), state("2002", "talking", ago(10))], format="json")
    stats = campaign_statistics("bf", fresh=True)
    # 2001 busy 30 min, 2002 busy 10 of 30: 40 of 60 logged-in minutes (the window is the last hour).
    assert stats["GSW_STAT_BUSY_FACTOR"] == pytest.approx(40 / 60, abs=0.01)

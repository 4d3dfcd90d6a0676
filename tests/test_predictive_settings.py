"""Section 5b's campaign settings through the API: caller id, what pacing optimises, its goal, the dial ratio."""

from __future__ import annotations

import pytest

from campaigns.models import Campaign
from tests.conftest import error_fields


@pytest.fixture
def campaign(manager):
    manager.post("/api/v1/campaigns/", {"campaign_id": "p1"}, format="json")
    return "/api/v1/campaigns/p1/"


def test_the_defaults_and_a_valid_change_are_shown(manager, campaign):
    shown = manager.get(campaign).json()
    assert (shown["optimize_by"], shown["optimize_goal"], shown["max_dial_ratio"], shown["caller_id"]) == (
        "OVERDIAL_RATE",
        0.03,
        3.0,
        "",
    )
    change = {"caller_id": "+4930123456", "optimize_by": "BUSY_FACTOR", "optimize_goal": 0.85, "max_dial_ratio": 2.5}
    assert manager.patch(campaign, change, format="json").status_code == 200
    assert {k: manager.get(campaign).json()[k] for k in change} == change


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"caller_id": "+49,30"}, "caller_id"),
        ({"caller_id": "4930 123"}, "caller_id"),
        ({"optimize_by": "SPEED"}, "optimize_by"),
        ({"optimize_goal": 0.05}, "optimize_goal"),  # above the 3 % hard cap
        ({"optimize_goal": 0}, "optimize_goal"),
        ({"optimize_by": "BUSY_FACTOR", "optimize_goal": 1.2}, "optimize_goal"),
        ({"max_dial_ratio": 11}, "max_dial_ratio"),
        ({"max_dial_ratio": 0.5}, "max_dial_ratio"),
    ],
)
def test_a_bad_setting_is_a_400_naming_it_and_changes_nothing(manager, campaign, change, field):
    response = manager.patch(campaign, {**change, "name": "renamed"}, format="json")
    assert response.status_code == 400
    assert field in error_fields(response)
    stored = Campaign.objects.get(campaign_id="p1")
    assert (stored.name, stored.caller_id, stored.optimize_goal, stored.max_dial_ratio) == ("p1", "", 0.03, 3.0)


def test_a_predictive_campaign_needs_a_caller_id(manager, campaign):
    response = manager.patch(campaign, {"dialing_mode": "PREDICTIVE"}, format="json")
    assert response.status_code == 400
    assert "caller_id" in error_fields(response)
    assert Campaign.objects.get(campaign_id="p1").dialing_mode == ""
    both = {"dialing_mode": "PREDICTIVE", "caller_id": "+4930123456"}
    assert manager.patch(campaign, both, format="json").status_code == 200
    assert manager.patch(campaign, {"caller_id": ""}, format="json").status_code == 400

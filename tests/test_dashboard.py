"""Statistics where operators look: the dashboard, the campaign pages and the dialer status API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from reporting.dashboard import stacked_bars
from reporting.models import CallHistory
from tests.conftest import contacts_payload


@pytest.fixture
def history(manager):
    manager.post("/api/v1/contacts/", contacts_payload(2, "c1"), format="json")
    now = timezone.now()
    for n, (code, result) in enumerate([(33, "Normal clearing"), (33, "Normal clearing"), (6, "User busy")]):
        CallHistory.objects.create(
            contact_id=f"h{n}", campaign_id="c1", contact_list="default", customer_number="+491",
            campaign_type="IVR", dialing_at=now - timedelta(minutes=3), released_at=now - timedelta(minutes=2),
            call_result=result, call_result_code=code,
        )  # fmt: skip


def test_stacked_bars_are_proportional_and_stacked_per_bucket():
    t0 = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    t1 = t0 + timedelta(minutes=10)
    bars, legend = stacked_bars([(t0, "A", 1), (t0, "B", 3), (t1, "A", 2)], width=200, height=100)
    assert list(legend) == ["A", "B"]
    a0, b0, a1 = bars
    assert (a0.height, b0.height, a1.height) == (25.0, 75.0, 50.0)
    assert (a0.y, b0.y, a1.y) == (75.0, 0.0, 50.0)
    assert a0.x < a1.x


def test_the_dashboard_shows_results_over_time_and_campaign_statistics(operator, history):
    page = operator.get("/admin/reporting/callhistory/dashboard/").content.decode()
    assert "<svg" in page
    assert "Normal clearing: 2" in page
    assert "User busy: 1" in page
    assert "<td>c1</td>" in page
    assert "<td>0.6667</td>" in page  # hit ratio: 2 live answers in 3 attempts


def test_the_campaign_page_and_the_status_api_carry_the_statistics(operator, manager, history):
    assert "0.6667" in operator.get("/admin/campaigns/campaign/").content.decode()
    status = manager.get("/api/v1/dialer/status/").json()
    stats = next(c for c in status["campaigns"] if c["campaign_id"] == "c1")["statistics"]
    assert (stats["dialed"], stats["answered"], stats["GSW_STAT_HIT_RATIO"]) == (3, 2, 0.6667)
    assert stats["GSW_CALLING_LISTS"][0]["GSW_CALLING_LIST"] == "default"

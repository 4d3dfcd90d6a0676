"""Campaigns share the lines (section 5a, seed 001's plan over all the lines): none starves another."""

from __future__ import annotations

import time
from collections import Counter

from campaigns.models import Campaign, Contact
from dialer.cycle import try_dial_next_batch
from tests.conftest import add_contacts


def lines_held() -> Counter[str]:
    held = Contact.objects.filter(status__in=["dialed", "agent_pending"]).values_list("campaign_id", flat=True)
    return Counter(str(campaign_id) for campaign_id in held)


def test_three_campaigns_of_different_ages_each_hold_lines_while_lines_free_one_by_one(switch, settings):
    settings.MAX_CONCURRENT_CALLS = 10
    switch.scenario.ring_seconds, switch.scenario.talk_seconds = (0.01, 0.05), (0.2, 0.6)
    for campaign in ("old", "mid", "new"):  # received in this order: old's contacts are the oldest
        add_contacts(60, campaign)
    samples: list[Counter[str]] = []
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        try_dial_next_batch()
        samples.append(lines_held())
        time.sleep(0.02)
    waiting = Contact.objects.filter(status="pending").values_list("campaign_id", flat=True)
    still_waiting = Counter(str(campaign_id) for campaign_id in waiting)
    assert all(still_waiting[c] > 0 for c in ("old", "mid", "new"))  # every campaign had work throughout
    held = samples[len(samples) // 5 :]  # after the first fill
    assert all(sample["old"] and sample["mid"] and sample["new"] for sample in held), held[:5]
    assert max(max(sample.values()) for sample in held) <= 10 - 2


def test_a_campaign_holds_no_more_lines_than_its_own_cap(switch, settings):
    settings.MAX_CONCURRENT_CALLS = 10
    switch.scenario.talk_seconds = (30.0, 30.0)
    add_contacts(20, "capped")
    add_contacts(20, "open")
    Campaign.objects.filter(campaign_id="capped").update(max_concurrent_calls=2)
    try_dial_next_batch()
    assert lines_held() == Counter({"capped": 2, "open": 8})

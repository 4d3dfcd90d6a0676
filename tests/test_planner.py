"""Property tests of the slot planner against seed 001's rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from dialer.planner import Allocation, CampaignQueue, plan

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def queue(name: str, eligible: int, minutes: int = 0) -> CampaignQueue:
    return CampaignQueue(name, eligible, EPOCH + timedelta(minutes=minutes))


queues = st.lists(
    st.builds(queue, st.text("abcdefgh", min_size=1, max_size=4), st.integers(0, 30), st.integers(0, 1000)),
    max_size=12,
    unique_by=lambda q: q.campaign_id,
)


def test_the_seed_example():
    assert plan([queue("a", 2), queue("b", 5), queue("c", 9)], 8) == [
        Allocation("a", 2),
        Allocation("b", 5),
        Allocation("c", 1),
    ]


def test_fewer_slots_than_campaigns_serves_the_oldest_heads():
    result = plan([queue("new", 9, 30), queue("old", 1, 10), queue("mid", 4, 20)], 2)
    assert result == [Allocation("old", 1), Allocation("mid", 1)]


def test_equal_counts_go_oldest_first():
    assert plan([queue("b", 3, 5), queue("a", 3, 9)], 4) == [Allocation("b", 3), Allocation("a", 1)]


@given(queues, st.integers(0, 60))
def test_never_more_than_the_slots_nor_than_a_campaign_has(qs, slots):
    result = plan(qs, slots)
    eligible = {q.campaign_id: q.eligible for q in qs}
    assert sum(a.contacts for a in result) <= slots
    assert all(1 <= a.contacts <= eligible[a.campaign_id] for a in result)
    assert len({a.campaign_id for a in result}) == len(result)


@given(queues, st.integers(0, 60))
def test_slots_are_not_left_idle_while_contacts_wait(qs, slots):
    total = sum(q.eligible for q in qs)
    assert sum(a.contacts for a in plan(qs, slots)) == min(slots, total)


@given(queues, st.integers(1, 60))
def test_every_campaign_is_served_when_slots_exceed_campaigns(qs, slots):
    waiting = [q for q in qs if q.eligible]
    if slots > len(waiting):
        assert {a.campaign_id for a in plan(qs, slots)} == {q.campaign_id for q in waiting}


@given(queues, st.integers(1, 60))
def test_smaller_campaigns_come_first_and_are_filled_first(qs, slots):
    waiting = {q.campaign_id: q for q in qs if q.eligible}
    result = plan(qs, slots)
    if slots > len(waiting):
        keys = [(waiting[a.campaign_id].eligible, waiting[a.campaign_id].oldest) for a in result]
        assert keys == sorted(keys)
        # A campaign only gets fewer than it has when every later campaign got one contact.
        for index, allocation in enumerate(result):
            if allocation.contacts < waiting[allocation.campaign_id].eligible:
                assert all(a.contacts == 1 for a in result[index + 1 :])


@given(queues, st.integers(1, 60))
def test_with_few_slots_the_oldest_campaigns_get_one_each(qs, slots):
    waiting = [q for q in qs if q.eligible]
    if slots <= len(waiting):
        result = plan(qs, slots)
        expected = sorted(waiting, key=lambda q: (q.oldest, q.campaign_id))[:slots]
        assert result == [Allocation(q.campaign_id, 1) for q in expected]

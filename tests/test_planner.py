"""Property tests of the slot planner against seed 001's rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import example, given
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


# Lines held (active) and per-campaign caps (max_lines): the seed's plan over all the lines.


def seed_plan(qs, slots):
    """The planner as it was before actives and lines: the reference for inputs without them."""
    waiting = [q for q in qs if q.eligible > 0]
    if slots <= 0 or not waiting:
        return []
    if slots <= len(waiting):
        oldest_first = sorted(waiting, key=lambda q: (q.oldest, q.campaign_id))
        return [Allocation(q.campaign_id, 1) for q in oldest_first[:slots]]
    smallest_first = sorted(waiting, key=lambda q: (q.eligible, q.oldest, q.campaign_id))
    remaining = slots - len(smallest_first)
    allocations = []
    for q in smallest_first:
        extra = min(q.eligible - 1, remaining)
        remaining -= extra
        allocations.append(Allocation(q.campaign_id, 1 + extra))
    return allocations


def holding(name, eligible, minutes=0, active=0, max_lines=None):
    return CampaignQueue(name, eligible, EPOCH + timedelta(minutes=minutes), active=active, max_lines=max_lines)


loaded_queues = st.lists(
    st.builds(
        holding,
        st.text("abcdefgh", min_size=1, max_size=4),
        st.integers(0, 30),
        st.integers(0, 1000),
        st.integers(0, 12),
        st.none() | st.integers(0, 15),
    ),
    max_size=12,
    unique_by=lambda q: q.campaign_id,
)
all_lines = st.none() | st.integers(0, 120)


def room(q):
    """What a campaign may still take: its eligible contacts, within its own cap."""
    return q.eligible if q.max_lines is None else max(0, min(q.eligible, q.max_lines - q.active))


@given(queues, st.integers(0, 60))
def test_without_actives_the_plan_is_the_seeds_plan_of_the_slots(qs, slots):
    assert plan(qs, slots) == seed_plan(qs, slots)
    assert plan(qs, slots, lines=slots) == seed_plan(qs, slots)


@given(loaded_queues, st.integers(0, 60), all_lines)
def test_never_more_than_the_slots_a_campaigns_eligible_or_its_max_lines(qs, slots, lines):
    result = plan(qs, slots, lines=lines)
    by_id = {q.campaign_id: q for q in qs}
    assert sum(a.contacts for a in result) <= slots
    assert len({a.campaign_id for a in result}) == len(result)
    for a in result:
        q = by_id[a.campaign_id]
        assert 1 <= a.contacts <= q.eligible
        assert q.max_lines is None or q.active + a.contacts <= q.max_lines


@given(loaded_queues, st.integers(0, 60), all_lines)
def test_free_slots_are_not_left_idle_while_a_campaign_has_room(qs, slots, lines):
    assert sum(a.contacts for a in plan(qs, slots, lines=lines)) == min(slots, sum(room(q) for q in qs))


@given(loaded_queues, st.integers(1, 60), all_lines)
@example([holding("small", 5, active=1), holding("idle", 10)], 3, 100)  # small's top-up alone would take all 3
def test_with_more_slots_than_campaigns_each_one_holding_no_line_gets_one(qs, slots, lines):
    waiting = [q for q in qs if q.eligible]
    at_cap = any(q.max_lines is not None and q.active >= q.max_lines for q in waiting)
    if slots > len(waiting) and not at_cap:
        served = {a.campaign_id for a in plan(qs, slots, lines=lines)}
        assert {q.campaign_id for q in waiting if q.active == 0} <= served


def test_the_docstring_example():
    def three(old, mid, new):
        return [holding("old", 20, 0, old), holding("mid", 20, 10, mid), holding("new", 20, 20, new)]

    assert plan(three(3, 3, 3), 1, lines=10) == [Allocation("old", 1)]
    assert plan(three(4, 3, 2), 1, lines=10) == [Allocation("new", 1)]
    # The same lines planned over the free slot alone: the oldest head wins.
    assert plan([holding("old", 20, 0), holding("mid", 20, 10), holding("new", 20, 20)], 1) == [Allocation("old", 1)]


def test_a_campaign_holding_no_line_is_served_before_one_topping_up():
    # old keeps the eight lines it took; the two that free go to mid and new, not to old's target.
    qs = [holding("old", 30, 0, active=8), holding("mid", 30, 10), holding("new", 30, 20)]
    assert plan(qs, 2, lines=10) == [Allocation("mid", 1), Allocation("new", 1)]
    # Only one free: the seed's order decides between the two that hold none.
    assert plan(qs, 1, lines=10) == [Allocation("mid", 1)]


def test_max_lines_caps_a_campaign_and_the_others_share_the_rest():
    qs = [holding("old", 30, 0, max_lines=2), holding("mid", 30, 10), holding("new", 30, 20)]
    assert plan(qs, 10) == [Allocation("old", 2), Allocation("mid", 7), Allocation("new", 1)]
    full = [holding("old", 30, 0, active=2, max_lines=2), holding("mid", 30, 10, 4), holding("new", 30, 20, 3)]
    assert plan(full, 1, lines=10) == [Allocation("new", 1)]


AGES = {"old": 0, "mid": 10, "new": 20}
LINES = 10
FAIR = LINES // len(AGES)


class Lines:
    """Three campaigns with plenty of contacts sharing LINES lines, counted up to a cap as the cycle counts."""

    def __init__(self):
        self.held = dict.fromkeys(AGES, 0)
        self.left = dict.fromkeys(AGES, 10_000)

    def refill(self, slots):
        qs = [holding(c, min(self.left[c], LINES), m, self.held[c]) for c, m in AGES.items()]
        result = plan(qs, slots, lines=LINES)
        for a in result:
            self.held[a.campaign_id] += a.contacts
            self.left[a.campaign_id] -= a.contacts
        return result

    def hang_up_and_refill(self, index):
        """One call of a campaign ends; the line it frees is planned alone, as the refill does."""
        self.held[list(AGES)[index]] -= 1
        fewest = min(self.held.values())
        (refilled,) = self.refill(1)
        assert refilled.contacts == 1
        assert self.held[refilled.campaign_id] - 1 == fewest  # it went to a campaign holding the fewest
        assert sum(self.held.values()) == LINES


ends = st.lists(st.integers(0, len(AGES) - 1), min_size=200, max_size=200)


@given(ends)
def test_lines_freeing_one_at_a_time_keep_every_campaign_on_the_line(steps):
    lines = Lines()
    for _ in range(LINES):
        lines.refill(1)
    assert sorted(lines.held.values()) == [3, 3, 4]
    for index in steps:
        lines.hang_up_and_refill(index)
        assert min(lines.held.values()) >= 1
        assert max(lines.held.values()) <= FAIR + 1


@given(ends)
def test_after_the_seeds_first_fill_lines_flow_back_to_the_campaigns_with_fewest(steps):
    lines = Lines()
    lines.refill(LINES)
    assert lines.held == {"old": 8, "mid": 1, "new": 1}  # seed 001 with ten free slots
    for index in steps:
        before = dict(lines.held)
        lines.hang_up_and_refill(index)
        assert min(lines.held.values()) >= 1
        assert all(lines.held[c] <= before[c] for c in AGES if before[c] > FAIR + 1)

"""Who gets the free call slots (seed 001, "Dialing Flow") — a pure function.

Seed 001's rule, with C campaigns that have eligible contacts and S to share:

* S > C: every campaign gets one contact; the other S - C go to the campaigns
  in ascending order of their count (ties: the campaign whose oldest contact is
  oldest), each taking as many as it has, until they or the contacts run out.
  Counts 2, 5, 9 with S = 8 give 2, 5 and 1.
* S <= C: the campaigns whose oldest contacts are the oldest get one each.

Lines free one at a time (the refill after each hangup), so applied to the free
slots alone the rule sees S = 1 <= C every time and the oldest campaign takes
every line. It is therefore applied to all the lines: S is the total number of
lines, a campaign's count is its *demand* — the calls it has in progress plus
its eligible contacts, within its own ``max_lines`` — and its share (target)
counts its calls in progress as already given. It is allocated the difference,
``target - active``; one holding more than its target keeps its calls (they are
never cut) and gets nothing. When those differences add up to more than the free
slots, the slots go in the seed's order, first one each to the campaigns that
hold no line (the seed's every-campaign-gets-one round), then the rest: with
more lines than campaigns, every campaign with dialable contacts holds a line.

Example: campaigns old, mid and new (by the age of their next contact), each
with plenty of contacts (counted up to 20), share 10 lines and hold 4, 3 and 3.
A call of old ends: demands 23, 23, 23, so the tie goes by age and old's target
is 1 + 7 = 8, mid's and new's 1; old is allocated the free line (4, 3, 3). Then
a call of new ends: demands 24, 23, 22, new comes first with target 8 and gets
the line (4, 3, 3 again). With counts capped alike, ascending demand is
ascending lines held, so each freed line goes to a campaign holding the fewest.
Planned over the one free slot instead, old would win each line until it held
all ten.

The result is ordered as it must be dialed: by campaign in the seed's order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class CampaignQueue:
    """A campaign's eligible contacts, summarised, and the lines it holds.

    ``eligible``: its dialable contacts now (the caller may count them only up to a
    cap); ``oldest``: its next contact's ``received_time``; ``active``: its calls in
    progress (lines it holds); ``max_lines``: its own cap on concurrent calls.
    """

    campaign_id: str
    eligible: int
    oldest: datetime
    active: int = 0
    max_lines: int | None = None

    @property
    def demand(self) -> int:
        """The lines it could use now: those it holds plus one per eligible contact, within its cap."""
        wanted = self.active + max(self.eligible, 0)
        return wanted if self.max_lines is None else min(wanted, self.max_lines)


@dataclass(frozen=True)
class Allocation:
    campaign_id: str
    contacts: int


def plan(queues: Sequence[CampaignQueue], slots: int, *, lines: int | None = None) -> list[Allocation]:
    """Share ``slots`` free lines so that each campaign tends to its seed share of all ``lines``.

    ``slots``: what may be claimed now (free lines, capped by the throttle). ``lines``:
    all the lines (``MAX_CONCURRENT_CALLS``); None — and never fewer than — ``slots``
    plus the actives given, so without actives this is the seed's plan of ``slots``.
    Never more than ``slots`` in all, than a campaign's eligible, or past its ``max_lines``.
    """
    if slots <= 0:
        return []
    total = max(lines or 0, slots + sum(q.active for q in queues))
    sharing = []
    for queue in queues:
        if queue.eligible > 0 and queue.demand > 0:
            sharing.append(queue)
        else:  # it can take no line: the lines it holds are not the others' to share
            total -= queue.active
    shares = _seed_shares(sharing, total)
    wants = [max(0, target - q.active) for q, target in shares]
    given = [0] * len(shares)
    left = slots
    for index, (queue, _) in enumerate(shares):
        if left and queue.active == 0 and wants[index]:
            given[index], left = 1, left - 1
    for index in range(len(shares)):
        extra = min(wants[index] - given[index], left)
        given[index], left = given[index] + extra, left - extra
    return [Allocation(q.campaign_id, n) for (q, _), n in zip(shares, given, strict=True) if n]


def _seed_shares(queues: list[CampaignQueue], lines: int) -> list[tuple[CampaignQueue, int]]:
    """Seed 001's allocation of ``lines`` over the campaigns' demands, in the seed's order."""
    if lines <= len(queues):
        oldest_first = sorted(queues, key=lambda q: (q.oldest, q.campaign_id))
        return [(q, 1 if index < lines else 0) for index, q in enumerate(oldest_first)]
    remaining = lines - len(queues)
    shares = []
    for queue in sorted(queues, key=lambda q: (q.demand, q.oldest, q.campaign_id)):
        extra = min(queue.demand - 1, remaining)
        remaining -= extra
        shares.append((queue, 1 + extra))
    return shares

"""Who gets the free call slots (seed 001, "Dialing Flow") — a pure function.

With C campaigns that have eligible contacts and S free slots:

* S > C: every campaign gets one contact; the other S - C slots go to the
  campaigns in ascending order of their eligible count (ties: the campaign whose
  oldest contact is oldest), each taking as many as it has, until slots or
  contacts run out. Counts 2, 5, 9 with S = 8 give 2, 5 and 1.
* S <= C: the campaigns whose oldest contacts are the oldest get one each.

The result is ordered as it must be dialed: by campaign in that order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class CampaignQueue:
    """A campaign's eligible contacts, summarised: how many, and when the oldest arrived."""

    campaign_id: str
    eligible: int
    oldest: datetime


@dataclass(frozen=True)
class Allocation:
    campaign_id: str
    contacts: int


def plan(queues: Sequence[CampaignQueue], slots: int) -> list[Allocation]:
    """Share ``slots`` among the campaigns; never more than ``slots`` nor than a campaign has."""
    waiting = [q for q in queues if q.eligible > 0]
    if slots <= 0 or not waiting:
        return []
    if slots <= len(waiting):
        oldest_first = sorted(waiting, key=lambda q: (q.oldest, q.campaign_id))
        return [Allocation(q.campaign_id, 1) for q in oldest_first[:slots]]
    smallest_first = sorted(waiting, key=lambda q: (q.eligible, q.oldest, q.campaign_id))
    remaining = slots - len(smallest_first)
    allocations = []
    for queue in smallest_first:
        extra = min(queue.eligible - 1, remaining)
        remaining -= extra
        allocations.append(Allocation(queue.campaign_id, 1 + extra))
    return allocations

"""Eligible contacts and claims, in SQL shaped for the partial index ``contact_due_fifo``.

A cycle's cost depends on the number of running campaigns and free slots, not on
how many contacts wait: each campaign's queue is read through the index, at most
``cap`` rows deep. Claims lock rows with ``FOR UPDATE SKIP LOCKED`` and the
lifecycle moves them out of ``pending`` in the same transaction, so two schedulers
never take one contact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection

from campaigns import lifecycle
from campaigns.choices import CampaignState, CampaignType, ContactStatus
from dialer.planner import Allocation, CampaignQueue

# The conditions that make a pending contact dialable now (x is the contact). Contacts that are not due
# yet are ``scheduled`` and outside the index the cycle walks; the time tests are a guard behind that.
_ELIGIBLE = """
    x.status = 'pending' AND NOT x.scheduled AND x.start_time <= %(now)s AND x.end_time > %(now)s
    AND (x.retry_at IS NULL OR x.retry_at <= %(now)s)
"""
_DIALING_ORDER = "x.priority DESC, x.received_time, x.id"

_QUEUES = f"""
SELECT c.campaign_id, q.n, q.oldest, c.max_concurrent_calls
FROM campaigns_campaign c
CROSS JOIN LATERAL (
    SELECT count(*) AS n, min(s.received_time) AS oldest FROM (
        SELECT x.received_time FROM campaigns_contact x
        WHERE x.campaign_id = c.campaign_id AND {_ELIGIBLE}
        ORDER BY {_DIALING_ORDER} LIMIT %(cap)s
    ) s
) q
WHERE c.state = %(running)s AND NOT c.waiting_for_records AND q.n > 0
"""

# Each campaign's planned contacts, locked in dialing order; contacts another scheduler holds are skipped.
_PICK = f"""
SELECT x.id FROM unnest(%(campaigns)s::varchar[], %(counts)s::int[]) AS p(campaign_id, n)
CROSS JOIN LATERAL (
    SELECT x.id FROM campaigns_contact x
    WHERE x.campaign_id = p.campaign_id AND {_ELIGIBLE}
    ORDER BY {_DIALING_ORDER} LIMIT p.n
    FOR UPDATE OF x SKIP LOCKED
) x
"""


@dataclass(frozen=True)
class Claim:
    contact_id: str
    call_id: str
    campaign_type: str
    # Dialed ahead of its agent (a predictive campaign): the call is placed now, the agent asked for on answer.
    ahead: bool = False

    @property
    def is_agent(self) -> bool:
        """An agent contact that waits for its agent's reservation before it is dialed."""
        return self.campaign_type == CampaignType.AGENT and not self.ahead


def campaign_queues(*, now: datetime, cap: int, switch: str) -> list[CampaignQueue]:
    """Running campaigns with eligible contacts, counted up to ``cap`` (nobody can take more), with the lines
    each holds on ``switch`` — and the campaigns that hold lines with nothing left to dial (eligible 0), whose
    lines are not there to share."""
    with connection.cursor() as cursor:
        cursor.execute(_QUEUES, {"now": now, "cap": cap, "running": CampaignState.RUNNING})
        rows = cursor.fetchall()
    held = active_calls_by_campaign(switch)
    queues = [CampaignQueue(cid, n, oldest, held.pop(cid, 0), cap_) for cid, n, oldest, cap_ in rows]
    return queues + [CampaignQueue(cid, 0, now, active) for cid, active in held.items()]


def active_calls_by_campaign(switch: str) -> dict[str, int]:
    """Calls in progress on this switch per campaign (read through the index of active contacts)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT campaign_id, count(*) FROM campaigns_contact WHERE status IN (%s, %s) AND switch_name = %s "
            "GROUP BY campaign_id",
            [ContactStatus.DIALED, ContactStatus.AGENT_PENDING, switch],
        )
        return {campaign_id: int(n) for campaign_id, n in cursor.fetchall()}


def claim_contacts(
    allocations: list[Allocation], *, now: datetime, switch: str, ahead: lifecycle.DialAhead | None = None
) -> list[Claim]:
    """Lock the planned contacts and move them out of ``pending``, in dialing order. Call inside a transaction."""
    if not allocations:
        return []
    params: dict[str, Any] = {
        "campaigns": [a.campaign_id for a in allocations],
        "counts": [a.contacts for a in allocations],
        "now": now,
    }
    with connection.cursor() as cursor:
        cursor.execute(_PICK, params)
        picked = [row[0] for row in cursor.fetchall()]
    rows = lifecycle.claim(picked, now=now, switch=switch, ahead=ahead or lifecycle.DialAhead())
    position = {a.campaign_id: index for index, a in enumerate(allocations)}
    rows.sort(key=lambda r: (position[r[3]], -r[4], r[5], r[0]))
    return [
        Claim(contact_id, str(call_id), kind, ahead=kind == CampaignType.AGENT and status == ContactStatus.DIALED)
        for contact_id, call_id, kind, _campaign, _priority, _received, status in rows
    ]


def active_calls(switch: str) -> int:
    """Calls holding a slot on this switch (dialed or agent_pending), counted from the database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM campaigns_contact WHERE status IN (%s, %s) AND switch_name = %s",
            [ContactStatus.DIALED, ContactStatus.AGENT_PENDING, switch],
        )
        return int(cursor.fetchone()[0])


def lock_switch_for_claims(switch: str) -> bool:
    """Serialise cycles of one switch for this transaction, so free slots are never counted twice.

    Also turns JIT compilation off for the transaction: the planner's row estimates for the
    per-campaign LIMITs are high enough to trigger it, and compiling costs more than the queries.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [f"dialer-cycle:{switch}"])
        return bool(cursor.fetchone()[0])

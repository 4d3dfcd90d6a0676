"""Eligible contacts and claims, in SQL shaped for the partial indexes ``contact_due_fifo`` and, when several
switches dial, ``contact_due_gateway_fifo``.

A cycle's cost depends on the number of running campaigns (times the gateways the switch dials) and free
slots, not on how many contacts wait: each campaign's queue (or each of its gateway queues) is read through
the index, at most ``cap`` rows deep. Claims lock rows with ``FOR UPDATE SKIP LOCKED`` and the
lifecycle moves them out of ``pending`` in the same transaction, so two schedulers
never take one contact.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def _head(campaign: str, limit: str, *, by_gateway: bool) -> str:
    """SQL: a campaign's next ``limit`` contacts in dialing order (``campaign`` and ``limit`` are SQL expressions).

    ``by_gateway``: only those of the gateways ``%(gateways)s``, each (gateway, campaign) queue read through
    ``contact_due_gateway_fifo`` at most ``limit`` deep and the few streams merged, so that contacts of other
    gateways are never walked past (a ``gateway_id = ANY`` filter on the campaign's queue would walk past every
    one of them). Otherwise the campaign's whole queue, through ``contact_due_fifo``.
    """
    if not by_gateway:
        return f"""
            SELECT x.id, x.priority, x.received_time FROM campaigns_contact x
            WHERE x.campaign_id = {campaign} AND {_ELIGIBLE}
            ORDER BY {_DIALING_ORDER} LIMIT {limit}"""
    return f"""
            SELECT y.id, y.priority, y.received_time FROM unnest(%(gateways)s::varchar[]) AS g(gateway_id)
            CROSS JOIN LATERAL (
                SELECT x.id, x.priority, x.received_time FROM campaigns_contact x
                WHERE x.gateway_id = g.gateway_id AND x.campaign_id = {campaign} AND {_ELIGIBLE}
                ORDER BY {_DIALING_ORDER} LIMIT {limit}
            ) y
            ORDER BY y.priority DESC, y.received_time, y.id LIMIT {limit}"""


def _queues(*, by_gateway: bool) -> str:
    return f"""
SELECT c.campaign_id, q.n, q.oldest, c.max_concurrent_calls
FROM campaigns_campaign c
CROSS JOIN LATERAL (
    SELECT count(*) AS n, min(s.received_time) AS oldest
    FROM ({_head("c.campaign_id", "%(cap)s", by_gateway=by_gateway)}
    ) s
) q
WHERE c.state = %(running)s AND NOT c.waiting_for_records AND q.n > 0
"""


_QUEUES = _queues(by_gateway=False)
_QUEUES_OF_GATEWAYS = _queues(by_gateway=True)

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
# The same, for the gateways a switch dials: the planned heads are read first (a lock inside the merged streams
# would hold rows the merge drops), then locked; one that another scheduler took meanwhile is skipped, so such a
# campaign gets fewer this cycle — the next takes them.
_PICK_OF_GATEWAYS = f"""
SELECT x.id FROM campaigns_contact x WHERE x.id IN (
    SELECT h.id FROM unnest(%(campaigns)s::varchar[], %(counts)s::int[]) AS p(campaign_id, n)
    CROSS JOIN LATERAL ({_head("p.campaign_id", "p.n", by_gateway=True)}
    ) h
) AND {_ELIGIBLE}
FOR UPDATE OF x SKIP LOCKED
"""

# The gateways of the contacts due now, one index probe each (a skip scan of contact_due_gateway_fifo), so that
# a gateway on no switch is found without reading the contacts that wait.
_DUE_GATEWAYS = """
WITH RECURSIVE g(gateway_id) AS (
    (SELECT x.gateway_id FROM campaigns_contact x WHERE x.status = 'pending' AND NOT x.scheduled
     ORDER BY x.gateway_id LIMIT 1)
    UNION ALL
    SELECT (SELECT x.gateway_id FROM campaigns_contact x
            WHERE x.status = 'pending' AND NOT x.scheduled AND x.gateway_id > g.gateway_id
            ORDER BY x.gateway_id LIMIT 1)
    FROM g WHERE g.gateway_id IS NOT NULL
)
SELECT gateway_id FROM g WHERE gateway_id IS NOT NULL
"""
# Dialable contacts of given gateways in running campaigns, at most %(limit)s, locked (those of invalid gateways).
_PICK_ON_GATEWAYS = f"""
SELECT x.id FROM campaigns_contact x JOIN campaigns_campaign c ON c.campaign_id = x.campaign_id
WHERE x.gateway_id = ANY(%(gateways)s::varchar[]) AND {_ELIGIBLE}
  AND c.state = %(running)s AND NOT c.waiting_for_records
LIMIT %(limit)s
FOR UPDATE OF x SKIP LOCKED
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


def campaign_queues(
    *, now: datetime, cap: int, switch: str, gateways: Sequence[str] | None = None
) -> list[CampaignQueue]:
    """Running campaigns with eligible contacts, counted up to ``cap`` (nobody can take more), with the lines
    each holds on ``switch`` — and the campaigns that hold lines with nothing left to dial (eligible 0), whose
    lines are not there to share.

    ``gateways``: only the contacts of those gateways count (the gateways ``switch`` dials now); None: all.
    """
    query = _QUEUES if gateways is None else _QUEUES_OF_GATEWAYS
    params: dict[str, Any] = {
        "now": now, "cap": cap, "running": CampaignState.RUNNING, "gateways": _array(gateways)
    }  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(query, params)
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
    allocations: list[Allocation],
    *,
    now: datetime,
    switch: str,
    ahead: lifecycle.DialAhead | None = None,
    gateways: Sequence[str] | None = None,
) -> list[Claim]:
    """Lock the planned contacts and move them out of ``pending``, in dialing order. Call inside a transaction.

    ``gateways``: only contacts of those gateways (as ``campaign_queues`` counted them); None: any.
    """
    if not allocations:
        return []
    params: dict[str, Any] = {
        "campaigns": [a.campaign_id for a in allocations],
        "counts": [a.contacts for a in allocations],
        "now": now,
        "gateways": _array(gateways),
    }
    with connection.cursor() as cursor:
        cursor.execute(_PICK if gateways is None else _PICK_OF_GATEWAYS, params)
        picked = [row[0] for row in cursor.fetchall()]
    rows = lifecycle.claim(picked, now=now, switch=switch, ahead=ahead or lifecycle.DialAhead())
    position = {a.campaign_id: index for index, a in enumerate(allocations)}
    rows.sort(key=lambda r: (position[r[3]], -r[4], r[5], r[0]))
    return [
        Claim(contact_id, str(call_id), kind, ahead=kind == CampaignType.AGENT and status == ContactStatus.DIALED)
        for contact_id, call_id, kind, _campaign, _priority, _received, status in rows
    ]


def _array(values: Sequence[str] | None) -> list[str] | None:
    """A SQL array parameter (psycopg sends a tuple as a record)."""
    return None if values is None else list(values)


def due_gateways() -> list[str]:
    """The gateways that contacts due now name, sorted: one index probe per gateway, whatever waits."""
    with connection.cursor() as cursor:
        cursor.execute(_DUE_GATEWAYS)
        return [row[0] for row in cursor.fetchall()]


def claim_on_gateways(gateways: Sequence[str], *, now: datetime, switch: str, limit: int) -> list[Claim]:
    """Claim (for ``switch``) up to ``limit`` dialable contacts of ``gateways`` in running campaigns, in no order.

    For contacts that will never be dialed (their gateway is on no switch): the claim gives them a call id, so
    that they end as a claim that placed no call does. Call inside a transaction.
    """
    if not gateways:
        return []
    params: dict[str, Any] = {"gateways": list(gateways), "now": now, "running": CampaignState.RUNNING, "limit": limit}
    with connection.cursor() as cursor:
        cursor.execute(_PICK_ON_GATEWAYS, params)
        picked = [row[0] for row in cursor.fetchall()]
    rows = lifecycle.claim(picked, now=now, switch=switch)
    return [Claim(contact_id, str(call_id), kind) for contact_id, call_id, kind, *_ in rows]


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

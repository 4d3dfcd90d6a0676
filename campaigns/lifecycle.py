"""The contact's state machine: the table of what may follow what, and every write of a contact's status.

Nothing else in the code base changes ``Contact.status``. Each function is one
conditional UPDATE from the statuses its move allows, inside the caller's
transaction, and returns what it changed: a late, repeated or concurrent report
can never move a contact twice, and a move the table does not list cannot be
written at all.

Two facts of a claimed contact gate the moves of the call path: ``dial_time``
is stamped by ``mark_sending`` (a compare-and-swap, committed before the
originate leaves), so a ``dialed`` contact without it was certainly never sent
and may be released; one with it may have reached the switch and only its end
(``finish``) moves it on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from django.db import connection

from campaigns.choices import HOLDING_STATES, CampaignType
from campaigns.choices import ContactStatus as S
from campaigns.models import Contact


class Move(StrEnum):
    CLAIM = "claim"
    RESERVE = "reserve"
    RELEASE = "release"
    FAIL = "fail"
    FINISH = "finish"
    EXPIRE = "expire"
    HOLD = "hold"
    RESUME = "resume"
    CALL_BACK = "call back"


# Move → (statuses it leaves, statuses it reaches). RELEASE and FAIL leave ``dialed`` only while
# ``dial_time`` is empty (never sent); FINISH only leaves a sent call.
TRANSITIONS: Final[dict[Move, tuple[frozenset[str], frozenset[str]]]] = {
    Move.CLAIM: (frozenset({S.PENDING}), frozenset({S.DIALED, S.AGENT_PENDING})),
    Move.RESERVE: (frozenset({S.AGENT_PENDING}), frozenset({S.DIALED})),
    Move.RELEASE: (frozenset({S.AGENT_PENDING, S.DIALED}), frozenset({S.PENDING, S.STOPPED})),
    Move.FAIL: (frozenset({S.AGENT_PENDING, S.DIALED}), frozenset({S.FAILED})),
    Move.FINISH: (frozenset({S.DIALED}), frozenset({S.ENDED, S.FAILED, S.PENDING, S.STOPPED})),
    Move.EXPIRE: (frozenset({S.PENDING}), frozenset({S.FAILED})),
    Move.HOLD: (frozenset({S.PENDING}), frozenset({S.STOPPED})),
    Move.RESUME: (frozenset({S.STOPPED}), frozenset({S.PENDING})),
    Move.CALL_BACK: (frozenset({S.ENDED, S.FAILED}), frozenset({S.PENDING})),
}


def allowed(source: str, target: str) -> bool:
    """Whether any move takes a contact from ``source`` to ``target``."""
    return any(source in sources and target in targets for sources, targets in TRANSITIONS.values())


def _sql_in(move: Move, side: int) -> str:
    return "(" + ", ".join(f"'{status}'" for status in sorted(TRANSITIONS[move][side])) + ")"


# A contact put back (not an attempt) waits as ``stopped`` when its campaign was stopped meanwhile.
# The campaign row is share-locked so that a concurrent stop either sees this contact pending or
# has already committed its state.
_RELEASED = (
    f"CASE WHEN (SELECT state FROM campaigns_campaign WHERE campaign_id = c.campaign_id FOR SHARE) "
    f"IN ({', '.join(repr(str(s)) for s in HOLDING_STATES)}) THEN '{S.STOPPED}' ELSE '{S.PENDING}' END"
)
_UNSENT = f"(c.status = '{S.AGENT_PENDING}' OR (c.status = '{S.DIALED}' AND c.dial_time IS NULL))"


def _waiting(retry_at: str, now: str) -> str:
    """SET clauses for a contact becoming pending: it waits outside the dialing queue until it is due.

    ``retry_at`` and ``now`` are SQL expressions; due = the later of its start_time and retry_at.
    """
    due = f"greatest(c.start_time, coalesce({retry_at}, c.start_time))"
    return f"retry_at = {retry_at}, scheduled = {due} > {now}, wake_at = CASE WHEN {due} > {now} THEN {due} END"


# An agent contact of a campaign dialed ahead of agents (``direct``) is dialed at once too, unless its last call
# was abandoned within the lockout (Ofcom: not dialed ahead of agents again for 72 hours).
_CLAIM = f"""
UPDATE campaigns_contact c SET
    status = CASE WHEN c.campaign_type = %(ivr)s OR (
        c.campaign_id = ANY(%(direct)s::varchar[])
        AND NOT (c.call_result = %(abandoned)s AND c.ended_at > %(lockout_since)s)
    ) THEN '{S.DIALED}' ELSE '{S.AGENT_PENDING}' END,
    call_id = gen_random_uuid(), claimed_at = %(now)s, dial_time = NULL, switch_name = %(switch)s,
    call_result = '', hangup_cause = '', agent_extension = '', answered_at = NULL, ended_at = NULL,
    updated_at = %(now)s
WHERE c.id = ANY(%(ids)s) AND c.status IN {_sql_in(Move.CLAIM, 0)}
RETURNING c.id, c.call_id, c.campaign_type, c.campaign_id, c.priority, c.received_time, c.status
"""


@dataclass(frozen=True)
class DialAhead:
    """Campaigns whose agent contacts are dialed before an agent is reserved (predictive), and the lockout."""

    campaign_ids: Sequence[str] = ()
    abandoned_result: str = ""
    lockout_since: datetime | None = None


def claim(ids: Sequence[str], *, now: datetime, switch: str, ahead: DialAhead = DialAhead()) -> list[tuple[Any, ...]]:
    """Move contacts the caller has locked out of ``pending``, each with a fresh call id.

    Returns ``(id, call_id, campaign_type, campaign_id, priority, received_time, status)`` per claimed
    contact: ``dialed`` for a call placed at once, ``agent_pending`` for one that waits for its agent.
    """
    if not ids:
        return []
    params: dict[str, Any] = {
        "ids": list(ids), "now": now, "switch": switch, "ivr": CampaignType.IVR, "direct": list(ahead.campaign_ids),
        "abandoned": ahead.abandoned_result, "lockout_since": ahead.lockout_since or now,
    }  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM, params)
        return list(cursor.fetchall())


def reserve(call_id: str, *, agent_extension: str, now: datetime) -> bool:
    """The agent is reserved: the call may be placed. The unsent-claim clock restarts now."""
    return (
        Contact.objects.filter(call_id=call_id, status__in=TRANSITIONS[Move.RESERVE][0]).update(
            status=S.DIALED, agent_extension=agent_extension, claimed_at=now, updated_at=now
        )
        == 1
    )


def mark_sending(call_id: str, *, now: datetime) -> bool:
    """The compare-and-swap right before the originate leaves: its dial time, and one more attempt.

    Committed before the command is written, so no end reported by the switch can precede it, and
    the unsent-claim sweep (which needs ``dial_time`` empty) can no longer take this contact. False:
    the contact is no longer this claim's (swept, released), and the call must not be sent. Plain
    SQL: this runs once per call, where the ORM's statement compilation costs more than the update.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE campaigns_contact SET dial_time = %s, attempts = attempts + 1, updated_at = %s "
            "WHERE call_id = %s AND status = %s AND dial_time IS NULL",
            [now, now, call_id, S.DIALED],
        )
        return bool(cursor.rowcount == 1)


def release(call_ids: Sequence[str], *, now: datetime, retry_at: datetime | None = None) -> int:
    """Claims that placed no call go back to ``pending`` (``stopped`` in a stopped campaign): no attempt.

    ``retry_at``: not dialable before then (section 5a), so the contacts behind it are dialed meanwhile.
    """
    if not call_ids:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE campaigns_contact c SET status = {_RELEASED}, updated_at = %(now)s, "
            f"{_waiting('%(retry_at)s::timestamptz', '%(now)s')} "
            f"WHERE c.call_id = ANY(%(calls)s::uuid[]) AND {_UNSENT}",
            {"now": now, "retry_at": retry_at, "calls": list(call_ids)},
        )
        return int(cursor.rowcount)


def fail_unsent(call_id: str, *, result: str, now: datetime) -> bool:
    """A claim that will never become a call (invalid gateway, no IVR number, refused by validation)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE campaigns_contact c SET status = '{S.FAILED}', call_result = %s, ended_at = %s, updated_at = %s "
            f"WHERE c.call_id = %s AND {_UNSENT}",
            [result, now, now, call_id],
        )
        return bool(cursor.rowcount == 1)


def fail_unsent_calls(call_ids: Sequence[str], *, result: str, now: datetime) -> list[dict[str, Any]]:
    """Claims that must never become calls (a number found on the do-not-call list), many at a time.

    Returns the rows moved (``FINISHED_COLUMNS``), so that their attempt can be reported.
    """
    if not call_ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE campaigns_contact c SET status = '{S.FAILED}', call_result = %s, ended_at = %s, updated_at = %s "
            f"WHERE c.call_id = ANY(%s::uuid[]) AND {_UNSENT} "
            f"RETURNING {', '.join('c.' + column for column in FINISHED_COLUMNS)}",
            [result, now, now, list(call_ids)],
        )
        rows = [dict(zip(FINISHED_COLUMNS, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        row["call_id"] = str(row["call_id"])
    return rows


@dataclass(frozen=True)
class Finish:
    """How one sent call ended for its contact: the status it reaches and its result."""

    call_id: str
    status: str
    call_result: str
    hangup_cause: str
    at: datetime
    # False when the originate placed no call after all (-ERR GATEWAY_DOWN): the attempt is given back.
    attempted: bool = True
    # For a contact that is pending again: not dialed before then (a retry rule, a gateway down).
    retry_at: datetime | None = None


FINISHED_COLUMNS: Final = (
    "id", "call_id", "campaign_id", "campaign_contact_id", "dial_time", "answered_at", "agent_extension", "status",
    "retry_at", "switch_name",
)  # fmt: skip
_FINISH = f"""
UPDATE campaigns_contact c SET
    status = CASE WHEN v.status = '{S.PENDING}' THEN {_RELEASED} ELSE v.status END,
    call_result = v.result, hangup_cause = v.cause, ended_at = v.at, updated_at = v.at,
    attempts = c.attempts - CASE WHEN v.attempted THEN 0 ELSE 1 END,
    {_waiting("v.retry_at", "v.at")}
FROM unnest(%s::uuid[], %s::varchar[], %s::varchar[], %s::varchar[], %s::timestamptz[], %s::bool[],
    %s::timestamptz[]) AS v(call_id, status, result, cause, at, attempted, retry_at)
WHERE c.call_id = v.call_id AND c.status IN {_sql_in(Move.FINISH, 0)}
RETURNING {", ".join("c." + column for column in FINISHED_COLUMNS)}
"""


def finish(ends: Sequence[Finish]) -> list[dict[str, Any]]:
    """End sent calls, many at a time; returns the rows (``FINISHED_COLUMNS``) this call moved.

    One statement for a batch: the listener applies ends as fast as a busy switch reports them.
    """
    targets = TRANSITIONS[Move.FINISH][1]
    by_call = {end.call_id: end for end in ends if end.status in targets}
    if not by_call:
        return []
    values = list(by_call.values())
    params: list[Any] = [
        list(by_call),
        [e.status for e in values],
        [e.call_result for e in values],
        [e.hangup_cause for e in values],
        [e.at for e in values],
        [e.attempted for e in values],
        [e.retry_at for e in values],
    ]
    with connection.cursor() as cursor:
        cursor.execute(_FINISH, params)
        rows = [dict(zip(FINISHED_COLUMNS, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        row["call_id"] = str(row["call_id"])
    return rows


def mark_answered(call_id: str, *, at: datetime) -> bool:
    """The customer answered (CHANNEL_ANSWER); the first report counts."""
    changed = Contact.objects.filter(call_id=call_id, status=S.DIALED, answered_at__isnull=True).update(
        answered_at=at, updated_at=at
    )
    return changed == 1


def expire(*, now: datetime, result: str) -> int:
    """Pending contacts whose window has closed will not be dialed: ``failed`` with ``result``."""
    return Contact.objects.filter(status__in=TRANSITIONS[Move.EXPIRE][0], end_time__lte=now).update(
        status=S.FAILED, call_result=result, ended_at=now, updated_at=now
    )


def hold_campaign(campaign_id: str) -> int:
    """A campaign stops or unloads: its pending contacts wait as ``stopped``."""
    return Contact.objects.filter(campaign_id=campaign_id, status__in=TRANSITIONS[Move.HOLD][0]).update(
        status=S.STOPPED
    )


def resume_campaign(campaign_id: str, *, now: datetime) -> int:
    """A campaign starts: its stopped contacts are pending again (those not due yet wait for their time)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE campaigns_contact c SET status = '{S.PENDING}', updated_at = %(now)s, "
            f"{_waiting('c.retry_at', '%(now)s')} "
            f"WHERE c.campaign_id = %(campaign)s AND c.status IN {_sql_in(Move.RESUME, 0)}",
            {"now": now, "campaign": campaign_id},
        )
        return int(cursor.rowcount)


def call_back(contact_id: str, *, source: str, at: datetime, now: datetime) -> bool:
    """An agent asked to call again at ``at``: the ended contact is pending again from then.

    The campaign manager's ``start_time`` is kept; the callback is the contact's retry time.
    """
    if source not in TRANSITIONS[Move.CALL_BACK][0]:
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE campaigns_contact c SET status = '{S.PENDING}', call_result = '', updated_at = %(now)s, "
            f"{_waiting('%(at)s::timestamptz', '%(now)s')} WHERE c.id = %(contact)s AND c.status = %(source)s",
            {"now": now, "at": at, "contact": contact_id, "source": source},
        )
        return bool(cursor.rowcount == 1)


def hold_until(groups: Sequence[tuple[str, str, datetime]]) -> int:
    """Due contacts of (campaign, zone key) whose calling hours are closed wait until the given opening.

    Not a move of the table either: they stay ``pending``, outside the dialing queue until then.
    """
    if not groups:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE campaigns_contact c SET scheduled = true, wake_at = v.wake_at "
            "FROM unnest(%s::varchar[], %s::varchar[], %s::timestamptz[]) AS v(campaign_id, tz_key, wake_at) "
            f"WHERE c.campaign_id = v.campaign_id AND c.tz_key = v.tz_key AND c.status = '{S.PENDING}' "
            "AND NOT c.scheduled",
            [[g[0] for g in groups], [g[1] for g in groups], [g[2] for g in groups]],
        )
        return int(cursor.rowcount)


# How many waiting contacts one cycle makes due at most: a list loaded for 9:00 wakes over a few cycles
# rather than in one statement that would hold the cycle for seconds.
WAKE_BATCH: Final = 10_000


def wake_due(*, now: datetime, limit: int = WAKE_BATCH) -> int:
    """Waiting contacts whose time has come join the dialing queue (earliest first).

    Not a move of the table: the contact stays ``pending``; only whether the cycle may see it changes.
    Its cost is the contacts that become due, never the ones still waiting.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE campaigns_contact SET scheduled = false, wake_at = NULL WHERE id = ANY(ARRAY("
            f"SELECT id FROM campaigns_contact WHERE status = '{S.PENDING}' AND scheduled AND wake_at <= %s "
            "ORDER BY wake_at LIMIT %s FOR UPDATE SKIP LOCKED)) AND scheduled",
            [now, limit],
        )
        return int(cursor.rowcount)

"""Agent states from the voice connector (section 5b): checked, then applied at once, newest first.

Per agent and queue the newest ``occurred_at`` wins and an older report is ignored; a
report with the same state and ``occurred_at`` as the stored one confirms it (the
voice connector re-sends each agent's state at least every 30 s). One statement for a
whole list: pacing reads these, so they are applied when they arrive, not queued.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from django.conf import settings
from django.db import connection

from campaigns import alphabets
from campaigns.validation import FieldError, zoned_datetime
from dialer.models import AgentStateName
from dialer.signals import agent_states_applied

FIELDS: Final = ("agent_extension", "queue_name", "state", "occurred_at")
_OCCURRED_AT = zoned_datetime("occurred_at")


@dataclass(frozen=True)
class StateReport:
    agent_extension: str
    queue_name: str
    state: str
    occurred_at: datetime


def validate_state(raw: Any) -> StateReport | list[FieldError]:
    """One report, or every error in it (each naming its field)."""
    if not isinstance(raw, Mapping):
        return [FieldError("non_field_errors", "Must be an object.")]
    errors = [FieldError(name, "Unknown field.") for name in raw if name not in FIELDS]
    errors += [FieldError(name, "This field is required.") for name in FIELDS if name not in raw]
    if errors:
        return errors
    for name, pattern in (("agent_extension", alphabets.EXTENSION), ("queue_name", alphabets.QUEUE_NAME)):
        if type(raw[name]) is not str or not re.fullmatch(pattern, raw[name]):
            errors.append(FieldError(name, "Invalid value: letters, digits and '.', '_', '-' (at most 20)."))
    if raw["state"] not in AgentStateName.values:
        errors.append(FieldError("state", f"Must be one of {', '.join(AgentStateName.values)}."))
    occurred = _OCCURRED_AT(raw["occurred_at"])
    if isinstance(occurred, FieldError):
        errors.append(occurred)
    if errors:
        return errors
    return StateReport(raw["agent_extension"], raw["queue_name"], raw["state"], occurred)


_APPLY = """
INSERT INTO dialer_agentstate AS s (agent_extension, queue_name, state, occurred_at, confirmed_at)
SELECT * FROM unnest(%s::varchar[], %s::varchar[], %s::varchar[], %s::timestamptz[], %s::timestamptz[])
ON CONFLICT (agent_extension, queue_name) DO UPDATE
SET state = EXCLUDED.state, occurred_at = EXCLUDED.occurred_at, confirmed_at = EXCLUDED.confirmed_at
WHERE EXCLUDED.occurred_at > s.occurred_at OR (EXCLUDED.occurred_at = s.occurred_at AND EXCLUDED.state = s.state)
RETURNING s.agent_extension, s.queue_name, s.state, s.occurred_at
"""


def apply_states(reports: Sequence[StateReport], *, now: datetime) -> int:
    """Apply the reports (the newest per agent and queue when one list holds several); returns how many applied.

    Call inside a transaction: reporting keeps the history of states (for the busy factor) in it.
    """
    newest: dict[tuple[str, str], StateReport] = {}
    for report in reports:
        key = (report.agent_extension, report.queue_name)
        if key not in newest or report.occurred_at > newest[key].occurred_at:
            newest[key] = report
    if not newest:
        return 0
    rows = list(newest.values())
    columns: list[Any] = [
        [r.agent_extension for r in rows],
        [r.queue_name for r in rows],
        [r.state for r in rows],
        [r.occurred_at for r in rows],
        [now] * len(rows),
    ]
    with connection.cursor() as cursor:
        cursor.execute(_APPLY, columns)
        applied = cursor.fetchall()
    if applied:
        agent_states_applied.send(sender=None, changes=[tuple(row) for row in applied])
    return len(applied)


def known_agents(queue_name: str, *, now: datetime) -> dict[str, int]:
    """Agents of a queue per state, counting only states confirmed within AGENT_STATE_TTL."""
    fresh = now - timedelta(seconds=settings.AGENT_STATE_TTL)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT state, count(*) FROM dialer_agentstate WHERE queue_name = %s AND confirmed_at >= %s GROUP BY state",
            [queue_name, fresh],
        )
        return {state: int(n) for state, n in cursor.fetchall()}

"""Reconciliation: after every (re)connection, the calls a switch no longer holds end ``Stale`` at once.

A call whose end was lost (the listener was away when it ended, the switch restarted) would otherwise
stay ``dialed``, holding a slot, until the stale sweep (``STALE_CALL_TIMEOUT``). The listener asks the
switch for its channels (``show channels as json``) right after it has subscribed, and the decision
below compares that list with the calls of that switch that the database says are out.

The race: the list is a snapshot taken when the question was sent (``asked_at``). Only calls stamped
as sent before then can be judged by it; a call stamped after is left alone. The stamp commits before
the originate leaves, and FreeSWITCH writes its channel rows through a queue, so a call stamped just
before ``asked_at`` may be missing from the list and still be real: one stamped less than
``IN_FLIGHT_MARGIN`` before is not judged but asked about again once the margin has passed.

The end goes through ``end_stale_calls``, the stale sweep's own path (result ``Stale``, history,
outbox, predictive record, cycle refill), whose conditional update applies it once however many
listeners of the switch reconcile at the same moment. ``agent_pending`` contacts have no call on the
switch yet (the sweep gives them back to ``pending`` after ``AGENT_RESERVATION_TIMEOUT``): not judged.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass
from datetime import datetime, timedelta

from campaigns.choices import ContactStatus
from campaigns.models import Contact

# A call stamped as sending this shortly before the question may not be on the switch's list yet.
IN_FLIGHT_MARGIN = timedelta(seconds=1)


@dataclass(frozen=True)
class Verdict:
    # Sent before the list was taken (by more than the margin) and not on it: ended while nobody listened.
    stale: tuple[str, ...]
    # Not on the list but stamped too shortly before it: ask again after the margin.
    unsure: tuple[str, ...]


def judge(
    sent: Mapping[str, datetime], live: Set[str], *, asked_at: datetime, margin: timedelta = IN_FLIGHT_MARGIN
) -> Verdict:
    """Which of the calls ``sent`` (call id → dial time) a channel list taken at ``asked_at`` says are gone.

    Calls stamped at or after ``asked_at`` are neither: the list cannot know them.
    """
    missing = sorted((call_id, dial_time) for call_id, dial_time in sent.items() if call_id.lower() not in live)
    stale = tuple(call_id for call_id, dial_time in missing if dial_time < asked_at - margin)
    unsure = tuple(call_id for call_id, dial_time in missing if asked_at - margin <= dial_time < asked_at)
    return Verdict(stale, unsure)


def sent_calls(switch_name: str, *, before: datetime) -> dict[str, datetime]:
    """The calls out on ``switch_name`` that were stamped as sent before ``before``: call id → dial time."""
    rows = Contact.objects.filter(
        status=ContactStatus.DIALED, switch_name=switch_name, dial_time__isnull=False, dial_time__lt=before
    ).values_list("call_id", "dial_time")
    return {str(call_id): dial_time for call_id, dial_time in rows if dial_time is not None}

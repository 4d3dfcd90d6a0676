"""Contacts per campaign and status for the status API, ``/metrics`` and the admin, at a cost that does not grow
with the number of contacts.

Grouping every contact by campaign and status on each request read the whole table (0.37 s for the status API
with 64 campaigns, more with every million contacts). The statuses are read in two ways instead:

* **Live**: ``dialed`` and ``agent_pending`` (``ACTIVE_STATUSES``), the contacts holding a line. There are at
  most about ``MAX_CONCURRENT_CALLS`` of them, found through the partial index ``contact_active`` (all
  campaigns, one grouped query) or ``contact_campaign_status`` (one campaign). Always exact.
* **Counted**: ``pending``, ``stopped``, ``ended`` and ``failed``, the millions. Read from
  ``ContactCountSnapshot`` rows and shown with their age (``counted_at``). Written

  - every ``CONTACT_COUNTS_INTERVAL`` seconds by the beat task ``campaigns.tasks.refresh_contact_counts``: one
    grouped statement over the contacts of those statuses, which also writes the rows;
  - for one campaign, after its start / stop / unload / dialing-mode change commits (the ``campaign_changed``
    signal): a count of that campaign's rows through ``contact_campaign_status``, no more costly than the
    control statement that preceded it;
  - for a campaign never counted yet, when it is first read, so a new campaign never shows zeros;
  - contacts received (API intake, CSV imports) are added to the counts when their transaction commits (one
    UPDATE, no count), so a campaign manager sees what was just sent.

  Other moves — claims, call ends, expiry, purge — show at the next refresh. Between refreshes a campaign's
  counts may therefore not add up to its contacts (a call that ended is no longer ``dialed`` but not yet
  ``ended``); ``counted_at`` says how old the large figures are.

A snapshot is only ever written over an older one (``counted_at``, the counting statement's start), so a slow
full refresh never overwrites a per-campaign count taken after it started. An addition on commit that races a
refresh may be counted twice or not at all; the next refresh corrects it.

Why a table rather than Redis: every web process reads it, it survives a restart of Redis or of the beat, and the
count and its write are one statement, so no process ever sees half a refresh.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.models import Count, DurationField, ExpressionWrapper, F, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce, Now
from django.dispatch import receiver

from campaigns.choices import ACTIVE_STATUSES, CampaignAction, ContactStatus
from campaigns.models import Campaign, Contact, ContactCountSnapshot
from campaigns.signals import campaign_changed

logger = logging.getLogger(__name__)

LIVE_STATUSES: tuple[str, ...] = tuple(str(s) for s in ACTIVE_STATUSES)
COUNTED_STATUSES: tuple[str, ...] = tuple(s for s in ContactStatus.values if s not in LIVE_STATUSES)

_SNAPSHOT = ContactCountSnapshot._meta.db_table
_CONTACT = Contact._meta.db_table
_CAMPAIGN = Campaign._meta.db_table

# One statement counts and writes: every campaign (or those named) times every counted status, zeros included.
_REFRESH = f"""
    INSERT INTO {_SNAPSHOT} (campaign_id, status, count, scheduled, counted_at)
    SELECT c.campaign_id, s.status, coalesce(n.n, 0), coalesce(n.later, 0), statement_timestamp()
    FROM {_CAMPAIGN} c
    CROSS JOIN unnest(%(statuses)s::varchar[]) AS s(status)
    LEFT JOIN (
        SELECT campaign_id, status, count(*) AS n, count(*) FILTER (WHERE scheduled) AS later FROM {_CONTACT}
        WHERE status = ANY(%(statuses)s::varchar[]) {{contacts}}
        GROUP BY campaign_id, status
    ) n ON n.campaign_id = c.campaign_id AND n.status = s.status
    {{campaigns}}
    ON CONFLICT (campaign_id, status) DO UPDATE
    SET count = EXCLUDED.count, scheduled = EXCLUDED.scheduled, counted_at = EXCLUDED.counted_at
    WHERE {_SNAPSHOT}.counted_at <= EXCLUDED.counted_at
"""  # table names from the models; every value is a parameter
_REFRESH_ALL = _REFRESH.format(contacts="", campaigns="")
_REFRESH_SOME = _REFRESH.format(
    contacts="AND campaign_id = ANY(%(campaigns)s::varchar[])", campaigns="WHERE c.campaign_id = ANY(%(campaigns)s)"
)
_ADD = f"""
    UPDATE {_SNAPSHOT} AS s SET count = s.count + a.n
    FROM unnest(%(campaigns)s::varchar[], %(statuses)s::varchar[], %(added)s::bigint[]) AS a(campaign_id, status, n)
    WHERE s.campaign_id = a.campaign_id AND s.status = a.status
"""


@dataclass(frozen=True)
class CampaignCounts:
    """One campaign's contacts per status (every status, zeros included) and how old the counted ones are.

    ``scheduled``: of the pending ones, those waiting for a retry time or window ahead when counted (the others
    are dialable as lines free up, within calling hours).
    """

    contacts: dict[str, int]
    counted_at: datetime | None
    age_seconds: float | None
    scheduled: int = 0


def refresh_counts(campaign_ids: Collection[str] | None = None) -> int:
    """Count the large statuses of every campaign (or of ``campaign_ids``) and store them; rows written.

    All campaigns: one grouped statement over the contacts in those statuses (the periodic task). Some campaigns:
    the same restricted to them, read through ``contact_campaign_status``.
    """
    with connection.cursor() as cursor:
        if campaign_ids is None:
            cursor.execute(_REFRESH_ALL, {"statuses": list(COUNTED_STATUSES)})
        elif campaign_ids:
            cursor.execute(_REFRESH_SOME, {"statuses": list(COUNTED_STATUSES), "campaigns": list(campaign_ids)})
        else:
            return 0
        return int(cursor.rowcount)


def add_received(received: Mapping[tuple[str, str], int]) -> None:
    """Add contacts just stored ((campaign id, status) → how many) to their campaigns' counts, in one UPDATE.

    A campaign never counted has no rows to add to: its first read counts it whole.
    """
    items = [(campaign, status, n) for (campaign, status), n in received.items() if n and status in COUNTED_STATUSES]
    if not items:
        return
    campaigns, statuses, added = (list(column) for column in zip(*items, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(_ADD, {"campaigns": campaigns, "statuses": statuses, "added": added})


def add_received_on_commit(received: Mapping[tuple[str, str], int]) -> None:
    """``add_received`` once the surrounding transaction commits: no snapshot row stays locked by a long intake."""
    tally = dict(received)
    transaction.on_commit(lambda: _quietly(add_received, tally), robust=True)


def recount_on_commit(campaign_id: str) -> None:
    """Count one campaign again once the surrounding transaction commits (for a purge or another bulk change that
    sends no ``campaign_changed``), instead of leaving its figures to the next periodic count."""
    transaction.on_commit(lambda: _quietly(refresh_counts, [campaign_id]), robust=True)


def live_counts() -> dict[str, dict[str, int]]:
    """Contacts holding a line, per campaign and status, through the partial index ``contact_active``."""
    counts: dict[str, dict[str, int]] = {}
    rows = (
        Contact.objects.filter(status__in=LIVE_STATUSES)
        .order_by()
        .values_list("campaign_id", "status")
        .annotate(n=Count("*"))
    )
    for campaign_id, status, n in rows:
        counts.setdefault(str(campaign_id), {})[status] = n
    return counts


def contact_counts(campaign_ids: Collection[str]) -> dict[str, CampaignCounts]:
    """Every status of each campaign: live ones now, counted ones from the snapshot (counting any never counted).

    Two small queries whatever the number of contacts: the snapshot rows and the live contacts.
    """
    snapshot = _snapshot()
    missing = [campaign_id for campaign_id in campaign_ids if campaign_id not in snapshot]
    if missing:
        refresh_counts(missing)
        snapshot = _snapshot()
    live = live_counts()
    result: dict[str, CampaignCounts] = {}
    for campaign_id in campaign_ids:
        stored = snapshot.get(campaign_id)
        contacts = dict.fromkeys(ContactStatus.values, 0) | (stored.counts if stored else {})
        contacts.update(live.get(campaign_id, {}))
        if stored is None:  # removed while being read
            result[campaign_id] = CampaignCounts(contacts=contacts, counted_at=None, age_seconds=None)
            continue
        result[campaign_id] = CampaignCounts(
            contacts=contacts, counted_at=stored.counted_at, age_seconds=round(stored.age_seconds, 1),
            scheduled=stored.scheduled,
        )  # fmt: skip
    return result


@dataclass
class _Stored:
    """One campaign's snapshot rows folded together: counts, the oldest ``counted_at`` and its age, and how many
    pending ones were scheduled for later."""

    counts: dict[str, int]
    counted_at: datetime
    age_seconds: float
    scheduled: int


def _snapshot() -> dict[str, _Stored]:
    """Stored counts per campaign, with the oldest ``counted_at`` of its rows and that age by the database's clock."""
    rows = ContactCountSnapshot.objects.annotate(
        age=ExpressionWrapper(Now() - F("counted_at"), output_field=DurationField())
    ).values_list("campaign_id", "status", "count", "scheduled", "counted_at", "age")
    snapshot: dict[str, _Stored] = {}
    for campaign_id, status, count, scheduled, counted_at, age in rows:
        seconds = max(0.0, age.total_seconds()) if isinstance(age, timedelta) else 0.0
        stored = snapshot.setdefault(str(campaign_id), _Stored({}, counted_at, seconds, 0))
        stored.counts[status] = count
        stored.counted_at = min(stored.counted_at, counted_at)
        stored.age_seconds = max(stored.age_seconds, seconds)
        stored.scheduled += scheduled
    return snapshot


def ensure_counted() -> None:
    """Count the campaigns that have never been counted (the admin's list reads the snapshot in its own query)."""
    missing = list(
        Campaign.objects.exclude(campaign_id__in=ContactCountSnapshot.objects.values("campaign_id")).values_list(
            "campaign_id", flat=True
        )
    )
    refresh_counts(missing)


def count_annotations() -> dict[str, Any]:
    """Per-campaign count expressions for a Campaign queryset (the admin's sortable columns).

    Live statuses: a count of the campaign's rows in that status (``contact_campaign_status``); counted ones:
    the snapshot row; ``scheduled``: the pending ones waiting for later; ``counts_counted_at``: the oldest snapshot
    row of the campaign.
    """
    snapshot = ContactCountSnapshot.objects.filter(campaign_id=OuterRef("campaign_id")).order_by()
    annotations: dict[str, Any] = {}
    for status in LIVE_STATUSES:
        live = (
            Contact.objects.filter(campaign_id=OuterRef("campaign_id"), status=status)
            .order_by()
            .values("campaign_id")
            .annotate(n=Count("*"))
            .values("n")
        )
        annotations[status] = Coalesce(Subquery(live), 0)
    for status in COUNTED_STATUSES:
        annotations[status] = Coalesce(Subquery(snapshot.filter(status=status).values("count")[:1]), 0)
    pending = snapshot.filter(status=ContactStatus.PENDING)
    annotations["scheduled"] = Coalesce(Subquery(pending.values("scheduled")[:1]), 0)
    annotations["counts_counted_at"] = Subquery(
        snapshot.values("campaign_id").annotate(oldest=Min("counted_at")).values("oldest")
    )
    return annotations


def _quietly(write: Callable[..., Any], *args: Any) -> None:
    """A count that cannot be written now is written by the next refresh: never fail the caller's request."""
    try:
        write(*args)
    except DatabaseError:
        logger.warning("contact counts not updated now; the next refresh will", exc_info=True)


@receiver(campaign_changed, dispatch_uid="campaigns.counts.recount_changed_campaign")
def recount_changed_campaign(sender: object, *, campaign_id: str, action: str, **_: Any) -> None:
    """Start, stop and unload move a campaign's contacts: count that campaign now (after commit).

    Not a load: a campaign just created has no counts yet, so the contacts that came with it are not added
    twice; its first read counts it.
    """
    if action != CampaignAction.LOAD:
        _quietly(refresh_counts, [campaign_id])

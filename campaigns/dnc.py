"""The Do-Not-Call list: entries checked, added and removed, and the dialer's question "which are listed?".

Every path that writes an entry (API, admin, CSV import) goes through ``validate_entry`` and
``add_entries``, so the list holds one canonical E.164 form per number (``campaigns.numbers``) and an
entry typed twice in two spellings is one entry. Contacts are compared through
``campaigns.numbers.possible_readings``, in the same form.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from django.conf import settings
from django.db import connection

from campaigns.models import DoNotCall
from campaigns.numbers import InvalidNumber, canonical_number, possible_readings
from campaigns.validation import FIELD_CHECKS, FieldError, zoned_datetime

ENTRY_FIELDS: Final = ("customer_number", "campaign_id", "expires_at", "reason")
_REASON_MAX: Final = DoNotCall._meta.get_field("reason").max_length or 200
_ADDED_BY_MAX: Final = DoNotCall._meta.get_field("added_by").max_length or 150
# The contacts' own checks of these two fields, so that both say the same.
_CAMPAIGN_ID: Final = FIELD_CHECKS["campaign_id"]
_EXPIRES_AT: Final = zoned_datetime("expires_at")
# Entries written per statement: the import's memory stays flat, the statement's size bounded.
_CHUNK: Final = 5000


@dataclass(frozen=True, slots=True)
class Entry:
    """One checked entry: the number in E.164, its scope ("" is every campaign), its expiry and reason."""

    customer_number: str
    campaign_id: str = ""
    expires_at: datetime | None = None
    reason: str = ""

    @property
    def key(self) -> tuple[str, str]:
        """What makes two entries the same entry (the table's unique constraint)."""
        return self.customer_number, self.campaign_id


@dataclass(frozen=True, slots=True)
class AddResult:
    created: int = 0
    updated: int = 0  # already listed for that scope, with another expiry or reason: the new ones apply
    unchanged: int = 0

    def __add__(self, other: AddResult) -> AddResult:
        return AddResult(self.created + other.created, self.updated + other.updated, self.unchanged + other.unchanged)


def default_region() -> str:
    """``DEFAULT_REGION``, read when used (so that a test's or a shell's override counts)."""
    return str(settings.DEFAULT_REGION)


def validate_entry(raw: Mapping[str, Any], *, now: datetime) -> Entry | list[FieldError]:
    """Check one entry as sent (API item, CSV row, admin form); return it canonical, or every error.

    ``customer_number`` may be written any way ``canonical_number`` reads; ``campaign_id`` and
    ``expires_at`` are checked by ``check_campaign_id`` and ``check_expiry``. Empty values count as absent.
    """
    errors = [FieldError(name, f"{name} is not a do-not-call field.") for name in raw if name not in ENTRY_FIELDS]
    values = {name: value for name, value in raw.items() if name in ENTRY_FIELDS and value not in (None, "")}
    if "customer_number" not in values:
        errors.append(FieldError("customer_number", "This field is required."))
    checks = {
        "customer_number": check_number,
        "campaign_id": check_campaign_id,
        "expires_at": lambda value: check_expiry(value, now=now),
        "reason": _check_reason,
    }
    for name in (name for name in ENTRY_FIELDS if name in values):  # errors in the fields' order, as sent or not
        checked = checks[name](values[name])
        if isinstance(checked, FieldError):
            errors.append(checked)
        else:
            values[name] = checked
    return errors or Entry(**values)


def check_number(value: Any) -> str | FieldError:
    """A number written any way, in E.164 (``DEFAULT_REGION`` reads national numbers)."""
    if not isinstance(value, str):
        return FieldError("customer_number", "Must be a string.")
    try:
        return canonical_number(value, default_region=default_region())
    except InvalidNumber as exc:
        return FieldError("customer_number", str(exc))


def check_campaign_id(value: Any) -> str | FieldError:
    """A campaign id as contacts carry it ("" is every campaign)."""
    return value if value == "" else _CAMPAIGN_ID(value)  # type: ignore[no-any-return]


def check_expiry(value: Any, *, now: datetime) -> datetime | FieldError:
    """An ISO 8601 date-time with a time zone (or an aware ``datetime``) after ``now``.

    An expiry already past is refused rather than stored: the entry would never apply, and a mistyped
    year must not quietly leave a number unprotected.
    """
    expires_at = value if isinstance(value, datetime) else _EXPIRES_AT(value)
    if isinstance(expires_at, FieldError):
        return expires_at
    if expires_at.tzinfo is None or expires_at.utcoffset() is None:
        return FieldError("expires_at", "Must include a time zone (e.g. 'Z' or '+01:00').")
    if expires_at <= now:
        return FieldError("expires_at", "Is in the past: the entry would never apply.")
    return expires_at


def _check_reason(value: Any) -> str | FieldError:
    if not isinstance(value, str) or len(value) > _REASON_MAX:
        return FieldError("reason", f"Must be text of at most {_REASON_MAX} characters.")
    return value


def repeats(entries: Iterable[Entry]) -> dict[int, int]:
    """Position → position of its first occurrence, for every entry that repeats an earlier one's key.

    Both spellings of one number are the same entry: a batch or file that lists it twice is told so.
    """
    first: dict[tuple[str, str], int] = {}
    repeated = {}
    for position, entry in enumerate(entries):
        earlier = first.setdefault(entry.key, position)
        if earlier != position:
            repeated[position] = earlier
    return repeated


def add_entries(entries: Sequence[Entry], *, added_by: str, now: datetime) -> AddResult:
    """List ``entries`` (keys unique among them, see ``repeats``) in as few statements as their count allows.

    An entry already listed for the same number and scope is not duplicated: it takes the new expiry
    (none: it applies for good) and, when one is given, the new reason, and ``added_by`` names whoever
    set those. Re-adding an entry as it is changes nothing, so a retried request or re-run import is safe.
    """
    if len({entry.key for entry in entries}) != len(entries):
        raise ValueError("entries repeat a number and scope; report them with repeats() first")
    result = AddResult()
    for start in range(0, len(entries), _CHUNK):
        result += _upsert(entries[start : start + _CHUNK], added_by[:_ADDED_BY_MAX], now)
    return result


def _upsert(entries: Sequence[Entry], added_by: str, now: datetime) -> AddResult:
    params: dict[str, Any] = {
        "numbers": [e.customer_number for e in entries],
        "campaigns": [e.campaign_id for e in entries],
        "expires": [e.expires_at for e in entries],
        "reasons": [e.reason for e in entries],
        "added_by": added_by,
        "now": now,
    }
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, params)
        created = [row[0] for row in cursor.fetchall()]
    return AddResult(created=sum(created), updated=created.count(False), unchanged=len(entries) - len(created))


# RETURNING lists inserted and updated rows only (xmax is 0 on a row this statement inserted).
_UPSERT = """
INSERT INTO campaigns_donotcall AS d (customer_number, campaign_id, expires_at, reason, added_by, created_at)
SELECT n, c, e, r, %(added_by)s, %(now)s
FROM unnest(%(numbers)s::varchar[], %(campaigns)s::varchar[], %(expires)s::timestamptz[], %(reasons)s::varchar[])
    AS t(n, c, e, r)
ON CONFLICT (customer_number, campaign_id) DO UPDATE
SET expires_at = EXCLUDED.expires_at, reason = COALESCE(NULLIF(EXCLUDED.reason, ''), d.reason),
    added_by = EXCLUDED.added_by
WHERE d.expires_at IS DISTINCT FROM EXCLUDED.expires_at OR (EXCLUDED.reason <> '' AND EXCLUDED.reason <> d.reason)
RETURNING d.xmax = 0
"""


def remove_entry(customer_number: str, *, campaign_id: str = "") -> bool:
    """Take a number off the list for one scope ("" is the every-campaign entry); whether it was listed.

    ``customer_number`` may be written any way; ``InvalidNumber`` when it is no possible number.
    """
    number = canonical_number(customer_number, default_region=default_region())
    deleted, _ = DoNotCall.objects.filter(customer_number=number, campaign_id=campaign_id).delete()
    return bool(deleted)


def suppressed(numbers: Iterable[str], *, campaign_id: str, now: datetime) -> set[str]:
    """Which of these contact numbers (as stored on contacts) must not be dialed in ``campaign_id`` at ``now``.

    A number is suppressed when an entry in force — for every campaign or for this one, not expired —
    lists any reading of it (see ``campaigns.numbers.possible_readings``); a number with no reading is
    compared as it is. One query for any number of numbers, served by the (customer_number, campaign_id)
    index: the dialer asks once per cycle for the contacts it claimed.
    """
    region = default_region()
    forms = {number: possible_readings(number, default_region=region) | {number} for number in set(numbers)}
    if not forms:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(_LISTED, {"forms": sorted(set().union(*forms.values())), "campaign": campaign_id, "now": now})
        listed = {row[0] for row in cursor.fetchall()}
    return {number for number, readings in forms.items() if readings & listed}


_LISTED = """
SELECT DISTINCT customer_number FROM campaigns_donotcall
WHERE customer_number = ANY(%(forms)s::varchar[]) AND campaign_id IN ('', %(campaign)s)
    AND (expires_at IS NULL OR expires_at > %(now)s)
"""

"""Calling hours in the called party's local time (section 5a; US TCPA 8:00-21:00 local) — pure.

``{"mon": [["09:00", "20:00"]], "sat": [["10:00", "14:00"]]}``: per weekday, local
``[from, to)`` ranges; a day left out has no hours; empty means no limit; ``"24:00"``
may end a range, and no range crosses midnight (split it over two days). A contact
is inside its hours when they are open in every zone its number may be in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import phonenumbers
from phonenumbers import timezone as number_timezones

DAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Hours = dict[str, list[list[str]]]
# Zones are looked ahead this far for the next opening: a week holds every weekday once.
LOOKAHEAD_DAYS: Final = 8


class InvalidCallingHours(ValueError):
    pass


def _minutes(text: Any, where: str) -> int:
    if not isinstance(text, str) or len(text) != 5 or text[2] != ":" or not (text[:2] + text[3:]).isdigit():
        raise InvalidCallingHours(f"{where}: {text!r} is not a time HH:MM")
    hours, minutes = int(text[:2]), int(text[3:])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise InvalidCallingHours(f"{where}: {text!r} is not a time of day (00:00 to 24:00)")
    return hours * 60 + minutes


def validate_calling_hours(value: Any) -> Hours:
    """The hours as stored; a malformed value is refused with a message naming the day and range."""
    if value in (None, "", {}):
        return {}
    if not isinstance(value, dict):
        raise InvalidCallingHours('must be an object of weekdays, e.g. {"mon": [["09:00", "20:00"]]}')
    hours: Hours = {}
    for day, ranges in value.items():
        if day not in DAYS:
            raise InvalidCallingHours(f"{day!r} is not a weekday ({', '.join(DAYS)})")
        if not isinstance(ranges, list):
            raise InvalidCallingHours(f"{day}: must be a list of [from, to] ranges")
        checked: list[list[str]] = []
        for index, pair in enumerate(ranges):
            where = f"{day} range {index}"
            if not isinstance(pair, list) or len(pair) != 2:
                raise InvalidCallingHours(f"{where}: must be [from, to]")
            start, end = _minutes(pair[0], where), _minutes(pair[1], where)
            if start >= end:
                raise InvalidCallingHours(f"{where}: must end after it starts (split a range over midnight)")
            checked.append([pair[0], pair[1]])
        hours[day] = sorted(checked)
    return hours


def validate_time_zone(value: Any) -> str:
    """An IANA zone name (``America/New_York``), or empty."""
    if value in (None, ""):
        return ""
    if not isinstance(value, str) or value not in _zones():
        raise InvalidCallingHours(f"{value!r} is not an IANA time zone such as America/New_York")
    return value


def _zones() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones())
    return _ZONES


_ZONES: set[str] = set()


def zones_of_number(number: str) -> tuple[str, ...]:
    """The zones ``phonenumbers`` knows for an international number (several for some); empty when unknown."""
    if not number.startswith("+"):
        return ()
    try:
        zones = number_timezones.time_zones_for_number(phonenumbers.parse(number))
    except phonenumbers.NumberParseException:
        return ()
    return tuple(sorted(z for z in zones if z != "Etc/Unknown"))


def zone_key(*, own: str, number: str) -> str:
    """What a contact's hours are read in, stored with it: its own zone, else its number's zones
    ('|'-joined); empty when neither is known (its campaign's zone then applies)."""
    return own or "|".join(zones_of_number(number))


def zones_for(key: str, *, campaign_zone: str) -> tuple[str, ...]:
    """The zones of a stored zone key (section 5a: several possible zones must all be open)."""
    return tuple(key.split("|")) if key else (campaign_zone or "UTC",)


def _open_in(hours: Hours, zone: str, at: datetime) -> bool:
    try:
        local = at.astimezone(ZoneInfo(zone))
    except ZoneInfoNotFoundError:
        return False
    minute = local.hour * 60 + local.minute
    ranges = hours.get(DAYS[local.weekday()], [])
    return any(_minutes(start, "") <= minute < _minutes(end, "") for start, end in ranges)


def is_open(hours: Hours, zones: Sequence[str], at: datetime) -> bool:
    """Whether a contact in ``zones`` may be called at ``at`` (no hours: always)."""
    return not hours or all(_open_in(hours, zone, at) for zone in zones)


def next_open(hours: Hours, zones: Sequence[str], after: datetime) -> datetime | None:
    """The first instant from ``after`` when the hours are open in every zone; None if never within a week."""
    if is_open(hours, zones, after):
        return after
    candidates = sorted(
        opening for zone in zones for opening in _openings(hours, zone, after) if opening > after
    )  # fmt: skip
    return next((at for at in candidates if is_open(hours, zones, at)), None)


def _openings(hours: Hours, zone: str, after: datetime) -> list[datetime]:
    """Each range start in ``zone`` over the next LOOKAHEAD_DAYS days, as UTC instants."""
    try:
        tz = ZoneInfo(zone)
    except ZoneInfoNotFoundError:
        return []
    first = after.astimezone(tz).date()
    openings = []
    for offset in range(LOOKAHEAD_DAYS):
        day = first + timedelta(days=offset)
        for start, _ in hours.get(DAYS[day.weekday()], []):
            minutes = _minutes(start, "")
            local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=tz)
            openings.append(local.astimezone(UTC))
    return openings

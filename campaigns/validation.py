"""Seed 001's rules for a received contact, as one pure function.

The API, the CSV importer and the admin upload all call ``validate_contact``, so
a contact accepted by one path is accepted by all, and nothing that could break
or extend an ESL command is ever stored (see ``campaigns.alphabets``).
It is written for speed as well as clarity: the importer runs it on millions of rows.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import astuple, dataclass
from datetime import UTC, datetime
from typing import Any, Final

from django.db.models import TextChoices

from campaigns import alphabets
from campaigns.calling_hours import InvalidCallingHours, validate_time_zone
from campaigns.choices import CampaignType, DialingMode, RoutingMode

# Fields the campaign manager sends. Every other field is the dialer's to set.
REQUIRED_FIELDS: Final = (
    "id",
    "customer_number",
    "campaign_type",
    "gateway_id",
    "campaign_contact_id",
    "campaign_id",
    "start_time",
    "end_time",
    "priority",
)
OPTIONAL_FIELDS: Final = (
    "ivr", "dialing_mode", "routing_mode", "resource_id", "queue_name", "contact_list", "time_zone",
)  # fmt: skip
INPUT_FIELDS: Final = REQUIRED_FIELDS + OPTIONAL_FIELDS
DIALER_FIELDS: Final = frozenset({"status", "call_result", "received_time", "dial_time"})
# The calling list of contacts that name none.
DEFAULT_LIST_NAME: Final = "default"


@dataclass(frozen=True, slots=True)
class ContactInput:
    """A contact as the campaign manager sent it, checked and normalised."""

    id: str
    customer_number: str
    campaign_type: str
    gateway_id: str
    campaign_contact_id: str
    campaign_id: str
    start_time: datetime
    end_time: datetime
    priority: int
    ivr: str = ""
    dialing_mode: str = ""
    routing_mode: str = ""
    resource_id: str = ""
    queue_name: str = ""
    contact_list: str = DEFAULT_LIST_NAME
    # The customer's IANA zone, when known to the campaign manager (section 5a).
    time_zone: str = ""

    def content(self) -> tuple[Any, ...]:
        """What must match for a re-sent contact to count as the same one."""
        return astuple(self)


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str


def validate_contact(raw: Mapping[str, Any]) -> ContactInput | list[FieldError]:
    """Check one received contact; return it normalised, or every error found."""
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    for name, value in raw.items():
        check = FIELD_CHECKS.get(name)
        if check is None:
            reason = "is set by the dialer and must not be sent" if name in DIALER_FIELDS else "is not a contact field"
            errors.append(FieldError(name, f"{name} {reason}."))
        elif value is not None and value != "":
            checked = check(value)
            if type(checked) is FieldError:
                errors.append(checked)
            else:
                values[name] = checked
    if not _REQUIRED.issubset(values):
        required = (name for name in REQUIRED_FIELDS if raw.get(name) in (None, ""))
        errors.extend(FieldError(name, "This field is required.") for name in required)
    if not errors:
        errors.extend(_check_relations(values))
    if errors:
        return errors
    return ContactInput(**values)


def _alphabet(name: str, pattern: str, alphabet: str) -> Callable[[Any], Any]:
    compiled = re.compile(pattern)
    error = FieldError(name, f"Invalid value: must be {alphabet}.")

    def check(value: Any) -> Any:
        if type(value) is not str:
            return FieldError(name, "Must be a string.")
        return value if compiled.fullmatch(value) else error

    return check


def _choice(name: str, choices: type[TextChoices]) -> Callable[[Any], Any]:
    allowed = frozenset(choices.values)
    error = FieldError(name, f"Must be one of {', '.join(sorted(allowed))}.")
    return lambda value: value if isinstance(value, str) and value in allowed else error


_CANONICAL_UUID: Final = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _parse_time_zone(value: Any) -> str | FieldError:
    try:
        return validate_time_zone(value)
    except InvalidCallingHours as exc:
        return FieldError("time_zone", f"Invalid value: {exc}.")


def _parse_uuid(value: Any) -> str | FieldError:
    """The canonical lower-case form; the common already-canonical case skips the UUID parse."""
    if type(value) is str and _CANONICAL_UUID.fullmatch(value):
        return value
    try:
        return str(uuid.UUID(value))
    except (ValueError, TypeError, AttributeError):
        return FieldError("id", "Must be a UUID.")


def _parse_priority(value: Any) -> int | FieldError:
    """A JSON number, or a string of one or two ASCII digits: full-width, superscript or circled digits are not."""
    if type(value) is str and len(value) <= 2 and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10:
        return FieldError("priority", "Must be a whole number from 1 to 10.")
    return value


def zoned_datetime(name: str) -> Callable[[Any], Any]:
    def parse(value: Any) -> datetime | FieldError:
        if type(value) is not str:
            return FieldError(name, "Must be an ISO 8601 date-time string with a time zone.")
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return FieldError(name, "Must be an ISO 8601 date-time, e.g. 2026-11-21T09:00:00+01:00.")
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            return FieldError(name, "Must include a time zone (e.g. 'Z' or '+01:00').")
        # The instant, in UTC: ISO 8601 allows offsets up to ±23:59, PostgreSQL stores at most ±15:59.
        return parsed.astimezone(UTC)

    return parse


def _check_relations(values: dict[str, Any]) -> list[FieldError]:
    """Rules between fields: the contact window and the agent fields (seed 001)."""
    errors = []
    if values["end_time"] <= values["start_time"]:
        errors.append(FieldError("end_time", "Must be after start_time."))
    if values["campaign_type"] == CampaignType.AGENT:
        errors.extend(_check_agent_fields(values))
    else:
        for name in ("dialing_mode", "routing_mode", "resource_id", "queue_name"):
            if name in values:
                errors.append(
                    FieldError(name, f"Only allowed for AGENT contacts (campaign_type is {values['campaign_type']}).")
                )
    return errors


def _check_agent_fields(values: dict[str, Any]) -> list[FieldError]:
    errors = []
    for name in ("dialing_mode", "routing_mode"):
        if name not in values:
            errors.append(FieldError(name, "Required for AGENT contacts."))
    if "ivr" in values:
        errors.append(FieldError("ivr", "Only allowed for IVR contacts."))
    if "resource_id" not in values:  # seed 001: "Mandatory for agent campaigns", whatever the routing
        errors.append(FieldError("resource_id", "Required for AGENT contacts."))
    return errors


FIELD_CHECKS: Final[dict[str, Callable[[Any], Any]]] = {
    "id": _parse_uuid,
    "customer_number": _alphabet(
        "customer_number", alphabets.CUSTOMER_NUMBER, "digits with an optional leading '+', 2 to 20 long"
    ),
    "campaign_type": _choice("campaign_type", CampaignType),
    "gateway_id": _alphabet("gateway_id", alphabets.GATEWAY_ID, "letters, digits, '.', '_' or '-', at most 40"),
    "campaign_contact_id": _alphabet(
        "campaign_contact_id", alphabets.CAMPAIGN_CONTACT_ID, "letters, digits, '.', '_', ':' or '-'"
    ),
    "campaign_id": _alphabet("campaign_id", alphabets.CAMPAIGN_ID, "letters, digits, '.', '_' or '-', at most 40"),
    "start_time": zoned_datetime("start_time"),
    "end_time": zoned_datetime("end_time"),
    "priority": _parse_priority,
    "ivr": _alphabet("ivr", alphabets.EXTENSION, "an extension: letters, digits, '*', '#', '+', '.', '_' or '-'"),
    "dialing_mode": _choice("dialing_mode", DialingMode),
    "routing_mode": _choice("routing_mode", RoutingMode),
    "resource_id": _alphabet("resource_id", alphabets.RESOURCE_ID, "letters, digits, '.', '_', '@' or '-', at most 40"),
    "queue_name": _alphabet("queue_name", alphabets.QUEUE_NAME, "letters, digits, '.', '_' or '-', at most 20"),
    "contact_list": _alphabet(
        "contact_list", alphabets.LIST_NAME, "letters, digits, spaces, '.', '_' or '-', at most 100"
    ),
    "time_zone": _parse_time_zone,
}
_REQUIRED: Final = frozenset(REQUIRED_FIELDS)

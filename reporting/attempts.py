"""Call attempt records (seed 004) with the GSW_* values of ``reference/ocs.md`` — pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import phonenumbers
from phonenumbers import timezone as number_timezones

# CfgDialMode (ocs.md): 1 Predictive, 2 Progressive, 3 Preview.
DIAL_MODES: Final = {"PREDICTIVE": 1, "PROGRESSIVE": 2, "PREVIEW": 3}


def gsw_time(value: datetime | None) -> str | None:
    """UTC seconds with millisecond precision, as a string (``"1763745600.123"``)."""
    return None if value is None else f"{value.timestamp():.3f}"


def time_zone_of(number: str) -> str | None:
    """The customer's time zone when the number tells it unambiguously (international numbers only)."""
    if not number.startswith("+"):
        return None
    try:
        zones = number_timezones.time_zones_for_number(phonenumbers.parse(number))
    except phonenumbers.NumberParseException:
        return None
    return zones[0] if len(zones) == 1 and zones[0] != "Etc/Unknown" else None


@dataclass(frozen=True)
class AttemptFacts:
    """What the dialer knows of one attempt, gathered from the contact, its campaign and the history."""

    attempt_guid: str
    customer_number: str
    campaign_contact_id: str
    calling_list: str
    campaign_name: str
    campaign_dbid: int
    queue_name: str
    dialing_mode: str
    tenant_name: str
    claimed_at: datetime | None
    dialing_at: datetime | None
    answered_at: datetime | None = None
    released_at: datetime | None = None
    result_code: int | None = None
    ringing_at: datetime | None = None
    agent_answered_at: datetime | None = None


def build_attempt_record(facts: AttemptFacts, *, sequence: int) -> dict[str, Any]:
    """The JSON body of record ``sequence`` (0 at dial, 1 with the result); unknown values are omitted."""
    record: dict[str, Any] = {
        "GSW_OCS_SEQUENCE_NO": sequence,
        "GSW_HIST_SEQUENCE_NUM": sequence,
        "GSW_CALL_ATTEMPT_GUID": facts.attempt_guid,
        "GSW_PHONE": facts.customer_number,
        "GSW_CUSTOMER_ID": facts.campaign_contact_id,
        "GSW_CALLING_LIST": facts.calling_list,
        "GSW_CAMPAIGN_NAME": facts.campaign_name,
        "GSW_CAMPAIGN_GROUP_NAME": facts.campaign_name,
        "GSW_GROUP_NAME": facts.queue_name or facts.campaign_name,
        "GSW_CAMPAIGN_DBID": facts.campaign_dbid,
        "GSW_TENANT_NAME": facts.tenant_name,
        "GSW_QUEUE_NAME": facts.queue_name,
        "GSW_DIAL_MODE": DIAL_MODES.get(facts.dialing_mode),
        "GSW_TZ_NAME": time_zone_of(facts.customer_number),
        "GSW_START_PROCESSING": gsw_time(facts.claimed_at),
        "GSW_DIALING": gsw_time(facts.dialing_at),
        "GSW_CALL_TIME": gsw_time(facts.dialing_at),
    }
    if sequence == 1:
        record |= {
            "GSW_CALL_RESULT": facts.result_code,
            "GSW_RINGING": gsw_time(facts.ringing_at),
            "GSW_ANSWERED": gsw_time(facts.answered_at),
            "GSW_AGENT_ANSWERED": gsw_time(facts.agent_answered_at),
            "GSW_RELEASED": gsw_time(facts.released_at),
            "GSW_COMPLETE_PROCESSING": gsw_time(facts.released_at),
        }
    return {name: value for name, value in record.items() if value is not None and value != ""}

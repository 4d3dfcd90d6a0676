"""Calling hours in the customer's local time (section 5a): never outside them, dialed when they open."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from campaigns.calling_hours import (
    InvalidCallingHours,
    is_open,
    next_open,
    validate_calling_hours,
    zone_key,
    zones_of_number,
)
from campaigns.intake import receive_contacts
from campaigns.models import Campaign, Contact
from campaigns.validation import ContactInput, validate_contact
from dialer.cycle import try_dial_next_batch
from tests.conftest import NOW, add_contacts, contact_payload, error_fields, wait_until

EVERY_DAY = {day: [["09:00", "20:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
# Tomorrow (inside the test contacts' window, which starts an hour before the run), 10:00 UTC: 11:00 or
# 12:00 in Berlin, 05:00 or 06:00 in New York, whatever the season.
_TOMORROW = (NOW + timedelta(days=1)).date()
BERLIN_MORNING = datetime.combine(_TOMORROW, time(10, 0), tzinfo=UTC)
NEW_YORK_OPENS = datetime.combine(_TOMORROW, time(9, 0), tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)


def test_hours_closed_in_new_york_but_open_in_berlin_dial_only_the_berlin_contacts(switch):
    berlin = add_contacts(3)  # +4930… numbers
    new_york = _new_york_contacts(3)
    Campaign.objects.filter(campaign_id="c1").update(calling_hours=EVERY_DAY)
    with time_machine.travel(BERLIN_MORNING, tick=True):
        assert try_dial_next_batch() == 3
        assert {Contact.objects.get(pk=i).status for i in berlin} != {"pending"}
        waiting = Contact.objects.filter(pk__in=new_york)
        assert set(waiting.values_list("status", "scheduled", "attempts")) == {("pending", True, 0)}
        assert {c.wake_at for c in waiting} == {NEW_YORK_OPENS}
        assert try_dial_next_batch() == 0
    dialed = {o["number"] for o in switch.switch.originates}
    assert dialed == set(Contact.objects.filter(pk__in=berlin).values_list("customer_number", flat=True))
    with time_machine.travel(NEW_YORK_OPENS.replace(second=30), tick=True):
        assert try_dial_next_batch() == 3  # dialed when their hours open
    wait_until(lambda: len(switch.switch.originates) == 6, what="the New York calls")


def _new_york_contacts(count: int) -> list[str]:
    inputs = [validate_contact(contact_payload(customer_number=f"+1212555{n:04d}")) for n in range(count)]
    receive_contacts([c for c in inputs if isinstance(c, ContactInput)])
    return [c.id for c in inputs if isinstance(c, ContactInput)]


def test_a_contact_with_its_own_zone_is_called_in_that_zone(switch):
    [contact_id] = add_contacts(1, time_zone="America/Los_Angeles")  # a Berlin number, a customer in LA
    Campaign.objects.filter(campaign_id="c1").update(calling_hours=EVERY_DAY)
    with time_machine.travel(BERLIN_MORNING, tick=True):
        assert try_dial_next_batch() == 0
    opens = datetime.combine(_TOMORROW, time(9, 0), tzinfo=ZoneInfo("America/Los_Angeles")).astimezone(UTC)
    assert Contact.objects.get(pk=contact_id).wake_at == opens


def test_every_zone_of_a_number_must_be_open():
    day = BERLIN_MORNING.strftime("%a").lower()
    hours = {day: [["09:00", "20:00"]]}
    assert is_open(hours, ["Europe/Berlin"], BERLIN_MORNING)
    assert not is_open(hours, ["Europe/Berlin", "America/New_York"], BERLIN_MORNING)
    assert next_open(hours, ["Europe/Berlin", "America/New_York"], BERLIN_MORNING) == NEW_YORK_OPENS
    assert next_open({}, ["Asia/Tokyo"], BERLIN_MORNING) == BERLIN_MORNING  # no hours: no limit
    assert next_open({day: [["00:00", "24:00"]]}, ["UTC"], BERLIN_MORNING) == BERLIN_MORNING


def test_a_number_with_several_possible_zones_keeps_them_all():
    zones = zones_of_number("+18005550100")  # US toll-free: anywhere in the country
    assert len(zones) > 1
    assert zone_key(own="", number="+18005550100") == "|".join(zones)
    assert zone_key(own="Europe/Paris", number="+18005550100") == "Europe/Paris"
    assert zone_key(own="", number="12345") == ""  # unknown: the campaign's zone applies


@pytest.mark.parametrize(
    "hours",
    [
        {"monday": [["09:00", "20:00"]]},
        {"mon": [["20:00", "09:00"]]},
        {"mon": [["9:00", "20:00"]]},
        {"mon": [["09:00", "24:30"]]},
        {"mon": ["09:00", "20:00"]},
        [["09:00", "20:00"]],
    ],
)
def test_malformed_hours_are_refused(hours):
    with pytest.raises(InvalidCallingHours):
        validate_calling_hours(hours)


def test_calling_hours_and_a_zone_are_set_through_the_api_and_a_bad_one_is_a_400(manager):
    manager.post("/api/v1/campaigns/", {"campaign_id": "h1"}, format="json")
    ok = {"calling_hours": {"mon": [["09:00", "20:00"]], "sat": [["10:00", "14:00"]]}, "time_zone": "America/New_York"}
    assert manager.patch("/api/v1/campaigns/h1/", ok, format="json").status_code == 200
    shown = manager.get("/api/v1/campaigns/h1/").json()
    assert (shown["calling_hours"], shown["time_zone"]) == (ok["calling_hours"], "America/New_York")
    bad = manager.patch("/api/v1/campaigns/h1/", {"calling_hours": {"mon": [["20:00", "09:00"]]}}, format="json")
    assert bad.status_code == 400
    assert "calling_hours" in error_fields(bad)
    assert manager.patch("/api/v1/campaigns/h1/", {"time_zone": "Mars/Olympus"}, format="json").status_code == 400


def test_a_contact_zone_that_is_not_iana_is_a_400_naming_the_field(manager):
    response = manager.post("/api/v1/contacts/", contact_payload(time_zone="EST5"), format="json")
    assert response.status_code == 400
    assert "time_zone" in str(response.json())

"""The Do-Not-Call list protects: numbers read into one E.164 form, contacts compared in it, scopes and expiry."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from campaigns import dnc
from campaigns.models import DoNotCall
from campaigns.numbers import InvalidNumber, NoCountryCode, canonical_number, possible_readings
from tests.conftest import NOW
from tests.test_settings import start


@pytest.mark.parametrize(
    ("written", "region", "canonical"),
    [
        # The entries: one spelling each, all the same number as the contacts they must protect.
        ("+49 501 0000 0006", "", "+4950100000006"),
        ("+4950100000005", "", "+4950100000005"),  # a test range: possible, not valid, and listable
        ("0049-501-0000-0006", "", "+4950100000006"),
        ("0049-501-0000-0006", "DE", "+4950100000006"),
        ("(0501) 0000 0006", "DE", "+4950100000006"),
        ("0501/0000 0006", "DE", "+4950100000006"),
        ("0501.0000.0006", "DE", "+4950100000006"),
        ("+49 (0) 501 0000 0006", "", "+4950100000006"),
        ("(+49) 501 0000 0006", "", "+4950100000006"),
        (" +49 501 0000 0006\n", "", "+4950100000006"),
        ("+49\u00a0501\u20110000\u20130006", "", "+4950100000006"),  # pasted: no-break space, unicode dashes
        # A German operator typing 4950100000005 means +49 501…: German national numbers are written 0….
        ("4950100000005", "DE", "+4950100000005"),
        ("4930123456", "DE", "+4930123456"),
        ("030 123456", "DE", "+4930123456"),
        ("04950 100000005", "DE", "+494950100000005"),  # the other reading, when written as a national number
        ("44 20 7946 0000", "GB", "+442079460000"),
        ("4412345678", "GB", "+444412345678"),  # +44 12345678 is no possible number: national after all
        # Where the trunk prefix is commonly left out, the country code rule does not apply.
        ("9123456789", "IN", "+919123456789"),
        ("(650) 253-0000", "US", "+16502530000"),
        ("1 650 253 0000", "US", "+16502530000"),
        # The region's own international prefix, and 00 everywhere.
        ("011 49 30 123456", "US", "+4930123456"),
        ("00 49 30 123456", "US", "+4930123456"),
        ("0011 49 30 123456", "AU", "+4930123456"),
    ],
)
def test_a_number_written_any_way_is_read_into_one_e164_form(written, region, canonical):
    assert canonical_number(written, default_region=region) == canonical


@pytest.mark.parametrize(
    ("written", "region", "says"),
    [
        ("call me maybe", "DE", "is not a phone number"),
        ("", "DE", "is required"),
        ("   ", "", "is required"),
        ("+1 800 FLOWERS", "", "is not a phone number"),
        ("+49 30 123456 ext. 12", "", "is not a phone number"),
        ("++49 30 123456", "", "is not a phone number"),
        ("49 + 30", "", "is not a phone number"),
        ("()", "", "has no digits"),
        ("+", "", "has no digits"),
        ("00", "DE", "no number after its international prefix"),
        ("+49 1", "", "too short"),
        ("12", "DE", "without its area code"),
        ("+4912345678901234567", "", "too long"),
        ("+999 1234567", "", "country code does not exist"),
        ("(0501) 0000 0006", "", "DEFAULT_REGION"),
        ("4950100000005", "", "DEFAULT_REGION"),
    ],
)
def test_anything_that_is_no_possible_number_is_refused_saying_why(written, region, says):
    with pytest.raises(InvalidNumber, match=says):
        canonical_number(written, default_region=region)


def test_a_national_number_without_default_region_is_its_own_error():
    with pytest.raises(NoCountryCode):
        canonical_number("0501 0000 0006", default_region="")


def test_an_unknown_region_is_a_programming_error_not_a_bad_number():
    with pytest.raises(ValueError, match="DEFAULT_REGION 'XX'") as raised:
        canonical_number("+4930123456", default_region="XX")
    assert not isinstance(raised.value, InvalidNumber)


@pytest.mark.parametrize(
    ("stored", "region", "readings"),
    [
        ("+4950100000005", "DE", {"+4950100000005"}),
        # Digits without '+' reach the trunk as they are: either reading may be what it dials.
        ("4950100000005", "DE", {"+4950100000005", "+494950100000005"}),
        ("05010000006", "DE", {"+495010000006"}),
        ("4950100000005", "", {"+4950100000005"}),
        ("05010000006", "", set()),
        ("+4912", "DE", set()),
    ],
)
def test_a_contact_number_is_compared_under_every_reading_of_it(stored, region, readings):
    assert possible_readings(stored, default_region=region) == readings
    try:
        canonical = canonical_number(stored, default_region=region)
    except InvalidNumber:
        return
    assert canonical in readings  # what an entry written the same way is stored as


@pytest.mark.parametrize(("value", "ok"), [("DE", True), ("", True), ("XX", False), ("de", False), ("DEU", False)])
def test_default_region_is_checked_at_start_up(value, ok):
    result = start(DEFAULT_REGION=value)
    assert (result.returncode == 0) is ok, result.stderr[-500:]
    if not ok:
        assert "DEFAULT_REGION" in result.stderr


# --- Entries and the dialer's question ---


def entry(number: str, **fields: object) -> dnc.Entry:
    checked = dnc.validate_entry({"customer_number": number, **fields}, now=NOW)
    assert isinstance(checked, dnc.Entry), checked
    return checked


def test_entries_are_stored_canonical_and_readding_one_changes_nothing(db):
    first = dnc.add_entries([entry("+49 501 0000 0006", reason="asked")], added_by="crm", now=NOW)
    assert first == dnc.AddResult(created=1)
    again = dnc.add_entries([entry("0049 501 0000 0006")], added_by="other", now=NOW)
    assert again == dnc.AddResult(unchanged=1)
    stored = DoNotCall.objects.get()
    assert (stored.customer_number, stored.campaign_id, stored.reason, stored.added_by) == (
        "+4950100000006", "", "asked", "crm",
    )  # fmt: skip


def test_readding_an_entry_with_other_terms_updates_it_and_names_who_did(db):
    dnc.add_entries([entry("+4950100000006", reason="asked")], added_by="crm", now=NOW)
    expiry = (NOW + timedelta(days=30)).isoformat()
    changed = dnc.add_entries([entry("+4950100000006", expires_at=expiry)], added_by="ops", now=NOW)
    assert changed == dnc.AddResult(updated=1)
    stored = DoNotCall.objects.get()
    assert (stored.expires_at, stored.reason, stored.added_by) == (NOW + timedelta(days=30), "asked", "ops")


def test_a_number_may_be_listed_for_every_campaign_and_for_one(db):
    result = dnc.add_entries(
        [entry("+4950100000006"), entry("+4950100000006", campaign_id="spring")], added_by="x", now=NOW
    )
    assert result.created == 2
    assert sorted(DoNotCall.objects.values_list("campaign_id", flat=True)) == ["", "spring"]


def test_entries_repeating_a_number_and_scope_are_found_and_refused(db):
    entries = [entry("+4950100000006"), entry("0049 501 0000 0006"), entry("+4950100000006", campaign_id="a")]
    assert dnc.repeats(entries) == {1: 0}
    with pytest.raises(ValueError, match="repeats"):
        dnc.add_entries(entries, added_by="x", now=NOW)
    assert not DoNotCall.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"customer_number": "call me maybe"}, "customer_number", "is not a phone number"),
        ({"customer_number": 4950100000006}, "customer_number", "string"),
        ({}, "customer_number", "required"),
        ({"customer_number": "+4950100000006", "campaign_id": "spring sale"}, "campaign_id", "letters"),
        ({"customer_number": "+4950100000006", "expires_at": "tomorrow"}, "expires_at", "ISO 8601"),
        ({"customer_number": "+4950100000006", "expires_at": "2099-01-01T00:00:00"}, "expires_at", "time zone"),
        ({"customer_number": "+4950100000006", "expires_at": "2020-01-01T00:00:00Z"}, "expires_at", "past"),
        ({"customer_number": "+4950100000006", "reason": "x" * 201}, "reason", "200"),
        ({"customer_number": "+4950100000006", "status": "x"}, "status", "not a do-not-call field"),
    ],
)
def test_a_bad_entry_is_refused_naming_the_field(fields, field, says):
    errors = dnc.validate_entry(fields, now=NOW)
    assert isinstance(errors, list)
    assert [e.field for e in errors] == [field]
    assert says in errors[0].message


def test_remove_entry_takes_one_scope_off_in_any_written_form(db):
    dnc.add_entries([entry("+4950100000006"), entry("+4950100000006", campaign_id="spring")], added_by="x", now=NOW)
    assert dnc.remove_entry("0049 501 0000 0006", campaign_id="spring")
    assert not dnc.remove_entry("+4950100000006", campaign_id="spring")
    assert list(DoNotCall.objects.values_list("campaign_id", flat=True)) == [""]


def test_suppressed_names_the_contacts_listed_for_the_campaign_or_every_one_and_not_expired(db, settings):
    settings.DEFAULT_REGION = "DE"
    dnc.add_entries(
        [
            entry("4950100000005"),  # the entry, typed without '+'
            entry("+49 501 0000 0006"),  # the other entry, with spaces
            entry("(0501) 0000 0007", campaign_id="spring"),
            entry("+4950100000008", expires_at=(NOW + timedelta(hours=1)).isoformat()),
        ],
        added_by="x",
        now=NOW,
    )
    contacts = ["+4950100000005", "+4950100000006", "+4950100000007", "+4950100000008", "+4950100000009"]
    assert dnc.suppressed(contacts, campaign_id="spring", now=NOW) == {
        "+4950100000005", "+4950100000006", "+4950100000007", "+4950100000008",
    }  # fmt: skip
    assert dnc.suppressed(contacts, campaign_id="autumn", now=NOW) == {
        "+4950100000005", "+4950100000006", "+4950100000008",
    }  # fmt: skip
    later = NOW + timedelta(hours=1)  # the entry no longer applies from its expiry on
    assert dnc.suppressed(contacts, campaign_id="autumn", now=later) == {"+4950100000005", "+4950100000006"}


def test_suppressed_reads_contact_numbers_stored_without_plus(db, settings):
    settings.DEFAULT_REGION = "DE"
    dnc.add_entries([entry("+4950100000005"), entry("04950 100000006")], added_by="x", now=NOW)
    contacts = ["4950100000005", "04950100000006", "4950100000006", "4950100000007"]
    # 4950100000006 may be dialed as the national 04950 100000006: suppressed too.
    assert dnc.suppressed(contacts, campaign_id="c1", now=NOW) == {"4950100000005", "04950100000006", "4950100000006"}


def test_suppressed_compares_a_number_with_no_reading_as_it_is(db):
    DoNotCall.objects.create(customer_number="+4912")  # written by hand: possible only locally
    assert dnc.suppressed(["+4912", "+4913"], campaign_id="c1", now=NOW) == {"+4912"}


def test_suppressed_asks_the_database_once_for_any_number_of_numbers(db, django_assert_num_queries):
    dnc.add_entries([entry(f"+49501000{n:05}") for n in range(0, 500, 7)], added_by="x", now=NOW)
    numbers = [f"+49501000{n:05}" for n in range(500)]
    with django_assert_num_queries(1):
        found = dnc.suppressed(numbers, campaign_id="c1", now=NOW)
    assert found == {f"+49501000{n:05}" for n in range(0, 500, 7)}
    with django_assert_num_queries(0):
        assert dnc.suppressed([], campaign_id="c1", now=NOW) == set()


def test_the_dialers_lookup_by_number_uses_the_index(db):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + dnc._LISTED, {"forms": ["+4950100000005"], "campaign": "c1", "now": NOW})
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert "do_not_call_unique_scope" in plan


def test_the_database_refuses_an_entry_that_is_not_e164(db):
    from django.db import IntegrityError, transaction

    for bad in ("4950100000005", "+49 501", "call me maybe"):
        with pytest.raises(IntegrityError), transaction.atomic():
            DoNotCall.objects.create(customer_number=bad)


# --- The migration that canonicalises the entries stored as typed ---

MIGRATION = importlib.import_module("campaigns.migrations.0008_do_not_call_scope")
BEFORE, AFTER = ("campaigns", "0007_contact_scheduling"), ("campaigns", "0008_do_not_call_scope")


@pytest.fixture
def before_the_migration(transactional_db):
    """The schema as it was (entries stored as typed); migrated forward again afterwards."""
    MigrationExecutor(connection).migrate([BEFORE])
    yield lambda *numbers: _insert_typed(numbers)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM campaigns_donotcall")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def _insert_typed(numbers: tuple[str, ...]) -> None:
    with connection.cursor() as cursor:
        for number in numbers:
            cursor.execute(
                "INSERT INTO campaigns_donotcall (customer_number, reason, created_at) VALUES (%s, 'typed', now())",
                [number],
            )


def migrate_forward() -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([AFTER])


def test_the_migration_rewrites_entries_in_e164_merging_equal_ones_and_dropping_non_numbers(
    before_the_migration, settings, caplog
):
    settings.DEFAULT_REGION = "DE"
    before_the_migration("4950100000005", "+49 501 0000 0006", "+4950100000005", "call me maybe", "(0501) 0000 0007")
    migrate_forward()
    assert sorted(DoNotCall.objects.values_list("customer_number", flat=True)) == [
        "+4950100000005", "+4950100000006", "+4950100000007",
    ]  # fmt: skip
    assert "'call me maybe' deleted" in caplog.text
    assert "3 entries rewritten" in caplog.text
    assert "1 merged" in caplog.text


def test_the_migration_stops_rather_than_drop_national_numbers_it_cannot_read(before_the_migration, settings):
    settings.DEFAULT_REGION = ""
    before_the_migration("+4950100000005", "0501 0000 0007")
    with pytest.raises(RuntimeError, match="DEFAULT_REGION"):
        migrate_forward()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM campaigns_donotcall")
        assert cursor.fetchone()[0] == 2  # nothing changed


def test_the_migration_module_is_the_one_after_contact_scheduling():
    assert MIGRATION.Migration.dependencies == [BEFORE]

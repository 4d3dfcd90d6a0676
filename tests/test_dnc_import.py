"""DNC entries from CSV (``import_dnc`` and the admin's page) and the admin's list: per-row reports, added_by."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from campaigns import dnc
from campaigns.models import DoNotCall
from tests.conftest import NOW

GOOD_AND_BAD = (
    "customer_number,campaign_id,expires_at,reason\n"
    "+49 501 0000 0005,,,asked by phone\n"  # line 2
    "call me maybe,,,\n"  # line 3: no number
    "(0501) 0000 0006,spring,,\n"  # line 4
    "0049 501 0000 0005,,,\n"  # line 5: line 2 again
    "+4950100000007,,2020-01-01T00:00:00Z,\n"  # line 6: expired already
    "+4950100000008,a b,,\n"  # line 7: bad campaign id
    "+4950100000009\n"  # line 8: too few values
)


@pytest.fixture(autouse=True)
def german(settings):
    settings.DEFAULT_REGION = "DE"


def write(tmp_path: Path, text: str, name: str = "refusals.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(path: Path, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_dnc", str(path), "--no-progress", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def listed() -> list[tuple[str, str]]:
    return list(DoNotCall.objects.values_list("customer_number", "campaign_id"))


def test_good_rows_are_listed_and_bad_rows_reported_with_line_field_and_reason(db, tmp_path):
    out, err = run(write(tmp_path, GOOD_AND_BAD))
    assert out.strip() == "7 rows: 2 added, 0 updated, 0 already listed, 5 errors in 5 rows"
    lines = err.splitlines()
    assert lines[0].startswith("line 3: customer_number: 'call me maybe' is not a phone number")
    assert lines[1] == "line 5: customer_number: repeats line 2: +4950100000005 for every campaign"
    assert lines[2] == "line 6: expires_at: Is in the past: the entry would never apply."
    assert lines[3].startswith("line 7: campaign_id: Invalid value")
    assert lines[4] == "line 8: row: has 1 values, the header has 4"
    assert listed() == [("+4950100000005", ""), ("+4950100000006", "spring")]
    first = DoNotCall.objects.get(campaign_id="")
    assert (first.added_by, first.reason) == ("import:refusals.csv", "asked by phone")


def test_rerunning_a_file_changes_nothing(db, tmp_path):
    path = write(tmp_path, "customer_number\n+4950100000005\n0501 0000 0006\n")
    run(path)
    out, _ = run(path)
    assert out.strip() == "2 rows: 0 added, 0 updated, 2 already listed, 0 errors in 0 rows"
    assert DoNotCall.objects.count() == 2


def test_campaign_and_expiry_options_apply_to_rows_that_give_none(db, tmp_path):
    expiry = NOW + timedelta(days=30)
    own = (NOW + timedelta(days=2)).isoformat()
    path = write(tmp_path, f"customer_number,campaign_id,expires_at\n+4950100000005,,\n+4950100000006,autumn,{own}\n")
    out, _ = run(path, "--campaign", "spring", "--expires", expiry.isoformat())
    assert "2 added" in out
    rows = list(DoNotCall.objects.values_list("customer_number", "campaign_id", "expires_at"))
    assert rows == [("+4950100000005", "spring", expiry), ("+4950100000006", "autumn", NOW + timedelta(days=2))]


@pytest.mark.parametrize(
    ("text", "args", "says"),
    [
        ("", (), "The file is empty"),
        ("number\n+4950100000005\n", (), "Unknown column(s): number"),
        ("reason\nasked\n", (), "Missing column: customer_number"),
        ("customer_number\n+4950100000005\n", ("--campaign", "a b"), "--campaign: Invalid value"),
        ("customer_number\n+4950100000005\n", ("--expires", "2020-01-01T00:00:00Z"), "--expires: Is in the past"),
        ("customer_number\n+4950100000005\n", ("--expires", "soon"), "--expires: Must be an ISO 8601"),
    ],
)
def test_a_file_or_option_that_cannot_be_imported_stops_with_its_reason_and_lists_nothing(
    db, tmp_path, text, args, says
):
    with pytest.raises(CommandError, match=says.replace("(", r"\(").replace(")", r"\)")):
        run(write(tmp_path, text), *args)
    assert not DoNotCall.objects.exists()


def test_a_missing_file_is_a_command_error(db, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        run(tmp_path / "nothing.csv")


def test_the_progress_bar_counts_the_rows(db, tmp_path, capsys):
    rows = "".join(f"+49501000{n:05}\n" for n in range(2500))
    out, err = io.StringIO(), io.StringIO()
    call_command("import_dnc", str(write(tmp_path, "customer_number\n" + rows)), stdout=out, stderr=err)
    assert "2500/2500" in err.getvalue()
    assert "2500 added" in out.getvalue()


def test_an_import_that_fails_midway_lists_nothing(db, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(dnc, "_upsert", broken)
    with pytest.raises(RuntimeError):
        run(write(tmp_path, "customer_number\n+4950100000005\n"))
    assert not DoNotCall.objects.exists()


# --- The admin ---

ADMIN = "/admin/campaigns/donotcall/"


def test_an_entry_added_in_the_admin_is_canonical_and_names_the_operator(operator):
    response = operator.post(
        f"{ADMIN}add/", {"customer_number": "(0501) 0000 0006", "campaign_id": "", "reason": "asked"}
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = DoNotCall.objects.get()
    assert (entry.customer_number, entry.campaign_id, entry.added_by) == ("+4950100000006", "", "ops")


def test_the_admin_form_refuses_what_the_api_refuses(operator):
    response = operator.post(f"{ADMIN}add/", {"customer_number": "call me maybe", "campaign_id": "a b"})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "is not a phone number" in errors["customer_number"][0]
    assert "campaign_id" in errors
    assert not DoNotCall.objects.exists()


def test_the_admin_refuses_a_second_entry_for_the_same_number_and_scope_in_another_spelling(operator):
    dnc.add_entries([dnc.Entry("+4950100000006")], added_by="crm", now=NOW)
    response = operator.post(f"{ADMIN}add/", {"customer_number": "0049 501 0000 0006"})
    assert response.status_code == 200
    assert "already exists" in str(response.context["adminform"].form.errors)
    assert DoNotCall.objects.count() == 1


def test_editing_an_entry_in_the_admin_names_the_operator(operator):
    dnc.add_entries([dnc.Entry("+4950100000006")], added_by="crm", now=NOW)
    entry = DoNotCall.objects.get()
    expiry = NOW + timedelta(days=3)
    response = operator.post(
        f"{ADMIN}{entry.pk}/change/",
        {"customer_number": "+4950100000006", "campaign_id": "spring", "reason": "",
         "expires_at_0": expiry.date().isoformat(), "expires_at_1": expiry.time().isoformat()},
    )  # fmt: skip
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.campaign_id, entry.expires_at, entry.added_by) == ("spring", expiry, "ops")


@pytest.fixture
def some_entries(db):
    dnc.add_entries(
        [
            dnc.Entry("+4950100000005"),
            dnc.Entry("+4950100000006", campaign_id="spring"),
            dnc.Entry("+4950100000007", expires_at=NOW + timedelta(days=1)),
        ],
        added_by="crm",
        now=NOW,
    )
    DoNotCall.objects.filter(customer_number="+4950100000007").update(expires_at=NOW - timedelta(days=1))


def shown(page: str) -> list[str]:
    return [n for n in ("+4950100000005", "+4950100000006", "+4950100000007") if f">{n}</a>" in page]


@pytest.mark.parametrize(
    ("query", "numbers"),
    [
        ({}, ["+4950100000005", "+4950100000006", "+4950100000007"]),
        ({"q": "0501 0000 0006"}, ["+4950100000006"]),
        ({"q": "+49 501 0000 0005"}, ["+4950100000005"]),
        ({"q": "spring"}, ["+4950100000006"]),
        ({"scope": "*"}, ["+4950100000005", "+4950100000007"]),
        ({"scope": "spring"}, ["+4950100000006"]),
        ({"expired": "yes"}, ["+4950100000007"]),
        ({"expired": "no"}, ["+4950100000005", "+4950100000006"]),
    ],
)
def test_the_admin_list_is_searched_by_a_number_in_any_form_and_filtered_by_campaign_and_expiry(
    operator, some_entries, query, numbers
):
    response = operator.get(ADMIN, query)
    assert response.status_code == 200
    assert shown(response.content.decode()) == numbers


def test_the_admin_list_links_to_the_import_page(operator, some_entries):
    assert f'href="{ADMIN}import/"' in operator.get(ADMIN).content.decode()


def test_the_admin_import_page_lists_good_rows_and_reports_bad_ones(operator):
    assert operator.get(f"{ADMIN}import/").status_code == 200
    upload = SimpleUploadedFile("refusals.csv", GOOD_AND_BAD.encode(), "text/csv")
    response = operator.post(f"{ADMIN}import/", {"file": upload, "campaign_id": "", "expires_at": ""})
    assert response.status_code == 200
    page = response.content.decode()
    assert "7 rows: 2 added, 0 updated, 0 already listed, 5 errors." in page
    assert "<td>3</td><td>customer_number</td><td>&#x27;call me maybe&#x27; is not a phone number" in page
    assert "<td>5</td><td>customer_number</td><td>repeats line 2" in page
    assert listed() == [("+4950100000005", ""), ("+4950100000006", "spring")]
    assert set(DoNotCall.objects.values_list("added_by", flat=True)) == {"import:refusals.csv (ops)"}


def test_the_admin_import_page_applies_its_campaign_and_refuses_a_past_expiry(operator):
    upload = SimpleUploadedFile("one.csv", b"customer_number\n0501 0000 0006\n", "text/csv")
    response = operator.post(
        f"{ADMIN}import/", {"file": upload, "campaign_id": "spring", "expires_at": "2020-01-01 00:00"}
    )
    assert "Is in the past" in response.content.decode()
    assert not DoNotCall.objects.exists()
    upload = SimpleUploadedFile("one.csv", b"customer_number\n0501 0000 0006\n", "text/csv")
    operator.post(f"{ADMIN}import/", {"file": upload, "campaign_id": "spring", "expires_at": ""})
    assert listed() == [("+4950100000006", "spring")]


@pytest.mark.parametrize(
    ("content", "says"), [(b"number\n1\n", "Unknown column(s): number"), (b"customer_number\n\xff\xfe\n", "not UTF-8")]
)
def test_the_admin_import_page_shows_why_a_file_cannot_be_imported(operator, content, says):
    upload = SimpleUploadedFile("bad.csv", content, "text/csv")
    response = operator.post(f"{ADMIN}import/", {"file": upload})
    assert response.status_code == 200
    assert says in response.content.decode()
    assert not DoNotCall.objects.exists()

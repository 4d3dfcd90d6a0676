"""The contacts and call history lists as an operator works with them: filtered by campaign, searched by a number
however it is written, calls and contacts linked both ways, and downloaded as CSV exactly as filtered."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.http import urlencode

from campaigns import csv_export
from campaigns.admin import ContactAdmin
from campaigns.models import Contact, DoNotCall
from reporting.admin import CallHistoryAdmin
from reporting.models import CallHistory
from tests.conftest import contact_payload, contacts_payload
from tests.console_pages import list_rows

CONTACTS = "/admin/campaigns/contact/"
CALLS = "/admin/reporting/callhistory/"
NUMBER = "+4950100000011"
START = timezone.now().replace(microsecond=0) - timedelta(hours=2)


@pytest.fixture
def floor(manager: Any, settings: Any) -> dict[str, Any]:
    """Two contacts in c1, one in c2 with the number NUMBER, and a call of each."""
    settings.DEFAULT_REGION = "DE"
    assert manager.post("/api/v1/contacts/", contacts_payload(2, "c1"), format="json").status_code < 300
    assert (
        manager.post("/api/v1/contacts/", [contact_payload("c2", customer_number=NUMBER)], format="json").status_code
        < 300
    )
    c1 = sorted(Contact.objects.filter(campaign_id="c1").values_list("pk", flat=True))
    (c2,) = Contact.objects.filter(campaign_id="c2").values_list("pk", flat=True)
    calls = {contact_id: call(contact_id, "c1", "+4930100") for contact_id in c1}
    calls[c2] = call(c2, "c2", NUMBER, ringing=2, answered=7, released=67, call_result="Answered")
    return {"c1": c1, "c2": c2, "calls": calls}


def call(contact_id: str, campaign_id: str, number: str, *, ringing: int | None = 1, answered: int | None = None,
         released: int | None = 26, call_result: str = "No Answer", **fields: Any) -> CallHistory:  # fmt: skip
    """A call dialed at START, its other times given as seconds after it."""

    def at(seconds: int | None) -> Any:
        return None if seconds is None else START + timedelta(seconds=seconds)

    return CallHistory.objects.create(
        contact_id=contact_id, campaign_id=campaign_id, customer_number=number, campaign_type="IVR",
        dialing_at=START, ringing_at=at(ringing), answered_at=at(answered), released_at=at(released),
        call_result=call_result, hangup_cause="NORMAL_CLEARING" if answered else "NO_ANSWER", **fields,
    )  # fmt: skip


def rows(browser: Client, url: str) -> list[dict[str, str]]:
    response = browser.get(url)
    assert response.status_code == 200
    return list_rows(response.content.decode())


def contact_ids(browser: Client, query: str) -> list[str]:
    return sorted(row["id"] for row in rows(browser, f"{CONTACTS}?{query}"))


def called_contacts(browser: Client, query: str) -> list[str]:
    return sorted(row["contact"] for row in rows(browser, f"{CALLS}?{query}"))


def download(browser: Client, url: str) -> tuple[StreamingHttpResponse, list[list[str]]]:
    response = browser.get(url)
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)  # written while it is read, never held whole
    text = b"".join(response.streaming_content).decode()
    return response, list(csv.reader(io.StringIO(text)))


# --- Campaign filter ---


def test_the_campaign_filter_shows_only_that_campaigns_contacts_and_calls(operator, floor):
    assert contact_ids(operator, "campaign_id=c1") == floor["c1"]
    assert contact_ids(operator, "campaign_id=c2") == [floor["c2"]]
    assert called_contacts(operator, "campaign_id=c1") == floor["c1"]
    assert called_contacts(operator, "campaign_id=c2") == [floor["c2"]]


def test_the_campaign_filter_offers_the_campaigns_table(operator, floor):
    page = operator.get(CONTACTS).content.decode()
    assert "?campaign_id=c1" in page
    assert "?campaign_id=c2" in page


def test_the_campaign_filter_reads_the_campaigns_table_not_the_listed_rows(operator, floor):
    with CaptureQueriesContext(connection) as queries:
        operator.get(CALLS)
    assert not [q["sql"] for q in queries if "DISTINCT" in q["sql"] and "campaign_id" in q["sql"]]


# --- Number search ---


@pytest.mark.parametrize("written", ["+49 501 0000 0011", "4950100000011", "0501 0000 0011", NUMBER])
def test_a_number_is_found_however_it_is_written(operator, floor, written):
    query = f"q={written.replace('+', '%2B').replace(' ', '+')}"
    assert contact_ids(operator, query) == [floor["c2"]]
    assert called_contacts(operator, query) == [floor["c2"]]


def test_digits_without_plus_find_the_number_without_a_default_region(operator, floor, settings):
    settings.DEFAULT_REGION = ""
    assert contact_ids(operator, "q=4950100000011") == [floor["c2"]]


def test_the_do_not_call_list_is_searched_the_same_way(operator, floor):
    DoNotCall.objects.create(customer_number=NUMBER, reason="asked")
    listed = rows(operator, "/admin/campaigns/donotcall/?q=0501+0000+0011")
    assert [row["customer_number"] for row in listed] == [NUMBER]


def test_other_searches_still_work(operator, floor):
    assert contact_ids(operator, f"q={floor['c1'][0]}") == [floor["c1"][0]]
    assert called_contacts(operator, "q=c2") == [floor["c2"]]


# --- Call history columns ---


def test_call_times_are_shown_to_the_second_with_ring_and_talk_seconds(operator, floor):
    by_contact = {row["contact"]: row for row in rows(operator, CALLS)}
    answered, unanswered = by_contact[floor["c2"]], by_contact[floor["c1"][0]]
    local = timezone.localtime(START)
    assert answered["dialing"] == f"{local:%Y-%m-%d %H:%M:%S}"
    assert answered["answered"] == f"{local + timedelta(seconds=7):%H:%M:%S}"
    assert answered["released"] == f"{local + timedelta(seconds=67):%H:%M:%S}"
    assert (answered["ring_seconds"], answered["talk_seconds"]) == ("5.0", "60.0")  # ringing to answer, then talk
    assert (unanswered["ring_seconds"], unanswered["talk_seconds"]) == ("25.0", "-")  # ringing to release


def test_ring_time_counts_from_the_dialing_when_no_ringing_was_reported(operator, floor):
    call("x1", "c1", "+4930200", ringing=None, released=30)
    (row,) = rows(operator, f"{CALLS}?contact_id=x1")
    assert row["ring_seconds"] == "30.0"


def test_the_call_history_list_keeps_to_a_1280_px_window(operator, floor):
    assert len(CallHistoryAdmin.list_display) <= 10
    assert "campaign_type" not in CallHistoryAdmin.list_display  # a filter, not a column
    assert "campaign_type" not in ContactAdmin.list_display


# --- Contacts and their calls, linked ---


def test_a_call_links_to_its_contact(operator, floor):
    page = operator.get(f"{CALLS}?contact_id={floor['c2']}").content.decode()
    assert f'href="/admin/campaigns/contact/{floor["c2"]}/change/"' in page


def test_the_contacts_list_links_each_contact_to_its_calls(operator, floor):
    page = operator.get(f"{CONTACTS}?campaign_id=c2").content.decode()
    assert f'href="{CALLS}?contact_id={floor["c2"]}"' in page
    assert [row["calls"] for row in list_rows(page)] == ["calls"]


def test_the_contact_page_lists_its_calls_and_links_to_all_of_them(operator, floor):
    contact = floor["c2"]
    for n in range(1, 25):
        call(contact, "c2", NUMBER, ringing=n, answered=None, released=n + 10, call_result=f"Busy {n}")
    page = operator.get(f"/admin/campaigns/contact/{contact}/change/").content.decode()
    assert f'href="{CALLS}?contact_id={contact}"' in page
    table = page.split('class="contact-calls"')[1].split("</table>")[0]
    assert table.count("<tr>") == 21  # the header and the newest 20
    assert "NORMAL_CLEARING" in table
    assert "<td>5.0</td><td>60.0</td>" in table
    assert "The newest 20." in page
    assert called_contacts(operator, f"contact_id={contact}") == [contact] * 25


def test_a_contact_page_without_calls_says_so(operator, floor):
    CallHistory.objects.all().delete()
    page = operator.get(f"/admin/campaigns/contact/{floor['c2']}/change/").content.decode()
    assert "No calls yet." in page


# --- CSV export ---


def test_the_list_offers_an_export_of_its_current_filter(operator, floor):
    assert (
        'href="/admin/campaigns/contact/export/?campaign_id=c1"'
        in operator.get(f"{CONTACTS}?campaign_id=c1").content.decode()
    )
    assert 'href="/admin/reporting/callhistory/export/?q=c2"' in operator.get(f"{CALLS}?q=c2").content.decode()
    assert "Dashboard" in operator.get(CALLS).content.decode()


def test_the_contacts_export_holds_exactly_the_filtered_rows(operator, floor):
    response, (header, *lines) = download(operator, "/admin/campaigns/contact/export/?campaign_id=c1")
    assert header == list(ContactAdmin.csv_columns)
    assert sorted(line[0] for line in lines) == floor["c1"]
    assert response["Content-Type"].startswith("text/csv")
    assert 'attachment; filename="contact-' in response["Content-Disposition"]
    _, (_, *found) = download(operator, "/admin/campaigns/contact/export/?q=0501+0000+0011")
    assert [(line[0], line[1]) for line in found] == [(floor["c2"], NUMBER)]  # E.164 kept as it is


def test_the_export_holds_every_page_not_only_the_shown_one(operator, floor, monkeypatch):
    monkeypatch.setattr(ContactAdmin, "list_per_page", 1)
    assert len(rows(operator, CONTACTS)) == 1
    _, (_, *lines) = download(operator, "/admin/campaigns/contact/export/")
    assert len(lines) == 3


def test_the_call_history_export_holds_the_filtered_calls_with_their_seconds(operator, floor):
    response, (header, *lines) = download(operator, f"{CALLS}export/?campaign_id=c2")
    assert header == list(CallHistoryAdmin.csv_columns)
    assert "ring_seconds" in header
    assert "talk_seconds" in header
    (line,) = lines
    values = dict(zip(header, line, strict=True))
    assert values["id"] == str(floor["calls"][floor["c2"]].pk)
    assert (values["ring_seconds"], values["talk_seconds"]) == ("5.0", "60.0")
    assert values["dialing_at"] == timezone.localtime(START).isoformat()  # ISO 8601, with its offset
    assert values["customer_number"] == NUMBER
    assert 'attachment; filename="callhistory-' in response["Content-Disposition"]


def test_a_value_that_a_spreadsheet_would_run_is_neutralised(operator, floor):
    call("x2", "c1", NUMBER, disposition='=HYPERLINK("http://evil","click")', agent_extension="@SUM(A1)")
    _, (header, line) = download(operator, f"{CALLS}export/?contact_id=x2")
    values = dict(zip(header, line, strict=True))
    assert values["disposition"] == '\'=HYPERLINK("http://evil","click")'
    assert values["agent_extension"] == "'@SUM(A1)"
    assert values["customer_number"] == NUMBER


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("+4950100000011", "+4950100000011"),
        ("-5", "-5"),
        ("plain", "plain"),
    ],
)
def test_the_formula_guard_leaves_plain_signed_numbers_alone(value, written):
    assert csv_export.cell(value) == written


def test_the_export_streams_in_chunks(operator, floor, monkeypatch):
    monkeypatch.setattr(csv_export, "CHUNK", 1)
    response = operator.get("/admin/campaigns/contact/export/")
    assert isinstance(response, StreamingHttpResponse)
    assert len(list(response.streaming_content)) == 4  # type: ignore[arg-type]  # the header, then one write per chunk


def staff(username: str, *codenames: str) -> Client:
    user = User.objects.create_user(username, password="pw", is_staff=True)
    user.user_permissions.add(*(Permission.objects.get(codename=codename) for codename in codenames))
    browser = Client()
    browser.force_login(user)
    return browser


def test_the_export_needs_the_lists_view_permission(floor):
    nobody = staff("nobody")
    assert nobody.get("/admin/campaigns/contact/export/").status_code == 403
    assert nobody.get(f"{CALLS}export/").status_code == 403
    contacts_only = staff("contacts", "view_contact")
    assert contacts_only.get("/admin/campaigns/contact/export/").status_code == 200
    assert contacts_only.get(f"{CALLS}export/").status_code == 403
    assert (
        "calls" not in list_rows(contacts_only.get(CONTACTS).content.decode())[0]
    )  # no link to a page it may not open
    calls_only = staff("calls", "view_callhistory")
    assert calls_only.get(f"{CALLS}export/").status_code == 200


def test_an_export_with_a_filter_the_list_cannot_apply_goes_back_to_the_list(operator, floor):
    response = operator.get("/admin/reporting/callhistory/export/?dialing_at__year=99999999999999")
    assert (response.status_code, response["Location"]) == (302, f"{CALLS}?e=1")


def test_the_result_filter_offers_the_latest_calls_results_without_reading_every_row(operator, floor):
    Contact.objects.filter(pk=floor["c2"]).update(call_result="Answered")
    with CaptureQueriesContext(connection) as queries:
        page = operator.get(CONTACTS).content.decode()
    assert "?call_result=Answered" in page
    assert "?call_result=No+Answer" in page
    assert not [q["sql"] for q in queries.captured_queries if "DISTINCT" in q["sql"]]  # no column listed whole
    assert [row["id"] for row in rows(operator, f"{CONTACTS}?call_result=Answered")] == [floor["c2"]]
    assert called_contacts(operator, "call_result=Answered") == [floor["c2"]]
    assert called_contacts(operator, "call_result=Never+Seen") == []  # any result in the address still filters


def test_a_search_compares_the_term_as_the_indexes_can_answer(operator, floor):
    """Django's "=" search compared UPPER() of both sides, which no index serves: every contact was read."""
    contact = floor["c1"][0]
    with CaptureQueriesContext(connection) as queries:
        found = rows(operator, f"{CONTACTS}?q={contact.upper()}")  # an id typed in capitals is found too
    assert [row["id"] for row in found] == [contact]
    searches = [q["sql"] for q in queries.captured_queries if 'FROM "campaigns_contact"' in q["sql"]]
    assert searches
    assert not [sql for sql in searches if "UPPER(" in sql]


def test_the_call_history_list_never_lists_a_column_of_the_whole_history(operator, floor):
    with CaptureQueriesContext(connection) as queries:
        page = operator.get(CALLS).content.decode()
    assert "?campaign_type=IVR" in page  # its filters offered from the known values
    assert not [q["sql"] for q in queries.captured_queries if "DISTINCT" in q["sql"]]
    since = urlencode({"campaign_type": "IVR", "dialing_at__gte": START.isoformat()})
    assert len(rows(operator, f"{CALLS}?{since}")) == 3

"""Switches as rows (SPEC section 10): the registry, the admin, ``GET /api/v1/switches/`` and ``manage.py switch``.

With no row, the settings are the switch ``default`` exactly as before; with rows, the rows are the switches. The
event socket password is never shown back: not in the admin's pages or history, the API, nor the command's output.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.test import Client
from rest_framework.test import APIClient

from campaigns.choices import ContactStatus
from campaigns.models import Contact
from dialer import gateways, switch_state
from dialer.esl.client import DEFAULT_SWITCH, SwitchAddress, SwitchNotConfigured, configured_switch
from dialer.models import Switch
from dialer.switches import (
    SwitchConfig,
    UnknownSwitch,
    active_calls_per_switch,
    configured_switches,
    switch_named,
    switch_summary,
)
from outbound.management.commands.demo import free_port
from tests.conftest import contacts_payload
from tests.console_pages import list_rows

SECRET = "Sw1tch-S3cret!"
ROOT = Path(__file__).resolve().parent.parent
API_FIELDS = {
    "name", "host", "port", "enabled", "connected", "listener_connected", "max_concurrent_calls", "active_calls",
    "calls_per_second", "gateways",
}  # fmt: skip


def stored_contacts(count: int, client_for: Callable[[str], APIClient]) -> list[str]:
    """Contacts received through the API (as JSON, like a campaign manager's); their ids in order."""
    payload = contacts_payload(count, "c1")
    response = client_for("campaign_manager").post("/api/v1/contacts/", payload, format="json")
    assert response.status_code == 201, response.content
    return [contact["id"] for contact in payload]


def make_switch(name: str = "pbx1", **fields: object) -> Switch:
    values: dict[str, object] = {
        "host": "127.0.0.1", "port": free_port(), "password": SECRET, "max_concurrent_calls": 20,
        "calls_per_second": 7.5,
    }  # fmt: skip
    values.update(fields)
    return Switch.objects.create(name=name, **values)


# --- The registry ---


def test_with_no_rows_the_settings_are_the_switch_default_read_when_asked(db, settings):
    settings.ESL_HOST, settings.ESL_PORT, settings.ESL_PASSWORD = "10.1.2.3", 9021, "pw"
    settings.MAX_CONCURRENT_CALLS, settings.DIALER_CALLS_PER_SECOND = 12, 3.5
    assert configured_switches() == [
        SwitchConfig(SwitchAddress("10.1.2.3", 9021, "pw", name=DEFAULT_SWITCH), 12, 3.5, enabled=True)
    ]
    settings.ESL_PORT = 9022  # a later change is seen: nothing is read at import
    assert configured_switches()[0].address.port == 9022
    assert switch_named(DEFAULT_SWITCH).address == configured_switch()
    assert configured_switches(enabled_only=False) == configured_switches()


def test_with_no_rows_and_no_password_the_registry_refuses_naming_esl_password_but_lists(db, settings):
    settings.ESL_PASSWORD = ""
    with pytest.raises(SwitchNotConfigured, match="ESL_PASSWORD"):
        configured_switches()
    [listed] = switch_summary(probe=False)
    assert listed["name"] == DEFAULT_SWITCH


def test_rows_are_the_switches_and_need_no_esl_settings(db, settings):
    settings.ESL_PASSWORD = ""
    make_switch("pbx1")
    make_switch("pbx0", enabled=False, max_concurrent_calls=3)
    assert [s.name for s in configured_switches()] == ["pbx1"]
    assert [s.name for s in configured_switches(enabled_only=False)] == ["pbx0", "pbx1"]
    [pbx1] = configured_switches()
    assert (pbx1.address.password, pbx1.max_concurrent_calls, pbx1.calls_per_second) == (SECRET, 20, 7.5)
    assert SECRET not in repr(pbx1)
    # A disabled switch is still found by name: the calls it holds end on it.
    assert switch_named("pbx0").max_concurrent_calls == 3
    with pytest.raises(UnknownSwitch):
        switch_named(DEFAULT_SWITCH)  # the settings' switch exists only while there is no row


def test_every_row_disabled_leaves_no_switch_to_dial_on(db):
    make_switch("pbx1", enabled=False)
    assert configured_switches() == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "pbx 1"), ("name", "-pbx"), ("name", "pbx1\n"), ("name", "p:1"), ("name", "x" * 41),
        ("host", "pbx.example.com\nauth x"), ("host", "a b"), ("host", ""),
        ("password", "two words"), ("password", "line\nbreak"), ("password", "tab\t"), ("password", ""),
        ("password", "pässword"), ("port", 0), ("port", 65536), ("max_concurrent_calls", 0),
        ("calls_per_second", 0.0), ("calls_per_second", float("nan")), ("calls_per_second", float("inf")),
    ],
)  # fmt: skip
def test_a_value_that_could_break_an_esl_line_or_a_redis_key_is_refused_by_validation_and_the_database(
    db, field, value
):
    switch = Switch(name="pbx1", host="127.0.0.1", port=8021, password=SECRET)
    setattr(switch, field, value)
    with pytest.raises(ValidationError) as refused:
        switch.full_clean()
    assert field in refused.value.message_dict
    if field == "name" and len(str(value)) > 40:
        return  # the column's length refuses it in its own words
    with pytest.raises(IntegrityError), transaction.atomic():
        switch.save()


# --- Calls in progress, counted once for every switch ---


def test_active_calls_are_counted_per_switch_in_one_query(client_for, django_assert_num_queries):
    ids = stored_contacts(6, client_for)
    Contact.objects.filter(id__in=ids[:3]).update(status=ContactStatus.DIALED, switch_name="pbx1")
    Contact.objects.filter(id__in=ids[3:4]).update(status=ContactStatus.AGENT_PENDING, switch_name="pbx1")
    Contact.objects.filter(id__in=ids[4:5]).update(status=ContactStatus.DIALED, switch_name="pbx2")
    Contact.objects.filter(id__in=ids[5:]).update(status=ContactStatus.ENDED, switch_name="pbx2")
    with django_assert_num_queries(1):
        assert active_calls_per_switch() == {"pbx1": 4, "pbx2": 1}


def test_the_summary_costs_two_queries_whatever_the_number_of_switches(db, django_assert_num_queries):
    for index in range(5):
        make_switch(f"pbx{index}")
    with django_assert_num_queries(2):
        assert len(switch_summary(probe=False)) == 5


# --- The API ---


def test_the_switches_api_lists_every_switch_in_the_shape_of_section_10_without_the_password(db, client_for):
    make_switch("pbx1")
    make_switch("pbx2", enabled=False, port=5060, max_concurrent_calls=4, calls_per_second=1.0)
    [contact] = stored_contacts(1, client_for)
    Contact.objects.filter(id=contact).update(status=ContactStatus.DIALED, switch_name="pbx2")
    switch_state.listener_beat("pbx2")
    for role in ("campaign_manager", "operator"):
        response = client_for(role).get("/api/v1/switches/")
        assert response.status_code == 200, role
        assert SECRET.encode() not in response.content
        body = response.json()
        assert [item["name"] for item in body] == ["pbx1", "pbx2"]
        assert all(set(item) == API_FIELDS for item in body)
        pbx1, pbx2 = body
        # Nothing fresh known of pbx1: its event socket is asked (refused at once), and it is not connected.
        assert (pbx1["connected"], pbx1["listener_connected"], pbx1["active_calls"]) == (False, False, 0)
        assert pbx2 == {
            "name": "pbx2", "host": "127.0.0.1", "port": 5060, "enabled": False, "connected": True,
            "listener_connected": True, "max_concurrent_calls": 4, "active_calls": 1, "calls_per_second": 1.0,
            "gateways": [],
        }  # fmt: skip


def test_each_switch_lists_the_gateways_last_read_from_it(db, client_for, monkeypatch):
    make_switch("pbx1")
    make_switch("pbx2")
    read = {"pbx1": ["gw1", "gw2"], "pbx2": ["gw2"]}
    monkeypatch.setattr(gateways, "gateway_names", lambda name: read[name])
    body = client_for("operator").get("/api/v1/switches/").json()
    assert {item["name"]: item["gateways"] for item in body} == read


def test_with_no_rows_the_api_lists_the_settings_switch(db, client_for, settings):
    settings.ESL_PORT, settings.MAX_CONCURRENT_CALLS, settings.DIALER_CALLS_PER_SECOND = free_port(), 9, 2.0
    [item] = client_for("operator").get("/api/v1/switches/").json()
    assert item["name"] == DEFAULT_SWITCH
    assert (item["port"], item["max_concurrent_calls"], item["calls_per_second"]) == (settings.ESL_PORT, 9, 2.0)
    assert settings.ESL_PASSWORD not in str(item)


def test_the_voice_connector_and_requests_without_a_token_are_refused(db, client_for):
    make_switch()
    assert client_for("voice_connector", "Bearer").get("/api/v1/switches/").status_code == 403
    assert APIClient().get("/api/v1/switches/").status_code in (401, 403)
    assert client_for("campaign_manager").post("/api/v1/switches/", {}, format="json").status_code == 405


def test_the_openapi_document_lists_the_switches_endpoint_and_its_item(db):
    document = APIClient().get("/api/v1/schema/?format=json").json()
    operation = document["paths"]["/api/v1/switches/"]["get"]
    assert {"200", "400", "401", "403", "503"} <= set(operation["responses"])
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"type": "array", "items": {"$ref": "#/components/schemas/Switch"}}
    item = document["components"]["schemas"]["Switch"]
    assert set(item["properties"]) == API_FIELDS
    assert set(item["required"]) == API_FIELDS


# --- The admin ---


def staff(*codenames: str) -> Client:
    user = User.objects.create_user("staff", password="pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="dialer", codename__in=codenames))
    browser = Client()
    browser.force_login(user)
    return browser


def change_form(switch: Switch, **overrides: object) -> dict[str, object]:
    form: dict[str, object] = {
        "host": switch.host, "port": switch.port, "password": "", "max_concurrent_calls": switch.max_concurrent_calls,
        "calls_per_second": switch.calls_per_second, "enabled": "on",
    }  # fmt: skip
    form.update(overrides)
    return form


def test_the_admin_never_shows_the_password_back(operator):
    switch = make_switch()
    switch_state.listener_beat("pbx1")
    for page in (
        "/admin/dialer/switch/",
        f"/admin/dialer/switch/{switch.pk}/change/",
        f"/admin/dialer/switch/{switch.pk}/history/",
    ):
        response = operator.get(page)
        assert response.status_code == 200, page
        assert SECRET not in response.content.decode(), page
    listing = operator.get("/admin/dialer/switch/").content.decode()
    assert "pbx1" in listing
    (row,) = list_rows(listing)
    assert row["listener"] == "True"  # its listener beats


def test_an_empty_password_on_a_change_keeps_the_old_one_and_a_typed_one_replaces_it(operator):
    switch = make_switch()
    response = operator.post(f"/admin/dialer/switch/{switch.pk}/change/", change_form(switch, max_concurrent_calls=30))
    assert response.status_code == 302, response.content.decode()[-2000:]
    switch.refresh_from_db()
    assert (switch.password, switch.max_concurrent_calls) == (SECRET, 30)
    response = operator.post(f"/admin/dialer/switch/{switch.pk}/change/", change_form(switch, password="N3w-one"))
    assert response.status_code == 302
    switch.refresh_from_db()
    assert switch.password == "N3w-one"
    history = operator.get(f"/admin/dialer/switch/{switch.pk}/history/").content.decode()
    assert "N3w-one" not in history
    assert SECRET not in history


def test_the_admin_adds_a_switch_only_with_a_valid_password_and_never_echoes_a_refused_one(operator):
    form = {"name": "pbx9", "host": "10.0.0.9", "port": 8021, "max_concurrent_calls": 5, "calls_per_second": 2}
    refused = operator.post("/admin/dialer/switch/add/", {**form, "password": ""})
    assert refused.status_code == 200
    assert not Switch.objects.exists()
    refused = operator.post("/admin/dialer/switch/add/", {**form, "password": "has space"})
    assert refused.status_code == 200
    assert "has space" not in refused.content.decode()
    assert not Switch.objects.exists()
    assert operator.post("/admin/dialer/switch/add/", {**form, "password": SECRET}).status_code == 302
    assert Switch.objects.get(name="pbx9").password == SECRET


def test_the_name_is_set_once_and_switches_are_disabled_not_deleted(operator):
    switch = make_switch()
    page = operator.get(f"/admin/dialer/switch/{switch.pk}/change/").content.decode()
    assert 'name="name"' not in page
    operator.post(f"/admin/dialer/switch/{switch.pk}/change/", change_form(switch, name="renamed"))
    switch.refresh_from_db()
    assert switch.name == "pbx1"
    assert operator.get(f"/admin/dialer/switch/{switch.pk}/delete/").status_code == 403


def test_the_admin_asks_for_the_switch_permissions(db):
    switch = make_switch()
    nobody = staff()
    assert nobody.get("/admin/dialer/switch/").status_code == 403
    assert nobody.get(f"/admin/dialer/switch/{switch.pk}/change/").status_code == 403
    viewer = User.objects.get(username="staff")
    viewer.user_permissions.add(Permission.objects.get(content_type__app_label="dialer", codename="view_switch"))
    browser = Client()
    browser.force_login(viewer)
    assert browser.get("/admin/dialer/switch/").status_code == 200
    page = browser.get(f"/admin/dialer/switch/{switch.pk}/change/")
    assert page.status_code == 200
    assert SECRET not in page.content.decode()
    assert "set (never shown)" in page.content.decode()
    assert browser.get("/admin/dialer/switch/add/").status_code == 403
    refused = browser.post(f"/admin/dialer/switch/{switch.pk}/change/", change_form(switch, max_concurrent_calls=1))
    assert refused.status_code == 403
    switch.refresh_from_db()
    assert switch.max_concurrent_calls == 20


# --- manage.py switch ---


def switch_command(*args: str) -> str:
    out = StringIO()
    call_command("switch", *args, stdout=out)
    return out.getvalue()


ADD = ["--host", "10.0.0.7", "--port", "8021", "--password-env", "PBX_PASSWORD", "--max-calls", "30", "--cps", "4.5"]


def test_switch_add_reads_the_password_from_the_environment(db, monkeypatch):
    monkeypatch.setenv("PBX_PASSWORD", SECRET)
    output = switch_command("add", "pbx7", *ADD)
    assert SECRET not in output
    switch = Switch.objects.get(name="pbx7")
    fields = (switch.host, switch.port, switch.password, switch.max_concurrent_calls, switch.calls_per_second)
    assert fields == ("10.0.0.7", 8021, SECRET, 30, 4.5)
    assert switch.enabled
    assert [s.name for s in configured_switches()] == ["pbx7"]


@pytest.mark.parametrize("value", [None, ""])
def test_switch_add_refuses_a_password_variable_unset_or_empty(db, monkeypatch, value):
    if value is None:
        monkeypatch.delenv("PBX_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("PBX_PASSWORD", value)
    with pytest.raises(
        CommandError, match=r"^--password-env: the environment variable PBX_PASSWORD is (not set|empty)"
    ):
        switch_command("add", "pbx7", *ADD)
    assert not Switch.objects.exists()


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("--port", "70000", "--port"), ("--port", "http", "--port"), ("--port", "0", "--port"),
        ("--max-calls", "0", "--max-calls"), ("--cps", "nan", "--cps"), ("--cps", "-1", "--cps"),
        ("--host", "a b", "--host"),
    ],
)  # fmt: skip
def test_switch_add_refuses_a_bad_value_in_one_line_naming_its_option(db, monkeypatch, option, value, named):
    monkeypatch.setenv("PBX_PASSWORD", SECRET)
    args = list(ADD)
    args[args.index(option) + 1] = value
    with pytest.raises(CommandError) as refused:
        switch_command("add", "pbx7", *args)
    message = str(refused.value)
    assert message.startswith(f"{named}: ")
    assert "\n" not in message
    assert not Switch.objects.exists()


def test_switch_add_refuses_a_bad_password_without_showing_it(db, monkeypatch):
    monkeypatch.setenv("PBX_PASSWORD", "two words")
    with pytest.raises(CommandError, match=r"^--password-env: ") as refused:
        switch_command("add", "pbx7", *ADD)
    assert "two words" not in str(refused.value)


def test_switch_add_refuses_a_bad_or_taken_name(db, monkeypatch):
    monkeypatch.setenv("PBX_PASSWORD", SECRET)
    with pytest.raises(CommandError, match=r"^NAME: "):
        switch_command("add", "pbx 7", *ADD)
    switch_command("add", "pbx7", *ADD)
    with pytest.raises(CommandError, match=r"^NAME: a switch named 'pbx7' already exists"):
        switch_command("add", "pbx7", *ADD)


def test_switch_change_changes_only_what_it_is_given(db, monkeypatch):
    make_switch("pbx1")
    switch_command("change", "pbx1", "--cps", "9")
    switch = Switch.objects.get(name="pbx1")
    assert (switch.calls_per_second, switch.max_concurrent_calls, switch.password) == (9.0, 20, SECRET)
    monkeypatch.setenv("NEW_PW", "Another-1")
    switch_command("change", "pbx1", "--password-env", "NEW_PW", "--host", "pbx1.example.com")
    switch.refresh_from_db()
    assert (switch.password, switch.host, switch.calls_per_second) == ("Another-1", "pbx1.example.com", 9.0)
    with pytest.raises(CommandError, match=r"^--port: "):
        switch_command("change", "pbx1", "--port", "99999")
    with pytest.raises(CommandError, match=r"^NAME: no switch named 'pbx2'"):
        switch_command("change", "pbx2", "--cps", "1")


def test_switch_disable_and_enable(db):
    make_switch("pbx1")
    assert switch_command("disable", "pbx1").strip() == "switch pbx1 disabled"
    assert configured_switches() == []
    switch_command("enable", "pbx1")
    assert [s.name for s in configured_switches()] == ["pbx1"]
    with pytest.raises(CommandError, match=r"^NAME: "):
        switch_command("disable", "nope")


def test_switch_list_is_a_table_without_passwords(db, settings):
    output = switch_command("list")
    assert DEFAULT_SWITCH in output
    assert "no switch rows" in output
    assert settings.ESL_PASSWORD not in output
    make_switch("pbx1")
    make_switch("pbx2", enabled=False)
    lines = switch_command("list").splitlines()
    assert lines[0].split() == [
        "name", "host", "port", "enabled", "max_calls", "cps", "active_calls", "connected", "listener",
    ]  # fmt: skip
    assert [line.split()[0] for line in lines[1:]] == ["pbx1", "pbx2"]
    assert lines[2].split()[3] == "no"
    assert SECRET not in "\n".join(lines)


def test_the_command_line_exits_non_zero_with_one_line(tmp_path):
    """As an operator's script sees it: the error alone on stderr, exit status 1; no database needed for it."""
    env = {k: v for k, v in os.environ.items() if k != "PBX_PASSWORD"}
    result = subprocess.run(
        [sys.executable, "manage.py", "switch", "add", "pbx7", *ADD],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "CommandError: --password-env: the environment variable PBX_PASSWORD is not set"
    ]

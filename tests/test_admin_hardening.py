"""The console under attack: hand-edited query strings, renamed campaigns, and guessed passwords."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib import admin
from django.contrib.auth.models import User
from django.db import models
from django.test import Client
from django.utils import timezone

from campaigns.models import Campaign, Contact
from tests.conftest import add_contacts, change_form
from tests.console_pages import list_rows, text_of

# --- Filters in the query string never make a 500 ---


def date_filters() -> list[str]:
    """Every registered list with an overflowing year on each of its date fields (the date hierarchy included)."""
    urls = []
    for model, model_admin in admin.site._registry.items():
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        for field in model._meta.concrete_fields:
            if isinstance(field, models.DateField):
                urls.append(f"{base}?{field.name}__year=99999999999999")
        if model_admin.date_hierarchy:
            urls.append(f"{base}?{model_admin.date_hierarchy}__year=9999&{model_admin.date_hierarchy}__month=12")
    return sorted(urls)


@pytest.mark.parametrize("url", date_filters())
def test_an_impossible_date_filter_redirects_to_the_unfiltered_list(operator, url):
    add_contacts(1, "c1")
    response = operator.get(url)
    assert (response.status_code, response["Location"]) == (302, url.split("?")[0] + "?e=1")
    assert operator.get(response["Location"]).status_code == 200


@pytest.mark.parametrize(
    ("query", "answer"),
    [
        ("dialing_at__year=99999999999999", 302),
        ("dialing_at__year=2024&dialing_at__month=2&dialing_at__day=99999999999999", 200),  # no such day: no calls
        ("dialing_at__year=-5", 302),
    ],
)
def test_a_call_history_date_in_the_address_survives_any_year(operator, query, answer):
    response = operator.get(f"/admin/reporting/callhistory/?{query}")
    assert response.status_code == answer
    if answer == 302:
        assert response["Location"] == "/admin/reporting/callhistory/?e=1"
    else:
        assert list_rows(response.content.decode()) == []


def test_a_malformed_regular_expression_redirects_and_the_next_query_still_works(operator):
    add_contacts(1, "c1")
    response = operator.get("/admin/campaigns/contact/?id__regex=(")
    assert response["Location"] == "/admin/campaigns/contact/?e=1"
    assert Contact.objects.count() == 1  # the refused query left the connection usable


def test_a_good_date_filter_still_filters(operator):
    add_contacts(1, "c1")
    year = timezone.now().year
    assert "1 contact" in text_of(
        operator.get(f"/admin/campaigns/contact/?received_time__year={year}").content.decode()
    )


# --- A campaign's id is fixed once rows refer to it ---


def test_a_campaign_with_contacts_cannot_be_renamed_in_the_admin(operator):
    add_contacts(2, "c1")
    campaign = Campaign.objects.get()
    url = f"/admin/campaigns/campaign/{campaign.pk}/change/"
    assert 'name="campaign_id"' not in operator.get(url).content.decode()
    response = operator.post(url, change_form(campaign, campaign_id="renamed", name="Renamed"))
    assert response.status_code == 302
    saved = Campaign.objects.get()
    assert (saved.campaign_id, saved.name) == ("c1", "Renamed")
    assert Contact.objects.filter(campaign_id="c1").count() == 2


def test_a_campaign_nothing_refers_to_yet_can_still_be_renamed(operator):
    campaign = Campaign.objects.create(campaign_id="draft", name="Draft")
    url = f"/admin/campaigns/campaign/{campaign.pk}/change/"
    assert 'name="campaign_id"' in operator.get(url).content.decode()
    assert operator.post(url, change_form(campaign, campaign_id="final")).status_code == 302
    assert Campaign.objects.get().campaign_id == "final"


# --- Sign-in throttling ---

LOGIN = "/admin/login/?next=/admin/"


def sign_in(browser: Client, password: str, username: str = "ops"):
    return browser.post(LOGIN, {"username": username, "password": password, "next": "/admin/"})


@pytest.fixture
def ops(db: None) -> User:
    return User.objects.create_superuser("ops", "ops@example.com", "right")


def test_five_wrong_passwords_lock_the_account_from_that_address_for_the_cool_off(ops):
    browser = Client()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(4):
            assert sign_in(browser, "wrong").status_code == 200  # the form again, with its error
        locked = sign_in(browser, "wrong")
        assert locked.status_code == 429
        refused = sign_in(browser, "right")
        assert refused.status_code == 429
        page = refused.content.decode()
        assert "Too many failed sign-ins for <strong>ops</strong>" in page
        assert "locked for 15 minutes" in page
        assert "_auth_user_id" not in browser.session
        clock.shift(timedelta(minutes=14))
        assert sign_in(browser, "right").status_code == 429  # still locked (and the wait starts again)
        clock.shift(timedelta(minutes=16))
        response = sign_in(browser, "right")
        assert (response.status_code, response["Location"]) == (302, "/admin/")
        assert browser.get("/admin/").status_code == 200


def test_the_lock_holds_one_user_name_from_one_address(ops):
    User.objects.create_superuser("other", "other@example.com", "right")
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        sign_in(attacker, "wrong")
    assert sign_in(attacker, "right").status_code == 429
    assert sign_in(attacker, "right", username="other").status_code == 302  # another account from there
    assert sign_in(Client(REMOTE_ADDR="198.51.100.7"), "right").status_code == 302  # the operator elsewhere


def test_a_successful_sign_in_forgets_earlier_failures(ops):
    browser = Client()
    for _ in range(4):
        sign_in(browser, "wrong")
    assert sign_in(browser, "right").status_code == 302
    browser.logout()
    for _ in range(4):
        sign_in(browser, "wrong")
    assert sign_in(browser, "right").status_code == 302


def test_the_test_clients_login_still_signs_in(ops):
    browser = Client()
    assert browser.login(username="ops", password="right")
    assert browser.get("/admin/").status_code == 200

"""The operators' console in a real browser, against the real processes dialing the switch simulator."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from campaigns.models import Campaign, Contact
from tests.browser.conftest import fits_the_screen, log_in, screenshot
from tests.conftest import add_contacts
from tests.e2e_harness import Deployment

pytestmark = pytest.mark.slow
# Calls that ring a little and talk for seconds: the wallboard has calls in progress to show while contacts end.
SWITCH = ["--answer-ratio", "0.8", "--busy-ratio", "0.1", "--ring", "0.2-0.6", "--talk", "2-5", "--seed", "12"]


@pytest.fixture
def floor(transactional_db: None, tmp_path: Path) -> Iterator[Deployment]:
    """A campaign of 300 contacts dialed by the production processes through the switch simulator, an operator."""
    User.objects.create_superuser("ops", "ops@example.com", "pw")
    add_contacts(300, "floor", ivr="5000")
    deployment = Deployment(tmp_path, max_calls=8, calls_per_second=8.0, switch_args=SWITCH).start()
    yield deployment
    deployment.stop()


LISTS = {
    "campaign_list": "/admin/campaigns/campaign/",
    "contact_list": "/admin/campaigns/contact/",
    "call_list": "/admin/reporting/callhistory/",
}


# The sidebar's other pages: they fit too.
EVERY_OTHER_PAGE = (
    "/admin/dialer/agentstate/pacing/",
    "/admin/dialer/switch/",
    "/admin/reporting/agentupdate/",
    "/admin/campaigns/contactlist/",
    "/admin/campaigns/listimport/",
    "/admin/campaigns/donotcall/",
    "/admin/reporting/agenthistory/",
    "/admin/dialer/agentstate/",
    "/admin/dialer/unappliedevent/",
    "/admin/campaigns/campaignauditentry/",
    "/admin/auth/user/",
    "/admin/auth/group/",
    "/admin/campaigns/apiclient/",
)


def figure(page: Page, campaign_id: str, name: str) -> str:
    return page.inner_text(f'[data-campaign="{campaign_id}"] [data-figure="{name}"]').strip()


def test_an_operator_watches_the_floor_and_stops_and_starts_a_campaign(page: Page, floor: Deployment) -> None:
    base = f"http://127.0.0.1:{floor.web_port}"
    log_in(page, base)
    # The figures change while the simulator dials, without the page being loaded again.
    page.evaluate("window.stillTheSamePage = true")
    first = figure(page, "floor", "done")
    page.wait_for_function(
        'done => document.querySelector(\'[data-campaign="floor"] [data-figure="done"]\').innerText.trim() !== done',
        arg=first,
        timeout=60_000,
    )
    assert page.evaluate("window.stillTheSamePage") is True
    expect(page.locator('[data-switch="default"] [data-figure="connected"]')).to_have_text("answering")
    page.wait_for_function(
        '() => Number(document.querySelector(\'[data-campaign="floor"] [data-figure="in_progress"]\').innerText) > 0',
        timeout=30_000,
    )
    assert fits_the_screen(page)
    screenshot(page, "wallboard")

    # The campaign page, then stop → confirm → start → confirm.
    page.click('[data-campaign="floor"] h3 a')
    expect(page.locator('[data-control="stop"]')).to_be_visible()
    assert fits_the_screen(page)
    screenshot(page, "campaign", full_page=False)  # its figures, lists and chart; the settings form follows
    page.click('[data-control="stop"]')
    expect(page.locator("[data-consequence]")).to_contain_text(re.compile(r"Stop will hold [\d,]+ pending contacts"))
    assert Campaign.objects.get(campaign_id="floor").state == "running"  # nothing done before the confirmation
    page.click('[data-confirm="stop"]')
    expect(page.locator("body")).to_contain_text("Campaign floor stopped:")
    expect(page.locator('[data-figure="state"]').first).to_have_text("stopped")
    assert Campaign.objects.get(campaign_id="floor").state == "stopped"
    assert not Contact.objects.filter(campaign_id="floor", status="pending").exists()
    page.click('[data-control="start"]')
    expect(page.locator("[data-consequence]")).to_contain_text("Start will dial")
    page.click('[data-confirm="start"]')
    expect(page.locator('[data-figure="state"]').first).to_have_text("running")
    assert Campaign.objects.get(campaign_id="floor").state == "running"

    # Calls over time: a real time axis, with the calls just made counted on it.
    page.goto(f"{base}/admin/reporting/callhistory/dashboard/?window=1h&campaign=floor")
    expect(page.locator("svg[role=img]").first).to_be_visible()
    assert page.locator("svg[role=img] text").count() > 6  # axis labels
    assert fits_the_screen(page)
    screenshot(page, "time_series")

    # Lists that fit the screen.
    for name, path in LISTS.items():
        page.goto(base + path)
        screenshot(page, name, full_page=False)
        assert fits_the_screen(page), path
    for path in EVERY_OTHER_PAGE:
        page.goto(base + path)
        assert fits_the_screen(page), path


def test_an_operator_finds_a_number_written_with_spaces_and_exports_the_list(page: Page, floor: Deployment) -> None:
    base = f"http://127.0.0.1:{floor.web_port}"
    log_in(page, base)
    contact = Contact.objects.filter(campaign_id="floor").order_by("received_time")[7]
    digits = contact.customer_number  # "+49…", stored in E.164
    spaced = f"{digits[:3]} {digits[3:6]} {digits[6:10]} {digits[10:]}"
    page.goto(f"{base}/admin/campaigns/contact/")
    page.fill("input[name=q]", spaced)
    page.keyboard.press("Enter")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list tbody")).to_contain_text(contact.id)

    page.goto(f"{base}/admin/campaigns/contact/?campaign=floor&status__exact=pending")
    with page.expect_download() as download:
        page.click("[data-export=csv]")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    pending = set(Contact.objects.filter(campaign_id="floor", status="pending").values_list("id", flat=True))
    exported = {row["id"] for row in rows}
    # The export is the list's filter, read at the moment of the click (calls go on meanwhile).
    assert exported
    assert all(row["campaign_id"] == "floor" for row in rows)
    assert len(exported ^ pending) <= 8  # at most the calls that moved contacts between the click and this count

"""The operators' console around the admin's pages: its sidebar, ordered as a floor is run, and its home page.

django-unfold draws the console; this module tells it what to show (settings ``UNFOLD``). The home page is the
wallboard (``outbound.wallboard``): the project composes it because it shows the switches (``dialer``) beside the
campaigns' statistics (``reporting``), which neither app may import from the other.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from outbound import wallboard

# (group, [(title, material symbol, URL name, permissions every one of which the page needs)]).
_PAGES: tuple[tuple[str, tuple[tuple[str, str, str, tuple[str, ...]], ...]], ...] = (
    (
        "Floor",
        (
            ("Wallboard", "monitoring", "admin:index", ()),
            ("Calls over time", "bar_chart", "admin:reporting_dashboard", wallboard.CALL_PERMISSIONS),
            ("Predictive pacing", "speed", "admin:dialer_predictive_pacing", ("dialer.view_agentstate",)),
            ("Switches", "dns", "admin:dialer_switch_changelist", ("dialer.view_switch",)),
            ("Error queue", "report", "admin:reporting_agentupdate_changelist", ("reporting.view_agentupdate",)),
        ),
    ),
    (
        "Campaigns",
        (
            ("Campaigns", "campaign", "admin:campaigns_campaign_changelist", ("campaigns.view_campaign",)),
            ("Contacts", "contacts", "admin:campaigns_contact_changelist", ("campaigns.view_contact",)),
            ("Calling lists", "list_alt", "admin:campaigns_contactlist_changelist", ("campaigns.view_contactlist",)),
            ("List imports", "upload_file", "admin:campaigns_listimport_changelist", ("campaigns.view_listimport",)),
            ("Do-not-call list", "block", "admin:campaigns_donotcall_changelist", ("campaigns.view_donotcall",)),
        ),
    ),
    (
        "History",
        (
            ("Calls", "call", "admin:reporting_callhistory_changelist", ("reporting.view_callhistory",)),
            ("Agent history", "history", "admin:reporting_agenthistory_changelist", ("reporting.view_agenthistory",)),
            ("Agent states", "person", "admin:dialer_agentstate_changelist", ("dialer.view_agentstate",)),
            (
                "Unapplied switch events",
                "warning",
                "admin:dialer_unappliedevent_changelist",
                ("dialer.view_unappliedevent",),
            ),
            (
                "Audit trail",
                "fact_check",
                "admin:campaigns_campaignauditentry_changelist",
                ("campaigns.view_campaignauditentry",),
            ),
        ),
    ),
    (
        "Access",
        (
            ("Users", "group", "admin:auth_user_changelist", ("auth.view_user",)),
            ("Groups", "groups", "admin:auth_group_changelist", ("auth.view_group",)),
            ("API clients", "key", "admin:campaigns_apiclient_changelist", ("campaigns.view_apiclient",)),
        ),
    ),
)


def navigation(request: HttpRequest) -> list[dict[str, Any]]:
    """The sidebar: only the pages the signed-in operator may open (a link that answers 403 is no help)."""
    allowed = [
        (
            title,
            [(name, icon, reverse(url_name)) for name, icon, url_name, needs in pages if request.user.has_perms(needs)],
        )
        for title, pages in _PAGES
    ]
    current = _current(request.path, [link for _, items in allowed for _, _, link in items])
    return [
        {
            "title": title,
            "separator": True,
            "items": [
                {"title": name, "icon": icon, "link": link, "active": link == current} for name, icon, link in items
            ],
        }
        for title, items in allowed
        if items
    ]


def _current(path: str, links: list[str]) -> str | None:
    """The page's own link: the longest one ``path`` starts with ("Calls over time" under "Calls"'s address is
    itself, not "Calls"); the wallboard only on its own address."""
    matching = [link for link in links if path == link or (path.startswith(link) and link != reverse("admin:index"))]
    return max(matching, key=len, default=None)


def wallboard_context(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    """The admin's index page as the wallboard: its figures, as its first paint and its every refresh draw them."""
    return {**context, **wallboard.page_context(request)}

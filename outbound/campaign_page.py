"""The campaign pages of the operators' console: a list that fits the screen, and a page to run a campaign from.

The page shows the campaign's figures in words and units (the wallboard's, ``outbound.wallboard``), start / stop /
purge / unload as buttons that lead to a confirmation page saying what will happen ("Purge will delete 4,812
pending contacts"), links to its contacts, calls, trail and chart, how far each calling list has been worked, its
calls over time, and its settings in a form that validates them as the API does. The list's bulk actions lead to
the same confirmation first. Composed here, in the project, because it shows the dialer's pacing and reporting's
statistics beside the campaign, which ``campaigns`` may not import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import urlencode

from campaigns import audit
from campaigns.admin import CONTROL_CAMPAIGNS, CampaignAdmin, require
from campaigns.choices import ACTIVE_STATUSES, CampaignState, ContactStatus
from campaigns.control import (
    CampaignNotFound,
    ControlResult,
    purge_campaign,
    start_campaign,
    stop_campaign,
    unload_campaign,
)
from campaigns.counts import CampaignCounts
from campaigns.models import Campaign, Contact
from outbound import wallboard
from outbound.templatetags.console import duration, percent
from reporting.dashboard import WINDOWS, time_series
from reporting.stats import WINDOW, campaign_statistics

DEFAULT_WINDOW = "1h"  # a floor is watched over its last hour; the page offers the longer windows
DIALING_FIELDS = (
    "dialing_mode", "caller_id", "ring_timeout", "max_concurrent_calls", "queue_name", "default_ivr", "template_name",
    "tenant_name",
)  # fmt: skip


@dataclass(frozen=True)
class Control:
    """One of the four controls: the service it runs, and whether its confirmation is a warning (cannot be undone)."""

    verb: str
    service: Callable[..., ControlResult]
    danger: bool


CONTROLS: dict[str, Control] = {
    "start": Control("start", start_campaign, danger=False),
    "stop": Control("stop", stop_campaign, danger=False),
    "purge": Control("purge", purge_campaign, danger=True),
    "unload": Control("unload", unload_campaign, danger=True),
}


def offered(state: str) -> list[Control]:
    """The controls that would change something for a campaign in ``state``: no start for a running campaign, no
    stop for a stopped or unloaded one (an unloaded one comes back with start)."""
    hidden = {CampaignState.RUNNING: {"start"}, CampaignState.STOPPED: {"stop"}, CampaignState.UNLOADED: {"stop"}}
    return [control for verb, control in CONTROLS.items() if verb not in hidden.get(CampaignState(state), set())]


def consequence(verb: str, state: str, contacts: Mapping[str, int]) -> str:
    """What ``verb`` will do to a campaign in ``state`` with these contacts per status, in the operator's words."""
    pending = contacts.get(ContactStatus.PENDING, 0)
    stopped = contacts.get(ContactStatus.STOPPED, 0)
    calls = sum(contacts.get(status, 0) for status in ACTIVE_STATUSES)
    in_calls = f"the {calls:,} call{'s' if calls != 1 else ''} in progress finish normally"
    if verb == "start":
        if state == CampaignState.RUNNING:
            return f"It is already running; start will put {stopped:,} stopped contacts back to pending."
        return f"Start will dial {pending + stopped:,} contacts ({stopped:,} stopped put back to pending)."
    if verb == "stop":
        return f"Stop will hold {pending:,} pending contacts as stopped; {in_calls}."
    if verb == "purge":
        return f"Purge will delete {pending:,} pending contacts. This cannot be undone; {in_calls}."
    if verb == "unload":
        return (
            f"Unload will take the campaign out of service: {pending:,} pending contacts are held as stopped, new "
            f"contacts arrive stopped, and it leaves the wallboard; {in_calls}."
        )
    raise ValueError(f"unknown control: {verb}")


def contacts_for_control(campaign_id: str) -> dict[str, int]:
    """The campaign's contacts a control moves (pending, stopped, in a call), counted exactly: a confirmation must
    say the true number, and it is one campaign read once through ``contact_campaign_status``."""
    moved = (ContactStatus.PENDING, ContactStatus.STOPPED, *ACTIVE_STATUSES)
    rows = (
        Contact.objects.filter(campaign_id=campaign_id, status__in=moved)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    return dict(rows)


def _figures_column(name: str, description: str, show: Callable[[Any], str]) -> Any:
    def column(modeladmin: CampaignConsoleAdmin, obj: Campaign) -> str:
        return show(modeladmin.figures_of(obj))

    column.__name__ = name
    return admin.display(description=description)(column)


class CampaignConsoleAdmin(CampaignAdmin):
    """The campaign list and page of the console (``campaigns.admin.CampaignAdmin`` with figures and controls)."""

    list_display = (
        "campaign_id", "name", "state_shown", "dialable_now", "waiting", "done", "in_progress", "hit_ratio",
        "time_to_complete",
    )  # fmt: skip
    list_display_links = ("campaign_id", "name")
    change_form_template = "outbound/campaign_page.html"
    actions = tuple(f"{verb}_campaigns" for verb in CONTROLS)

    dialable_now = _figures_column("dialable_now", "dialable now", lambda f: f"{f.dialable_now:,}")
    waiting = _figures_column("waiting", "waiting", lambda f: f"{f.waiting:,}")
    done = _figures_column("done", "done", lambda f: f"{f.done:,}")
    in_progress = _figures_column("in_progress", "in calls", lambda f: f"{f.in_progress:,}")
    hit_ratio = _figures_column("hit_ratio", "hit ratio", lambda f: percent(f.hit_ratio))
    time_to_complete = _figures_column("time_to_complete", "to complete", lambda f: duration(f.time_to_complete))

    @admin.display(description="state", ordering="state")
    def state_shown(self, obj: Campaign) -> str:
        figures = self.figures_of(obj)
        return f"{obj.state}, finished" if figures.finished else obj.state

    def figures_of(self, obj: Campaign) -> wallboard.CampaignFigures:
        """The row's figures from the list's count annotations and the cached statistics (no query per row), kept
        on the row for its other columns. The list shows no recent answers nor agents: they are not read here."""
        figures: wallboard.CampaignFigures | None = getattr(obj, "_figures", None)
        if figures is None:
            contacts = {status: int(getattr(obj, status, 0)) for status in ContactStatus.values}
            counted = CampaignCounts(
                contacts, counted_at=None, age_seconds=None, scheduled=int(getattr(obj, "scheduled", 0))
            )
            figures = wallboard.figures_for_list(obj, counted)
            obj._figures = figures  # type: ignore[attr-defined]
        return figures

    def get_fieldsets(
        self, request: HttpRequest, obj: Campaign | None = None
    ) -> list[tuple[str | None, dict[str, Any]]]:
        """The settings grouped as an operator thinks of them; the record (ids, times, audit trail) last."""
        record: tuple[str, ...] = ("id", "guid", "created_at", "updated_at")
        if obj is not None and request.user.has_perm("campaigns.view_campaignauditentry"):
            record = (*record, "audit_trail")
        return [
            ("Campaign", {"fields": ("campaign_id", "name", "campaign_type", "state", "waiting_for_records")}),
            ("Dialing", {"fields": DIALING_FIELDS}),
            ("Retry rules", {"fields": ("retry_rules",)}),
            ("Calling hours", {"fields": ("calling_hours", "time_zone")}),
            ("Predictive pacing", {"fields": ("optimize_by", "optimize_goal", "max_dial_ratio")}),
            ("Record", {"fields": record if obj is not None else ("id", "guid")}),
        ]

    def get_urls(self) -> list[URLPattern]:
        control = self.admin_site.admin_view(self.control_view)
        return [
            path("<path:object_id>/control/<str:verb>/", control, name="campaigns_campaign_control"),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The campaign page: its figures, controls, links, lists and chart above its settings."""
        campaign = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if campaign is not None and self.has_view_permission(request, campaign):
            context.update(self.page_context(request, campaign))
        response: HttpResponse = super().change_view(request, object_id, form_url, context)
        return response

    def page_context(self, request: HttpRequest, campaign: Campaign) -> dict[str, Any]:
        now = timezone.now()
        window = request.GET.get("window", DEFAULT_WINDOW)
        window = window if window in WINDOWS else DEFAULT_WINDOW
        (figures,) = wallboard.read_campaigns([campaign], now, wallboard.queue_agents(now))
        statistics = campaign_statistics(campaign.campaign_id)
        per_list = {row["GSW_CALLING_LIST"]: row for row in statistics.get("GSW_CALLING_LISTS", [])}
        of_campaign = urlencode({"campaign_id": campaign.campaign_id})  # the lists' campaign filter, the trail's too
        on_chart = urlencode({"campaign": campaign.campaign_id, "window": window})
        return {
            "c": figures,
            "lists": [
                {**row, "hit_ratio": per_list.get(row["name"], {}).get("GSW_STAT_HIT_RATIO")}
                for row in statistics.get("lists", [])
            ],
            "chart": time_series(campaign_id=campaign.campaign_id, window=window, now=now),
            "window": window,
            "windows": list(WINDOWS),
            "recent_minutes": int(wallboard.RECENT.total_seconds() // 60),
            "window_minutes": int(WINDOW.total_seconds() // 60),
            "can_control": request.user.has_perm(CONTROL_CAMPAIGNS),
            "controls": offered(campaign.state),
            "links": [
                ("Contacts", reverse("admin:campaigns_contact_changelist") + "?" + of_campaign),
                ("Call history", reverse("admin:reporting_callhistory_changelist") + "?" + of_campaign),
                ("Calls over time", reverse("admin:reporting_dashboard") + "?" + on_chart),
                ("Audit trail", reverse("admin:campaigns_campaignauditentry_changelist") + "?" + of_campaign),
            ],
        }

    def control_view(self, request: HttpRequest, object_id: str, verb: str) -> HttpResponse:
        """A control's confirmation page (GET), and the control itself once confirmed (POST)."""
        require(request, self.has_control_permission(request))
        control = CONTROLS.get(verb)
        campaign = get_object_or_404(Campaign, pk=object_id)
        if control is None:
            raise Http404(f"No such control: {verb}")
        page = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
        if request.method == "POST":
            self.run_control(request, control, [campaign])
            return HttpResponseRedirect(page)
        return self.confirmation(request, control, [campaign], cancel=page)

    def run_control(self, request: HttpRequest, control: Control, campaigns: list[Campaign]) -> None:
        """Run ``control`` on each campaign, saying what it did (or why nothing was done)."""
        for campaign in campaigns:
            try:
                result = control.service(campaign.campaign_id, by=audit.admin_actor(request))
            except CampaignNotFound:
                self.message_user(request, f"Campaign {campaign} has no contacts to {control.verb}.", messages.WARNING)
            else:
                done = {"start": "started", "stop": "stopped", "purge": "purged", "unload": "unloaded"}[control.verb]
                self.message_user(request, f"Campaign {campaign} {done}: {result.affected:,} contacts affected.")

    def confirmation(
        self, request: HttpRequest, control: Control, campaigns: list[Campaign], *, cancel: str, action: bool = False
    ) -> TemplateResponse:
        """The page that says what ``control`` will do to each campaign, with its confirm and cancel buttons."""
        context = {
            **self.admin_site.each_context(request),
            "title": f"{control.verb.capitalize()} {', '.join(c.campaign_id for c in campaigns)}?",
            "control": control,
            "items": [
                (campaign, consequence(control.verb, campaign.state, contacts_for_control(campaign.campaign_id)))
                for campaign in campaigns
            ],
            "cancel": cancel,
            "action": f"{control.verb}_campaigns" if action else "",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "outbound/campaign_confirm.html", context)


def _bulk_action(control: Control) -> Any:
    """The list's action for ``control``: a confirmation page first, the control once it is confirmed."""

    def action(modeladmin: CampaignConsoleAdmin, request: HttpRequest, queryset: QuerySet[Campaign]) -> Any:
        campaigns = list(queryset.order_by("campaign_id"))
        if request.POST.get("confirmed") == "yes":
            modeladmin.run_control(request, control, campaigns)
            return None
        cancel = reverse("admin:campaigns_campaign_changelist")
        return modeladmin.confirmation(request, control, campaigns, cancel=cancel, action=True)

    action.__name__ = f"{control.verb}_campaigns"
    description = f"{control.verb.capitalize()} selected campaigns…"
    return admin.action(description=description, permissions=["control"])(action)


for _control in CONTROLS.values():
    setattr(CampaignConsoleAdmin, f"{_control.verb}_campaigns", _bulk_action(_control))

admin.site.unregister(Campaign)
admin.site.register(Campaign, CampaignConsoleAdmin)

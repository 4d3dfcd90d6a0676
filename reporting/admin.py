"""History in the operators' console: read-only, since it is the record of what happened."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from unfold.admin import ModelAdmin

from campaigns.admin import ContactAdmin, ReadOnlyAdmin, blank, require
from campaigns.choices import CampaignType, DialingMode
from campaigns.console_lists import CampaignFilter, NumberSearchMixin, to_the_second
from campaigns.csv_export import CsvExportMixin
from campaigns.models import Campaign, Contact
from reporting.agent_updates import replay
from reporting.console_filters import RecentResultFilter, choices_filter
from reporting.dashboard import WINDOWS, results_by_campaign, select, time_series
from reporting.models import AgentHistory, AgentUpdate, AgentUpdateState, CallHistory


class ReadOnlyHistoryAdmin(ReadOnlyAdmin):
    show_full_result_count = False


VIEW_CALLS = "reporting.view_callhistory"
# Calls listed on a contact's page (the rest are a link away).
RECENT_CALLS = 20


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    """Tenths of a second: a ring of 0.4 s is not shown as 0."""
    return None if start is None or end is None else max(0.0, round((end - start).total_seconds(), 1))


def seconds_ringing(call: CallHistory) -> float | None:
    """From the ringing (the dialing, when no ringing was reported) to the answer, or to the release if unanswered."""
    return _seconds(call.ringing_at or call.dialing_at, call.answered_at or call.released_at)


def seconds_talking(call: CallHistory) -> float | None:
    return _seconds(call.answered_at, call.released_at)


def _clock(value: datetime | None, dialed: datetime) -> str | None:
    """A time of a call to the second, without its date when it is the dialing's (it nearly always is)."""
    if value is None:
        return None
    local = timezone.localtime(value)
    return f"{local:%H:%M:%S}" if local.date() == timezone.localtime(dialed).date() else to_the_second(value)


def calls_url(contact_id: str) -> str:
    """The call history list filtered to one contact's calls."""
    return reverse("admin:reporting_callhistory_changelist") + "?" + urlencode({"contact_id": contact_id})


@admin.register(CallHistory)
class CallHistoryAdmin(NumberSearchMixin, CsvExportMixin, ReadOnlyHistoryAdmin):
    """Every call attempt, filtered by campaign, searched by a number in any written form, downloaded as filtered.

    The columns fit a 1280 px window (measured in chromium, with the sidebar open and the longest values): the times
    to the second and how long the call rang and talked, the contact linked to its page, the result with the hangup
    cause as its tooltip; campaign type and dialing mode are filters, the rest is on the call's page, on its
    contact's page and in the download.
    """

    list_display = (
        "dialing", "answered", "released", "ring_seconds", "talk_seconds", "contact", "campaign_id", "customer_number",
        "result",
    )  # fmt: skip
    # A date filter rather than a date hierarchy, whose links list the distinct days of the whole history.
    list_filter = (
        CampaignFilter, RecentResultFilter, choices_filter("campaign_type", "campaign type", CampaignType.choices),
        choices_filter("dialing_mode", "dialing mode", DialingMode.choices), ("dialing_at", admin.DateFieldListFilter),
    )  # fmt: skip
    search_fields = ("=contact_id", "=customer_number", "=campaign_id", "=call_id")
    change_list_template = "admin/reporting/callhistory/change_list.html"
    csv_columns = (
        "id", "attempt_guid", "call_id", "contact_id", "campaign_id", "contact_list", "customer_number",
        "campaign_type", "dialing_mode", "switch_name", "agent_extension", "dialing_at", "ringing_at", "answered_at",
        "agent_answered_at", "released_at", "ring_seconds", "talk_seconds", "call_result", "call_result_code",
        "hangup_cause", "disposition",
    )  # fmt: skip

    @admin.display(description="dialing", ordering="dialing_at")
    def dialing(self, call: CallHistory) -> str | None:
        return to_the_second(call.dialing_at)

    @admin.display(description="answered", ordering="answered_at")
    def answered(self, call: CallHistory) -> str | None:
        return _clock(call.answered_at, call.dialing_at)

    @admin.display(description="released", ordering="released_at")
    def released(self, call: CallHistory) -> str | None:
        return _clock(call.released_at, call.dialing_at)

    @admin.display(description="ring s")
    def ring_seconds(self, call: CallHistory) -> float | None:
        return seconds_ringing(call)

    @admin.display(description="talk s")
    def talk_seconds(self, call: CallHistory) -> float | None:
        return seconds_talking(call)

    @admin.display(description="result", ordering="call_result")
    def result(self, call: CallHistory) -> str:
        return format_html('<span title="{}">{}</span>', call.hangup_cause, call.call_result)

    @admin.display(description="contact", ordering="contact_id")
    def contact(self, call: CallHistory) -> str:
        url = reverse("admin:campaigns_contact_change", args=[quote(call.contact_id)])
        return format_html('<a href="{}">{}</a>', url, call.contact_id)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.dashboard_view)
        return [path("dashboard/", view, name="reporting_dashboard"), *super().get_urls()]

    def may_see_dashboard(self, request: HttpRequest) -> bool:
        """The dashboard shows call history and every campaign's statistics: it needs both view permissions."""
        return self.has_view_permission(request) and request.user.has_perm("campaigns.view_campaign")

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """The "Dashboard" link only for operators who may open it."""
        context = {**(extra_context or {}), "can_see_dashboard": self.may_see_dashboard(request)}
        response: HttpResponse = super().changelist_view(request, context)
        return response

    def dashboard_view(self, request: HttpRequest) -> HttpResponse:
        """Calls over time (all campaigns or one) on a chosen window and each campaign's results over that window
        (the campaigns' live figures are the wallboard's)."""
        require(request, self.may_see_dashboard(request))
        every_campaign = list(Campaign.objects.order_by("campaign_id"))
        names = {campaign.campaign_id: campaign.name for campaign in every_campaign}
        shown = select(request.GET.get("window"), request.GET.get("campaign"), names)
        now = timezone.now()
        loaded = [campaign for campaign in every_campaign if campaign.state != "unloaded"]
        # An unloaded campaign is offered only when shown (reached from its row in the breakdown).
        unloaded_shown = [c for c in every_campaign if c.state == "unloaded" and c.campaign_id == shown.campaign_id]
        context = {
            **self.admin_site.each_context(request),
            "title": "Calls over time",
            "notices": shown.notices,
            "window": WINDOWS[shown.window],
            "windows": WINDOWS.values(),
            "campaign_id": shown.campaign_id,
            "campaign_name": names.get(shown.campaign_id or ""),
            "selectable": loaded + unloaded_shown,
            "chart": time_series(campaign_id=shown.campaign_id, window=shown.window, now=now),
            "breakdown": results_by_campaign(window=shown.window, names=names, now=now),
        }
        return TemplateResponse(request, "admin/reporting/dashboard.html", context)


@admin.register(AgentHistory)
class AgentHistoryAdmin(ReadOnlyHistoryAdmin):
    list_display = ("occurred_at", "agent_extension", "activity", "campaign_id", "contact_id")
    list_filter = ("activity",)
    search_fields = ("=agent_extension", "=contact_id")
    date_hierarchy = "occurred_at"


admin.site.unregister(Contact)


@admin.register(Contact)
class ContactWithCallsAdmin(ContactAdmin):
    """The contacts console of ``campaigns.admin`` with each contact's calls, for those who may read calls.

    Added here because ``campaigns`` never imports ``reporting``: a "calls" link on each row of the list, and on a
    contact's page its newest calls with a link to all of them.
    """

    list_filter = (*ContactAdmin.list_filter, RecentResultFilter)

    def get_list_display(self, request: HttpRequest) -> tuple[str, ...]:
        shown = tuple(super().get_list_display(request))
        return (*shown, "calls") if request.user.has_perm(VIEW_CALLS) else shown

    def get_readonly_fields(self, request: HttpRequest, obj: Contact | None = None) -> tuple[str, ...]:
        """The calls right after "why not dialed now", above the contact's many fields."""
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is None or not request.user.has_perm(VIEW_CALLS):
            return fields
        after = fields.index("why_not_dialed_now") + 1 if "why_not_dialed_now" in fields else 0
        return (*fields[:after], "recent_calls", *fields[after:])

    @admin.display(description="calls")
    def calls(self, contact: Contact) -> str:
        return format_html('<a href="{}">calls</a>', calls_url(contact.pk))

    @admin.display(description="calls")
    def recent_calls(self, contact: Contact) -> str:
        """The newest calls, newest first, with a link to the call history list filtered to this contact."""
        newest = list(CallHistory.objects.filter(contact_id=contact.pk).order_by("-dialing_at")[:RECENT_CALLS])
        link = format_html('<a href="{}">All calls of this contact in the call history</a>', calls_url(contact.pk))
        if not newest:
            return format_html("<p>No calls yet.</p><p>{}</p>", link)
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (to_the_second(c.dialing_at), c.call_result, c.hangup_cause, blank(seconds_ringing(c)),
                 blank(seconds_talking(c)))
                for c in newest
            ),
        )  # fmt: skip
        return format_html(
            '<table class="contact-calls"><thead><tr><th>dialed</th><th>result</th><th>hangup cause</th>'
            "<th>ring s</th><th>talk s</th></tr></thead><tbody>{}</tbody></table><p>The newest {}. {}</p>",
            rows,
            len(newest),
            link,
        )


@admin.register(AgentUpdate)
class AgentUpdateAdmin(ModelAdmin):
    """The error queue: rejected updates with their reason, replayed once the cause is fixed."""

    list_display = ("received_at", "state", "contact_id", "agent_extension", "activity", "disposition", "reason")
    list_filter = ("state", "activity")
    search_fields = ("=contact_id", "=agent_extension")
    readonly_fields = [f.name for f in AgentUpdate._meta.fields]
    actions = ("replay_updates",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    # A replay writes history and reschedules contacts: offered with "Can change agent update" only.
    @admin.action(description="Replay selected rejected updates", permissions=["change"])
    def replay_updates(self, request: HttpRequest, queryset: QuerySet[AgentUpdate]) -> None:
        for update in queryset.filter(state=AgentUpdateState.REJECTED):
            state = replay(update.pk)
            level = messages.SUCCESS if state == AgentUpdateState.APPLIED else messages.WARNING
            self.message_user(request, f"Update {update.pk}: {state}.", level)

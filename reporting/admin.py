"""History in the operators' console: read-only, since it is the record of what happened."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from unfold.admin import ModelAdmin

from campaigns.admin import CampaignAdmin, ReadOnlyAdmin, require
from campaigns.models import Campaign
from reporting.agent_updates import replay
from reporting.dashboard import BUCKET, SPAN, results_over_time, stacked_bars
from reporting.models import AgentHistory, AgentUpdate, AgentUpdateState, CallHistory
from reporting.stats import campaign_statistics


class ReadOnlyHistoryAdmin(ReadOnlyAdmin):
    show_full_result_count = False


@admin.register(CallHistory)
class CallHistoryAdmin(ReadOnlyHistoryAdmin):
    list_display = ("dialing_at", "contact_id", "campaign_id", "customer_number", "call_result", "hangup_cause")
    list_filter = ("call_result", "campaign_type", "dialing_mode")
    search_fields = ("=contact_id", "=customer_number", "=campaign_id", "=call_id")
    date_hierarchy = "dialing_at"
    change_list_template = "admin/reporting/callhistory/change_list.html"

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
        """Calls and results over the last hours, and each campaign's live statistics."""
        require(request, self.may_see_dashboard(request))
        bars, legend = stacked_bars(results_over_time())
        campaigns = [
            (campaign, campaign_statistics(campaign.campaign_id))
            for campaign in Campaign.objects.exclude(state="unloaded").order_by("campaign_id")[:50]
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Dialer dashboard",
            "bars": bars,
            "legend": legend,
            "campaigns": campaigns,
            "bucket_minutes": int(BUCKET.total_seconds() // 60),
            "span_hours": int(SPAN.total_seconds() // 3600),
        }
        return TemplateResponse(request, "admin/reporting/dashboard.html", context)


@admin.register(AgentHistory)
class AgentHistoryAdmin(ReadOnlyHistoryAdmin):
    list_display = ("occurred_at", "agent_extension", "activity", "campaign_id", "contact_id")
    list_filter = ("activity",)
    search_fields = ("=agent_extension", "=contact_id")
    date_hierarchy = "occurred_at"


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


admin.site.unregister(Campaign)


@admin.register(Campaign)
class CampaignWithStatisticsAdmin(CampaignAdmin):
    """The campaign console of ``campaigns.admin`` with reporting's live statistics beside each campaign."""

    list_display = (
        *CampaignAdmin.list_display,
        "hit_ratio",
        "overdial_rate",
        "time_to_complete",
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Campaign | None = None) -> tuple[str, ...]:
        return (*super().get_readonly_fields(request, obj), "statistics")

    @admin.display(description="hit ratio")
    def hit_ratio(self, obj: Campaign) -> object:
        return campaign_statistics(obj.campaign_id)["GSW_STAT_HIT_RATIO"]

    @admin.display(description="overdial rate")
    def overdial_rate(self, obj: Campaign) -> object:
        return campaign_statistics(obj.campaign_id)["GSW_STAT_OVERDIAL_RATE"]

    @admin.display(description="time to complete (s)")
    def time_to_complete(self, obj: Campaign) -> object:
        return campaign_statistics(obj.campaign_id)["GSW_STAT_TIME_TO_COMPLETE"]

    @admin.display(description="statistics (last hour)")
    def statistics(self, obj: Campaign) -> str:
        return json.dumps(campaign_statistics(obj.campaign_id), indent=1)

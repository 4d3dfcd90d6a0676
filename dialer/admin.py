"""The dialer's pages in the operators' console: the switches, switch events that could not be applied, agent states
and predictive pacing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from unfold.admin import ModelAdmin

from campaigns.admin import ReadOnlyAdmin, require
from campaigns.choices import CampaignState, CampaignType, DialingMode
from campaigns.models import Campaign
from dialer import switch_state
from dialer.models import AgentState, Switch, UnappliedEvent
from dialer.pacing import MIN_HISTORY, Mode, PacingInput, mode
from dialer.pacing_inputs import pacing_input
from dialer.switches import last_known_connection


class SwitchForm(forms.ModelForm):  # type: ignore[type-arg]
    """The event socket password is write-only: never put in the page, kept as it is when left empty on a change.

    Its initial value is dropped as well, so it is neither rendered nor compared: the history records "Changed
    password" only when one was typed, and never a value.
    """

    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        strip=False,  # refused by the model's alphabet rather than silently trimmed into another password
        max_length=100,
        help_text="The event socket's password (visible ASCII characters, no spaces).",
    )

    class Meta:
        model = Switch
        fields = ("name", "host", "port", "password", "max_concurrent_calls", "calls_per_second", "enabled")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.pop("password", None)
        if self.instance.pk is None:
            self.fields["password"].required = True
        else:
            self.fields["password"].help_text = "Leave empty to keep the current password."

    def clean_password(self) -> str:
        """Empty on a change: the stored password, so that the model's checks and the save see it unchanged."""
        typed: str = self.cleaned_data.get("password") or ""
        if not typed and self.instance.pk is not None:
            stored: str = self.instance.password
            return stored
        return typed


@admin.register(Switch)
class SwitchAdmin(ModelAdmin):
    """The switches (SPEC section 10), with what their listener and the workers last saw of them.

    The connection columns read Redis only (``dialer.switch_state``): a list never waits on a switch. The name is
    the switch's identity (its contacts, throttle and listener are keyed by it): set once. Switches are disabled,
    not deleted: one deleted while it holds calls would leave them with no switch to end them on.
    """

    form = SwitchForm
    list_display = (
        "name", "host", "port", "enabled", "max_concurrent_calls", "calls_per_second", "connected", "listener",
    )  # fmt: skip
    list_filter = ("enabled",)
    search_fields = ("name", "host")
    readonly_fields = ("created_at", "updated_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Switch | None = None) -> tuple[str, ...]:
        fields = tuple(super().get_readonly_fields(request, obj))
        return fields if obj is None else ("name", *fields)

    def get_fields(self, request: HttpRequest, obj: Switch | None = None) -> list[Any]:
        """For an operator who may only view, every field is shown as text: the password's place says it is set."""
        fields = list(super().get_fields(request, obj))
        if obj is not None and not self.has_change_permission(request, obj):
            fields = ["stored_password" if name == "password" else name for name in fields]
        return fields

    @admin.display(description="password")
    def stored_password(self, switch: Switch) -> str:
        return "set (never shown)" if switch.password else "not set"

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="connected", boolean=True)
    def connected(self, switch: Switch) -> bool:
        """Its listener beats, or a worker's last round trip with it succeeded within FRESH_SECONDS."""
        return last_known_connection(switch.name)["connected"]

    @admin.display(description="listener connected", boolean=True)
    def listener(self, switch: Switch) -> bool:
        return switch_state.listener_connected(switch.name)


@admin.register(UnappliedEvent)
class UnappliedEventAdmin(ModelAdmin):
    """Read-only: an event is evidence of what the switch said; the error says why it was not applied."""

    list_display = ("received_at", "switch_name", "event_name", "call_id", "short_error")
    list_filter = ("switch_name", "event_name")
    search_fields = ("call_id",)
    readonly_fields = ("received_at", "switch_name", "event_name", "call_id", "raw", "error")

    @admin.display(description="error")
    def short_error(self, event: UnappliedEvent) -> str:
        return event.error.strip().splitlines()[-1][:120] if event.error.strip() else ""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@dataclass(frozen=True, slots=True)
class PacingRow:
    """One predictive campaign as the pacing page shows it: what its next pacing decision would be given."""

    campaign_id: str
    state: str
    ready: int
    talking: int
    wrapping_up: int
    ringing: int
    waiting: int
    dial_level: str
    overdial: str
    busy_factor: str
    live_answers: int
    mode: str


def _percent(rate: float) -> str:
    """``0.024`` as "2.4 %"; a cap such as ``0.03`` as "3 %" (``g`` drops the float noise of x 100)."""
    return f"{rate * 100:.3g} %"


_MODE_NOTES = {
    Mode.NO_AGENTS: "agents unknown: dialed progressively",
    Mode.THIN_HISTORY: f"progressive until {MIN_HISTORY} live answers",
    Mode.AT_CAP: "at the cap: progressive",
    Mode.NO_ANSWER_TIMES: "progressive: no answer times yet",
    Mode.PREDICTIVE: "predictive",
}


def pacing_mode(p: PacingInput) -> str:
    """Why the campaign is, or is not, dialed ahead of its agents now, in the operator's words."""
    return _MODE_NOTES[mode(p)]


def pacing_row(campaign: Campaign, p: PacingInput) -> PacingRow:
    """The page's row for ``campaign`` from the input its pacing decision reads."""
    level = "—" if p.dial_level is None else f"{p.dial_level:.2f}"
    return PacingRow(
        campaign_id=campaign.campaign_id,
        state=campaign.state,
        ready=p.ready_agents,
        talking=len(p.talking),
        wrapping_up=len(p.wrapping_up),
        ringing=len(p.ringing),
        waiting=p.waiting_calls,
        dial_level=level,
        overdial=f"{p.history.overdial_rate * 100:.1f} % of {_percent(p.abandon_rate_limit)}",
        busy_factor=f"{p.history.busy_factor:.2f}",
        live_answers=p.history.live_answers,
        mode=pacing_mode(p),
    )


def predictive_campaigns() -> list[Campaign]:
    """The campaigns ``dialer.cycle.paced`` would pace (unloaded ones are no longer dialed at all)."""
    return list(
        Campaign.objects.filter(campaign_type=CampaignType.AGENT, dialing_mode=DialingMode.PREDICTIVE)
        .exclude(caller_id="")
        .exclude(state=CampaignState.UNLOADED)
        .order_by("campaign_id")
    )


@admin.register(AgentState)
class AgentStateAdmin(ReadOnlyAdmin):
    """Read-only: the voice connector's latest report per agent and queue, which pacing reads as it is.

    Its changelist is also where the predictive pacing page hangs, since that page is built from these states.
    """

    list_display = ("queue_name", "agent_extension", "state", "occurred_at", "confirmed_at")
    list_filter = ("state",)
    search_fields = ("=queue_name", "=agent_extension")
    change_list_template = "admin/dialer/agentstate/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.pacing_view)
        return [path("pacing/", view, name="dialer_predictive_pacing"), *super().get_urls()]

    def may_see_pacing(self, request: HttpRequest) -> bool:
        """The pacing page shows agent states and the predictive campaigns: it needs both view permissions."""
        return self.has_view_permission(request) and request.user.has_perm("campaigns.view_campaign")

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """The "Predictive pacing" link only for operators who may open it."""
        context = {**(extra_context or {}), "can_see_pacing": self.may_see_pacing(request)}
        response: HttpResponse = super().changelist_view(request, context)
        return response

    def pacing_view(self, request: HttpRequest) -> HttpResponse:
        """Each predictive campaign's dial level, overdial rate against the cap and busy factor (SPEC 5b).

        Read with the pacing decision's own input, so the page shows what the cycle sees: one query per
        campaign plus its history, which reporting caches for a few seconds; no contact is counted.
        """
        require(request, self.may_see_pacing(request))
        now = timezone.now()
        rows = [pacing_row(c, pacing_input(c, budget=0, now=now)) for c in predictive_campaigns()]
        context = {
            **self.admin_site.each_context(request),
            "title": "Predictive pacing",
            "rows": rows,
            "cap": _percent(settings.ABANDON_RATE_LIMIT),
            "min_history": MIN_HISTORY,
            "window_hours": round(settings.ABANDON_WINDOW / 3600, 1),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/dialer/predictive_pacing.html", context)

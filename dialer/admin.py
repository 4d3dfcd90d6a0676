"""The dialer's rows in the operators' console: switch events that could not be applied."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from dialer.models import UnappliedEvent


@admin.register(UnappliedEvent)
class UnappliedEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
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

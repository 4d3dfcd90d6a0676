"""The operators' console for campaigns, contacts, lists and the Do-Not-Call list.

Admin actions call the same services as the API, so both behave identically.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Field, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from campaigns import alphabets
from campaigns.choices import ContactStatus
from campaigns.control import (
    CampaignNotFound,
    ControlResult,
    purge_campaign,
    start_campaign,
    stop_campaign,
    unload_campaign,
)
from campaigns.list_imports import ENDED, queue_list_import, rows_read
from campaigns.models import (
    RING_TIMEOUT_MAX,
    RING_TIMEOUT_MIN,
    ApiClient,
    Campaign,
    Contact,
    ContactList,
    DoNotCall,
    ListImport,
)


def _status_count(status: str) -> Count:
    return Count("contacts", filter=Q(contacts__status=status))


def _control_action(service: Any, verb: str) -> Any:
    def action(modeladmin: CampaignAdmin, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        for campaign in queryset:
            try:
                result: ControlResult = service(campaign.campaign_id)
            except CampaignNotFound:
                modeladmin.message_user(request, f"Campaign {campaign} has no contacts to {verb}.", messages.WARNING)
            else:
                modeladmin.message_user(request, f"Campaign {campaign}: {verb} affected {result.affected} contacts.")

    action.__name__ = f"{verb}_campaigns"
    return admin.action(description=f"{verb.capitalize()} selected campaigns")(action)


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display: tuple[str, ...] = (
        "campaign_id", "name", "state", "waiting_for_records", "campaign_type", "dialing_mode", *ContactStatus.values,
    )  # fmt: skip
    list_filter = ("state", "waiting_for_records", "campaign_type", "dialing_mode")
    search_fields = ("campaign_id", "name")
    readonly_fields = ("id", "guid", "state", "waiting_for_records", "created_at", "updated_at")
    actions = (
        _control_action(start_campaign, "start"),
        _control_action(stop_campaign, "stop"),
        _control_action(purge_campaign, "purge"),
        _control_action(unload_campaign, "unload"),
    )

    def formfield_for_dbfield(self, db_field: Field[Any, Any], request: HttpRequest, **kwargs: Any) -> Any:
        """The ring timeout's input carries its range, so the browser refuses what the database would."""
        if db_field.name == "ring_timeout":
            kwargs.update(min_value=RING_TIMEOUT_MIN, max_value=RING_TIMEOUT_MAX)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Campaign]:
        counts = {status: _status_count(status) for status in ContactStatus.values}
        queryset: QuerySet[Campaign] = super().get_queryset(request)
        return queryset.annotate(**counts)


def _count_column(status: str) -> Any:
    def column(obj: Campaign) -> int:
        return int(getattr(obj, status))

    column.__name__ = status
    return admin.display(description=status.replace("_", " "), ordering=status)(column)


for _status in ContactStatus.values:
    setattr(CampaignAdmin, _status, staticmethod(_count_column(_status)))


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("id", "customer_number", "campaign_id", "campaign_type", "status", "call_result", "priority")
    list_filter = ("status", "campaign_type", "dialing_mode", "call_result")
    search_fields = ("=id", "=customer_number", "=campaign_contact_id", "=campaign__campaign_id")
    list_select_related = ("contact_list",)
    # Millions of rows: never count the whole table for the paginator.
    show_full_result_count = False
    readonly_fields = [f.name for f in Contact._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # contacts arrive through the API or an import, with their validation


class ListImportForm(forms.Form):
    campaign_id = forms.RegexField(rf"\A(?:{alphabets.CAMPAIGN_ID})\Z", max_length=40)
    list_name = forms.RegexField(rf"\A(?:{alphabets.LIST_NAME})\Z", max_length=100)
    file = forms.FileField(help_text="CSV with a header line naming the contact fields.")


@admin.register(ContactList)
class ContactListAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "campaign", "contact_count", "created_at")
    search_fields = ("name", "campaign__campaign_id")
    change_list_template = "admin/campaigns/contactlist/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ContactList]:
        queryset: QuerySet[ContactList] = super().get_queryset(request)
        return queryset.annotate(contact_count=Count("contacts"))

    @admin.display(description="contacts", ordering="contact_count")
    def contact_count(self, obj: ContactList) -> int:
        return int(obj.contact_count)  # type: ignore[attr-defined]

    def get_urls(self) -> list[URLPattern]:
        upload = path("import/", self.admin_site.admin_view(self.import_view), name="campaigns_contactlist_import")
        return [upload, *super().get_urls()]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a CSV as a calling list; a worker imports it while its page shows the progress."""
        form = ListImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            job = queue_list_import(
                campaign_id=form.cleaned_data["campaign_id"], list_name=form.cleaned_data["list_name"],
                file_name=upload.name, content=upload.read(), uploaded_by=request.user.get_username(),
            )  # fmt: skip
            self.message_user(request, f"Queued for import: {upload.name}.")
            return HttpResponseRedirect(reverse("admin:campaigns_listimport_change", args=[job.pk]))
        context = {**self.admin_site.each_context(request), "form": form, "title": "Import a list"}
        return TemplateResponse(request, "admin/campaigns/contactlist/import.html", context)


def _progress(job: ListImport, done: int) -> str:
    return f"{done:,} of {job.total_rows:,}"


@admin.register(ListImport)
class ListImportAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Uploaded lists: each one's progress while a worker imports it, then its report."""

    list_display = (
        "file_name", "campaign_id", "list_name", "state", "progress", "imported", "already_present", "error_count",
        "uploaded_by", "created_at",
    )  # fmt: skip
    list_filter = ("state",)
    search_fields = ("file_name", "campaign_id", "list_name")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ListImport]:
        queryset: QuerySet[ListImport] = super().get_queryset(request)
        return queryset.defer("content")

    @admin.display(description="rows read")
    def progress(self, obj: ListImport) -> str:
        return _progress(obj, rows_read(obj))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # uploaded through the list import page

    def has_change_permission(self, request: HttpRequest, obj: ListImport | None = None) -> bool:
        return False  # a report, written by the worker

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        job = get_object_or_404(self.get_queryset(request), pk=object_id)
        done = rows_read(job)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Import of {job.file_name}",
            "job": job,
            "rows_read": done,
            "progress": _progress(job, done),
            "percent": min(100, round(100 * done / job.total_rows)) if job.total_rows else 0,
            "running": job.state not in ENDED,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/campaigns/listimport/progress.html", context)


@admin.register(DoNotCall)
class DoNotCallAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("customer_number", "reason", "created_at")
    search_fields = ("=customer_number",)


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Clients are created with ``create_api_client`` (which shows the token); here they are listed and revoked."""

    list_display = ("name", "role", "is_active", "created_at")
    list_filter = ("role", "is_active")
    readonly_fields = ("name", "role", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

"""The operators' console for campaigns, contacts, lists and the Do-Not-Call list.

Admin actions call the same services as the API, so both behave identically. Staff status only lets an
operator sign in: every page, action and upload asks for its own permission (the model's view / add /
change / delete ones, and ``campaigns.control_campaign``, ``campaigns.import_contacts`` and
``campaigns.import_dnc`` for the powers that dial or suppress numbers in bulk).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Field, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from unfold.admin import ModelAdmin

from campaigns import alphabets, audit, counts, dnc, dnc_api
from campaigns.calling_hours import validate_calling_hours, validate_time_zone
from campaigns.choices import AuditAction, ContactStatus, RetryResult
from campaigns.configuration import EDITABLE_FIELDS
from campaigns.console_lists import CampaignFilter, NumberSearchMixin, to_the_second
from campaigns.csv_export import CsvExportMixin
from campaigns.dialability import reasons_not_dialed
from campaigns.dnc_import import import_entries
from campaigns.importer import ImportFileError
from campaigns.list_imports import ENDED, queue_list_import, rows_read
from campaigns.models import (
    RING_TIMEOUT_MAX,
    RING_TIMEOUT_MIN,
    ApiClient,
    Campaign,
    CampaignAuditEntry,
    Contact,
    ContactCountSnapshot,
    ContactList,
    DoNotCall,
    ListImport,
)
from campaigns.retry_rules import validate_retry_rules
from campaigns.validation import FieldError

# The permissions of the powers that are more than changing a row (campaigns/models.py says why).
CONTROL_CAMPAIGNS = "campaigns.control_campaign"
IMPORT_CONTACTS = "campaigns.import_contacts"
IMPORT_DNC = "campaigns.import_dnc"


# Campaign columns an admin form may write (the audit trail compares them before and after a save).
_CAMPAIGN_FIELDS = frozenset(field.name for field in Campaign._meta.concrete_fields)


def _referred_to(campaign: Campaign) -> bool:
    """Whether rows refer to the campaign by its id (contacts, lists): renaming it would break their keys.

    Their keys point at ``campaign_id``, not at the primary key, and the database does not cascade updates
    (renaming one was a 500). Count snapshots do not hold the id: they are derived, dropped on a rename and
    counted again when the campaign is next read (``campaigns/counts.py``).
    """
    for relation in Campaign._meta.related_objects:
        if relation.field.target_field.name != "campaign_id" or relation.related_model is ContactCountSnapshot:
            continue
        related = relation.related_model._default_manager
        if related.filter(**{relation.field.name: campaign}).exists():
            return True
    return False


def blank(value: float | None) -> str:
    return "" if value is None else str(value)


def _trail_url(campaign_id: str) -> str:
    """The audit list filtered to one campaign."""
    return reverse("admin:campaigns_campaignauditentry_changelist") + "?" + urlencode({"campaign_id": campaign_id})


def require(request: HttpRequest, allowed: bool) -> None:
    """Refuse a custom admin view (403) to a signed-in operator without the permission it needs."""
    if not allowed:
        raise PermissionDenied


class ReadOnlyAdmin(ModelAdmin):
    """Rows an operator reads but never writes here: what the dialer recorded, or what a peer reported."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class CampaignForm(forms.ModelForm):  # type: ignore[type-arg]
    """Retry rules, calling hours and the zone checked as the API checks them, naming the field."""

    class Meta:
        model = Campaign
        fields = ("campaign_id", "name", "campaign_type", *EDITABLE_FIELDS)
        help_texts = {
            "retry_rules": (
                'One rule per result, e.g. [{"result": "Busy", "delay": 300, "max_attempts": 3}]: the delay in '
                f"seconds before the next attempt. Results: {', '.join(RetryResult.values)}. Empty: no retries."
            ),
            "calling_hours": (
                'Per weekday, ranges in the contact\'s zone, e.g. {"mon": [["09:00", "20:00"]], "sat": [["10:00", '
                '"14:00"]]}; a day not named is closed. Empty: any time.'
            ),
        }

    def _checked(self, name: str, check: Callable[[Any], Any]) -> Any:
        try:
            return check(self.cleaned_data.get(name))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_retry_rules(self) -> Any:
        return self._checked("retry_rules", validate_retry_rules)

    def clean_calling_hours(self) -> Any:
        return self._checked("calling_hours", validate_calling_hours)

    def clean_time_zone(self) -> Any:
        return self._checked("time_zone", lambda zone: validate_time_zone(zone) or "UTC")


@admin.register(Campaign)
class CampaignAdmin(ModelAdmin):
    form = CampaignForm
    list_display: tuple[str, ...] = (
        "campaign_id", "name", "state", "waiting_for_records", "campaign_type", "dialing_mode", *ContactStatus.values,
        "counted",
    )  # fmt: skip
    list_filter = ("state", "waiting_for_records", "campaign_type", "dialing_mode")
    search_fields = ("campaign_id", "name")
    readonly_fields = ("id", "guid", "state", "waiting_for_records", "created_at", "updated_at")

    def has_control_permission(self, request: HttpRequest) -> bool:
        """Start, stop, purge and unload: the actions' own permission, not implied by view or change."""
        return request.user.has_perm(CONTROL_CAMPAIGNS)

    def get_readonly_fields(self, request: HttpRequest, obj: Campaign | None = None) -> tuple[str, ...]:
        """The campaign id once rows refer to it by that id; the audit trail for those allowed to read it."""
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is None:
            return fields
        if _referred_to(obj):
            fields = (*fields, "campaign_id")
        if request.user.has_perm("campaigns.view_campaignauditentry"):
            fields = (*fields, "audit_trail")
        return fields

    @admin.display(description="audit trail")
    def audit_trail(self, obj: Campaign) -> str:
        """The newest entries of the trail, newest first, with a link to all of them."""
        entries, total = audit.recent(obj.campaign_id)
        if not entries:
            return "Nothing recorded yet."
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (f"{timezone.localtime(e.at):%Y-%m-%d %H:%M:%S}", e.action, e.by, blank(e.affected), audit.describe(e))
                for e in entries
            ),
        )
        return format_html(
            '<table class="audit-trail"><thead><tr><th>when</th><th>what</th><th>who</th><th>contacts</th>'
            "<th>changes</th></tr></thead><tbody>{}</tbody></table>"
            '<p>The newest {} of {} entries. <a href="{}">The whole trail</a></p>',
            rows,
            len(entries),
            total,
            _trail_url(obj.campaign_id),
        )

    @transaction.atomic
    def save_model(self, request: HttpRequest, obj: Campaign, form: forms.ModelForm, change: bool) -> None:  # type: ignore[type-arg]
        """Save, and record in the audit trail who changed which field from what to what (or created it)."""
        names = [name for name in form.fields if name in _CAMPAIGN_FIELDS]
        before = Campaign.objects.select_for_update().filter(pk=obj.pk).values(*names).first() if change else None
        super().save_model(request, obj, form, change)
        after = {name: getattr(obj, name) for name in names}
        by = audit.admin_actor(request)
        if before is None:
            initial = audit.settings_changes({}, {**after, "state": obj.state})
            audit.record(obj.campaign_id, AuditAction.CREATE, by=by, changes=initial)
            return
        changes = audit.settings_changes(before, after)
        if "campaign_id" in changes:
            ContactCountSnapshot.objects.filter(campaign_id=before["campaign_id"]).delete()
            audit.rename(before["campaign_id"], obj.campaign_id)
        if changes:
            audit.record(obj.campaign_id, AuditAction.UPDATE, by=by, changes=changes)

    @transaction.atomic
    def delete_model(self, request: HttpRequest, obj: Campaign) -> None:
        """A deleted campaign's trail stays, ending with who deleted it."""
        audit.record(obj.campaign_id, AuditAction.DELETE, by=audit.admin_actor(request))
        super().delete_model(request, obj)

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        """As ``delete_model``, for the "delete selected" action."""
        for campaign_id in queryset.values_list("campaign_id", flat=True):
            audit.record(campaign_id, AuditAction.DELETE, by=audit.admin_actor(request))
        super().delete_queryset(request, queryset)

    def formfield_for_dbfield(self, db_field: Field[Any, Any], request: HttpRequest, **kwargs: Any) -> Any:
        """The ring timeout's input carries its range, so the browser refuses what the database would."""
        if db_field.name == "ring_timeout":
            kwargs.update(min_value=RING_TIMEOUT_MIN, max_value=RING_TIMEOUT_MAX)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Campaign]:
        """Counts as the status API reads them (``campaigns/counts.py``), never grouping every contact.

        Calls in progress are counted now; the other statuses come from their last count (column "counted").
        """
        counts.ensure_counted()
        queryset: QuerySet[Campaign] = super().get_queryset(request)
        return queryset.annotate(**counts.count_annotations())


def _count_column(status: str) -> Any:
    def column(obj: Campaign) -> int:
        return int(getattr(obj, status))

    column.__name__ = status
    return admin.display(description=status.replace("_", " "), ordering=status)(column)


for _status in ContactStatus.values:
    setattr(CampaignAdmin, _status, staticmethod(_count_column(_status)))


@admin.display(description="counted", ordering="counts_counted_at")
def _counted(obj: Campaign) -> str:
    """How old the pending / stopped / ended / failed figures are (dialed and agent pending are live)."""
    counted_at = getattr(obj, "counts_counted_at", None)
    if counted_at is None:
        return "never"
    return f"{max(0.0, (timezone.now() - counted_at).total_seconds()):.0f} s ago"


CampaignAdmin.counted = staticmethod(_counted)


@admin.register(Contact)
class ContactAdmin(NumberSearchMixin, CsvExportMixin):
    """Contacts, filtered by campaign and searched by a number in any written form, and downloaded as filtered.

    The columns fit a 1280 px window; the campaign type and dialing mode are filters, the rest is on the contact's
    page and in the download.
    """

    list_display: tuple[str, ...] = (
        "id", "customer_number", "campaign_id", "status", "call_result", "attempts", "retry",
    )  # fmt: skip
    # No filter by the call_result column: listing its values reads every contact (reporting offers the recent ones).
    list_filter: tuple[Any, ...] = (CampaignFilter, "status", "campaign_type", "dialing_mode")
    # Each an index of its own, so that PostgreSQL answers their OR from the indexes (the campaign is a filter).
    search_fields = ("=id", "=customer_number", "=campaign_contact_id")
    list_select_related = ("contact_list",)
    # Millions of rows: never count the whole table for the paginator.
    show_full_result_count = False
    readonly_fields = ["why_not_dialed_now", *(f.name for f in Contact._meta.fields)]
    change_list_template = "admin/campaigns/contact/change_list.html"
    csv_columns = (
        "id", "customer_number", "campaign_id", "campaign_contact_id", "campaign_type", "dialing_mode", "status",
        "call_result", "hangup_cause", "priority", "attempts", "received_time", "start_time", "end_time", "dial_time",
        "answered_at", "ended_at", "retry_at",
    )  # fmt: skip

    @admin.display(description="retry at", ordering="retry_at")
    def retry(self, contact: Contact) -> str | None:
        return to_the_second(contact.retry_at)

    @admin.display(description="why not dialed now")
    def why_not_dialed_now(self, contact: Contact) -> str:
        """Section 5a's rules for this contact, now: window, retry time, calling hours, do-not-call list."""
        reasons = reasons_not_dialed(contact, now=timezone.now())
        if contact.status == ContactStatus.PENDING and not reasons:
            return "Due: it is dialed as lines free up, in its campaign's order."
        return "; ".join(reasons)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # contacts arrive through the API or an import, with their validation


class ListImportForm(forms.Form):
    campaign_id = forms.RegexField(rf"\A(?:{alphabets.CAMPAIGN_ID})\Z", max_length=40)
    list_name = forms.RegexField(rf"\A(?:{alphabets.LIST_NAME})\Z", max_length=100)
    file = forms.FileField(help_text="CSV with a header line naming the contact fields.")


@admin.register(ContactList)
class ContactListAdmin(ModelAdmin):
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

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """The "Import CSV" link only for operators allowed to upload."""
        context = {**(extra_context or {}), "can_import": request.user.has_perm(IMPORT_CONTACTS)}
        response: HttpResponse = super().changelist_view(request, context)
        return response

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a CSV as a calling list; a worker imports it while its page shows the progress.

        Its contacts are dialed: "Can import contacts" is required, whatever else the operator may do.
        """
        require(request, request.user.has_perm(IMPORT_CONTACTS))
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
class ListImportAdmin(ModelAdmin):
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

    def has_view_permission(self, request: HttpRequest, obj: ListImport | None = None) -> bool:
        """Those who may upload lists also follow their imports (the upload leads to its report)."""
        return super().has_view_permission(request, obj) or request.user.has_perm(IMPORT_CONTACTS)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        require(request, self.has_view_permission(request))
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
            "can_import": request.user.has_perm(IMPORT_CONTACTS),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/campaigns/listimport/progress.html", context)


class DoNotCallForm(forms.ModelForm):  # type: ignore[type-arg]
    """An entry as an operator types it: the number in any written form, checked as the API checks it."""

    # Wider than the column: "+49 (0) 501 0000 0006" is stored as "+4950100000006".
    customer_number = forms.CharField(max_length=64, help_text=f"{dnc_api.ANY_FORM} Stored in E.164.")

    class Meta:
        model = DoNotCall
        fields = ("customer_number", "campaign_id", "expires_at", "reason")

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        checked = dnc.validate_entry(
            {name: cleaned.get(name) for name in dnc.ENTRY_FIELDS if name not in self.errors}, now=timezone.now()
        )
        if isinstance(checked, dnc.Entry):
            cleaned.update(asdict(checked))
        else:
            for error in checked:
                if error.field not in self.errors:  # a field the form already refused is not reported twice
                    self.add_error(error.field if error.field in self.fields else None, error.message)
        return cleaned


class DoNotCallScopeFilter(admin.SimpleListFilter):
    title = "campaign"
    parameter_name = "scope"
    EVERY = "*"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:  # type: ignore[type-arg]
        campaigns = DoNotCall.objects.exclude(campaign_id="").values_list("campaign_id", flat=True).distinct()
        return [(self.EVERY, "every campaign"), *((c, c) for c in campaigns.order_by("campaign_id"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[DoNotCall]) -> QuerySet[DoNotCall]:
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(campaign_id="" if value == self.EVERY else value)


class DoNotCallExpiredFilter(admin.SimpleListFilter):
    title = "expired"
    parameter_name = "expired"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:  # type: ignore[type-arg]
        return [("no", "in force"), ("yes", "expired")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[DoNotCall]) -> QuerySet[DoNotCall]:
        in_force = Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
        return {"no": queryset.filter(in_force), "yes": queryset.exclude(in_force)}.get(self.value() or "", queryset)


class DncImportForm(forms.Form):
    file = forms.FileField(
        help_text="CSV whose header names customer_number and any of campaign_id, expires_at, reason."
    )
    campaign_id = forms.RegexField(
        rf"\A(?:{alphabets.CAMPAIGN_ID})\Z", max_length=40, required=False, help_text="For rows that name none."
    )
    expires_at = forms.DateTimeField(
        required=False, help_text="For rows that give none (UTC unless an offset is given)."
    )

    def clean_expires_at(self) -> datetime | None:
        expires_at: datetime | None = self.cleaned_data.get("expires_at")
        if expires_at is None:
            return None
        checked = dnc.check_expiry(expires_at, now=timezone.now())
        if isinstance(checked, FieldError):
            raise forms.ValidationError(checked.message)
        return checked


@admin.register(DoNotCall)
class DoNotCallAdmin(NumberSearchMixin):
    """The list, searched by a number in any written form, with an Import CSV page reporting every row."""

    form = DoNotCallForm
    list_display = ("customer_number", "scope", "expires_at", "in_force", "added_by", "reason", "created_at")
    list_filter = (DoNotCallScopeFilter, DoNotCallExpiredFilter)
    search_fields = ("=customer_number", "=campaign_id", "added_by")
    readonly_fields = ("added_by", "created_at")
    change_list_template = "admin/campaigns/donotcall/change_list.html"

    @admin.display(description="campaign", ordering="campaign_id")
    def scope(self, obj: DoNotCall) -> str:
        return obj.campaign_id or "every campaign"

    @admin.display(description="in force", boolean=True)
    def in_force(self, obj: DoNotCall) -> bool:
        return obj.expires_at is None or obj.expires_at > timezone.now()

    def save_model(self, request: HttpRequest, obj: DoNotCall, form: forms.ModelForm, change: bool) -> None:  # type: ignore[type-arg]
        """The operator who saved it answers for the entry as it now stands."""
        obj.added_by = request.user.get_username()
        super().save_model(request, obj, form, change)

    def get_urls(self) -> list[URLPattern]:
        upload = path("import/", self.admin_site.admin_view(self.import_view), name="campaigns_donotcall_import")
        return [upload, *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """The "Import CSV" link only for operators allowed to import."""
        context = {**(extra_context or {}), "can_import": request.user.has_perm(IMPORT_DNC)}
        response: HttpResponse = super().changelist_view(request, context)
        return response

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Import a CSV at once (a DNC list is small next to a calling list) and show the report of every row.

        An import may also expire listed numbers: "Can import do-not-call entries" is required.
        """
        require(request, request.user.has_perm(IMPORT_DNC))
        form = DncImportForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = import_entries(
                    io.TextIOWrapper(upload.open("rb"), encoding="utf-8-sig", newline=""),
                    added_by=f"import:{upload.name} ({request.user.get_username()})", now=timezone.now(),
                    campaign_id=form.cleaned_data["campaign_id"], expires_at=form.cleaned_data["expires_at"],
                )  # fmt: skip
            except ImportFileError as exc:
                form.add_error("file", str(exc))
            except UnicodeDecodeError as exc:
                form.add_error("file", f"The file is not UTF-8 text (byte {exc.start}).")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "report": report,
            "title": "Import do-not-call entries",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/campaigns/donotcall/import.html", context)


@admin.register(ApiClient)
class ApiClientAdmin(ModelAdmin):
    """Clients are created with ``create_api_client`` (which shows the token); here they are listed and revoked."""

    list_display = ("name", "role", "is_active", "created_at")
    list_filter = ("role", "is_active")
    readonly_fields = ("name", "role", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(CampaignAuditEntry)
class CampaignAuditEntryAdmin(ReadOnlyAdmin):
    """The campaigns' audit trail: read-only, since it is the record of who changed what."""

    list_display = ("at", "campaign_id", "action", "by", "affected", "what_changed")
    list_filter = ("action",)
    search_fields = ("=campaign_id", "by")
    date_hierarchy = "at"
    show_full_result_count = False

    @admin.display(description="changes")
    def what_changed(self, entry: CampaignAuditEntry) -> str:
        return audit.describe(entry)

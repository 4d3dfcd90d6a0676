"""Campaigns, their calling lists and contacts, and the Do-Not-Call list.

Constraints live in the database, not only in forms: a row written by the bulk
importer, the API or a hand-typed SQL statement obeys the same enumerations.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from campaigns import alphabets
from campaigns.choices import (
    ACTIVE_STATUSES,
    ApiRole,
    AuditAction,
    CampaignState,
    CampaignType,
    ContactStatus,
    DialingMode,
    ImportState,
    OptimizeBy,
    RoutingMode,
)

# How long an originate rings (SPEC section 5): below 5 s a customer never gets to answer, and a
# contact centre expects at most two minutes (FreeSWITCH's own default of 60 s is why it is set at all).
RING_TIMEOUT_MIN = 5
RING_TIMEOUT_MAX = 120
RING_TIMEOUT_DEFAULT = 25


def _in(field: str, choices: type[models.TextChoices]) -> Q:
    return Q(**{f"{field}__in": choices.values})


class Campaign(models.Model):
    """A campaign, created on first sight of its ``campaign_id`` or by an operator.

    ``id`` is the DBID and ``guid`` the GUID reported in GSW_* notifications.
    """

    campaign_id = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    guid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    state = models.CharField(max_length=20, choices=CampaignState.choices, default=CampaignState.RUNNING)
    campaign_type = models.CharField(max_length=20, choices=CampaignType.choices, default=CampaignType.IVR)
    dialing_mode = models.CharField(max_length=20, choices=DialingMode.choices, blank=True)
    queue_name = models.CharField(max_length=20, blank=True)
    default_ivr = models.CharField(max_length=20, blank=True)
    template_name = models.CharField(max_length=100, blank=True)
    tenant_name = models.CharField(max_length=100, blank=True)
    ring_timeout = models.PositiveSmallIntegerField(
        default=RING_TIMEOUT_DEFAULT,
        db_default=RING_TIMEOUT_DEFAULT,
        validators=[MinValueValidator(RING_TIMEOUT_MIN), MaxValueValidator(RING_TIMEOUT_MAX)],
        help_text=f"Seconds an originate rings before it gives up (originate_timeout), "
        f"{RING_TIMEOUT_MIN} to {RING_TIMEOUT_MAX}.",
    )
    # Section 5a: per result a delay and a maximum of attempts ([{"result", "delay", "max_attempts"}, …]);
    # calling hours per weekday in the contact's local time ({"mon": [["09:00", "20:00"]], …}); the zone of
    # contacts whose own zone is unknown.
    retry_rules = models.JSONField(default=list, blank=True)
    calling_hours = models.JSONField(default=dict, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", db_default="UTC")
    # Lines this campaign may hold at once (empty: no cap of its own).
    max_concurrent_calls = models.PositiveIntegerField(null=True, blank=True)
    # Section 5b, predictive dialing: the number customers see (required for predictive campaigns), what
    # pacing aims at and its goal (a busy factor such as 0.85, or an overdial rate such as 0.03), and the
    # most calls in flight per logged-in agent.
    caller_id = models.CharField(max_length=20, blank=True, db_default="")
    optimize_by = models.CharField(
        max_length=20, choices=OptimizeBy.choices, default=OptimizeBy.OVERDIAL_RATE, db_default=OptimizeBy.OVERDIAL_RATE
    )
    optimize_goal = models.FloatField(default=0.03, db_default=0.03)
    max_dial_ratio = models.FloatField(default=3.0, db_default=3.0)
    # Seed 004: too many attempt records not yet saved by the external system; running, but not dialed.
    waiting_for_records = models.BooleanField(default=False, db_default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["campaign_id"]
        # Start, stop, purge and unload dial or drop contacts: granted on its own, never implied by "change".
        permissions: ClassVar = [("control_campaign", "Can control campaigns")]
        constraints: ClassVar = [
            models.CheckConstraint(condition=_in("state", CampaignState), name="campaign_state_valid"),
            models.CheckConstraint(condition=_in("campaign_type", CampaignType), name="campaign_type_valid"),
            models.CheckConstraint(
                condition=Q(dialing_mode="") | _in("dialing_mode", DialingMode), name="campaign_dialing_mode_valid"
            ),
            models.CheckConstraint(
                condition=Q(ring_timeout__gte=RING_TIMEOUT_MIN, ring_timeout__lte=RING_TIMEOUT_MAX),
                name="campaign_ring_timeout_range",
            ),
            models.CheckConstraint(condition=_in("optimize_by", OptimizeBy), name="campaign_optimize_by_valid"),
            models.CheckConstraint(
                condition=Q(optimize_goal__gt=0, optimize_goal__lt=1), name="campaign_optimize_goal_range"
            ),
            models.CheckConstraint(
                condition=Q(max_dial_ratio__gte=1, max_dial_ratio__lte=10), name="campaign_max_dial_ratio_range"
            ),
        ]

    def __str__(self) -> str:
        return self.campaign_id


class ContactList(models.Model):
    """A calling list inside a campaign: an import, or a list named at intake."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, to_field="campaign_id", db_column="campaign_id", related_name="lists"
    )
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["campaign_id", "name"]
        # Uploading a calling list puts its contacts in the dialing queue: granted on its own.
        permissions: ClassVar = [("import_contacts", "Can import contacts")]
        constraints: ClassVar = [models.UniqueConstraint(fields=["campaign", "name"], name="contact_list_unique_name")]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.name}"


class Contact(models.Model):
    """One person to call, with every field of seed 001 under its own name.

    Status changes are conditional UPDATEs from the expected status (see the
    services); the active-call count is derived from ``dialed`` and ``agent_pending`` rows.
    """

    id = models.CharField(primary_key=True, max_length=40)
    customer_number = models.CharField(max_length=20)
    campaign_type = models.CharField(max_length=20, choices=CampaignType.choices)
    gateway_id = models.CharField(max_length=40)
    status = models.CharField(max_length=20, choices=ContactStatus.choices, default=ContactStatus.PENDING)
    call_result = models.CharField(max_length=40, blank=True)
    received_time = models.DateTimeField()
    dial_time = models.DateTimeField(null=True, blank=True)
    campaign_contact_id = models.CharField(max_length=40)
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        to_field="campaign_id",
        db_column="campaign_id",
        related_name="contacts",
        db_index=False,  # covered by contact_campaign_status
    )
    start_time = models.DateTimeField()
    end_time = models.DateTimeField()
    priority = models.PositiveSmallIntegerField()
    ivr = models.CharField(max_length=20, blank=True)
    dialing_mode = models.CharField(max_length=20, choices=DialingMode.choices, blank=True)
    routing_mode = models.CharField(max_length=20, choices=RoutingMode.choices, blank=True)
    resource_id = models.CharField(max_length=40, blank=True)
    queue_name = models.CharField(max_length=20, blank=True)
    contact_list = models.ForeignKey(ContactList, on_delete=models.PROTECT, related_name="contacts")
    # What the dialer needs beyond the seed's fields.
    attempts = models.PositiveIntegerField(default=0)
    call_id = models.UUIDField(null=True, blank=True, unique=True)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="When the dialer took it for this attempt.")
    agent_extension = models.CharField(max_length=20, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    hangup_cause = models.CharField(max_length=60, blank=True)
    switch_name = models.CharField(max_length=60, blank=True, help_text="The dialer node / switch holding the call.")
    # Section 5a: not dialed before this (a retry rule, a callback, a claim that placed no call).
    retry_at = models.DateTimeField(null=True, blank=True)
    # The customer's IANA zone when the campaign manager gave it (else the number's, else the campaign's).
    time_zone = models.CharField(max_length=64, blank=True, db_default="")
    # A pending contact that is not due yet (its start_time or retry_at is ahead) waits outside the dialing
    # queue, so that the cycle never walks past it; ``wake_at`` is when it is due (see lifecycle.wake_due).
    scheduled = models.BooleanField(default=False, db_default=False)
    wake_at = models.DateTimeField(null=True, blank=True)
    # The zones its calling hours are read in: its own zone, or its number's ('|'-joined when several);
    # empty: its campaign's zone.
    tz_key = models.CharField(max_length=200, blank=True, db_default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["received_time"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=_in("status", ContactStatus), name="contact_status_valid"),
            models.CheckConstraint(condition=_in("campaign_type", CampaignType), name="contact_campaign_type_valid"),
            models.CheckConstraint(condition=Q(priority__gte=1, priority__lte=10), name="contact_priority_1_to_10"),
            models.CheckConstraint(condition=Q(end_time__gt=models.F("start_time")), name="contact_window_ordered"),
            models.CheckConstraint(
                condition=Q(dialing_mode="") | _in("dialing_mode", DialingMode), name="contact_dialing_mode_valid"
            ),
            models.CheckConstraint(
                condition=Q(routing_mode="") | _in("routing_mode", RoutingMode), name="contact_routing_mode_valid"
            ),
            models.CheckConstraint(
                condition=~Q(campaign_type=CampaignType.AGENT) | (~Q(dialing_mode="") & ~Q(routing_mode="")),
                name="contact_agent_fields_present",
            ),
        ]
        indexes: ClassVar = [
            # The scheduler's query: a campaign's due contacts in dialing order (waiting ones are not in it).
            models.Index(
                "campaign",
                models.F("priority").desc(),
                "received_time",
                "id",
                name="contact_due_fifo",
                condition=Q(status=ContactStatus.PENDING, scheduled=False),
            ),
            # Several switches (SPEC section 10): a switch reads only the queues of the gateways it dials now, one
            # (gateway, campaign) queue head per probe, so contacts of other gateways are never walked past; led
            # by the gateway so that the gateways with contacts due are listed in one probe each (skip scan).
            models.Index(
                "gateway_id",
                "campaign",
                models.F("priority").desc(),
                "received_time",
                "id",
                name="contact_due_gateway_fifo",
                condition=Q(status=ContactStatus.PENDING, scheduled=False),
            ),
            # Calling hours: a campaign's due contacts per zone, put to wait together when their hours close.
            models.Index(
                fields=["campaign", "tz_key"],
                name="contact_due_zone",
                condition=Q(status=ContactStatus.PENDING, scheduled=False),
            ),
            # Waiting contacts in the order they become due: each cycle wakes those whose time has come.
            models.Index(
                fields=["wake_at"], name="contact_waking", condition=Q(status=ContactStatus.PENDING, scheduled=True)
            ),
            # Campaign control and per-status counts: start/stop/purge touch one status of one campaign.
            models.Index(fields=["campaign", "status"], name="contact_campaign_status"),
            # Active calls (free slots, stale sweep) without scanning finished contacts.
            models.Index(
                fields=["status", "dial_time"], name="contact_active", condition=Q(status__in=ACTIVE_STATUSES)
            ),
            models.Index(fields=["customer_number"], name="contact_customer_number"),
            # The console's contact list: its first page in the order contacts arrived, and its search by the
            # campaign manager's own id; without them each page read and sorted every contact (1 s at 1,000,000).
            models.Index(fields=["received_time"], name="contact_received"),
            models.Index(fields=["campaign_contact_id"], name="contact_crm_id"),
            # Pending contacts whose window has closed leave pending: found without scanning the rest.
            models.Index(fields=["end_time"], name="contact_pending_end", condition=Q(status=ContactStatus.PENDING)),
        ]

    def __str__(self) -> str:
        return f"{self.id} ({self.customer_number}, {self.status})"


class DoNotCall(models.Model):
    """A suppressed number: a contact with this number is not dialed, in every campaign or in one.

    ``customer_number`` is canonical E.164 (``campaigns.numbers``), written by ``campaigns.dnc`` only, so
    that equal numbers are equal strings; contacts are compared in that form. ``campaign_id`` is a plain
    identifier, not a key, so that an entry can be made before its campaign exists (and outlives it).
    """

    customer_number = models.CharField(max_length=20, help_text="E.164, e.g. +4950100000006.")
    campaign_id = models.CharField(
        max_length=40, blank=True, default="", db_default="", help_text="Empty: every campaign."
    )
    expires_at = models.DateTimeField(null=True, blank=True, help_text="No longer applies from then (empty: never).")
    added_by = models.CharField(
        max_length=150,
        blank=True,
        default="",
        db_default="",
        help_text="Operator, API client or import:<file> that set it.",
    )
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["customer_number", "campaign_id"]
        verbose_name = "do-not-call entry"
        verbose_name_plural = "do-not-call list"
        # An import adds entries and rewrites the expiry and reason of listed ones (an expiry in the past lets a
        # number be dialed again): a bulk power of its own, like the calling-list upload's.
        permissions: ClassVar = [("import_dnc", "Can import do-not-call entries")]
        constraints: ClassVar = [
            # Its index, led by customer_number, is also the lookup index of the dialer and the API.
            models.UniqueConstraint(fields=["customer_number", "campaign_id"], name="do_not_call_unique_scope"),
            models.CheckConstraint(
                condition=Q(customer_number__regex=r"^\+[1-9][0-9]{1,14}$"), name="do_not_call_number_e164"
            ),
            models.CheckConstraint(
                condition=Q(campaign_id="") | Q(campaign_id__regex=rf"^(?:{alphabets.CAMPAIGN_ID})$"),
                name="do_not_call_campaign_id_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_number} ({self.campaign_id or 'every campaign'})"


class ApiClient(models.Model):
    """A system allowed to call the API, with one role.

    Only a SHA-256 digest of the token is stored, so a database dump leaks no credentials.
    """

    name = models.CharField(max_length=100, unique=True)
    role = models.CharField(max_length=30, choices=ApiRole.choices)
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # DRF treats the authenticated principal as a user; an API client is always authenticated.
    is_authenticated: ClassVar[bool] = True

    class Meta:
        ordering: ClassVar = ["name"]
        verbose_name = "API client"
        constraints: ClassVar = [models.CheckConstraint(condition=_in("role", ApiRole), name="api_client_role_valid")]

    def __str__(self) -> str:
        return f"{self.name} ({self.role})"


class ListImport(models.Model):
    """A calling list uploaded in the admin: the file waits here for a worker, then holds the report.

    The file is kept in the database (not on one web host's disk) so any worker can import it; it is
    dropped once the import has ended. ``errors`` holds the first rejected rows, ``error_count`` all.
    """

    campaign_id = models.CharField(max_length=40)
    list_name = models.CharField(max_length=100)
    file_name = models.CharField(max_length=255)
    content = models.BinaryField(editable=False)
    # Lines in the file, counted at upload: the progress bar's end (a quoted newline makes it an estimate).
    total_rows = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=10, choices=ImportState.choices, default=ImportState.QUEUED)
    rows = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    already_present = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    uploaded_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        verbose_name = "list import"
        constraints: ClassVar = [
            models.CheckConstraint(condition=_in("state", ImportState), name="list_import_state_valid")
        ]

    def __str__(self) -> str:
        return f"{self.file_name} → {self.campaign_id}/{self.list_name} ({self.state})"


class ContactCountSnapshot(models.Model):
    """A campaign's count of contacts in one of the large statuses, as of ``counted_at``.

    Counting pending, stopped, ended and failed contacts means reading every one of them; the status API,
    ``/metrics`` and the admin would do it on every request. They read these rows instead, written by one
    grouped statement every ``CONTACT_COUNTS_INTERVAL`` (and per campaign after a control action), shown
    with their age. A table rather than Redis: every web process reads it, it survives restarts, and the
    refresh writes it in the statement that counts (see ``campaigns/counts.py``).
    """

    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.CASCADE,
        to_field="campaign_id",
        db_column="campaign_id",
        related_name="count_snapshots",
        db_index=False,  # covered by contact_count_snapshot_unique
    )
    status = models.CharField(max_length=20, choices=ContactStatus.choices)
    count = models.BigIntegerField(default=0)
    # Of the pending ones: how many were scheduled for later when counted (a retry time or window ahead), so
    # that the wallboard can tell "dialable now" from "waiting" without reading a contact.
    scheduled = models.BigIntegerField(default=0, db_default=0)
    counted_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["campaign", "status"], name="contact_count_snapshot_unique"),
            models.CheckConstraint(condition=_in("status", ContactStatus), name="contact_count_snapshot_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.status}: {self.count} at {self.counted_at:%Y-%m-%d %H:%M:%S}"


class CampaignAuditEntry(models.Model):
    """Who did what to a campaign, when, and to how many contacts: one row per control or settings change.

    Written by the services (``campaigns/audit.py``) in the transaction of the change it records, so a change
    is never without its entry nor an entry without its change. ``campaign_id`` is a plain identifier, not a
    key, so that the trail outlives a deleted campaign. ``by`` names the channel and the principal
    (``admin:<username>``, ``api:<client name>``, ``command:<name>``); ``changes`` maps each changed setting
    to ``[old, new]``.
    """

    campaign_id = models.CharField(max_length=40)
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    by = models.CharField(max_length=200)
    affected = models.PositiveIntegerField(null=True, blank=True, help_text="Contacts moved or deleted.")
    changes = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering: ClassVar = ["-at", "-id"]
        verbose_name = "campaign audit entry"
        verbose_name_plural = "campaign audit trail"
        constraints: ClassVar = [
            models.CheckConstraint(condition=_in("action", AuditAction), name="campaign_audit_action_valid")
        ]
        indexes: ClassVar = [models.Index("campaign_id", models.F("at").desc(), name="campaign_audit_recent")]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.action} by {self.by} at {self.at:%Y-%m-%d %H:%M:%S}"

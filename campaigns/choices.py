"""One ``TextChoices`` per concept of seed 001, shared by models, API and admin."""

from __future__ import annotations

from django.db import models


class ContactStatus(models.TextChoices):
    PENDING = "pending"
    AGENT_PENDING = "agent_pending"
    DIALED = "dialed"
    ENDED = "ended"
    STOPPED = "stopped"
    FAILED = "failed"


# Contacts holding a call slot: the number of active calls is always counted from these.
ACTIVE_STATUSES = (ContactStatus.DIALED, ContactStatus.AGENT_PENDING)


class RetryResult(models.TextChoices):
    """Results a campaign's retry rules may name (section 5a; OCS treatments, VICIdial recycling)."""

    BUSY = "Busy"
    NO_ANSWER = "No Answer"
    ANSWERING_MACHINE = "Answering Machine"
    ALL_TRUNKS_BUSY = "All Trunks Busy"
    ABANDONED = "Abandoned"
    DROPPED = "Dropped"
    GENERAL_ERROR = "General Error"


class OptimizeBy(models.TextChoices):
    """What predictive pacing aims at (seed 002's GSW_OPTIMIZE_BY: 1 busy factor, 2 overdial rate)."""

    BUSY_FACTOR = "BUSY_FACTOR"
    OVERDIAL_RATE = "OVERDIAL_RATE"


class CampaignType(models.TextChoices):
    IVR = "IVR"
    AGENT = "AGENT"


class DialingMode(models.TextChoices):
    PREDICTIVE = "PREDICTIVE"
    PREVIEW = "PREVIEW"
    PROGRESSIVE = "PROGRESSIVE"


class RoutingMode(models.TextChoices):
    AGENT = "AGENT"
    QUEUE = "QUEUE"


class CampaignState(models.TextChoices):
    LOADED = "loaded"
    RUNNING = "running"
    STOPPED = "stopped"
    UNLOADED = "unloaded"


# New contacts of a campaign in one of these states are stored ``stopped`` (SPEC.md section 4).
HOLDING_STATES = (CampaignState.STOPPED, CampaignState.UNLOADED)


class ApiRole(models.TextChoices):
    CAMPAIGN_MANAGER = "campaign_manager"
    VOICE_CONNECTOR = "voice_connector"
    OPERATOR = "operator"


class CampaignAction(models.TextChoices):
    """What happened to a campaign; reporting turns these into GSW_CAMPAIGN_GROUP_ACTION."""

    LOAD = "load"
    UNLOAD = "unload"
    START = "start"
    STOP = "stop"
    SET_DIALING_MODE = "set_dialing_mode"


class AuditAction(models.TextChoices):
    """What a campaign's audit trail records: its settings changing and every control, whoever asked."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    START = "start"
    STOP = "stop"
    PURGE = "purge"
    UNLOAD = "unload"


class Actor(models.TextChoices):
    """Who asked for a change: a client (API or admin) or the dialer itself."""

    CLIENT = "client"
    DIALER = "dialer"


class ImportState(models.TextChoices):
    """A CSV uploaded in the admin, imported by a worker."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

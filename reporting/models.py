"""What the dialer records: one CallHistory row per attempt, AgentHistory for agent activity.

History rows refer to contacts by id, without a foreign key, so purging contacts
never deletes or blocks the record of calls already made.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.db import models
from django.db.models import Q


class AgentActivity(models.TextChoices):
    RESERVED = "reserved"
    CONNECTED = "connected"
    RELEASED = "released"
    WRAPUP_DONE = "wrapup_done"


class CallHistory(models.Model):
    """One call attempt, with the GSW-style timestamps of seed 004."""

    attempt_guid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    contact_id = models.CharField(max_length=40, db_index=True)
    campaign_id = models.CharField(max_length=40)
    contact_list = models.CharField(max_length=100, blank=True)
    call_id = models.UUIDField(null=True, blank=True, unique=True)
    customer_number = models.CharField(max_length=20)
    campaign_type = models.CharField(max_length=20)
    dialing_mode = models.CharField(max_length=20, blank=True)
    switch_name = models.CharField(max_length=60, blank=True)
    agent_extension = models.CharField(max_length=20, blank=True)
    dialing_at = models.DateTimeField(help_text="GSW_DIALING: the originate was sent.")
    ringing_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    agent_answered_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    call_result = models.CharField(max_length=40, blank=True)
    call_result_code = models.PositiveSmallIntegerField(null=True, blank=True, help_text="OCS GSW_CALL_RESULT code.")
    hangup_cause = models.CharField(max_length=60, blank=True)
    disposition = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering: ClassVar = ["-dialing_at"]
        verbose_name_plural = "call history"
        indexes: ClassVar = [
            models.Index(fields=["campaign_id", "dialing_at"], name="call_history_campaign_time"),
            # The dashboard's window (calls ended in the last hours, every campaign) and retention read by it.
            models.Index(fields=["released_at"], name="call_history_released"),
            # The wallboard's calls per second per switch (calls dialed in the last minute) and the list's order.
            models.Index(fields=["dialing_at"], name="call_history_dialing"),
            # The console's number search (a number however written, normalised to E.164).
            models.Index(fields=["customer_number"], name="call_history_number"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} @ {self.dialing_at:%Y-%m-%d %H:%M:%S}"


class AgentHistory(models.Model):
    """An agent's activity change, for the busy factor (seed 000, seed 002)."""

    agent_extension = models.CharField(max_length=20)
    activity = models.CharField(max_length=20, choices=AgentActivity.choices)
    occurred_at = models.DateTimeField()
    campaign_id = models.CharField(max_length=40, blank=True)
    contact_id = models.CharField(max_length=40, blank=True)
    call_id = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-occurred_at"]
        verbose_name_plural = "agent history"
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(activity__in=AgentActivity.values), name="agent_history_activity_valid")
        ]
        indexes: ClassVar = [
            models.Index(fields=["agent_extension", "occurred_at"], name="agent_history_agent_time"),
            models.Index(fields=["occurred_at"], name="agent_history_time"),  # retention
        ]

    def __str__(self) -> str:
        return f"{self.agent_extension} {self.activity} @ {self.occurred_at:%H:%M:%S}"


class AgentStateChange(models.Model):
    """An agent entering a state in a queue (section 5b), as the voice connector reported it.

    The busy factor is read from these intervals: busy is ``talking`` + ``wrapup``, logged in is every
    state but ``logged_out``. A repeated report (the same state and time) is stored once.
    """

    agent_extension = models.CharField(max_length=20)
    queue_name = models.CharField(max_length=20)
    state = models.CharField(max_length=20)
    occurred_at = models.DateTimeField()

    class Meta:
        ordering: ClassVar = ["-occurred_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["queue_name", "agent_extension", "occurred_at"], name="agent_state_change_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agent_extension} {self.state} in {self.queue_name} @ {self.occurred_at:%H:%M:%S}"


class AttemptRecord(models.Model):
    """A call attempt record for the external system (seed 004): sequence 0 at dial, 1 with the result.

    An outbox row: written in the transaction of the call's state change, kept until the
    receiver answers 200. Record 1 of an attempt is never sent before record 0 is saved.
    """

    attempt_guid = models.UUIDField()
    sequence = models.PositiveSmallIntegerField()
    contact_id = models.CharField(max_length=40)
    call_id = models.UUIDField()
    campaign_id = models.CharField(max_length=40)
    customer_number = models.CharField(max_length=20)
    payload = models.JSONField()
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    saved_at = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(max_length=40, blank=True, help_text="The receiver's last answer (408 = timeout).")

    class Meta:
        ordering: ClassVar = ["created_at", "sequence"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["attempt_guid", "sequence"], name="attempt_record_once"),
            models.CheckConstraint(condition=Q(sequence__in=(0, 1)), name="attempt_record_sequence_0_or_1"),
        ]
        indexes: ClassVar = [
            # The backlog per campaign (wait conditions) and the delivery queue: unsaved rows only.
            models.Index(fields=["campaign_id"], name="attempt_record_unsaved", condition=Q(saved_at__isnull=True)),
            models.Index(fields=["next_attempt_at"], name="attempt_record_due", condition=Q(saved_at__isnull=True)),
            models.Index(fields=["created_at"], name="attempt_record_created"),  # retention
        ]

    def __str__(self) -> str:
        return f"{self.attempt_guid}/{self.sequence} ({self.customer_number})"


class AgentUpdateState(models.TextChoices):
    QUEUED = "queued"
    APPLIED = "applied"
    REJECTED = "rejected"


class AgentUpdate(models.Model):
    """An agent-generated update (seed 000): queued, applied by a worker, or kept in the error queue.

    A rejected update is never dropped: it stays with its reason until an operator replays it.
    """

    received_at = models.DateTimeField(auto_now_add=True)
    contact_id = models.CharField(max_length=40)
    call_id = models.UUIDField(null=True, blank=True)
    agent_extension = models.CharField(max_length=20)
    occurred_at = models.DateTimeField()
    disposition = models.CharField(max_length=200, blank=True)
    callback_time = models.DateTimeField(null=True, blank=True)
    activity = models.CharField(max_length=20, choices=AgentActivity.choices, blank=True)
    state = models.CharField(max_length=20, choices=AgentUpdateState.choices, default=AgentUpdateState.QUEUED)
    reason = models.TextField(blank=True, help_text="Why the database rejected it (error queue).")
    attempts = models.PositiveIntegerField(default=0)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-received_at"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(state__in=AgentUpdateState.values), name="agent_update_state_valid")
        ]
        indexes: ClassVar = [
            models.Index(fields=["received_at"], name="agent_update_error_queue", condition=Q(state="rejected")),
            models.Index(fields=["received_at"], name="agent_update_received"),  # retention, the admin's order
        ]

    def __str__(self) -> str:
        return f"update {self.pk} for {self.contact_id} ({self.state})"

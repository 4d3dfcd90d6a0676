"""The dialer's own rows: messages to the voice connector, kept until it accepts them."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q


class MessageKind(models.TextChoices):
    CALL_RESULT = "call-results"
    END_CHAT = "end-chat"


class VoiceConnectorMessage(models.Model):
    """A delivery notification or END_CHAT for the voice connector (an outbox row).

    Written in the same transaction as the state change it reports, delivered by a
    worker until the voice connector answers 2xx, so a crash never loses one.
    """

    kind = models.CharField(max_length=20, choices=MessageKind.choices)
    contact_id = models.CharField(max_length=40)
    call_id = models.UUIDField(null=True, blank=True)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering: ClassVar = ["created_at"]
        indexes: ClassVar = [
            models.Index(fields=["next_attempt_at"], name="vc_message_due", condition=Q(delivered_at__isnull=True)),
            # Retention finds the old rows by it (dialer.outbox.prune_delivered).
            models.Index(fields=["created_at"], name="vc_message_created"),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(kind__in=MessageKind.values), name="vc_message_kind_valid"),
            # One message of a kind per call: re-applying an end never notifies twice.
            models.UniqueConstraint(fields=["call_id", "kind"], name="vc_message_once_per_call"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.contact_id}"


class AgentReservation(models.Model):
    """An agent the voice connector reserved for a contact, waiting for its switch's next cycle.

    The callback only stores it, so the web never waits on a switch; the cycle takes it
    (deleting the row, which no two cycles can both do) and places the call. One per call:
    a second reservation for the same call is refused.
    """

    call_id = models.UUIDField(unique=True)
    contact_id = models.CharField(max_length=40)
    agent_extension = models.CharField(max_length=20)
    service_identifier = models.CharField(max_length=40)
    queue_name = models.CharField(max_length=20, blank=True)
    queue_type = models.CharField(max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"agent {self.agent_extension} for {self.contact_id}"


class UnappliedEvent(models.Model):
    """A switch event the listener could not apply, kept whole with its error for an operator to see.

    A failing batch is applied again one event at a time; only the event that fails alone is kept
    here, and the listener goes on with the next (one bad event must not stop every end behind it).
    """

    switch_name = models.CharField(max_length=60)
    event_name = models.CharField(max_length=60, blank=True)
    call_id = models.CharField(max_length=60, blank=True)
    raw = models.TextField()
    error = models.TextField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["-received_at"]
        verbose_name = "unapplied switch event"

    def __str__(self) -> str:
        return f"{self.event_name} {self.call_id} ({self.error[:40]})"


class AgentStateName(models.TextChoices):
    """What the voice connector reports an agent doing in a queue (section 5b)."""

    READY = "ready"
    RESERVED = "reserved"
    TALKING = "talking"
    WRAPUP = "wrapup"
    NOT_READY = "not_ready"
    LOGGED_OUT = "logged_out"


class AgentState(models.Model):
    """Each agent's current state per queue, as the voice connector last reported it.

    ``occurred_at`` is when the agent entered the state (the newest report wins); ``confirmed_at`` when the voice
    connector last said so: a state not confirmed within AGENT_STATE_TTL counts as unknown.
    """

    agent_extension = models.CharField(max_length=20)
    queue_name = models.CharField(max_length=20)
    state = models.CharField(max_length=20, choices=AgentStateName.choices)
    occurred_at = models.DateTimeField()
    confirmed_at = models.DateTimeField()

    class Meta:
        ordering: ClassVar = ["queue_name", "agent_extension"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["agent_extension", "queue_name"], name="agent_state_once_per_queue"),
            models.CheckConstraint(condition=Q(state__in=AgentStateName.values), name="agent_state_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.agent_extension} in {self.queue_name}: {self.state}"


class PredictiveCall(models.Model):
    """An answered predictive call between its answer and its end: whether it may be routed, was, or was abandoned.

    Created when the customer answers (CHANNEL_ANSWER); ``answered_at`` is the switch's answer time, what
    the customer hears and ``ABANDON_TIMEOUT`` counts from. ``parked_at``: the originate's own result has
    arrived (CHANNEL_PARK, raised just after the originate's ``+OK``), before which FreeSWITCH must not be asked to
    transfer the call. ``routed_at`` and ``abandoned_at`` are each set by a compare-and-swap that requires
    the other empty: a call is handed to an agent or abandoned, never both. The row goes when the call ends.
    """

    call_id = models.UUIDField(primary_key=True)
    contact_id = models.CharField(max_length=40)
    campaign_id = models.CharField(max_length=40)
    switch_name = models.CharField(max_length=60)
    answered_at = models.DateTimeField()
    parked_at = models.DateTimeField(null=True, blank=True)
    requested_at = models.DateTimeField(null=True, blank=True, help_text="The outstanding agent request was posted.")
    routed_at = models.DateTimeField(null=True, blank=True)
    abandoned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["answered_at"]
        indexes: ClassVar = [
            models.Index(
                fields=["campaign_id", "answered_at"],
                name="predictive_call_waiting",
                condition=Q(routed_at__isnull=True, abandoned_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"predictive call {self.call_id} of {self.contact_id}"

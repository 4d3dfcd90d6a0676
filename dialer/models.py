"""The dialer's own rows: the switches it dials on, and messages to the voice connector, kept until it accepts them."""

from __future__ import annotations

import math
from typing import ClassVar, Final

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from campaigns import alphabets

# A switch's name keys its contacts, throttle, claim lock and listener beats in Redis: the campaign ids' alphabet.
SWITCH_NAME: Final = alphabets.CAMPAIGN_ID
SWITCH_HOST: Final = alphabets.SWITCH_DOMAIN
# The event socket's password travels in the ``auth <password>`` line: visible ASCII, so no space, tab or line
# break can end the line early or add a command after it.
ESL_PASSWORD: Final = r"[!-~]{1,100}"
PORT_MAX: Final = 65535


def _full(pattern: str) -> str:
    """The whole value, in Python and PostgreSQL alike (``$`` would let a trailing newline through in Python)."""
    return rf"\A(?:{pattern})\Z"


def validate_calls_per_second(value: float) -> None:
    """Above zero and finite: the throttle spaces originates by its inverse (NaN passes ``> 0`` in PostgreSQL)."""
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise ValidationError("must be a number above 0", code="calls_per_second")


class Switch(models.Model):
    """A FreeSWITCH the dialer places calls on (SPEC section 10).

    With no row at all, the settings of section 3 are the switch ``default`` (``dialer.switches``), so a one-switch
    install needs none. Every value here ends up in an event socket line or a Redis key: each is checked against an
    alphabet, in forms and commands (validators) and in the database (constraints) alike. The name is the switch's
    identity (contacts record it): it is not renamed once created.
    """

    name = models.CharField(
        max_length=40,
        unique=True,
        validators=[
            RegexValidator(
                _full(SWITCH_NAME),
                "letters, digits, '.', '_' and '-' (starting with a letter or digit), at most 40",
                code="switch_name",
            )
        ],
    )
    host = models.CharField(
        max_length=100,
        validators=[
            RegexValidator(_full(SWITCH_HOST), "an IP address or host name (letters, digits, '.', ':', '-')", "host")
        ],
        help_text="The event socket's address.",
    )
    port = models.PositiveIntegerField(
        default=8021, validators=[MinValueValidator(1), MaxValueValidator(PORT_MAX)], help_text="1 to 65535"
    )
    # Never shown back: the admin's input is write-only, the API and ``switch list`` leave it out.
    password = models.CharField(
        max_length=100,
        validators=[
            RegexValidator(
                _full(ESL_PASSWORD),
                "visible ASCII characters only (no space, tab or line break), at most 100",
                code="esl_password",
            )
        ],
    )
    max_concurrent_calls = models.PositiveIntegerField(
        default=10, validators=[MinValueValidator(1)], help_text="This switch's call slots (at least 1)."
    )
    calls_per_second = models.FloatField(
        default=5.0, validators=[validate_calls_per_second], help_text="Originates per second on this switch (> 0)."
    )
    enabled = models.BooleanField(
        default=True, help_text="A disabled switch is not dialed on; the calls it holds still end on it."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["name"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(name__regex=_full(SWITCH_NAME)), name="switch_name_alphabet"),
            models.CheckConstraint(condition=Q(host__regex=_full(SWITCH_HOST)), name="switch_host_alphabet"),
            models.CheckConstraint(condition=Q(password__regex=_full(ESL_PASSWORD)), name="switch_password_alphabet"),
            models.CheckConstraint(condition=Q(port__gte=1, port__lte=PORT_MAX), name="switch_port_range"),
            models.CheckConstraint(condition=Q(max_concurrent_calls__gte=1), name="switch_max_calls_positive"),
            models.CheckConstraint(
                condition=Q(calls_per_second__gt=0, calls_per_second__lt=float("inf")), name="switch_cps_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


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

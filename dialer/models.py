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
            models.Index(fields=["next_attempt_at"], name="vc_message_due", condition=Q(delivered_at__isnull=True))
        ]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(kind__in=MessageKind.values), name="vc_message_kind_valid"),
            # One message of a kind per call: re-applying an end never notifies twice.
            models.UniqueConstraint(fields=["call_id", "kind"], name="vc_message_once_per_call"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.contact_id}"

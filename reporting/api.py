"""The agent updates API (SPEC.md section 6): validate, queue, answer 202; a worker applies."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns import alphabets
from campaigns.choices import ApiRole
from campaigns.models import ApiClient
from campaigns.serializers import StrictUUIDField, alphabet_field
from reporting.models import AgentActivity, AgentUpdate
from reporting.tasks import apply_agent_update


class ZonedDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an explicit time zone: a naive time is ambiguous for a contact centre in several zones."""

    def to_internal_value(self, value: Any) -> Any:
        if isinstance(value, str) and not _has_zone(value):
            raise serializers.ValidationError("Must include a time zone (e.g. 'Z' or '+01:00').")
        return super().to_internal_value(value)


def _has_zone(value: str) -> bool:
    return value.endswith(("Z", "z")) or (len(value) > 6 and value[-6] in "+-" and value[-3] == ":")


class AgentUpdateSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    contact_id = StrictUUIDField(help_text="The contact id (any case; stored lower-case).")
    agent_extension = alphabet_field(alphabets.EXTENSION, max_length=20)
    occurred_at = ZonedDateTimeField()
    callback_time = ZonedDateTimeField(required=False)
    activity = serializers.ChoiceField(AgentActivity.choices, required=False)
    disposition = serializers.CharField(max_length=200, required=False)

    class Meta:
        model = AgentUpdate
        fields = ["contact_id", "call_id", "agent_extension", "occurred_at", "disposition", "callback_time", "activity"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not any(attrs.get(name) for name in ("disposition", "callback_time", "activity")):
            raise serializers.ValidationError(
                {"non_field_errors": ["Send a disposition, a callback_time or an activity."]}
            )
        return attrs


class IsCampaignManagerOrVoiceConnector(permissions.BasePermission):
    """Agent updates come from the campaign side or through the voice connector (seed 000)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        client = request.user
        return isinstance(client, ApiClient) and client.role in (ApiRole.CAMPAIGN_MANAGER, ApiRole.VOICE_CONNECTOR)


class AgentUpdateView(APIView):
    """Queue an agent-generated update: 202 when queued, 400 when malformed; a worker applies it."""

    permission_classes = [IsCampaignManagerOrVoiceConnector]

    @extend_schema(
        request=AgentUpdateSerializer,
        responses={
            202: inline_serializer(
                "AgentUpdateQueued", {"id": serializers.IntegerField(), "state": serializers.CharField()}
            )
        },
        description="Queued (202); a worker applies it. Send at least one of disposition, callback_time and activity.",
    )
    def post(self, request: Request) -> Response:
        body = AgentUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            update = body.save()
            transaction.on_commit(lambda: apply_agent_update.delay(update.pk), robust=True)
        return Response({"id": update.pk, "state": update.state}, status=status.HTTP_202_ACCEPTED)

"""The dialer status API (seed 001, "Check Dialer Status")."""

from __future__ import annotations

import logging
from typing import Any

from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns import alphabets
from campaigns.api import batch_items
from campaigns.api_responses import invalid
from campaigns.auth import IsVoiceConnector
from campaigns.serializers import StrictUUIDField, alphabet_field
from dialer.agent_states import StateReport, apply_states, validate_state
from dialer.agents import (
    AGENT_RESERVED,
    NO_AGENT_AVAILABLE,
    ContactNotFound,
    NotAwaitingAgent,
    SwitchDown,
    apply_reservation,
    settle_after_error,
)
from dialer.calls import Reservation
from dialer.esl.commands import QUEUE_TYPE
from dialer.models import AgentStateName
from dialer.status import dialer_status
from dialer.switches import switch_summary

logger = logging.getLogger(__name__)


class DialerStatusView(APIView):
    """MAX_CONCURRENT_CALLS, the active calls (dialed + agent_pending) and per-campaign counts."""

    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        return Response(dialer_status())


class SwitchSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """One switch as ``GET /api/v1/switches/`` lists it (SPEC section 10); the password is never part of it."""

    name = serializers.CharField(help_text="The switch's identity; ``default`` is the settings' switch (no rows).")
    host = serializers.CharField(help_text="Its event socket's address.")
    port = serializers.IntegerField(min_value=1, max_value=65535)
    enabled = serializers.BooleanField(help_text="A disabled switch is not dialed on.")
    connected = serializers.BooleanField(
        help_text="Its listener follows it, or it answered a worker within the last 10 s (or now, asked with a "
        "one-second deadline when nothing fresher is known)."
    )
    listener_connected = serializers.BooleanField(help_text="An event listener follows it now.")
    max_concurrent_calls = serializers.IntegerField(min_value=1, help_text="Its call slots.")
    active_calls = serializers.IntegerField(min_value=0, help_text="Its calls in progress (dialed, agent_pending).")
    calls_per_second = serializers.FloatField(help_text="Its originates per second (> 0).")
    gateways = serializers.ListField(child=serializers.CharField(), help_text="The gateways found on it.")


class SwitchListView(APIView):
    """The switches (SPEC section 10), disabled ones included, with their state and calls in progress."""

    @extend_schema(responses={200: SwitchSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response(switch_summary())


class ReservationSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = StrictUUIDField(help_text="The contact id (any case; stored lower-case).")
    status = serializers.ChoiceField([AGENT_RESERVED, NO_AGENT_AVAILABLE])
    agent_extension = alphabet_field(alphabets.EXTENSION, required=False, allow_blank=True)
    service_identifier = alphabet_field(alphabets.RESOURCE_ID, required=False, allow_blank=True)
    queue_name = alphabet_field(alphabets.QUEUE_NAME, required=False, allow_blank=True)
    queue_type = alphabet_field(QUEUE_TYPE, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["status"] == AGENT_RESERVED:
            missing = [f for f in ("agent_extension", "service_identifier") if not attrs.get(f)]
            if missing:
                raise serializers.ValidationError({f: ["Required when an agent is reserved."] for f in missing})
        return attrs


class AgentReservationView(APIView):
    """The voice connector's answer to an agent request: reserved (the call is placed now) or none available."""

    permission_classes = [IsVoiceConnector]

    @extend_schema(
        request=ReservationSerializer,
        responses={
            200: inline_serializer(
                "ReservationOutcome", {"id": serializers.UUIDField(), "outcome": serializers.CharField()}
            ),
            404: None,
            409: None,
            500: None,
        },
        description="404: no such contact; 409: the contact is not waiting for an agent; 500: the call could not be "
        "placed now (the contact is dialed later).",
    )
    def post(self, request: Request) -> Response:
        body = ReservationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        reservation = None
        if data["status"] == AGENT_RESERVED:
            reservation = Reservation(
                agent_extension=data["agent_extension"],
                service_identifier=data["service_identifier"],
                queue_name=data.get("queue_name", ""),
                queue_type=data.get("queue_type") or "ACD",
            )
        try:
            outcome = apply_reservation(data["id"], data["status"], reservation)
        except ContactNotFound:
            return Response({"detail": f"Not Found: no contact {data['id']}"}, status=404)
        except NotAwaitingAgent as exc:
            return Response({"detail": f"Conflict: {exc}"}, status=409)
        except SwitchDown as exc:
            return Response({"detail": f"Internal Server Error: {exc}; the contact will be dialed later"}, status=500)
        except (OperationalError, InterfaceError):
            raise  # the database is lost: answered 503, and nothing can be settled now
        except Exception as exc:
            logger.exception("agent reservation for %s failed", data["id"])
            settle_after_error(data["id"], data.get("agent_extension", ""))
            detail = f"Internal Server Error: {exc.__class__.__name__}; the contact will be dialed later"
            return Response({"detail": detail}, status=500)
        return Response({"id": data["id"], "outcome": outcome})


class AgentStatesView(APIView):
    """The voice connector's agent states (section 5b): applied at once; 200 with how many applied / ignored."""

    permission_classes = [IsVoiceConnector]

    @extend_schema(
        request=inline_serializer(
            "AgentStateInput",
            {
                "agent_extension": alphabet_field(alphabets.EXTENSION, max_length=20),
                "queue_name": alphabet_field(alphabets.QUEUE_NAME, max_length=20),
                "state": serializers.ChoiceField(AgentStateName.choices),
                "occurred_at": serializers.DateTimeField(help_text="ISO 8601 with a time zone."),
            },
        ),
        responses={
            200: inline_serializer(
                "AgentStatesResult", {"applied": serializers.IntegerField(), "ignored": serializers.IntegerField()}
            )
        },
    )
    def post(self, request: Request) -> Response:
        items = batch_items(request, "agent states", "several requests")
        if isinstance(items, Response):
            return items
        checked = [validate_state(item) for item in items]
        errors = [
            {"index": index, "field": error.field, "message": error.message}
            for index, result in enumerate(checked)
            if isinstance(result, list)
            for error in result
        ]
        if errors:
            return invalid("Invalid agent states; none applied.", errors)
        reports = [result for result in checked if isinstance(result, StateReport)]
        with transaction.atomic():
            applied = apply_states(reports, now=timezone.now())
        return Response({"applied": applied, "ignored": len(reports) - applied})

"""Contact intake and campaign control over REST (SPEC.md section 6). Views are thin: they call services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.db import IntegrityError
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.api_responses import field_error, invalid
from campaigns.auth import client_name
from campaigns.choices import ContactStatus
from campaigns.configuration import create_campaign, update_campaign
from campaigns.control import (
    CampaignNotFound,
    ControlResult,
    purge_campaign,
    start_campaign,
    stop_campaign,
    unload_campaign,
)
from campaigns.intake import IntakeConflict, receive_contacts
from campaigns.models import Campaign, Contact
from campaigns.serializers import (
    CampaignSerializer,
    CampaignUpdateSerializer,
    ContactInputSerializer,
    ContactSerializer,
    ControlResultSerializer,
    IntakeConflictSerializer,
    IntakeResultSerializer,
)
from campaigns.validation import ContactInput

MAX_BATCH = 10_000
# The documented examples, which the docs page's "Try it out" sends as they are (tests post them too).
EXAMPLE_CONTACT = {
    "id": "8d1c7b8e-5b0a-4a57-b8f1-2f6a3c9e7d10",
    "customer_number": "+4930123456",
    "campaign_type": "IVR",
    "gateway_id": "gw1",
    "campaign_contact_id": "crm-1001",
    "campaign_id": "spring-sale",
    "start_time": "2026-01-01T09:00:00+01:00",
    "end_time": "2036-12-31T20:00:00+01:00",
    "priority": 5,
}
EXAMPLE_AGENT_CONTACT = EXAMPLE_CONTACT | {
    "id": "4e0c8a9b-7f41-4c2b-a0de-9b1d5e6f7a22",
    "customer_number": "+4930123457",
    "campaign_type": "AGENT",
    "campaign_id": "spring-sale-agents",
    "dialing_mode": "PREVIEW",
    "routing_mode": "QUEUE",
    "queue_name": "sales",
    "resource_id": "sales",
}


class ContactListView(generics.ListAPIView):  # type: ignore[type-arg]
    """Contacts with their status and result; POST receives one contact or a list of them."""

    serializer_class = ContactSerializer

    def get_queryset(self) -> QuerySet[Contact]:
        queryset = Contact.objects.select_related("contact_list").order_by("received_time")
        params = self.request.query_params
        if campaign_id := params.get("campaign_id"):
            queryset = queryset.filter(campaign_id=campaign_id)
        if contact_status := params.get("status"):
            if contact_status not in ContactStatus.values:
                raise serializers.ValidationError({"status": [f"Must be one of {', '.join(ContactStatus.values)}."]})
            queryset = queryset.filter(status=contact_status)
        return queryset

    @extend_schema(
        parameters=[
            OpenApiParameter("campaign_id", str),
            OpenApiParameter("status", str, enum=ContactStatus.values),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=ContactInputSerializer,
        responses={200: IntakeResultSerializer, 201: IntakeResultSerializer, 409: IntakeConflictSerializer},
        description="201 when a contact was stored; 200 when every one was stored already with the same content "
        "(a replay); 409 when an id is stored with other content. Nothing of a refused request is stored.",
        examples=[
            OpenApiExample("One IVR contact", value=EXAMPLE_CONTACT, request_only=True),
            OpenApiExample(
                "A batch with an agent contact",
                value=[EXAMPLE_CONTACT | {"id": "0b6f2f54-3c1e-4d39-9a55-0d6f4c1b2e11"}, EXAMPLE_AGENT_CONTACT],
                request_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        items = batch_items(request, "contacts", "import_contacts")
        if isinstance(items, Response):
            return items
        contacts, errors = _validate_items(items)
        if errors:
            return invalid("Invalid contacts; nothing was stored.", errors)
        try:
            result = receive_contacts(contacts)
        except IntakeConflict as conflict:
            detail = "Contact ids already exist with other content; nothing was stored."
            found = [{"index": index, "id": contact_id} for index, contact_id in conflict.conflicts]
            return Response({"detail": detail, "conflicts": found}, status=status.HTTP_409_CONFLICT)
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(
            {"ids": [c.id for c in contacts], "created": result.created, "replayed": result.replayed}, status=code
        )


def batch_items(request: Request, noun: str, bulk_command: str) -> list[Any] | Response:
    """A POST body's items (one object or a list of at most MAX_BATCH), or the 400 that refuses it."""
    items = request.data if isinstance(request.data, list) else [request.data]
    if not items:
        return invalid(f"No {noun} in the request.", [field_error("body", "An empty list.")])
    if len(items) > MAX_BATCH:
        detail = f"At most {MAX_BATCH:,} {noun} per request; use {bulk_command} for larger files."
        return invalid(detail, [field_error("body", f"{len(items):,} items.")])
    return items


def _validate_items(items: list[Any]) -> tuple[list[ContactInput], list[dict[str, Any]]]:
    """Validate every item; errors name the item (index and id) and the field."""
    contacts: list[ContactInput] = []
    errors: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        serializer = ContactInputSerializer(data=item)
        if serializer.is_valid():
            contacts.append(serializer.validated_data)
            continue
        item_id = item.get("id") if isinstance(item, dict) else None
        for field, messages in serializer.errors.items():
            errors.extend({"index": index, "id": item_id, "field": field, "message": str(m)} for m in messages)
    return contacts, errors


class ContactDetailView(generics.RetrieveAPIView):  # type: ignore[type-arg]
    serializer_class = ContactSerializer
    queryset = Contact.objects.select_related("contact_list")


class CampaignListView(generics.ListCreateAPIView):  # type: ignore[type-arg]
    """Campaigns; POST creates one ahead of its contacts (state ``loaded``)."""

    serializer_class = CampaignSerializer
    queryset = Campaign.objects.all()

    @extend_schema(
        responses={201: CampaignSerializer, 409: None},
        examples=[
            OpenApiExample(
                "A campaign ahead of its contacts",
                value={"campaign_id": "autumn-sale", "name": "Autumn sale", "ring_timeout": 30},
                request_only=True,
            )
        ],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)

    def perform_create(self, serializer: CampaignSerializer) -> None:  # type: ignore[override]
        try:
            serializer.instance = create_campaign(**serializer.validated_data, by=client_name(self.request))
        except IntegrityError as exc:
            raise CampaignExists from exc


class CampaignExists(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "A campaign with this campaign_id already exists."


class CampaignDetailView(generics.RetrieveUpdateAPIView):  # type: ignore[type-arg]
    serializer_class = CampaignUpdateSerializer
    queryset = Campaign.objects.all()
    lookup_field = "campaign_id"
    http_method_names = ["get", "patch", "options", "head"]

    def perform_update(self, serializer: CampaignUpdateSerializer) -> None:  # type: ignore[override]
        campaign_id = self.kwargs["campaign_id"]
        serializer.instance = update_campaign(campaign_id, by=client_name(self.request), **serializer.validated_data)


class _ControlView(APIView):
    """One campaign control action; 404 when no contacts carry the campaign id (unload: no such campaign)."""

    service: ClassVar[Callable[..., ControlResult]]

    @extend_schema(request=None, responses={200: ControlResultSerializer})
    def post(self, request: Request, campaign_id: str) -> Response:
        try:
            result = type(self).service(campaign_id, by=client_name(request))
        except CampaignNotFound as exc:
            return Response({"detail": f"Not Found: {exc}"}, status=status.HTTP_404_NOT_FOUND)
        return Response(result.as_dict())


class StartCampaignView(_ControlView):
    """Stopped contacts → pending; the campaign runs."""

    service = staticmethod(start_campaign)


class StopCampaignView(_ControlView):
    """Pending contacts → stopped; the campaign stops."""

    service = staticmethod(stop_campaign)


class UnloadCampaignView(_ControlView):
    """Pending contacts → stopped; the campaign is unloaded (start loads it again)."""

    service = staticmethod(unload_campaign)


class PurgeCampaignView(_ControlView):
    """Delete the campaign's pending contacts."""

    service = staticmethod(purge_campaign)

"""The Do-Not-Call list over REST: ``GET``/``POST /api/v1/dnc/``, ``DELETE /api/v1/dnc/{customer_number}/``.

Campaign managers write, operators read (``campaigns.auth.IsApiClient``). Views are thin: entries are
checked by ``dnc.validate_entry`` and written by ``dnc.add_entries``, as the admin and the import do.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any, ClassVar

from django.db.models import Q, QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns import alphabets, dnc
from campaigns.api import batch_items
from campaigns.api_responses import invalid
from campaigns.models import ApiClient, DoNotCall
from campaigns.numbers import InvalidNumber, canonical_number
from campaigns.serializers import alphabet_field

ANY_FORM = "Any written form: +49 501 0000 0006, 0049…, or a national number read in DEFAULT_REGION."


class DncEntryInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """One do-not-call entry: a number written any way, its scope, expiry and reason."""

    # These fields document the shape; dnc.validate_entry checks it, as it checks CSV rows and admin forms.

    customer_number = serializers.CharField(help_text=f"{ANY_FORM} Stored in E.164.")
    campaign_id = alphabet_field(alphabets.CAMPAIGN_ID, required=False, help_text="Absent or empty: every campaign.")
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="ISO 8601 with a time zone, in the future; absent: never."
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200)


class DncEntrySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    in_force = serializers.SerializerMethodField(help_text="False once expires_at has passed.")

    class Meta:
        model = DoNotCall
        fields: ClassVar = [
            "customer_number",
            "campaign_id",
            "expires_at",
            "in_force",
            "added_by",
            "reason",
            "created_at",
        ]

    def get_in_force(self, entry: DoNotCall) -> bool:
        return entry.expires_at is None or entry.expires_at > timezone.now()


class DncAddResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    customer_numbers = serializers.ListField(child=serializers.CharField(), help_text="E.164, in request order.")
    created = serializers.IntegerField()
    updated = serializers.IntegerField(help_text="Listed already, now with the expiry and reason sent.")
    unchanged = serializers.IntegerField(help_text="Listed already as sent.")


def _canonical(number: str) -> str:
    """A number from the URL or the query, canonical; a 400 naming ``customer_number`` when it is none."""
    try:
        return canonical_number(number, default_region=dnc.default_region())
    except InvalidNumber as exc:
        raise serializers.ValidationError({"customer_number": [str(exc)]}) from exc


class DncListView(generics.ListAPIView):  # type: ignore[type-arg]
    """The list (paged); POST adds one entry or a list of them, all or nothing."""

    serializer_class = DncEntrySerializer

    def get_queryset(self) -> QuerySet[DoNotCall]:
        queryset = DoNotCall.objects.all()
        params = self.request.query_params
        if number := params.get("customer_number"):
            queryset = queryset.filter(customer_number=_canonical(number))
        if "campaign_id" in params:
            queryset = queryset.filter(campaign_id=params["campaign_id"])
        if params.get("in_force") in ("true", "false"):
            in_force = Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
            queryset = queryset.filter(in_force if params["in_force"] == "true" else ~in_force)
        return queryset

    @extend_schema(
        parameters=[
            OpenApiParameter("customer_number", str, description=ANY_FORM),
            OpenApiParameter("campaign_id", str, description="Entries of that campaign; empty: every-campaign ones."),
            OpenApiParameter("in_force", bool, description="Only entries in force (true) or expired (false)."),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=DncEntryInputSerializer,
        responses={200: DncAddResultSerializer, 201: DncAddResultSerializer},
        examples=[
            OpenApiExample(
                "A number for every campaign",
                value={"customer_number": "+49 30 1234567", "reason": "asked not to be called"},
                request_only=True,
            )
        ],
        description="201 when an entry was added; 200 when every one was listed already (updated or as sent). "
        "400 names every bad item and field; nothing of the request is stored.",
    )
    def post(self, request: Request) -> Response:
        items = batch_items(request, "entries", "import_dnc")
        if isinstance(items, Response):
            return items
        now = timezone.now()
        entries, errors = _validate_items(items, now)
        if errors:
            return invalid("Invalid entries; nothing was stored.", errors)
        result = dnc.add_entries(entries, added_by=_client_name(request), now=now)
        body = {"customer_numbers": [e.customer_number for e in entries], **asdict(result)}
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class DncEntryView(APIView):
    """One number's entry for one scope: ``?campaign_id=`` names the campaign, absent is every campaign."""

    @extend_schema(
        parameters=[OpenApiParameter("campaign_id", str, description="Absent or empty: the every-campaign entry.")],
        responses={204: None, 400: None, 404: None},
        description=f"Takes the number off the list for that scope. customer_number: {ANY_FORM} "
        "(URL-encoded; '/' cannot be used in it).",
    )
    def delete(self, request: Request, customer_number: str) -> Response:
        number = _canonical(customer_number)
        campaign_id = request.query_params.get("campaign_id", "")
        if not dnc.remove_entry(number, campaign_id=campaign_id):
            scope = f"campaign {campaign_id}" if campaign_id else "every campaign"
            return Response({"detail": f"Not Found: {number} is not listed for {scope}."}, status=404)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _client_name(request: Request) -> str:
    client = request.user
    return client.name if isinstance(client, ApiClient) else ""


def _validate_items(items: list[Any], now: datetime) -> tuple[list[dnc.Entry], list[dict[str, Any]]]:
    """Every item checked; errors name the item (its index, and its number as sent) and the field.

    The same number and scope twice in one request (in any two spellings) is an error on the later item.
    """
    entries: list[dnc.Entry] = []
    indexes: list[int] = []
    errors: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append(_error(index, None, "non_field_errors", "Expected an entry object."))
            continue
        result = dnc.validate_entry(item, now=now)
        if isinstance(result, dnc.Entry):
            entries.append(result)
            indexes.append(index)
        else:
            errors.extend(_error(index, item.get("customer_number"), e.field, e.message) for e in result)
    for position, first in dnc.repeats(entries).items():
        message = f"Repeats item {indexes[first]} ({entries[position].customer_number}, same campaign_id)."
        errors.append(
            _error(indexes[position], items[indexes[position]].get("customer_number"), "customer_number", message)
        )
    errors.sort(key=lambda error: error["index"])
    return entries, errors


def _error(index: int, sent: Any, field: str, message: str) -> dict[str, Any]:
    return {"index": index, "customer_number": sent, "field": field, "message": message}

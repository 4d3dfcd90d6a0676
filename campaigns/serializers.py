"""API representations of contacts and campaigns.

Incoming contacts are checked by ``campaigns.validation.validate_contact`` (the
same function the importer uses); the declared fields of ``ContactInputSerializer``
document that shape in the OpenAPI schema.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from campaigns import alphabets
from campaigns.calling_hours import InvalidCallingHours, validate_calling_hours, validate_time_zone
from campaigns.choices import CampaignType, DialingMode, OptimizeBy, RetryResult, RoutingMode
from campaigns.configuration import EDITABLE_FIELDS
from campaigns.models import RING_TIMEOUT_DEFAULT, RING_TIMEOUT_MAX, RING_TIMEOUT_MIN, Campaign, Contact
from campaigns.retry_rules import InvalidRetryRules, validate_retry_rules
from campaigns.validation import ContactInput, validate_contact


class StrictCharField(serializers.CharField):
    """Text taken exactly as sent, or refused naming the field.

    DRF's field turns ``1001`` into ``"1001"`` and trims ``"1001\\n"`` to ``"1001"``: a value then
    reaches an originate that is not what the client sent, while contact intake refuses the same
    value. Here a number is not text and surrounding whitespace is an error, on every API path.
    """

    default_error_messages = {
        "not_text": "Must be a string.",
        "whitespace": "Must not start or end with whitespace.",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_text")
        if data != data.strip():
            self.fail("whitespace")
        return str(super().to_internal_value(data))


class StrictRegexField(StrictCharField, serializers.RegexField):
    """A strict text field that must also match a pattern."""


@extend_schema_field(OpenApiTypes.UUID)
class StrictUUIDField(StrictCharField):
    """A contact id as intake stores it: the canonical lower-case form, whatever case the client sent."""

    default_error_messages = {"not_uuid": "Must be a UUID."}

    def to_internal_value(self, data: Any) -> str:
        text = super().to_internal_value(data)
        try:
            return str(uuid.UUID(text))
        except ValueError:
            self.fail("not_uuid")


def alphabet_field(pattern: str, **kwargs: Any) -> serializers.RegexField:
    """A text field limited to ``pattern`` as a whole (Django's regex validator only searches)."""
    return StrictRegexField(regex=rf"\A(?:{pattern})\Z", **kwargs)


class WholeNumberField(serializers.IntegerField):
    """An integer sent as a JSON number or a string of ASCII digits, as contact ``priority`` is taken.

    DRF's own field passes anything through ``int(str(value))`` and so accepts ``"25 "``, ``"2_5"`` and
    ``25.0``; a number that ends up in an ESL command is taken only in its plain form.
    """

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, str) and data.isascii() and data.isdigit():
            return int(super().to_internal_value(data))  # DRF's length cap before int()
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return data


class ContactInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.UUIDField(help_text="Unique contact and call identifier.")
    customer_number = alphabet_field(alphabets.CUSTOMER_NUMBER, max_length=20)
    campaign_type = serializers.ChoiceField(CampaignType.choices)
    gateway_id = alphabet_field(alphabets.GATEWAY_ID, max_length=40)
    campaign_contact_id = alphabet_field(alphabets.CAMPAIGN_CONTACT_ID, max_length=40)
    campaign_id = alphabet_field(alphabets.CAMPAIGN_ID, max_length=40)
    start_time = serializers.DateTimeField(help_text="ISO 8601 with a time zone; not dialed before.")
    end_time = serializers.DateTimeField(help_text="ISO 8601 with a time zone, after start_time; not dialed after.")
    priority = serializers.IntegerField(min_value=1, max_value=10)
    ivr = alphabet_field(alphabets.EXTENSION, required=False, help_text="IVR contacts; DEFAULT_IVR if unset.")
    dialing_mode = serializers.ChoiceField(DialingMode.choices, required=False, help_text="Required for AGENT.")
    routing_mode = serializers.ChoiceField(RoutingMode.choices, required=False, help_text="Required for AGENT.")
    resource_id = alphabet_field(alphabets.RESOURCE_ID, required=False, help_text="Queue or agent id.")
    queue_name = alphabet_field(alphabets.QUEUE_NAME, required=False)
    contact_list = alphabet_field(alphabets.LIST_NAME, required=False, help_text="Calling list name.")

    def to_internal_value(self, data: Any) -> ContactInput:
        if not isinstance(data, Mapping):
            raise serializers.ValidationError({"non_field_errors": ["Expected a contact object."]})
        result = validate_contact(data)
        if isinstance(result, ContactInput):
            return result
        errors: dict[str, list[str]] = {}
        for error in result:
            errors.setdefault(error.field, []).append(error.message)
        raise serializers.ValidationError(errors)


class ContactSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    campaign_id = serializers.CharField(read_only=True)
    contact_list = serializers.CharField(source="contact_list.name", read_only=True)
    # Empty for IVR contacts: the document's enums say so.
    dialing_mode = serializers.ChoiceField(DialingMode.choices, allow_blank=True, read_only=True)
    routing_mode = serializers.ChoiceField(RoutingMode.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Contact
        fields: ClassVar = [
            "id", "customer_number", "campaign_type", "gateway_id", "status", "call_result", "received_time",
            "dial_time", "campaign_contact_id", "campaign_id", "start_time", "end_time", "priority", "ivr",
            "dialing_mode", "routing_mode", "resource_id", "queue_name", "contact_list", "attempts", "call_id",
            "agent_extension", "answered_at", "ended_at", "hangup_cause", "retry_at", "time_zone",
        ]  # fmt: skip
        read_only_fields = fields


class CampaignSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
    }
    campaign_id = alphabet_field(alphabets.CAMPAIGN_ID, max_length=40)
    queue_name = alphabet_field(alphabets.QUEUE_NAME, max_length=20, required=False, allow_blank=True)
    default_ivr = alphabet_field(alphabets.EXTENSION, max_length=20, required=False, allow_blank=True)
    ring_timeout = WholeNumberField(
        min_value=RING_TIMEOUT_MIN,
        max_value=RING_TIMEOUT_MAX,
        required=False,
        help_text=f"Seconds an originate rings (originate_timeout), {RING_TIMEOUT_MIN} to {RING_TIMEOUT_MAX}; "
        f"default {RING_TIMEOUT_DEFAULT}.",
    )

    retry_rules = serializers.JSONField(
        required=False,
        help_text='Section 5a: [{"result": "Busy", "delay": 300, "max_attempts": 3}, …]; results: '
        + ", ".join(RetryResult.values),
    )
    calling_hours = serializers.JSONField(
        required=False,
        help_text='Section 5a: local [from, to) ranges per weekday, e.g. {"mon": [["09:00", "20:00"]]}; '
        "a day left out has no hours; empty: no limit.",
    )
    time_zone = StrictCharField(
        required=False, help_text="IANA zone of contacts whose own zone is unknown (default UTC)."
    )
    caller_id = alphabet_field(
        alphabets.CUSTOMER_NUMBER, max_length=20, required=False, allow_blank=True,
        help_text="The number predictive calls show (digits, optional leading +).",
    )  # fmt: skip
    optimize_goal = serializers.FloatField(
        required=False, help_text="A busy factor such as 0.85, or an overdial rate such as 0.03 (default)."
    )
    max_dial_ratio = serializers.FloatField(
        required=False, min_value=1.0, max_value=10.0, help_text="Calls in flight per logged-in agent (default 3)."
    )
    max_concurrent_calls = WholeNumberField(
        min_value=1, required=False, allow_null=True, help_text="Lines this campaign may hold at once (null: no cap)."
    )

    class Meta:
        model = Campaign
        fields: ClassVar = ["campaign_id", "id", "guid", "state", "campaign_type", *EDITABLE_FIELDS, "created_at"]
        read_only_fields: ClassVar = ["id", "guid", "state", "created_at"]
        extra_kwargs: ClassVar = {"name": {"required": False, "min_length": 1, "help_text": "Defaults to campaign_id."}}

    def validate_calling_hours(self, value: Any) -> dict[str, list[list[str]]]:
        try:
            return validate_calling_hours(value)
        except InvalidCallingHours as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def validate_time_zone(self, value: Any) -> str:
        try:
            return validate_time_zone(value) or "UTC"
        except InvalidCallingHours as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The goal is read by what is optimised: an overdial rate never above the hard cap, a busy factor < 1."""
        instance = getattr(self, "instance", None)
        optimize_by = attrs.get("optimize_by", getattr(instance, "optimize_by", OptimizeBy.OVERDIAL_RATE))
        goal = attrs.get("optimize_goal", getattr(instance, "optimize_goal", 0.03))
        if optimize_by == OptimizeBy.OVERDIAL_RATE and not 0 < goal <= settings.ABANDON_RATE_LIMIT:
            message = f"An overdial rate above 0 and at most ABANDON_RATE_LIMIT ({settings.ABANDON_RATE_LIMIT:g})."
            raise serializers.ValidationError({"optimize_goal": [message]})
        if optimize_by == OptimizeBy.BUSY_FACTOR and not 0 < goal < 1:
            raise serializers.ValidationError({"optimize_goal": ["A busy factor above 0 and below 1."]})
        mode = attrs.get("dialing_mode", getattr(instance, "dialing_mode", ""))
        caller_id = attrs.get("caller_id", getattr(instance, "caller_id", ""))
        if mode == DialingMode.PREDICTIVE and not caller_id and {"dialing_mode", "caller_id"} & set(attrs):
            raise serializers.ValidationError({"caller_id": ["Required for a PREDICTIVE campaign (the number shown)."]})
        return attrs

    def validate_retry_rules(self, value: Any) -> list[dict[str, Any]]:
        try:
            return validate_retry_rules(value)
        except InvalidRetryRules as exc:
            raise serializers.ValidationError(str(exc)) from exc


class CampaignUpdateSerializer(CampaignSerializer):
    """A PATCH: a client echoing the GET representation back may send the id, but never a different one."""

    campaign_id = alphabet_field(alphabets.CAMPAIGN_ID, max_length=40, required=False)

    class Meta(CampaignSerializer.Meta):
        read_only_fields: ClassVar = ["id", "guid", "state", "campaign_type", "created_at"]

    def validate_campaign_id(self, value: str) -> str:
        current = getattr(self.instance, "campaign_id", value)
        if value != current:
            raise serializers.ValidationError(f"A campaign id cannot be changed (this campaign is {current}).")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.pop("campaign_id", None)
        return super().validate(attrs)


class ControlResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    campaign_id = serializers.CharField()
    affected = serializers.IntegerField()


class IntakeResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    ids = serializers.ListField(child=serializers.UUIDField(), help_text="The contacts' ids, in request order.")
    created = serializers.ListField(child=serializers.UUIDField(), help_text="Stored by this request (201 when any).")
    replayed = serializers.ListField(
        child=serializers.UUIDField(), help_text="Already stored with the same content (200 when all)."
    )


class IntakeConflictItemSerializer(serializers.Serializer):  # type: ignore[type-arg]
    index = serializers.IntegerField()
    id = serializers.UUIDField()


class IntakeConflictSerializer(serializers.Serializer):  # type: ignore[type-arg]
    detail = serializers.CharField()
    conflicts = IntakeConflictItemSerializer(many=True, help_text="Items whose id is stored with other content.")

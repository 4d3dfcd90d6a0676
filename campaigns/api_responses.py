"""The one shape of a refused request (README, "Errors"): ``{"detail": …, "errors": [{"field", "message", …}]}``.

Every 400 of the API is built here, whether a view found the problems itself (a batch of contacts) or a
serializer did, so a client parses one shape, and the list is capped: a request with 200,000 bad keys
is answered in a few kilobytes, not in a body many times its own size.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from rest_framework import status
from rest_framework.response import Response

MAX_ERRORS_LISTED: Final = 100


def invalid(detail: str, errors: list[dict[str, Any]]) -> Response:
    """A 400 listing at most MAX_ERRORS_LISTED of ``errors``; the detail says how many there were in all."""
    if len(errors) > MAX_ERRORS_LISTED:
        detail = f"{detail} The first {MAX_ERRORS_LISTED} of {len(errors):,} errors are listed."
    return Response({"detail": detail, "errors": errors[:MAX_ERRORS_LISTED]}, status=status.HTTP_400_BAD_REQUEST)


def field_error(field: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message}


def flatten(detail: Any, prefix: str = "") -> Iterable[dict[str, str]]:
    """DRF's nested error structure as a flat list; nested fields are named by their path (``rules.0.delay``)."""
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            yield from flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(detail, list) and any(isinstance(item, Mapping | list) for item in detail):
        for index, item in enumerate(detail):
            yield from flatten(item, f"{prefix}.{index}" if prefix else str(index))
    elif isinstance(detail, list):
        for message in detail:
            yield field_error(prefix or "non_field_errors", str(message))
    else:
        yield field_error(prefix or "non_field_errors", str(detail))

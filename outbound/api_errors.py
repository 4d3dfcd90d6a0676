"""JSON errors for the API: the README's 400 shape, a lost database as 503 (seed 001 failover table).

DRF's own handler answers a refused serializer with a bare map of fields; here every 400 is
``{"detail", "errors": [...]}`` (``campaigns.api_responses``), and errors DRF leaves to Django (a body
over the size limit) are answered as JSON too, so a client of the API never has to parse an HTML page.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, InterfaceError, OperationalError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from campaigns.api_responses import field_error, flatten, invalid
from outbound.api_limits import MAX_BATCH_BODY_BYTES

logger = logging.getLogger(__name__)

DATABASE_DOWN_DETAIL = "Service Unavailable: the database cannot be reached; try again later."


def is_database_unreachable(exc: BaseException) -> bool:
    """Connection-level failures, as opposed to a query the database rejected."""
    return isinstance(exc, OperationalError | InterfaceError)


def body_too_large(limit: int) -> dict[str, str]:
    return {"detail": f"Request body too large: this endpoint takes at most {limit:,} bytes."}


def json_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if is_database_unreachable(exc):
        logger.warning("database unreachable while serving %s: %s", context.get("view"), exc)
        return Response({"detail": DATABASE_DOWN_DETAIL}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
    if isinstance(exc, DatabaseError):
        logger.exception("database error while serving %s", context.get("view"))
        return Response({"detail": "Internal error: the database rejected the request."}, status=500)
    if isinstance(exc, RequestDataTooBig):
        return Response(body_too_large(MAX_BATCH_BODY_BYTES), status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, exceptions.ParseError):
        return invalid("Malformed request body; nothing was changed.", [field_error("body", str(exc.detail))])
    if isinstance(exc, exceptions.ValidationError):
        return invalid("Invalid request; see errors.", list(flatten(exc.detail)))
    return exception_handler(exc, context)

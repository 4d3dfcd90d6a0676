"""JSON errors for the API, with a lost database answered as 503 (seed 001 failover table)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError, InterfaceError, OperationalError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)

DATABASE_DOWN_DETAIL = "Service Unavailable: the database cannot be reached; try again later."


def is_database_unreachable(exc: BaseException) -> bool:
    """Connection-level failures, as opposed to a query the database rejected."""
    return isinstance(exc, OperationalError | InterfaceError)


def json_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if is_database_unreachable(exc):
        logger.warning("database unreachable while serving %s: %s", context.get("view"), exc)
        return Response({"detail": DATABASE_DOWN_DETAIL}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
    if isinstance(exc, DatabaseError):
        logger.exception("database error while serving %s", context.get("view"))
        return Response({"detail": "Internal error: the database rejected the request."}, status=500)
    return exception_handler(exc, context)

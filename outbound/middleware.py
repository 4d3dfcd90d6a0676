"""Answers given before (or instead of) a view: bad request lines, oversize bodies, a lost database.

The API is JSON only: whatever Django itself would answer with an HTML page under ``/api/`` (an
unknown URL, an unexpected error) is turned into ``{"detail": …}`` with the same status.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse, JsonResponse

from outbound.api_errors import DATABASE_DOWN_DETAIL, body_too_large, is_database_unreachable
from outbound.api_limits import body_limit

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"


class RequestGuardMiddleware:
    """Refuse, before any view or parser runs, what no view can serve: NUL bytes and oversize bodies.

    A NUL byte in a path or query value reaches PostgreSQL as a string it cannot store or compare, so
    it is refused as a 400 here, for the admin as much as for the API. A body is measured by its
    Content-Length against the endpoint's limit (``outbound.api_limits``); file uploads to the admin
    (multipart) are bounded by the upload handlers instead.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for where, text in (("path", request.path), ("query", unquote(request.META.get("QUERY_STRING", "")))):
            if "\x00" in text:
                message = f"The {where} holds a NUL byte."
                return JsonResponse({"detail": message, "errors": [{"field": where, "message": message}]}, status=400)
        limit = body_limit(request.path)
        if _content_length(request) > limit and not (request.content_type or "").startswith("multipart/"):
            return JsonResponse(body_too_large(limit), status=413)
        response = self.get_response(request)
        if request.path.startswith(API_PREFIX) and response.status_code >= 400 and _is_html(response):
            return JsonResponse({"detail": HTTPStatus(response.status_code).phrase}, status=response.status_code)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_unreachable(exception):
            return JsonResponse({"detail": DATABASE_DOWN_DETAIL}, status=503)
        if request.path.startswith(API_PREFIX):
            logger.error("unexpected error serving %s", request.path, exc_info=exception)
            return JsonResponse({"detail": f"Internal Server Error: {exception.__class__.__name__}."}, status=500)
        return None


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _is_html(response: HttpResponse) -> bool:
    return str(response.get("Content-Type", "")).startswith("text/html")

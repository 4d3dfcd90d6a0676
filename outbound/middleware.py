"""Answer 503 instead of a 500 page when the database is lost outside the API (admin, health)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from outbound.api_errors import DATABASE_DOWN_DETAIL, is_database_unreachable


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_unreachable(exception):
            return JsonResponse({"detail": DATABASE_DOWN_DETAIL}, status=503)
        return None

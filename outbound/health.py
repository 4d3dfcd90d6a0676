"""Liveness and readiness endpoints for load balancers and orchestrators."""

from __future__ import annotations

from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse

from dialer.esl.client import configured_switch
from dialer.status import switch_health


def healthz(request: HttpRequest) -> JsonResponse:
    """The process answers: nothing else is checked, so a lost database does not restart it."""
    return JsonResponse({"status": "ok"})


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _broker() -> None:
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


def _switch() -> None:
    """From what the listener and workers last saw; the switch itself is asked only with a 1 s deadline."""
    health = switch_health(configured_switch())
    if not health["connected"]:
        raise ConnectionError(f"event socket {health['name']} unreachable: {health['error']}")


CHECKS: dict[str, Callable[[], None]] = {"database": _database, "broker": _broker, "switch": _switch}


def readyz(request: HttpRequest) -> JsonResponse:
    """Ready when every dependency answers; 503 names the ones that do not."""
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # any failure of a dependency means "not ready", with its reason
            results[name] = f"down: {exc.__class__.__name__}: {exc}"
        else:
            results[name] = "ok"
    ready = all(value == "ok" for value in results.values())
    return JsonResponse({"ready": ready, "checks": results}, status=200 if ready else 503)

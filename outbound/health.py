"""Liveness and readiness endpoints for load balancers and orchestrators."""

from __future__ import annotations

from collections.abc import Callable

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse

from dialer.esl.client import ESL_PASSWORD_MISSING, SwitchNotConfigured
from dialer.status import switch_health
from dialer.switches import SwitchConfig, listed_switches


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


def _switch(switch: SwitchConfig) -> Callable[[], None]:
    """From what the switch's listener and the workers last saw; the switch itself is asked only with a 1 s
    deadline."""

    def check() -> None:
        if not switch.address.password:
            raise SwitchNotConfigured(ESL_PASSWORD_MISSING)
        health = switch_health(switch.address)
        if not health["connected"]:
            raise ConnectionError(f"event socket {health['name']} unreachable: {health['error']}")

    return check


CHECKS: dict[str, Callable[[], None]] = {"database": _database, "broker": _broker}


def readyz(request: HttpRequest) -> JsonResponse:
    """Ready while the database, the broker and at least one switch answer (SPEC 10); 503 names what does not.

    ``checks["switch"]`` is "ok" while any enabled switch answers, else the reason of each; ``switches`` has
    every enabled switch's own answer, so a monitor sees one switch down while the dialer stays ready.
    """
    results = {name: _outcome(check) for name, check in CHECKS.items()}
    try:
        enabled = [switch for switch in listed_switches() if switch.enabled]
    except DatabaseError:  # the switches are rows: with the database lost, which ones is unknown (not ready anyway)
        return JsonResponse({"ready": False, "checks": results | {"switch": "unknown: no database"}}, status=503)
    switches = {switch.name: _outcome(_switch(switch)) for switch in enabled}
    down = [f"{name}: {outcome.removeprefix('down: ')}" for name, outcome in switches.items() if outcome != "ok"]
    results["switch"] = "ok" if len(down) < len(switches) else "down: " + ("; ".join(down) or "no switch is enabled")
    ready = all(value == "ok" for value in results.values())
    body = {"ready": ready, "checks": results, "switches": switches}
    return JsonResponse(body, status=200 if ready else 503)


def _outcome(check: Callable[[], None]) -> str:
    try:
        check()
    except Exception as exc:  # any failure of a dependency means "not ready", with its reason
        return f"down: {exc.__class__.__name__}: {exc}"
    return "ok"

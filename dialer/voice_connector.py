"""The voice connector client: JSON POSTs with a bearer token (SPEC.md section 5).

A 2xx is success; any other status, a timeout or a refused connection is a
``VoiceConnectorError`` (a failure in the failover table's sense).
"""

from __future__ import annotations

import threading
from typing import Any

import requests
from django.conf import settings

TIMEOUT_SECONDS = 5.0
_local = threading.local()


class VoiceConnectorError(Exception):
    pass


def is_configured() -> bool:
    return bool(settings.VOICE_CONNECTOR_URL)


def _session() -> requests.Session:
    """One keep-alive session per thread (sessions are not shared between threads)."""
    session: requests.Session | None = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    return session


def post(path: str, payload: dict[str, Any]) -> None:
    """POST ``payload`` to ``{VOICE_CONNECTOR_URL}/{path}``."""
    if not is_configured():
        raise VoiceConnectorError("VOICE_CONNECTOR_URL is not set")
    url = f"{settings.VOICE_CONNECTOR_URL}/{path}"
    headers = {"Authorization": f"Bearer {settings.VOICE_CONNECTOR_TOKEN}"}
    try:
        response = _session().post(url, json=payload, headers=headers, timeout=TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        raise VoiceConnectorError(f"{url}: {exc.__class__.__name__}: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise VoiceConnectorError(f"{url} answered {response.status_code}: {response.text[:200]}")

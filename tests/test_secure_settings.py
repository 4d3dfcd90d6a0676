"""DJANGO_SECURE_TLS (SPEC.md section 3): HTTPS with HSTS and secure cookies, or plain HTTP on loopback."""

from __future__ import annotations

import json
from typing import Any

from tests.test_settings import start

PRODUCTION = {
    "DJANGO_DEBUG": None,
    "DJANGO_SECRET_KEY": "a-production-secret-key-of-more-than-fifty-characters-0123456789-xyz",
    "DJANGO_ALLOWED_HOSTS": "dialer.example.com,testserver",
}
TLS_WARNINGS = ("security.W004", "security.W008", "security.W012", "security.W016")

# What a browser and a load balancer get from the web process, asked in a process started with the environment.
PROBE = """
import json
from django.http import HttpResponse
from django.middleware.security import SecurityMiddleware
from django.test import Client, RequestFactory

factory, middleware = RequestFactory(), SecurityMiddleware(lambda request: HttpResponse())
redirected = {path: middleware.process_request(factory.get(path)) is not None
              for path in ("/healthz", "/readyz", "/metrics", "/admin/", "/api/v1/contacts/")}
over_https = Client().get("/healthz", HTTP_X_FORWARDED_PROTO="https")
plain = Client().get("/healthz")
print(json.dumps({"redirected": redirected, "hsts": over_https.headers.get("Strict-Transport-Security"),
                  "plain_status": plain.status_code}))
"""


def probe(**overrides: str | None) -> dict[str, Any]:
    result = start("shell", "-c", PROBE, **PRODUCTION, **overrides)
    assert result.returncode == 0, result.stderr
    seen: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return seen


def test_with_tls_on_check_deploy_is_clean():
    result = start("check", "--deploy", **PRODUCTION, DJANGO_SECURE_TLS="1")
    assert result.returncode == 0, result.stderr
    assert "security." not in result.stdout + result.stderr  # no W004/W008/W012/W016, nor any other
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_with_tls_on_browsers_are_sent_to_https_and_told_to_stay_but_probes_are_not():
    seen = probe(DJANGO_SECURE_TLS="1")
    assert seen["redirected"] == {
        "/healthz": False,
        "/readyz": False,
        "/metrics": False,
        "/admin/": True,
        "/api/v1/contacts/": True,
    }
    # X-Forwarded-Proto from the load balancer that ended TLS makes the request secure.
    assert seen["hsts"] == "max-age=31536000; includeSubDomains"
    assert seen["plain_status"] == 200


def test_by_default_plain_http_is_served_as_it_is():
    seen = probe()
    assert not any(seen["redirected"].values())
    assert seen["hsts"] is None
    assert seen["plain_status"] == 200


def test_by_default_check_deploy_says_what_tls_would_fix():
    result = start("check", "--deploy", **PRODUCTION)
    assert all(code in result.stdout + result.stderr for code in TLS_WARNINGS)

"""Sign-in throttling for the operators' console (django-axes).

After ``DJANGO_LOGIN_FAILURE_LIMIT`` failed sign-ins in a row for one user name from one address, that user
name is refused from that address for ``DJANGO_LOGIN_COOLOFF_MINUTES`` (a right password included), with a
page that says so. Locking the pair, not the address alone nor the name alone, keeps one guesser from
locking every operator behind a shared proxy out of their own accounts.
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse


class LoginThrottleBackend(AxesStandaloneBackend):
    """Axes' lockout check for every sign-in that comes with a request.

    Axes refuses to authenticate without a request (it would have no address to count failures against) by
    raising an error. Every sign-in from the network has one: the admin's login form passes it. What calls
    ``authenticate`` without one runs on the server itself (a shell, the test client's ``login()``); there is
    nothing to throttle, so this backend lets the next backend decide, as it does for any other user.
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> None:
        if request is None:
            return None
        super().authenticate(request, username=username, password=password, **kwargs)
        return None


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """The page a locked-out operator sees instead of the login form: why, for how long, and what to do."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {
        "title": "Sign-in locked",
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": minutes,
        "username": (credentials or {}).get("username") or request.POST.get("username", ""),
    }
    return TemplateResponse(request, "registration/login_locked.html", context, status=429).render()

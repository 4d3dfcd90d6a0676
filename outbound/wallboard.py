"""The wallboard: the figures an operator keeps open all day, per switch and per campaign, and what needs a human."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

# The call history and the campaigns: what the pages built from both need.
CALL_PERMISSIONS = ("reporting.view_callhistory", "campaigns.view_campaign")


def page_context(request: HttpRequest) -> dict[str, Any]:
    """The wallboard's figures for ``request``'s operator."""
    return {}

"""The campaigns' audit trail: who started, stopped, purged, unloaded or reconfigured a campaign, and when.

The control and configuration services call ``record`` inside their own transaction, so an entry exists
exactly when its change does. Who did it is a plain string naming the channel and the principal, built by
``admin_actor`` (the admin), ``campaigns.auth.client_name`` (the API) or ``command_actor`` (a command).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.http import HttpRequest

from campaigns.models import CampaignAuditEntry

# Who is recorded when a caller does not say (code that predates the trail, a shell session).
UNATTRIBUTED = "unattributed"
# How many entries the campaign's admin page shows; the full trail is the audit list, filtered by campaign.
RECENT_LIMIT = 50


def admin_actor(request: HttpRequest) -> str:
    """The operator signed in to the admin, as the trail names them."""
    return f"admin:{request.user.get_username()}"


def command_actor(command: str) -> str:
    """A management command run on a server (its operator is whoever holds the shell)."""
    return f"command:{command}"


def settings_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for every field of ``after`` whose value differs from ``before`` (pure).

    A field missing from ``before`` (a campaign being created) is recorded as changing from ``None``.
    """
    return {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}


def record(
    campaign_id: str,
    action: str,
    *,
    by: str,
    affected: int | None = None,
    changes: Mapping[str, list[Any]] | None = None,
    detail: str = "",
) -> CampaignAuditEntry:
    """Write one entry; called inside the transaction of the change it records."""
    return CampaignAuditEntry.objects.create(
        campaign_id=campaign_id,
        action=action,
        by=by or UNATTRIBUTED,
        affected=affected,
        changes=dict(changes or {}),
        detail=detail[:200],
    )


@transaction.atomic
def rename(old_campaign_id: str, new_campaign_id: str) -> None:
    """A campaign given a new id keeps its trail (the trail is keyed by id, not by a database key)."""
    CampaignAuditEntry.objects.filter(campaign_id=old_campaign_id).update(campaign_id=new_campaign_id)


def describe(entry: CampaignAuditEntry) -> str:
    """The entry's changes and detail in one line: ``state: 'running' → 'stopped'; statuses: pending``."""
    parts = [f"{name}: {old!r} → {new!r}" for name, (old, new) in entry.changes.items()]
    if entry.detail:
        parts.append(entry.detail)
    return "; ".join(parts)


def recent(campaign_id: str, limit: int = RECENT_LIMIT) -> tuple[list[CampaignAuditEntry], int]:
    """The campaign's newest ``limit`` entries, newest first, and how many it has in all."""
    entries = CampaignAuditEntry.objects.filter(campaign_id=campaign_id)
    return list(entries.order_by("-at", "-id")[:limit]), entries.count()

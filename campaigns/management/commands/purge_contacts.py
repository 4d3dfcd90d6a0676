"""``python manage.py purge_contacts --campaign ID [--status …]``: delete a campaign's contacts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from campaigns.choices import ACTIVE_STATUSES, ContactStatus
from campaigns.control import CampaignNotFound, purge_campaign

PURGEABLE = [s for s in ContactStatus.values if s not in ACTIVE_STATUSES]


class Command(BaseCommand):
    help = "Delete a campaign's contacts in the given statuses (default: pending), in one transaction."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--campaign", required=True)
        parser.add_argument(
            "--status", action="append", choices=PURGEABLE, help="repeatable; contacts in a call cannot be purged"
        )

    def handle(self, *args: Any, campaign: str, status: list[str] | None, **options: Any) -> None:
        statuses = tuple(status or [ContactStatus.PENDING])
        try:
            result = purge_campaign(campaign, statuses=statuses)
        except CampaignNotFound as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"purged {result.affected} contacts ({', '.join(statuses)}) of campaign {campaign}")

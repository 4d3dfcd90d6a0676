"""``python manage.py purge_contacts --campaign ID [--status …] [--dry-run] [--yes]``: delete a campaign's contacts."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from campaigns import audit
from campaigns.choices import ACTIVE_STATUSES, ContactStatus
from campaigns.control import CampaignNotFound, purge_campaign
from campaigns.models import Contact

PURGEABLE = [s for s in ContactStatus.values if s not in ACTIVE_STATUSES]


class Command(BaseCommand):
    help = (
        "Delete a campaign's contacts in the given statuses (default: pending), in one transaction. "
        "On a terminal it asks first (--yes does not); run from a script it does not ask."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--campaign", required=True)
        parser.add_argument(
            "--status", action="append", choices=PURGEABLE, help="repeatable; contacts in a call cannot be purged"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="only say how many contacts would be deleted; delete nothing"
        )
        parser.add_argument(
            "--yes",
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="do not ask for confirmation on a terminal",
        )

    def handle(
        self, *args: Any, campaign: str, status: list[str] | None, dry_run: bool, interactive: bool, **options: Any
    ) -> None:
        statuses = tuple(status or [ContactStatus.PENDING])
        described = f"({', '.join(statuses)}) of campaign {campaign}"
        if dry_run or (interactive and sys.stdin.isatty()):
            count = purgeable_count(campaign, statuses)
            if dry_run:
                self.stdout.write(f"would purge {count} contacts {described}; nothing was deleted (--dry-run)")
                return
            if not confirmed(f"Delete {count} contacts {described}? This cannot be undone. [y/N] "):
                self.stdout.write("purge cancelled: nothing was deleted")
                return
        try:
            result = purge_campaign(campaign, statuses=statuses, by=audit.command_actor("purge_contacts"))
        except CampaignNotFound as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"purged {result.affected} contacts {described}")


def purgeable_count(campaign_id: str, statuses: tuple[str, ...]) -> int:
    """How many contacts a purge would delete now; refused, as the purge is, when no contact has the campaign."""
    contacts = Contact.objects.filter(campaign_id=campaign_id)
    if not contacts.exists():
        raise CommandError(f"no contacts with campaign_id {campaign_id!r}")
    return contacts.filter(status__in=statuses).count()


def confirmed(question: str) -> bool:
    """The operator's answer on the terminal: only y or yes deletes; Ctrl-C or Ctrl-D is a no."""
    try:
        answer = input(question)
    except (EOFError, KeyboardInterrupt):
        return False
    return answer.strip().lower() in {"y", "yes"}

"""``python manage.py create_api_client NAME --role …``: create an API client and print its token once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError

from campaigns.auth import create_api_client
from campaigns.choices import ApiRole


class Command(BaseCommand):
    help = "Create an API client with a role and print its token (it is not stored and cannot be shown again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--role", required=True, choices=ApiRole.values)

    def handle(self, *args: Any, name: str, role: str, **options: Any) -> None:
        try:
            _, token = create_api_client(name=name, role=role)
        except IntegrityError as exc:
            raise CommandError(f"NAME: an API client named {name!r} already exists") from exc
        self.stdout.write(token)

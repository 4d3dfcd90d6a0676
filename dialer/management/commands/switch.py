"""``python manage.py switch add|change|disable|enable|list``: SPEC section 10's switches, for provisioning scripts.

The password is never given on the command line (a process list shows it to every user of the host): ``--password-env
VAR`` names the environment variable that holds it. Values are checked by the model's own validation, and a bad one
is refused in one line naming its option, with a non-zero exit status; nothing is changed then.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError, transaction

from dialer.models import Switch
from dialer.switches import switch_summary

# Option → model field; each value is given to the model as typed, so that its own checks judge it.
OPTIONS = {
    "host": "host",
    "port": "port",
    "max_calls": "max_concurrent_calls",
    "cps": "calls_per_second",
}
# Model field → how a refusal names it.
NAMES = {
    "name": "NAME",
    "host": "--host",
    "port": "--port",
    "password": "--password-env",
    "max_concurrent_calls": "--max-calls",
    "calls_per_second": "--cps",
}


class Command(BaseCommand):
    help = "Add, change, disable, enable or list the switches calls are placed on (no password is ever printed)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="add|change|disable|enable|list")
        add = actions.add_parser("add", help="a new switch", description="Add a switch (enabled).")
        change = actions.add_parser("change", help="change a switch's settings (only those given)")
        for sub, required in ((add, True), (change, False)):
            sub.add_argument("name", metavar="NAME")
            sub.add_argument("--host", required=required, help="the event socket's address")
            sub.add_argument("--port", required=required, help="the event socket's port (1-65535)")
            sub.add_argument(
                "--password-env",
                required=required,
                metavar="VAR",
                help="the environment variable holding the event socket's password",
            )
            sub.add_argument("--max-calls", required=required, help="call slots (at least 1)")
            sub.add_argument("--cps", required=required, help="originates per second (above 0)")
        for verb in ("disable", "enable"):
            actions.add_parser(verb, help=f"{verb} a switch").add_argument("name", metavar="NAME")
        actions.add_parser("list", help="the switches, without their passwords")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "list":
            self.list_switches()
        elif action in ("disable", "enable"):
            self.set_enabled(options["name"], enabled=action == "enable")
        else:
            self.save(options["name"], options, adding=action == "add")

    def save(self, name: str, options: dict[str, Any], *, adding: bool) -> None:
        """Add a switch, or change the settings given; every value checked before anything is written."""
        password = None if options["password_env"] is None else password_from(options["password_env"])
        with transaction.atomic():
            switch = Switch(name=name) if adding else self.existing(name, for_update=True)
            for option, field in OPTIONS.items():
                if options[option] is not None:
                    setattr(switch, field, options[option])
            if password is not None:
                switch.password = password
            try:
                switch.full_clean()
                switch.save()
            except ValidationError as exc:
                raise CommandError(refusal(exc, name)) from None
            except IntegrityError as exc:  # another command added the same name meanwhile
                raise CommandError(f"NAME: a switch named {name!r} already exists") from exc
        self.stdout.write(f"switch {name} {'added' if adding else 'changed'}")

    def set_enabled(self, name: str, *, enabled: bool) -> None:
        with transaction.atomic():
            switch = self.existing(name, for_update=True)
            switch.enabled = enabled
            switch.save(update_fields=["enabled", "updated_at"])
        self.stdout.write(f"switch {name} {'enabled' if enabled else 'disabled'}")

    @staticmethod
    def existing(name: str, *, for_update: bool = False) -> Switch:
        rows = Switch.objects.select_for_update() if for_update else Switch.objects.all()
        switch = rows.filter(name=name).first()
        if switch is None:
            raise CommandError(f"NAME: no switch named {name!r} (see `manage.py switch list`)")
        return switch

    def list_switches(self) -> None:
        """A table in the switches API's terms (no password); with no row, the settings' ``default``, said so."""
        switches = switch_summary(probe=False)
        header = ("name", "host", "port", "enabled", "max_calls", "cps", "active_calls", "connected", "listener")
        rows = [
            (
                s["name"],
                s["host"],
                str(s["port"]),
                _yes(s["enabled"]),
                str(s["max_concurrent_calls"]),
                f"{s['calls_per_second']:g}",
                str(s["active_calls"]),
                _yes(s["connected"]),
                _yes(s["listener_connected"]),
            )
            for s in switches
        ]
        widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
        for row in (header, *rows):
            self.stdout.write("  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip())
        if not Switch.objects.exists():
            self.stdout.write("(no switch rows: default is the settings' switch, ESL_HOST and ESL_PORT)")


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def password_from(variable: str) -> str:
    """The value of the environment variable ``variable``; refuses one that is unset or empty."""
    value = os.environ.get(variable)
    if value is None:
        raise CommandError(f"--password-env: the environment variable {variable} is not set")
    if not value:
        raise CommandError(f"--password-env: the environment variable {variable} is empty")
    return value


def refusal(error: ValidationError, name: str) -> str:
    """Every problem in one line, each naming its option; never a value that was not typed on the command line (the
    password's checks say what is wrong with it, not what it is)."""
    problems = []
    for field, errors in error.error_dict.items():
        option = NAMES.get(field, "NAME" if field == NON_FIELD_ERRORS else field)
        if field == "name" and any(e.code == "unique" for e in errors):
            problems.append(f"{option}: a switch named {name!r} already exists")
            continue
        problems.append(f"{option}: {' '.join(ValidationError(errors).messages).rstrip('.')}")
    return "; ".join(problems)

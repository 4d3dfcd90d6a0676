"""Read and check the environment so a bad setting stops start-up with its name.

django-environ does the parsing; this module adds the checks it lacks (ranges,
choices, alphabets) and turns every failure into one ``ImproperlyConfigured``
message that names the variable, so an operator never has to guess which of
twenty settings was wrong.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured


class Settings:
    """A thin reader around ``environ.Env`` that names the variable on failure."""

    def __init__(self, env: environ.Env | None = None) -> None:
        self.env = env or environ.Env()

    def _read(self, name: str, cast: Callable[[str], Any], default: Any) -> Any:
        raw = self.env.str(name, default=None)
        if raw is None or raw == "":
            return default
        try:
            return cast(raw)
        except (ValueError, TypeError) as exc:
            raise ImproperlyConfigured(f"{name}: cannot read {raw!r} ({exc})") from exc

    def text(self, name: str, default: str = "", *, pattern: str | None = None) -> str:
        value: str = self._read(name, str, default)
        if pattern and value and not re.fullmatch(pattern, value):
            raise ImproperlyConfigured(f"{name}: {value!r} must match {pattern}")
        return value

    def required(self, name: str, why: str) -> str:
        value = self.text(name)
        if not value:
            raise ImproperlyConfigured(f"{name} is not set: {why}")
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        def to_bool(raw: str) -> bool:
            lowered = raw.strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off"}:
                return False
            raise ValueError("expected one of 1/0, true/false, yes/no, on/off")

        result: bool = self._read(name, to_bool, default)
        return result

    def integer(self, name: str, default: int, *, minimum: int = 0) -> int:
        value: int = self._read(name, int, default)
        if value < minimum:
            raise ImproperlyConfigured(f"{name}: {value} is below the minimum {minimum}")
        return value

    def number(self, name: str, default: float, *, minimum: float = 0.0, exclusive: bool = False) -> float:
        value: float = self._read(name, float, default)
        if value < minimum or (exclusive and value == minimum):
            bound = "above" if exclusive else "at least"
            raise ImproperlyConfigured(f"{name}: {value} must be {bound} {minimum}")
        return value

    def choice(self, name: str, default: str, choices: Sequence[str]) -> str:
        value = self.text(name, default)
        if value not in choices:
            raise ImproperlyConfigured(f"{name}: {value!r} is not one of {', '.join(choices)}")
        return value

    def url(self, name: str, default: str = "") -> str:
        value = self.text(name, default)
        if value and not re.match(r"^https?://[^\s/]+", value):
            raise ImproperlyConfigured(f"{name}: {value!r} is not an http(s) URL")
        return value.rstrip("/")

    def items(self, name: str, default: Sequence[str]) -> list[str]:
        value: list[str] = self._read(name, lambda raw: [p.strip() for p in raw.split(",") if p.strip()], list(default))
        return value

    def database(self, name: str) -> dict[str, Any]:
        raw = self.required(name, "the dialer needs PostgreSQL, e.g. postgres://user@127.0.0.1:5432/outbound")
        try:
            parsed: dict[str, Any] = self.env.db_url_config(raw)
        except Exception as exc:  # django-environ raises bare exceptions for unknown schemes
            raise ImproperlyConfigured(f"{name}: cannot read {raw!r} ({exc})") from exc
        if parsed.get("ENGINE") != "django.db.backends.postgresql":
            raise ImproperlyConfigured(f"{name}: only PostgreSQL is supported (got {raw.split(':', 1)[0]}://)")
        return parsed


@contextmanager
def exit_on_configuration_error(status: int = 2) -> Iterator[None]:
    """Turn a bad setting met inside the block into one line on stderr and exit ``status``.

    Celery and gunicorn print a traceback of some ninety lines for an exception raised while they
    load the app, burying the one line that names the variable; ``manage.py`` does the same as this.
    """
    try:
        yield
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"configuration error: {exc}\n")
        sys.stderr.flush()
        raise SystemExit(status) from None

"""Work started after the transaction commits: a scheduler cycle, a delivery run — once per transaction."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial

from celery import current_app


def request_cycle(switch_name: str | None = None) -> None:
    """A slot is free on ``switch_name``: run its scheduler cycle now rather than at the next beat (without a
    name: every enabled switch's)."""
    current_app.send_task("dialer.tasks.dial_cycle", args=[switch_name] if switch_name else [])


@cache
def cycle_request(switch_name: str) -> Callable[[], None]:
    """``request_cycle`` for ``switch_name`` as one object per name, so that ``on_commit_once`` asks for one
    cycle per switch however many of its calls a transaction ends."""
    return partial(request_cycle, switch_name)


def request_delivery() -> None:
    """Messages for the voice connector are waiting: deliver them now rather than at the next sweep."""
    current_app.send_task("dialer.tasks.deliver_due_voice_connector_messages")

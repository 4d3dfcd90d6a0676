"""Signals sent by campaign services, always after the transaction commits.

Reporting listens to these; the services that change state never call reporting.
Signals carry ids and plain values, never model instances.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.dispatch import Signal

# kwargs: campaign_id (str), action (CampaignAction value), actor (Actor value)
campaign_changed = Signal()


def send_on_commit(signal: Signal, **kwargs: Any) -> None:
    """Send ``signal`` once the surrounding transaction commits (at once outside one)."""
    transaction.on_commit(lambda: signal.send(sender=None, **kwargs), robust=True)


def on_commit_once(callback: Callable[[], None]) -> None:
    """Run ``callback`` after the current transaction commits, unless it is already registered.

    A batch of call ends must ask for one refill cycle and one delivery run, not one per call.
    Outside a transaction it runs at once, as ``on_commit`` does.
    """
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(registered is callback for _, registered, _ in connection.run_on_commit):
        return
    transaction.on_commit(callback, robust=True)

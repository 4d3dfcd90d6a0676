"""Work started after the transaction commits: a scheduler cycle, a delivery run — once per transaction."""

from __future__ import annotations

from celery import current_app


def request_cycle() -> None:
    """A slot is free: run a scheduler cycle now rather than at the next beat."""
    current_app.send_task("dialer.tasks.dial_cycle")


def request_delivery() -> None:
    """Messages for the voice connector are waiting: deliver them now rather than at the next sweep."""
    current_app.send_task("dialer.tasks.deliver_due_voice_connector_messages")

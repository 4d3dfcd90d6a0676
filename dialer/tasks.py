"""Celery tasks: load by id, call a service, return a status a test can read (STYLE.md rule 6)."""

from __future__ import annotations

from celery import shared_task

from dialer import gateways, outbox, predictive
from dialer.cycle import try_dial_next_batch
from dialer.esl.client import DEFAULT_SWITCH, configured_switch, switch_client
from dialer.outcomes import sweep_stale_calls


@shared_task(acks_late=True, ignore_result=True)
def dial_cycle() -> int:
    """One scheduler cycle (beat, and at once when a slot frees)."""
    return try_dial_next_batch()


@shared_task(acks_late=True, ignore_result=True)
def sweep_stale() -> dict[str, int]:
    return sweep_stale_calls()


@shared_task(acks_late=True, ignore_result=True)
def refresh_switch_gateways(switch_name: str = DEFAULT_SWITCH) -> str:
    """Read a switch's gateways again (periodically, and when an unknown gateway is met): ``dialing`` queue.

    Today the one switch is the settings' (``configured_switch``); another name is reported, not guessed at.
    """
    address = configured_switch()
    if switch_name != address.name:
        return f"unknown switch {switch_name}"
    try:
        names = gateways.refresh_gateways(switch_name, switch_client(address))
    except gateways.GatewaysUnknown as exc:
        return f"unknown now: {exc}"
    return f"{len(names)} gateways"


@shared_task(acks_late=True, ignore_result=True)
def deliver_voice_connector_message(message_id: int) -> str:
    return outbox.deliver(message_id)


@shared_task(acks_late=True, ignore_result=True)
def deliver_due_voice_connector_messages() -> int:
    """Retry what is due (a beat sweep: long waits are kept in rows, not in broker ETAs)."""
    due = outbox.due_messages()
    for message_id in due:
        outbox.deliver(message_id)
    return len(due)


@shared_task(acks_late=True, ignore_result=True)
def prune_delivered_voice_connector_messages() -> int:
    """Retention (beat, hourly): a run deletes a bounded number of rows, and queues the next while any are left."""
    pruned = outbox.prune_delivered()
    if not pruned.finished:
        prune_delivered_voice_connector_messages.delay()
    return pruned.deleted


@shared_task(acks_late=True, ignore_result=True)
def ask_agent_for_answered_call(call_id: str) -> str:
    return predictive.ask_agent(call_id)


@shared_task(acks_late=True, ignore_result=True)
def route_answered_call(call_id: str) -> str:
    return predictive.route(call_id)


@shared_task(acks_late=True, ignore_result=True)
def abandon_unrouted_call(call_id: str) -> int:
    return predictive.abandon([call_id])

"""Celery tasks: load by id, call a service, return a status a test can read (STYLE.md rule 6)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from dialer import gateways, outbox, predictive
from dialer.cycle import try_dial_next_batch
from dialer.esl.client import DEFAULT_SWITCH, switch_client
from dialer.outcomes import sweep_stale_calls
from dialer.switches import UnknownSwitch, configured_switches, switch_named

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def dial_cycle(switch_name: str | None = None) -> int:
    """One scheduler cycle of ``switch_name`` (at once when one of its slots frees); without a name (beat), one
    cycle per enabled switch is queued, so that each switch's cycle runs under its own lock on any worker.

    Returns the calls placed or requested (a switch's cycle), or the cycles queued (the fan-out).
    """
    if switch_name is None:
        names = [config.name for config in configured_switches()]
        for name in names:
            dial_cycle.apply_async(args=[name], expires=max(settings.DIALER_POLL_INTERVAL * 2, 1.0))
        return len(names)
    try:
        config = switch_named(switch_name)
    except UnknownSwitch:
        logger.warning("no switch named %s: no cycle", switch_name)
        return 0
    if not config.enabled:
        return 0
    return try_dial_next_batch(switch=config)


@shared_task(acks_late=True, ignore_result=True)
def sweep_stale() -> dict[str, int]:
    return sweep_stale_calls()


@shared_task(acks_late=True, ignore_result=True)
def refresh_switch_gateways(switch_name: str = DEFAULT_SWITCH) -> str:
    """Read a switch's gateways again (periodically, and when an unknown gateway is met): ``dialing`` queue.

    A name that is no switch (not a row, nor ``default`` while there is none) is reported, not guessed at.
    """
    try:
        config = switch_named(switch_name)
    except UnknownSwitch:
        return f"unknown switch {switch_name}"
    try:
        names = gateways.refresh_gateways(switch_name, switch_client(config.address))
    except gateways.GatewaysUnknown as exc:
        return f"unknown now: {exc}"
    return f"{len(names)} gateways"


@shared_task(acks_late=True, ignore_result=True)
def refresh_all_switch_gateways() -> int:
    """Beat, every ``gateways.GATEWAY_REFRESH_SECONDS``: one ``refresh_switch_gateways`` per enabled switch."""
    names = [config.name for config in configured_switches()]
    for name in names:
        refresh_switch_gateways.apply_async(args=[name], expires=gateways.GATEWAY_REFRESH_SECONDS)
    return len(names)


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

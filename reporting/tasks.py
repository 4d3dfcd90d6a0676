"""Reporting's Celery tasks: short, idempotent, returning what they did."""

from __future__ import annotations

from celery import shared_task

from reporting import agent_updates, attempt_records, notifications, retention, stats


@shared_task(acks_late=True, ignore_result=True)
def deliver_attempt_records() -> int:
    return attempt_records.deliver_due()


@shared_task(ignore_result=True)
def send_status_notification(campaign_id: str, action: str, actor: str) -> str:
    """One notification, no retry (seed 002)."""
    return notifications.notify(campaign_id, action=action, actor=actor)


@shared_task(ignore_result=True)
def send_periodic_status_notifications() -> int:
    return notifications.notify_active_campaigns()


@shared_task(acks_late=True, ignore_result=True)
def apply_agent_update(update_id: int) -> str:
    return agent_updates.apply_update(update_id)


@shared_task(acks_late=True, ignore_result=True)
def apply_queued_agent_updates() -> int:
    return agent_updates.apply_queued()


@shared_task(acks_late=True, ignore_result=True)
def prune_old_reporting_rows() -> dict[str, int]:
    """Retention (beat, hourly): a run deletes a bounded number of rows, and queues the next while any are left."""
    pruned = retention.prune_old_rows()
    if not all(result.finished for result in pruned.values()):
        prune_old_reporting_rows.delay()
    return {table: result.deleted for table, result in pruned.items()}


@shared_task(ignore_result=True)
def refresh_statistics() -> int:
    return stats.refresh_statistics()

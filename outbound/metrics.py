"""``GET /metrics``: the dialer's state in Prometheus' text format, read from the database on each scrape.

Nothing is counted in memory: every figure is derived from the rows, like the
status API, so any number of web processes report the same values. Contacts per
status are read as the status API reads them (``campaigns/counts.py``): calls in
progress counted now, the large statuses from their last count, whose age is
``outbound_contact_counts_age_seconds`` — a scrape never reads every contact.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest

from campaigns.counts import contact_counts
from campaigns.models import Campaign
from dialer.models import VoiceConnectorMessage
from dialer.status import active_call_count
from reporting.models import AgentUpdate, AgentUpdateState, AttemptRecord


def metrics(request: HttpRequest) -> HttpResponse:
    registry = CollectorRegistry()

    def gauge(name: str, documentation: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(name, documentation, labels, registry=registry)

    gauge("outbound_max_concurrent_calls", "Configured call slots").set(settings.MAX_CONCURRENT_CALLS)
    gauge("outbound_active_calls", "Contacts dialed or waiting for an agent").set(active_call_count())
    flags = dict(Campaign.objects.values_list("campaign_id", "waiting_for_records"))
    contacts = gauge("outbound_contacts", "Contacts per campaign and status", ("campaign", "status"))
    age = gauge(
        "outbound_contact_counts_age_seconds",
        "Age of the campaign's pending, stopped, ended and failed counts (dialed and agent_pending are live)",
        ("campaign",),
    )
    for campaign_id, counted in contact_counts(list(flags)).items():
        for status, count in counted.contacts.items():
            contacts.labels(campaign_id, status).set(count)
        if counted.age_seconds is not None:
            age.labels(campaign_id).set(counted.age_seconds)
    waiting = gauge("outbound_campaign_waiting_for_records", "1 while a campaign is in a wait condition", ("campaign",))
    for campaign_id, flag in flags.items():
        waiting.labels(campaign_id).set(int(flag))
    unsaved = gauge("outbound_attempt_records_unsaved", "Attempt records not yet saved", ("campaign",))
    backlog = AttemptRecord.objects.filter(saved_at__isnull=True).order_by().values_list("campaign_id")
    for campaign_id, count in backlog.annotate(n=Count("id")):
        unsaved.labels(campaign_id).set(count)
    gauge("outbound_voice_connector_messages_undelivered", "Delivery notifications and END_CHAT not yet accepted").set(
        VoiceConnectorMessage.objects.filter(delivered_at__isnull=True).count()
    )
    gauge("outbound_agent_updates_rejected", "Agent updates in the error queue").set(
        AgentUpdate.objects.filter(state=AgentUpdateState.REJECTED).count()
    )
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)

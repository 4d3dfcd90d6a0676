"""``GET /metrics``: the dialer's state in Prometheus' text format, read from the database on each scrape.

Nothing is counted in memory: every figure is derived from the rows, like the
status API, so any number of web processes report the same values. Contacts per
status are read as the status API reads them (``campaigns/counts.py``): calls in
progress counted now, the large statuses from their last count, whose age is
``outbound_contact_counts_age_seconds`` — a scrape never reads every contact.
Each switch's series carry its name (label ``switch``), as the status API lists them.
"""

from __future__ import annotations

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest

from campaigns.counts import contact_counts
from campaigns.models import Campaign
from dialer.models import VoiceConnectorMessage
from dialer.status import active_call_count
from dialer.switches import switch_summary
from reporting.models import AgentUpdate, AgentUpdateState, AttemptRecord


def metrics(request: HttpRequest) -> HttpResponse:
    registry = CollectorRegistry()

    def gauge(name: str, documentation: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(name, documentation, labels, registry=registry)

    switches = switch_summary(probe=False)  # a scrape never waits on a switch: what its listener last saw
    slots = sum(switch["max_concurrent_calls"] for switch in switches if switch["enabled"])
    gauge("outbound_max_concurrent_calls", "Configured call slots of the enabled switches").set(slots)
    gauge("outbound_active_calls", "Contacts dialed or waiting for an agent").set(active_call_count())
    per_switch = {
        "max_concurrent_calls": gauge("outbound_switch_max_concurrent_calls", "The switch's call slots", ("switch",)),
        "active_calls": gauge("outbound_switch_active_calls", "Calls in progress on the switch", ("switch",)),
        "calls_per_second": gauge("outbound_switch_calls_per_second", "The switch's originate rate", ("switch",)),
        "enabled": gauge("outbound_switch_enabled", "1 while the switch is dialed", ("switch",)),
        "connected": gauge("outbound_switch_connected", "1 while the switch answers", ("switch",)),
        "listener_connected": gauge("outbound_switch_listener_connected", "1 while a listener follows it", ("switch",)),
    }
    for switch in switches:
        for key, series in per_switch.items():
            series.labels(switch["name"]).set(float(switch[key]))
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

"""``python manage.py demo``: the whole product on embedded defaults, with progress on the terminal.

``make demo`` runs it after migrating. It loads the demo campaigns and starts,
as separate processes, what production runs — the web process, the Celery workers
with their beat, one event listener following every switch — and the simulated
peers: two switches, ``east`` and ``west`` (SPEC section 10: each has a gateway of
its own and both have ``gw_shared``), and the voice connector. Progress, with each
switch's calls, is shown until Ctrl-C or ``--seconds``; the summary says what each
switch received, and the last line is the summary of SPEC.md section 2.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from io import StringIO
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count
from django.utils import timezone

from campaigns.auth import create_api_client
from campaigns.choices import ACTIVE_STATUSES, ApiRole, CampaignType, ContactStatus, DialingMode
from campaigns.intake import receive_contacts
from campaigns.models import ApiClient, Campaign, Contact
from campaigns.samples import sample_contacts
from campaigns.validation import ContactInput, validate_contact
from dialer.agent_states import known_agents
from dialer.models import Switch
from dialer.pacing_inputs import history
from dialer.switches import switch_summary
from outbound.processes import ROOT, ProcessGroup, wait_for_http

DEMO_CAMPAIGNS = {"demo-ivr": CampaignType.IVR, "demo-agent": CampaignType.AGENT, "demo-predictive": CampaignType.AGENT}
# The predictive campaign (section 5b) shares the demo agents with demo-agent; it gets ten times the contacts, so that
# it dials ahead of its agents once 20 live answers are in its window and keeps them busy for a few minutes.
PREDICTIVE = "demo-predictive"
PREDICTIVE_SHARE = 10
DEMO_AGENTS = 12
DEMO_RETRY_RULES = [{"result": "Busy", "delay": 5, "max_attempts": 3}]
# The demo agents' queue (that of the sample AGENT contacts): the voice connector simulator reports their states,
# and agent requests are paced by the agents ready there.
DEMO_QUEUE = "Sales_Queue"
OPERATOR = ("operator", "outbound-demo")
# The simulators' event socket password (their default), handed to `manage.py switch` through the environment.
DEMO_ESL_PASSWORD = ("DEMO_ESL_PASSWORD", "ClueCon")


@dataclass(frozen=True)
class DemoSwitch:
    """One simulated switch of the demo: its name (a ``Switch`` row) and the gateways its simulator has."""

    name: str
    gateways: tuple[str, ...]


# Two switches with a gateway each of their own and one they share (SPEC section 10, "Gateways belong to switches"):
# each dials its own gateway's contacts, and those of gw_shared go to whichever has more free slots.
DEMO_SWITCHES = (DemoSwitch("east", ("gw_east", "gw_shared")), DemoSwitch("west", ("gw_west", "gw_shared")))
# The demo contacts' gateways, a third each, in turn.
DEMO_GATEWAYS = ("gw_east", "gw_west", "gw_shared")


class Command(BaseCommand):
    help = "Run the demo: demo campaigns, the web process and progress until Ctrl-C or --seconds."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--seconds", type=float, help="stop by itself after this many seconds")
        parser.add_argument("--contacts", type=int, default=50, help="contacts per demo campaign")

    def handle(self, *args: Any, port: int, seconds: float | None, contacts: int, **options: Any) -> None:
        self._stopping = False
        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGTERM, self._stop)
        token, vc_token = self._prepare(contacts)
        # The switches' ports first: the rows must name them before the listener and workers read them.
        switch_ports = {switch.name: free_port() for switch in DEMO_SWITCHES}
        register_switches(switch_ports)
        group = ProcessGroup(ROOT / ".local" / "demo-logs")
        try:
            start_processes(group, port=port, vc_token=vc_token, switch_ports=switch_ports)
            if not wait_for_http(f"http://127.0.0.1:{port}/healthz", timeout=30):
                raise CommandError(f"the web process did not start; see {group.log_dir / 'web.log'}")
            self._welcome(port, token, switch_ports)
            self._show_progress(group, seconds)
        finally:
            group.stop()
        for line in switch_summary_lines(group.log_dir):
            self.stdout.write(line)
        self.stdout.write(summary_line())

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self._stopping = True

    def _prepare(self, per_campaign: int) -> tuple[str, str]:
        """Operator account, API tokens (campaign manager, voice connector) and fresh demo contacts.

        The account is created once, its password set then only: setting it again on every start would sign out
        an operator whose wallboard is open (a session is bound to the password it was opened with).
        """
        user, created = User.objects.get_or_create(
            username=OPERATOR[0], defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            user.set_password(OPERATOR[1])
            user.save()
        ApiClient.objects.filter(name__in=["demo-manager", "demo-voice-connector"]).delete()
        _, token = create_api_client(name="demo-manager", role=ApiRole.CAMPAIGN_MANAGER)
        _, vc_token = create_api_client(name="demo-voice-connector", role=ApiRole.VOICE_CONNECTOR)
        for index, (campaign_id, campaign_type) in enumerate(DEMO_CAMPAIGNS.items()):
            # A fresh start: the previous demo's simulated switch is gone, so even its calls in progress
            # can never end; the demo campaigns are emptied outright rather than purged.
            Contact.objects.filter(campaign_id=campaign_id).delete()
            rows = sample_contacts(
                per_campaign * (PREDICTIVE_SHARE if campaign_id == PREDICTIVE else 1),
                campaign_id=campaign_id,
                campaign_type=campaign_type,
                start=timezone.now() - timedelta(minutes=1),
                first_number=4915100000000 + index * 100_000,  # one customer, one campaign: calls can be counted
            )
            # A third of each campaign's contacts on each gateway: east's own, west's own, the shared one.
            receive_contacts(
                [_valid(row | {"gateway_id": DEMO_GATEWAYS[n % len(DEMO_GATEWAYS)]}) for n, row in enumerate(rows)]
            )
        # A retry rule at work (section 5a): busy IVR customers are called again, up to three attempts.
        Campaign.objects.filter(campaign_id="demo-ivr").update(retry_rules=DEMO_RETRY_RULES)
        Campaign.objects.filter(campaign_id=PREDICTIVE).update(
            dialing_mode=DialingMode.PREDICTIVE, caller_id="+4930555000", queue_name=DEMO_QUEUE
        )
        return token, vc_token

    def _welcome(self, port: int, token: str, switch_ports: dict[str, int]) -> None:
        base = f"http://127.0.0.1:{port}"
        self.stdout.write(f"wallboard: {base}/admin/  (user {OPERATOR[0]}, password {OPERATOR[1]} unless changed)")
        self.stdout.write(f"API:    {base}/api/v1/docs/  (Authorization: Token {token})")
        shown = ", ".join(
            f"{switch.name} on 127.0.0.1:{switch_ports[switch.name]} ({' + '.join(switch.gateways)})"
            for switch in DEMO_SWITCHES
        )
        self.stdout.write(f"switches: {shown}  (manage.py switch list)")
        self.stdout.write("Ctrl-C stops everything.")

    def _show_progress(self, group: ProcessGroup, seconds: float | None) -> None:
        deadline = None if seconds is None else time.monotonic() + seconds
        while not self._stopping and (deadline is None or time.monotonic() < deadline):
            if failed := group.failed():
                raise CommandError(f"{', '.join(failed)} stopped; see the logs in {group.log_dir}")
            self.stdout.write(progress_line())
            time.sleep(min(2.0, max(0.0, deadline - time.monotonic())) if deadline else 2.0)


def register_switches(switch_ports: dict[str, int]) -> None:
    """The demo switches as ``Switch`` rows, through ``manage.py switch`` as a provisioning script would do it.

    Each gets half the demo's slots and rate (those of the settings' one switch before), so the two together dial
    as much as one did. A row from an earlier demo is changed (its simulator had another port); any other row of
    this database is disabled, so that only the demo's simulators are dialed.
    """
    os.environ[DEMO_ESL_PASSWORD[0]] = DEMO_ESL_PASSWORD[1]
    limits = [
        "--max-calls",
        str(max(1, settings.MAX_CONCURRENT_CALLS // len(DEMO_SWITCHES))),
        "--cps",
        f"{settings.DIALER_CALLS_PER_SECOND / len(DEMO_SWITCHES):g}",
    ]
    existing = set(Switch.objects.values_list("name", flat=True))
    quiet = StringIO()
    for name, esl_port in switch_ports.items():
        action = "change" if name in existing else "add"
        call_command(
            "switch", action, name, "--host", "127.0.0.1", "--port", str(esl_port),
            "--password-env", DEMO_ESL_PASSWORD[0], *limits, stdout=quiet,
        )  # fmt: skip
        if action == "change":
            call_command("switch", "enable", name, stdout=quiet)
    for name in sorted(existing - set(switch_ports)):
        call_command("switch", "disable", name, stdout=quiet)


def record_path(log_dir: Path, switch_name: str) -> Path:
    """The JSON-lines file in which a demo switch simulator records every originate it receives."""
    return log_dir / f"originates-{switch_name}.jsonl"


def start_processes(group: ProcessGroup, *, port: int, vc_token: str, switch_ports: dict[str, int]) -> None:
    """The simulated peers on free ports, then the production processes configured to use them."""
    vc_port = free_port()
    os.environ.update(
        VOICE_CONNECTOR_URL=f"http://127.0.0.1:{vc_port}",
        VOICE_CONNECTOR_TOKEN="demo-voice-connector-secret",
    )
    os.environ.setdefault("DEFAULT_IVR", "5000")
    manage = str(ROOT / "manage.py")
    for earlier in ("originates.jsonl", "switch.log"):  # the one-switch demo's record and log
        (group.log_dir / earlier).unlink(missing_ok=True)
    for switch in DEMO_SWITCHES:
        record = record_path(group.log_dir, switch.name)
        record.unlink(missing_ok=True)
        gateways = [arg for gateway in switch.gateways for arg in ("--gateway", gateway)]
        group.start(
            f"switch-{switch.name}", manage, "switch_simulator", "--port", str(switch_ports[switch.name]),
            "--password", DEMO_ESL_PASSWORD[1], *gateways, "--record", str(record),
        )  # fmt: skip
    group.start(
        "voice-connector", manage, "voice_connector_simulator", "--port", str(vc_port), "--agents", str(DEMO_AGENTS),
        "--handling", "1-3", "--dialer-url", f"http://127.0.0.1:{port}", f"--token={vc_token}",
        "--expect-token", "demo-voice-connector-secret", "--states-queue", DEMO_QUEUE, "--states-every", "10",
    )  # fmt: skip
    # gunicorn.conf.py: no control socket (a demo beside the tests or another demo), a bad setting in one line.
    group.start("web", "-m", "gunicorn", "outbound.wsgi", "--config", str(ROOT / "gunicorn.conf.py"),
                "--bind", f"127.0.0.1:{port}", "--workers", "2")  # fmt: skip
    group.start("worker", "-m", "celery", "-A", "outbound", "worker", "-B", "-Q", "dialing", "-n", "dialing@%h",
                "--concurrency", "2", "--loglevel", "INFO",
                "--schedule", str(group.log_dir / "celerybeat-schedule"))  # fmt: skip
    group.start("answered", "-m", "celery", "-A", "outbound", "worker", "-Q", "answered", "-n", "answered@%h",
                "--concurrency", "2", "--prefetch-multiplier", "1", "--loglevel", "INFO")  # fmt: skip
    group.start("deliveries", "-m", "celery", "-A", "outbound", "worker", "-Q", "deliveries,imports",
                "-n", "deliveries@%h", "--concurrency", "2", "--loglevel", "INFO")  # fmt: skip
    group.start("listener", manage, "esl_listener")  # follows every enabled switch: both of the demo's


def switch_figures() -> str:
    """Each enabled switch's calls in progress against its slots, as the switches API counts them (no probe)."""
    shown = []
    for switch in switch_summary(probe=False):
        if switch["enabled"]:
            down = "" if switch["connected"] else " (down)"
            shown.append(f"{switch['name']} {switch['active_calls']}/{switch['max_concurrent_calls']} calls{down}")
    return " · ".join(shown)


def switch_summary_lines(log_dir: Path) -> list[str]:
    """Per demo switch, its share of the work and what its simulator received: originates in all and per gateway
    (from its record, so what the switch saw rather than what the database says was sent)."""
    rows = {row.name: row for row in Switch.objects.filter(name__in=[switch.name for switch in DEMO_SWITCHES])}
    lines = []
    for switch in DEMO_SWITCHES:
        per_gateway = Counter(entry.get("gateway", "") for entry in _originates(record_path(log_dir, switch.name)))
        shown = ", ".join(f"{gateway} {n}" for gateway, n in sorted(per_gateway.items()))
        row = rows.get(switch.name)
        share = f" ({row.max_concurrent_calls} slots, {row.calls_per_second:g} calls/s)" if row else ""
        lines.append(
            f"switch {switch.name}{share}: {sum(per_gateway.values())} originates" + (f" ({shown})" if shown else "")
        )
    return lines


def _originates(record: Path) -> list[dict[str, Any]]:
    if not record.exists():
        return []
    entries = (json.loads(line) for line in record.read_text().splitlines() if line.strip())
    return [entry for entry in entries if entry.get("event") == "originate"]


def free_port() -> int:
    """A port free on the loopback now (the kernel's pick), for a child to listen on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _valid(row: dict[str, str]) -> ContactInput:
    result = validate_contact(row)
    if not isinstance(result, ContactInput):
        raise CommandError(f"demo data is invalid: {result}")
    return result


def _counts() -> dict[str, int]:
    rows = Contact.objects.filter(campaign_id__in=DEMO_CAMPAIGNS).values("status").annotate(n=Count("id"))
    counts = dict.fromkeys(ContactStatus.values, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def progress_line() -> str:
    counts = _counts()
    active = sum(counts[s] for s in ACTIVE_STATUSES)
    results = (
        Contact.objects.filter(campaign_id__in=DEMO_CAMPAIGNS)
        .exclude(call_result="")
        .values("call_result")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    shown = ", ".join(f"{row['call_result']} {row['n']}" for row in results)
    retrying = Contact.objects.filter(campaign_id__in=DEMO_CAMPAIGNS, status=ContactStatus.PENDING, attempts__gt=0)
    agents = known_agents(DEMO_QUEUE, now=timezone.now())
    return (
        f"{timezone.now():%H:%M:%S} calls active {active} (dialed {counts['dialed']}, waiting for an agent "
        f"{counts['agent_pending']}; {switch_figures()}), pending {counts['pending']} ({retrying.count()} to retry), "
        f"ended {counts['ended']}, failed {counts['failed']} | agents ready {agents.get('ready', 0)}, "
        f"talking {agents.get('talking', 0)}, wrap-up {agents.get('wrapup', 0)} | {predictive_figures()}"
        + (f" | {shown}" if shown else "")
    )


def predictive_figures() -> str:
    """The predictive campaign's busy factor and overdial rate against the cap, as its pacing reads them."""
    campaign = Campaign.objects.filter(campaign_id=PREDICTIVE).first()
    if campaign is None:
        return "no predictive campaign"
    h = history(campaign, now=timezone.now())
    return (
        f"predictive: {h.live_answers} live answers, busy factor {h.busy_factor:.2f}, "
        f"overdial {h.overdial_rate:.1%} (cap {settings.ABANDON_RATE_LIMIT:.0%})"
    )


def summary_line() -> str:
    counts = _counts()
    active = sum(counts[s] for s in ACTIVE_STATUSES)
    return (
        f"demo summary: {sum(counts.values())} contacts, {counts['ended']} ended, {counts['failed']} failed, "
        f"{counts['pending']} pending, {active} active"
    )

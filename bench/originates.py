"""Originates per second from one worker, through python-ESL to the switch simulator, throttle off.

The product path (claim, gateway check from the shared cache, the dial-time stamp with
the call history, committed before ``bgapi originate``; a listener follows the switch as in
production) is measured beside the
bare protocol: the same number of ``bgapi originate`` commands on one python-ESL
connection with no database at all, the ceiling of this path on this machine.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import ESL
from django.conf import settings
from django.db import connection
from django.utils import timezone

from bench.table import print_table
from campaigns.intake import receive_contacts
from campaigns.models import RING_TIMEOUT_DEFAULT, Contact
from campaigns.samples import sample_contacts
from campaigns.validation import ContactInput, validate_contact
from dialer import switch_state
from dialer.cycle import try_dial_next_batch
from dialer.esl.client import SwitchAddress, SwitchClient
from dialer.esl.commands import build_ivr_originate
from dialer.listener import EventListener
from dialer.simulators.scenario import Scenario
from dialer.simulators.threaded import ThreadedSwitch
from reporting.models import CallHistory

CALLS = 2000
CAMPAIGN = "bench-originates"


def load_contacts() -> None:
    """Only this benchmark's contacts in the (dedicated) bench database, so the cycle dials exactly these."""
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE campaigns_contact, reporting_callhistory")
    rows = sample_contacts(
        CALLS, campaign_id=CAMPAIGN, start=timezone.now() - timedelta(hours=1), first_number=4970000000
    )
    contacts = [validate_contact(row) for row in rows]
    receive_contacts([c for c in contacts if isinstance(c, ContactInput)])


def bare_protocol(port: int) -> float:
    connection = ESL.ESLconnection("127.0.0.1", str(port), "ClueCon")
    started = time.perf_counter()
    for n in range(CALLS):
        call_id = str(uuid.uuid4())
        command = build_ivr_originate(
            call_id=call_id, gateway_id="gw1", customer_number=f"+4971{n:08d}", ivr_number="5000", domain="127.0.0.1",
            ring_timeout=RING_TIMEOUT_DEFAULT,
        )  # fmt: skip
        connection.bgapi(command.command, command.args, call_id)
    elapsed = time.perf_counter() - started
    connection.disconnect()
    return elapsed


def product_path(port: int) -> float:
    address = SwitchAddress("127.0.0.1", port, "ClueCon")
    client = SwitchClient(address)
    stop = threading.Event()
    listening = threading.Thread(target=EventListener(address, stopping=stop.is_set).run, daemon=True)
    listening.start()  # a switch is dialed only while a listener follows it
    try:
        while not switch_state.listener_connected(address.name):
            time.sleep(0.05)
        return _dial_all(client)
    finally:
        stop.set()
        listening.join(timeout=10)


def _dial_all(client: SwitchClient) -> float:
    started = time.perf_counter()
    placed = 0
    while placed < CALLS:
        claimed = try_dial_next_batch(client)
        if not claimed:
            break
        placed += claimed
    elapsed = time.perf_counter() - started
    assert placed == CALLS, f"placed {placed} of {CALLS}"
    assert Contact.objects.filter(campaign_id=CAMPAIGN, dial_time__isnull=False).count() == CALLS
    return elapsed


def run() -> None:
    # Calls ring for a minute: the simulator only has to accept them, and no end competes for the database.
    switch = ThreadedSwitch(Scenario(answer_ratio=0.0, busy_ratio=0.0, no_answer_seconds=60.0)).start()
    settings.MAX_CONCURRENT_CALLS = CALLS
    settings.DIALER_CALLS_PER_SECOND = 1_000_000.0  # the throttle off
    settings.DIALER_POLL_INTERVAL = 1.0
    settings.DEFAULT_IVR = "5000"
    try:
        load_contacts()
        bare = bare_protocol(switch.port)
        product = product_path(switch.port)
    finally:
        switch.close()
        CallHistory.objects.filter(campaign_id=CAMPAIGN).delete()
        Contact.objects.filter(campaign_id=CAMPAIGN).delete()
    print_table(
        f"originates through python-ESL to the simulator, one worker, throttle off ({CALLS:,} calls)",
        ["path", "seconds", "originates/s"],
        [
            ("bare bgapi loop, no database (ceiling)", bare, CALLS / bare),
            ("dialer cycle (product)", product, CALLS / product),
        ],
    )

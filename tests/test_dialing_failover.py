"""The failover table and stale calls, each failure produced for real (SPEC.md section 5)."""

from __future__ import annotations

import itertools
import statistics
import threading
import time
from datetime import timedelta

import pytest
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from campaigns.models import Contact
from dialer.claims import lock_switch_for_claims
from dialer.cycle import claim_next_batch, try_dial_next_batch
from dialer.esl.client import SwitchAddress, SwitchClient, configured_switch, switch_client
from dialer.outcomes import sweep_stale_calls
from dialer.throttle import Throttle
from tests.conftest import add_contacts, running_listener, wait_for_listener, wait_until
from tests.e2e_harness import switch_process
from tests.fakes.tcp_proxy import TcpProxy
from tests.switch_harness import originates_in_record


def status_of(contact_id: str) -> tuple[str, str]:
    contact = Contact.objects.get(pk=contact_id)
    return contact.status, contact.call_result


def test_nothing_is_claimed_while_the_switch_is_down(switch, transactional_db):
    ids = add_contacts(3)
    switch.stop()
    assert try_dial_next_batch() == 0
    assert {status_of(i) for i in ids} == {("pending", "")}
    switch.start()
    wait_until(lambda: try_dial_next_batch() == 3, timeout=15, what="the reconnect after backoff")
    assert len(switch.switch.originates) == 3


def test_nothing_is_dialed_while_no_listener_follows_the_switch(bare_switch, settings, transactional_db):
    """Seed 003: after an outage the workers reconnect at once; a listener still in its backoff hears nothing."""
    listener_path = TcpProxy("127.0.0.1", bare_switch.port).start()
    listened = SwitchAddress("127.0.0.1", listener_path.port, "ClueCon")
    ids = add_contacts(3)
    listener_path.cut()  # the listener cannot reach the switch; the dialer can
    with running_listener(address=listened):
        time.sleep(0.5)
        assert try_dial_next_batch() == 0
        assert bare_switch.switch.originates == []
        assert {status_of(i) for i in ids} == {("pending", "")}
        listener_path.resume()
        wait_for_listener(timeout=5)  # its backoff is short once the switch answers again
        assert try_dial_next_batch() == 3
        wait_until(lambda: {status_of(i)[0] for i in ids} == {"ended"}, what="the calls' ends, heard")
    assert {status_of(i)[1] for i in ids} == {"Normal clearing"}


def test_a_command_that_cannot_be_sent_fails_its_contact_and_releases_the_rest(switch, settings, transactional_db):
    proxy = TcpProxy("127.0.0.1", switch.port).start()
    settings.ESL_PORT = proxy.port
    ids = add_contacts(3)
    client = switch_client()
    assert client.gateway_state("gw1").value == "up"  # connected, and the gateway state is cached
    proxy.cut()
    assert try_dial_next_batch(client) == 3
    assert status_of(ids[0]) == ("failed", "Switch Error")
    assert [status_of(i) for i in ids[1:]] == [("pending", ""), ("pending", "")]
    assert switch.switch.originates == []


def test_nothing_is_dialed_while_the_database_is_down_and_the_next_cycle_dials(switch, lost_database):
    ids = add_contacts(2)
    lost_database.cut()
    with pytest.raises(OperationalError):
        try_dial_next_batch()
    assert switch.switch.originates == []
    lost_database.restore()
    assert try_dial_next_batch() == 2
    assert len(switch.switch.originates) == 2
    assert {status_of(i)[0] for i in ids} == {"dialed"}


def test_an_end_reported_while_the_database_is_down_is_applied_when_it_returns(lost_database, switch, listener):
    switch.scenario.talk_seconds = (60.0, 60.0)
    [contact_id] = add_contacts(1)
    try_dial_next_batch()
    call_id = str(Contact.objects.get(pk=contact_id).call_id)
    wait_until(lambda: Contact.objects.get(pk=contact_id).answered_at, what="the answer")
    lost_database.cut()
    assert "+OK" in switch.hang_up(call_id)
    wait_until(lambda: listener.pending, what="the end to be kept")
    time.sleep(0.5)
    assert listener.pending
    lost_database.resume()
    wait_until(lambda: status_of(contact_id) == ("ended", "Normal clearing"), what="the kept end to be applied")


def test_calls_the_switch_forgot_while_the_listener_was_away_end_as_stale(bare_switch, transactional_db):
    bare_switch.scenario.talk_seconds = (60.0, 60.0)
    ids = add_contacts(2)
    with running_listener():
        wait_for_listener()
        try_dial_next_batch()
    first_call = str(Contact.objects.get(pk=ids[0]).call_id)
    bare_switch.switch.channels.pop(first_call)  # the switch lost it (a restart), nobody reported an end
    with running_listener():
        wait_until(lambda: status_of(ids[0]) == ("ended", "Stale"), what="the forgotten call to go stale")
        assert status_of(ids[1])[0] == "dialed"


def test_a_listener_whose_connection_falls_silent_reconnects_and_ends_the_calls_it_missed(
    bare_switch, transactional_db
):
    switch = bare_switch
    switch.stop()
    switch.scenario.heartbeat_seconds = 0.2
    switch.start()
    switch.scenario.talk_seconds = (60.0, 60.0)
    proxy = TcpProxy("127.0.0.1", switch.port).start()
    with running_listener(address=SwitchAddress("127.0.0.1", proxy.port, "ClueCon"), silence_limit=1.0):
        wait_for_listener()
        assert proxy.accepted == 1
        ids = add_contacts(2)
        try_dial_next_batch()
        wait_until(lambda: Contact.objects.filter(pk__in=ids, answered_at__isnull=False).count() == 2)
        time.sleep(1.5)  # longer than the silence limit: heartbeats keep the connection
        assert proxy.accepted == 1  # nothing reconnected
        proxy.freeze()
        first, second = (str(Contact.objects.get(pk=i).call_id) for i in ids)
        assert "+OK" in switch.hang_up(first)  # its end is lost on the silent connection
        wait_until(lambda: status_of(ids[0]) == ("ended", "Stale"), what="the missed end to be noticed")
        assert proxy.accepted == 2
        assert status_of(ids[1])[0] == "dialed"
        assert "+OK" in switch.hang_up(second)
        wait_until(lambda: status_of(ids[1]) == ("ended", "Normal clearing"), what="the new connection's events")


def test_stale_calls_unsent_claims_and_unanswered_agent_requests_are_swept(
    switch, settings, voice_connector, transactional_db
):
    settings.STALE_CALL_TIMEOUT = 60
    switch.scenario.talk_seconds = (600.0, 600.0)
    [sent] = add_contacts(1)
    try_dial_next_batch()
    [unsent] = add_contacts(1)
    [agent] = add_contacts(1, campaign_type="AGENT")
    # Claimed, then the worker died before it stamped the first call as sending or posted the agent request.
    assert len(claim_next_batch("default", Throttle("default", 1000.0))) == 2
    later = timezone.now() + timedelta(seconds=settings.AGENT_RESERVATION_TIMEOUT + 61)
    swept = sweep_stale_calls(now=later)
    assert swept == {"stale": 1, "unsent claims released": 1, "agent requests expired": 1}
    assert status_of(sent) == ("ended", "Stale")
    assert status_of(unsent) == ("pending", "")  # certainly never sent: dialed later, not given up
    assert status_of(agent) == ("pending", "")
    assert Contact.objects.get(pk=unsent).attempts == 0
    # The never-sent claim comes back at once; the unanswered agent request waits VOICE_CONNECTOR_RETRY.
    assert Contact.objects.get(pk=agent).retry_at == later + timedelta(seconds=settings.VOICE_CONNECTOR_RETRY)
    assert try_dial_next_batch() == 1  # the stale call is not redialed
    assert [o["number"] for o in switch.switch.originates].count(Contact.objects.get(pk=sent).customer_number) == 1
    assert len(switch.switch.originates) == 2


def test_two_schedulers_at_once_never_claim_one_contact_twice(switch, settings, transactional_db):
    settings.MAX_CONCURRENT_CALLS = 400
    add_contacts(300)
    claimed: list[list[str]] = []
    barrier = threading.Barrier(4)
    names = [f"sw{n}" for n in range(4)]  # four switches: no shared lock, only SKIP LOCKED keeps them apart

    def run(name: str) -> None:
        barrier.wait()
        claimed.append([c.contact_id for c in claim_next_batch(name, Throttle(name, 100000.0))])
        connection.close()

    threads = [threading.Thread(target=run, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [cid for batch in claimed for cid in batch]
    assert len(every) == len(set(every))
    assert len(every) == 300


def test_one_switch_runs_one_claim_at_a_time(switch, transactional_db):
    add_contacts(5)
    name = configured_switch().name
    result: list[int] = []

    def competing_cycle() -> None:
        result.append(len(claim_next_batch(name, Throttle(name, 1000.0))))
        connection.close()

    with transaction.atomic():
        assert lock_switch_for_claims(name)
        thread = threading.Thread(target=competing_cycle)
        thread.start()
        thread.join()
    assert result == [0]
    assert len(claim_next_batch(name, Throttle(name, 1000.0))) == 5


def test_the_throttle_spaces_originates_evenly_across_workers(settings, transactional_db, tmp_path):
    settings.DIALER_CALLS_PER_SECOND = 20.0
    settings.MAX_CONCURRENT_CALLS = 40
    settings.DEFAULT_IVR = "5000"
    add_contacts(30)
    with (
        switch_process(tmp_path, "--answer-ratio", "1", "--ring", "0.01-0.03", "--talk", "30") as (port, record),
        running_listener(address=SwitchAddress("127.0.0.1", port, "ClueCon")),
    ):
        wait_for_listener()

        def worker() -> None:
            for _ in range(6):
                try_dial_next_batch(SwitchClient(SwitchAddress("127.0.0.1", port, "ClueCon")))
            connection.close()

        threads = [threading.Thread(target=worker) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        times = sorted(o["time"] for o in originates_in_record(record))
    assert len(times) >= 20
    gaps = sorted(b - a for a, b in itertools.pairwise(times))
    # 20 per second is one every 50 ms (51.5 with the jitter margin), whatever the number of workers: the
    # typical gap is that, and no two calls come in a burst. Single gaps are timed at the switch, after the
    # dial-time stamp and the socket, and a sender may send up to LATE_FRACTION of an interval late: on a
    # loaded two-core host they vary by several milliseconds, so the spacing is checked on the median and
    # a floor of half an interval; the rate itself, below, is checked exactly.
    assert 0.049 <= statistics.median(gaps) <= 0.06
    assert gaps[0] >= 0.025
    for start in times:
        assert sum(1 for t in times if start <= t < start + 1.0) <= 20

"""The call path under what a real FreeSWITCH 1.10.12 did: each fault played by the switch simulator.

mod_sofia unloaded during a shutdown, a connection that died while idle, a listener
that comes back late, a 486 in 5 ms, ringing and bridge events, a bizarre event.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import time_machine
from django.utils import timezone

from campaigns.models import Campaign, Contact
from dialer.calls import place_ivr_call
from dialer.cycle import claim_next_batch, try_dial_next_batch
from dialer.esl.client import switch_client
from dialer.models import UnappliedEvent
from dialer.outcomes import sweep_stale_calls
from dialer.throttle import Throttle
from reporting.models import CallHistory
from tests.conftest import add_contacts, wait_for_listener, wait_until
from tests.test_dialing_agent import AGENT, reserve


def statuses(ids: list[str]) -> list[tuple[str, str, int]]:
    return [(c.status, c.call_result, c.attempts) for c in (Contact.objects.get(pk=i) for i in ids)]


def test_while_mod_sofia_is_unloaded_the_claims_go_back_undialed_and_are_dialed_once_it_is_back(switch, settings):
    """`sofia status gateway` answers `-ERR sofia Command not found!`: the gateway is unknown now, not invalid."""
    assert "+OK" in switch.run(switch.switch.api("unload", "mod_sofia"))
    ids = add_contacts(3)
    assert try_dial_next_batch() == 3  # the cycle survives the unexpected answer
    assert statuses(ids) == [("pending", "", 0)] * 3
    assert switch.switch.originates == []
    assert try_dial_next_batch() == 0  # they wait GATEWAY_DOWN_RETRY (section 5a), not claimed every cycle
    switch.run(switch.switch.api("load", "mod_sofia"))
    wait_until(lambda: switch_client().gateway_state("gw1").value == "up", what="the gateway seen again")
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.GATEWAY_DOWN_RETRY + 1), tick=True):
        wait_until(lambda: try_dial_next_batch() and len(switch.switch.originates) == 3, what="the calls")
    wait_until(lambda: {s for s, *_ in statuses(ids)} == {"ended"}, what="the calls to end")
    assert sorted(o["number"] for o in switch.switch.originates) == sorted(
        Contact.objects.filter(pk__in=ids).values_list("customer_number", flat=True)
    )
    assert {attempts for *_, attempts in statuses(ids)} == {1}


def test_an_originate_refused_for_want_of_mod_sofia_is_not_an_attempt_and_its_attempt_is_closed(switch):
    """The gateway was seen up a moment ago; the originate then meets CHAN_NOT_IMPLEMENTED: nothing was dialed."""
    assert switch_client().gateway_state("gw1").value == "up"
    switch.run(switch.switch.api("unload", "mod_sofia"))
    [contact_id] = add_contacts(1)
    try_dial_next_batch()
    wait_until(lambda: Contact.objects.get(pk=contact_id).status == "pending", what="the refused originate")
    contact = Contact.objects.get(pk=contact_id)
    assert (contact.attempts, contact.hangup_cause) == (0, "CHAN_NOT_IMPLEMENTED")
    [history] = CallHistory.objects.filter(contact_id=contact_id)
    assert history.released_at is not None
    assert history.released_at >= history.dialing_at


def test_a_gateway_found_down_by_the_originate_closes_its_attempt_and_frees_nothing_twice(switch):
    assert switch_client().gateway_state("gw1").value == "up"  # cached: the originate finds it down
    switch.scenario.gateways_down.add("gw1")
    [contact_id] = add_contacts(1)
    try_dial_next_batch()
    wait_until(lambda: Contact.objects.get(pk=contact_id).status == "pending", what="-ERR GATEWAY_DOWN")
    assert Contact.objects.get(pk=contact_id).attempts == 0
    [history] = CallHistory.objects.filter(contact_id=contact_id)
    assert (history.call_result_code, history.released_at is not None) == (10, True)


def test_a_connection_that_died_while_idle_is_replaced_before_a_call_depends_on_it(switch):
    """After a switch restart python-ESL still calls the old socket connected; no contact may pay for it."""
    assert switch_client().gateway_state("gw1").value == "up"
    switch.stop()
    switch.start()  # the same port, a new switch process
    wait_for_listener()
    time.sleep(1.2)  # idle for longer than the probe threshold
    ids = add_contacts(8)
    assert try_dial_next_batch() == 8
    wait_until(lambda: {s for s, *_ in statuses(ids)} == {"ended"}, what="all eight calls")
    assert {result for _, result, _ in statuses(ids)} == {"Normal clearing"}
    assert len(switch.switch.originates) == 8


def test_a_busy_signal_faster_than_the_originate_reply_never_ends_before_its_dial(switch, settings):
    """A near peer's 486 comes back in about 5 ms, before bgapi has returned: the dial time is stamped first."""
    settings.MAX_CONCURRENT_CALLS = 100
    switch.scenario.answer_ratio, switch.scenario.busy_ratio = 0.0, 1.0
    ids = add_contacts(100)
    wait_until(
        lambda: try_dial_next_batch() is not None and Contact.objects.filter(pk__in=ids, status="ended").count() == 100,
        timeout=30,
        what="100 busy calls",
    )
    for contact in Contact.objects.filter(pk__in=ids):
        assert contact.call_result == "User busy"
        assert contact.dial_time is not None
        assert contact.ended_at is not None
        assert contact.dial_time <= contact.ended_at, contact.id
    for history in CallHistory.objects.filter(contact_id__in=ids):
        assert history.released_at is not None
        assert history.dialing_at <= history.released_at


def test_a_claim_the_sweep_has_released_is_never_sent_afterwards(switch):
    """The stamp before sending is a compare-and-swap the sweep honours: one of the two wins, never both."""
    [contact_id] = add_contacts(1)
    [claim] = claim_next_batch("default", Throttle("default", 1000.0))
    held = Contact.objects.select_related("campaign").get(pk=contact_id)  # the worker's copy of its claim
    swept = sweep_stale_calls(now=timezone.now() + timedelta(seconds=61))
    assert swept["unsent claims released"] == 1
    assert Contact.objects.get(pk=contact_id).status == "pending"
    assert place_ivr_call(held, client=switch_client(), throttle=Throttle("default", 1000.0)) == "no longer claimed"
    assert switch.switch.originates == []
    assert str(held.call_id) == claim.call_id


def test_ringing_and_the_agent_answer_are_timed_in_the_history_and_the_attempt_record(switch, voice_connector, vc_api):
    [contact_id] = add_contacts(1, **AGENT)
    try_dial_next_batch()
    assert reserve(vc_api, contact_id).status_code == 200
    try_dial_next_batch()
    wait_until(lambda: Contact.objects.get(pk=contact_id).status == "ended", what="the agent call to end")
    [history] = CallHistory.objects.filter(contact_id=contact_id)
    times = [history.dialing_at, history.ringing_at, history.answered_at, history.agent_answered_at]
    assert None not in [*times, history.released_at]
    assert times == sorted(times)  # type: ignore[type-var]  # none is None (above)
    assert history.agent_answered_at <= history.released_at  # type: ignore[operator]


def test_an_event_that_cannot_be_applied_is_kept_and_the_listener_goes_on(switch):
    switch.scenario.talk_seconds = (60.0, 60.0)
    ids = add_contacts(3)
    try_dial_next_batch()
    wait_until(lambda: Contact.objects.filter(pk__in=ids, answered_at__isnull=False).count() == 3)
    bad, first, second = (str(Contact.objects.get(pk=i).call_id) for i in ids)
    # A cause no table column can hold arrives in the same burst as two ordinary ends.
    switch.hang_up_with(bad, "X" * 200)
    switch.hang_up(first)
    switch.hang_up(second)
    wait_until(lambda: UnappliedEvent.objects.exists(), what="the bad event to be kept")
    wait_until(lambda: statuses(ids[1:]) == [("ended", "Normal clearing", 1)] * 2, what="the good ends")
    [kept] = UnappliedEvent.objects.all()
    assert (kept.event_name, kept.call_id, kept.switch_name) == ("CHANNEL_HANGUP_COMPLETE", bad, "default")
    assert bad in kept.raw
    assert "X" * 200 in kept.raw
    assert "value too long" in kept.error
    assert switch.listener is not None
    assert switch.listener.unapplied == 1
    [later] = add_contacts(1)
    switch.scenario.talk_seconds = (0.05, 0.1)
    try_dial_next_batch()
    wait_until(lambda: Contact.objects.get(pk=later).status == "ended", what="the listener to go on")


def test_an_unanswered_call_rings_no_longer_than_its_campaign_ring_timeout(switch, manager):
    switch.scenario.answer_ratio, switch.scenario.busy_ratio = 0.0, 0.0
    switch.scenario.no_answer_seconds = 120.0  # the customer would let it ring for ever
    [contact_id] = add_contacts(1)
    Campaign.objects.filter(campaign_id="c1").update(ring_timeout=5)
    try_dial_next_batch()
    assert switch.switch.originates[0]["args"].split("}")[0].endswith(",originate_timeout=5")
    wait_until(lambda: Contact.objects.get(pk=contact_id).status == "ended", timeout=8, what="the ring timeout")
    assert Contact.objects.get(pk=contact_id).hangup_cause == "NO_ANSWER"


def test_the_web_answers_at_once_while_the_switch_is_frozen(client, manager, bare_switch, transactional_db):
    """A stopped (SIGSTOP) switch accepts connections and never answers: the web must not wait on it."""
    bare_switch.freeze()
    answers: dict[str, object] = {}

    def ask() -> None:
        answers["/readyz"] = client.get("/readyz")
        answers["status"] = manager.get("/api/v1/dialer/status/")

    asking = threading.Thread(target=ask, daemon=True)
    asking.start()
    asking.join(timeout=5)
    bare_switch.thaw()
    assert set(answers) == {"/readyz", "status"}, "the web waited on the frozen switch"
    ready = answers["/readyz"]
    assert ready.status_code == 503  # type: ignore[attr-defined]
    assert "no answer within 1s" in ready.json()["checks"]["switch"]  # type: ignore[attr-defined]
    status = answers["status"].json()  # type: ignore[attr-defined]
    assert (status["switch"]["connected"], status["switch"]["listener_connected"]) == (False, False)


def test_the_web_reports_the_switch_as_its_listener_last_saw_it(client, switch):
    """Every web process and thread gives the same answer: the shared state, not a client of its own."""
    assert client.get("/readyz").json()["checks"]["switch"] == "ok"
    switch.freeze()  # the listener still holds its connection: what it saw last is "connected"
    assert client.get("/readyz").json()["checks"]["switch"] == "ok"
    switch.thaw()
    switch.stop()
    wait_until(lambda: client.get("/readyz").status_code == 503, what="the listener to see the switch go")
    assert "unreachable" in client.get("/readyz").json()["checks"]["switch"]

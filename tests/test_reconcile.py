"""Reconciliation at start and after every reconnect: calls the switch does not hold end Stale at once."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import ESL
import pytest
from django.utils import timezone

from campaigns.models import Contact
from dialer.cycle import try_dial_next_batch
from dialer.esl.channel_list import ChannelListUnknown, parse_channel_list
from dialer.esl.commands import build_channel_list, build_ivr_originate
from dialer.esl.responses import UnexpectedResponse
from dialer.outcomes import end_stale_calls
from dialer.reconcile import judge
from tests.conftest import add_contacts, running_listener, wait_for_listener, wait_until

FIXTURES = Path(__file__).parent / "fixtures" / "reconstructed"
CALL = "6b1f6a52-2a3c-4a8e-9a53-0d3b2c1f7e01"


def status_of(contact_id: str) -> tuple[str, str]:
    contact = Contact.objects.get(pk=contact_id)
    return contact.status, contact.call_result


# --- the parser ---------------------------------------------------------------------------------------
def test_the_channel_list_of_the_reconstructed_answer() -> None:
    body = (FIXTURES / "show_channels_as_json.txt").read_text()
    assert parse_channel_list(body) == {CALL, "0f7c4d1e-8b2a-4c6d-b1e3-9a8f7e6d5c02"}


def test_no_channel_is_an_empty_list() -> None:
    assert parse_channel_list((FIXTURES / "show_channels_as_json_none.txt").read_text()) == frozenset()


@pytest.mark.parametrize(
    "body",
    [
        "-ERR SQL DISABLED NO DATA AVAILABLE!\n",
        "-ERR Databse Error!\n",
        '-ERR SQL Error [database is locked]\n{"row_count": 0}\n',  # never "no calls"
    ],
)
def test_an_error_says_nothing_of_the_calls(body: str) -> None:
    with pytest.raises(ChannelListUnknown):
        parse_channel_list(body)


@pytest.mark.parametrize(
    "body",
    [
        "",
        "+OK\n",
        "uuid,direction,created\n\n0 total.\n",
        "{}",
        "[]",
        '{"row_count": "0"}',
        '{"row_count": 1}',
        '{"row_count": -1, "rows": []}',
        '{"row_count": 2, "rows": [{"uuid": "' + CALL + '"}]}',
        '{"row_count": 1, "rows": [{"name": "sofia/test/0123"}]}',
        '{"row_count": 1, "rows": [{"uuid": "not-a-uuid"}]}',
        '{"row_count": 1, "rows": ["' + CALL + '"]}',
        '{"row_count": 1, "rows": [{"uuid": "' + CALL + '"}]',  # cut short
    ],
)
def test_garbage_is_an_error_never_no_calls(body: str) -> None:
    with pytest.raises(UnexpectedResponse):
        parse_channel_list(body)


# --- the decision ---------------------------------------------------------------------------------------
def test_only_calls_sent_before_the_list_and_missing_from_it_are_stale() -> None:
    asked = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    sent = {
        "gone": asked - timedelta(seconds=30),
        "held": asked - timedelta(seconds=30),
        "in-flight": asked - timedelta(milliseconds=300),
        "after": asked + timedelta(milliseconds=5),
    }
    verdict = judge(sent, {"held"}, asked_at=asked)
    assert verdict.stale == ("gone",)
    assert verdict.unsure == ("in-flight",)


# --- the simulator ----------------------------------------------------------------------------------------
def test_the_simulator_lists_its_channels_over_the_event_socket(bare_switch) -> None:
    bare_switch.scenario.talk_seconds = (60.0, 60.0)
    conn = ESL.ESLconnection("127.0.0.1", str(bare_switch.port), "ClueCon")
    assert conn.connected()
    command = build_channel_list()
    empty = conn.api(command.command, command.args).getBody()
    assert empty == '{"row_count": 0}\n'
    assert parse_channel_list(empty) == frozenset()
    originate = build_ivr_originate(
        call_id=CALL, gateway_id="gw1", customer_number="0123456789", ivr_number="5000", domain="10.0.0.5",
        ring_timeout=25,
    )  # fmt: skip
    conn.bgapi(originate.command, originate.args)
    wait_until(lambda: CALL in bare_switch.switch.channels, what="the call on the simulator")
    body = conn.api(command.command, command.args).getBody()
    assert body.startswith('{"row_count":1,"rows":[{"uuid":"' + CALL + '",')
    assert parse_channel_list(body) == {CALL}
    conn.disconnect()


# --- reconciliation by the listener ---------------------------------------------------------------------------
def _dialed_calls(bare_switch: Any, count: int) -> list[str]:
    """``count`` contacts dialed on the simulator (calls that last), then nobody listens any more."""
    bare_switch.scenario.talk_seconds = (600.0, 600.0)
    ids = add_contacts(count)
    with running_listener():
        wait_for_listener()
        assert try_dial_next_batch() == count
        wait_until(lambda: len(bare_switch.switch.channels) == count, what="the calls on the switch")
    # Sent well before the listener comes back (beyond the in-flight margin).
    Contact.objects.filter(pk__in=ids).update(dial_time=timezone.now() - timedelta(seconds=5))
    return ids


def _call_of(contact_id: str) -> str:
    return str(Contact.objects.get(pk=contact_id).call_id)


def test_a_call_the_switch_does_not_hold_ends_stale_as_soon_as_a_listener_connects(
    bare_switch, settings, transactional_db
) -> None:
    settings.STALE_CALL_TIMEOUT = 3600
    forgotten, held, later, elsewhere = _dialed_calls(bare_switch, 4)
    for contact_id in (forgotten, later, elsewhere):
        bare_switch.switch.channels.pop(_call_of(contact_id))  # lost (a restart), nobody reported an end
    # Stamped after the switch will be asked (its originate still on its way): the list cannot know it.
    Contact.objects.filter(pk=later).update(dial_time=timezone.now() + timedelta(seconds=30))
    Contact.objects.filter(pk=elsewhere).update(switch_name="another")  # another switch's call
    started = time.monotonic()
    with running_listener():
        wait_until(lambda: status_of(forgotten) == ("ended", "Stale"), timeout=5, what="the forgotten call")
        assert time.monotonic() - started < 5  # at once, not after STALE_CALL_TIMEOUT
        time.sleep(0.3)
        assert status_of(held)[0] == "dialed"
        assert status_of(later)[0] == "dialed"
        assert status_of(elsewhere)[0] == "dialed"
    assert Contact.objects.get(pk=forgotten).attempts == 1


def test_two_listeners_reconciling_at_once_end_the_call_once(
    bare_switch, settings, transactional_db, monkeypatch
) -> None:
    settings.STALE_CALL_TIMEOUT = 3600
    [forgotten] = _dialed_calls(bare_switch, 1)
    bare_switch.switch.channels.pop(_call_of(forgotten))
    ended: list[int] = []
    lock = threading.Lock()

    def counted(call_ids: Any) -> int:
        count = end_stale_calls(call_ids)
        with lock:
            ended.append(count)
        return count

    monkeypatch.setattr("dialer.listener.end_stale_calls", counted)
    with running_listener(), running_listener():
        wait_until(lambda: status_of(forgotten) == ("ended", "Stale"), timeout=5, what="the forgotten call")
        time.sleep(0.5)  # the later listener finds it ended already, or its update changes nothing
    assert sum(ended) == 1
    assert Contact.objects.get(pk=forgotten).attempts == 1

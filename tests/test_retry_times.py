"""Retry times (section 5a): a claim that placed no call waits its delay, and the contacts behind it are dialed."""

from __future__ import annotations

import time

from campaigns.models import Contact
from dialer.cycle import try_dial_next_batch
from tests.conftest import add_contacts


def test_one_trunk_down_never_stops_a_campaign(switch, settings):
    """20 older contacts on a down gateway, 20 newer on an up one, 4 slots: the newer are dialed at once."""
    settings.MAX_CONCURRENT_CALLS = 4
    switch.scenario.gateways_down.add("gwd")
    older = add_contacts(20, gateway_id="gwd")
    newer = add_contacts(20)
    deadline = time.monotonic() + 10
    while Contact.objects.filter(pk__in=newer, status="ended").count() < 20:
        assert time.monotonic() < deadline, "the newer contacts were not all dialed"
        try_dial_next_batch()
        time.sleep(0.02)
    waiting = Contact.objects.filter(pk__in=older)
    assert set(waiting.values_list("status", "attempts")) == {("pending", 0)}  # no attempt was made
    for contact in waiting:
        assert contact.retry_at is not None
        assert (contact.retry_at - contact.updated_at).total_seconds() >= settings.GATEWAY_DOWN_RETRY - 1
        assert contact.scheduled  # outside the dialing queue until then: not claimed again every cycle
    dialed = {o["number"] for o in switch.switch.originates}
    assert dialed == set(Contact.objects.filter(pk__in=newer).values_list("customer_number", flat=True))

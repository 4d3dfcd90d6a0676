"""Which contacts one switch's cycle takes when several switches dial (SPEC section 10, "Gateways belong to
switches", "A switch down").

With one switch everything goes to it, exactly as before (its own gateway check fails unknown gateways). With
several, a switch's cycle claims only the contacts of the gateways it should dial now — those it has and for
which it is the choice of ``gateways.pick_switch`` among the switches up (a listener beats), by their free
slots — so that the contacts of a gateway shared with a switch that is down are dialed on the others. The
decisions are pure (``gateways.gateways_to_dial``, ``gateways.invalid_gateways``); this module reads their
inputs (Redis, one grouped count of active calls, the switch itself when its list was never read) and acts.

Contacts whose gateway is on no switch end ``Invalid Gateway`` once every switch's list is known and was read
after that gateway was first met: the gateways named by contacts due are listed with one index probe each.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from dialer import gateways, switch_state
from dialer.claims import claim_on_gateways, due_gateways
from dialer.ends import end_unsent_calls
from dialer.esl.client import SwitchClient
from dialer.results import GATEWAY_ON_NO_SWITCH
from dialer.switches import SwitchConfig, active_calls_per_switch

logger = logging.getLogger(__name__)
# At most this many contacts of gateways on no switch are ended per cycle (a big list ends over a few cycles).
INVALID_BATCH = 500


@dataclass(frozen=True)
class Route:
    """What one switch's cycle may claim: contacts of ``gateways`` only, or any contact (None: the only switch)."""

    gateways: tuple[str, ...] | None = None


# The route of the only switch: any contact (its own gateway check fails unknown gateways).
ANY_CONTACT = Route()


def route_for(switch: SwitchConfig, client: SwitchClient, switches: Sequence[SwitchConfig]) -> Route:
    """The gateways ``switch`` dials now, among the enabled ``switches``; any contact when it is the only one.

    A switch whose list was never read reads it first (one api call), and dials nothing while it stays unknown.
    """
    if len(switches) <= 1:
        return ANY_CONTACT
    held = _lists(switch, client, switches)
    if switch.name not in held:
        return Route(())
    active = active_calls_per_switch()
    free = {
        other.name: max(0, other.max_concurrent_calls - active.get(other.name, 0))
        for other in switches
        if other.name == switch.name or switch_state.listener_connected(other.name)
    }
    return Route(tuple(gateways.gateways_to_dial(switch.name, free, held)))


def _lists(switch: SwitchConfig, client: SwitchClient, switches: Sequence[SwitchConfig]) -> dict[str, frozenset[str]]:
    """Each switch's gateways as known (one cache read); ``switch``'s own read from it if it never was."""
    held = gateways.gateway_map([other.name for other in switches])
    if switch.name not in held and _refresh(switch.name, client):
        held = {**held, switch.name: frozenset(gateways.gateway_names(switch.name))}
    return held


def _refresh(name: str, client: SwitchClient) -> bool:
    """Read ``name``'s list through ``client``; False (logged) when the switch cannot say now."""
    try:
        gateways.refresh_gateways(name, client)
    except gateways.GatewaysUnknown as exc:
        logger.warning("gateways of %s unknown: %s", name, exc)
        return False
    return True


def end_contacts_on_no_switch(switch: SwitchConfig, client: SwitchClient, switches: Sequence[SwitchConfig]) -> int:
    """Contacts due whose gateway is on none of the enabled ``switches`` end ``Invalid Gateway`` (several switches).

    A gateway met on no list first makes ``switch`` read its own list again (at most once per
    ``UNKNOWN_GATEWAY_REFRESH_SECONDS``); each switch's cycle does the same, and the contacts end once every list
    was read after the gateway was first met. Returns how many contacts ended.
    """
    if len(switches) <= 1:
        return 0
    names = [other.name for other in switches]
    held = gateways.gateway_map(names)
    if len(held) < len(names):  # a list never read: "not known yet", not "no gateway"
        return 0
    unknown = [name for name in due_gateways() if not any(name in listed for listed in held.values())]
    if not unknown:
        return 0
    since = gateways.unknown_since(unknown)
    gateways.note_unknown_gateway(unknown[0], [switch.name], refresh=lambda name: _refresh(name, client))
    lists = {name: gateways.known_gateways(name) for name in names}
    invalid = gateways.invalid_gateways(unknown, lists, since)
    if not invalid:
        return 0
    now = timezone.now()
    with transaction.atomic():
        claimed = claim_on_gateways(invalid, now=now, switch=switch.name, limit=INVALID_BATCH)
    ended = end_unsent_calls([claim.call_id for claim in claimed], GATEWAY_ON_NO_SWITCH, at=now)
    if ended:
        logger.info("%d contacts of gateways on no switch (%s): Invalid Gateway", len(ended), ", ".join(invalid))
    return len(ended)

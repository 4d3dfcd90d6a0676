"""Which switch has which gateway (SPEC section 10, "Gateways belong to switches").

Each switch's gateways are read from it (``sofia xmlstatus gateway``, see ``dialer.esl.gateway_list``)
and kept in Redis through Django's cache, so every worker of every node sees the same lists without a
database table: one key per switch, ``{"names": [...], "read_at": epoch seconds}``, kept until the next
read replaces it, plus an index of the switches ever read.

A switch that cannot say now (unreachable, mod_sofia unloaded, an answer that is not a list) keeps the
list it last gave: a gateway never disappears because its switch was restarting. A switch never read
has no list at all (``known_gateways`` is None), which is "unknown", not "no gateway".

Refreshes: periodically (``GATEWAY_REFRESH_SECONDS`` is the period to schedule), and when a contact's
gateway is on no switch (``note_unknown_gateway``), at most once per switch per
``UNKNOWN_GATEWAY_REFRESH_SECONDS`` however many contacts, gateways and workers meet unknown gateways:
a list of a million contacts naming a gateway nobody has costs one ``sofia xmlstatus gateway`` per
switch every 10 s, not one per contact.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Set
from dataclasses import dataclass

from django.core.cache import cache

from dialer.esl.client import DEFAULT_SWITCH, SwitchClient, SwitchUnavailable
from dialer.esl.gateway_list import gateway_list_names
from dialer.esl.responses import UnexpectedResponse

logger = logging.getLogger(__name__)

# The period at which each switch's list should be read again (for the beat schedule).
GATEWAY_REFRESH_SECONDS = 60.0
# When an unknown gateway is met: at most one refresh per switch this often, shared by every worker.
UNKNOWN_GATEWAY_REFRESH_SECONDS = 10.0
# A gateway met on no switch is remembered as such this long (see ``unknown_since``).
UNKNOWN_SINCE_SECONDS = 3600.0
_INDEX_KEY = "gateways:switches"


def _key(switch_name: str) -> str:
    return f"gateways:{switch_name}"


def _asked_key(switch_name: str) -> str:
    return f"gateways:{switch_name}:refresh-asked"


class GatewaysUnknown(Exception):
    """The switch could not say which gateways it has now; what was known of it is kept."""


@dataclass(frozen=True)
class KnownGateways:
    """A switch's gateways as last read from it, and when (epoch seconds)."""

    switch: str
    names: tuple[str, ...]
    read_at: float

    @property
    def age(self) -> float:
        return max(0.0, time.time() - self.read_at)


def refresh_gateways(switch_name: str, client: SwitchClient) -> list[str]:
    """Read ``switch_name``'s gateways through ``client`` (one api call) and store them for every worker.

    Returns the names stored, sorted. Raises ``GatewaysUnknown`` when the switch could not say (it does
    not answer, mod_sofia is unloaded, or the answer is unreadable): the list last read is left as it was.
    """
    try:
        entries = client.gateway_list()
    except SwitchUnavailable as exc:
        raise GatewaysUnknown(f"{switch_name}: {exc}") from exc
    except UnexpectedResponse as exc:
        logger.warning("gateways of %s: unreadable answer: %s", switch_name, exc)
        raise GatewaysUnknown(f"{switch_name}: {exc}") from exc
    if entries is None:
        raise GatewaysUnknown(f"{switch_name}: mod_sofia cannot say now (not loaded)")
    names = gateway_list_names(entries)
    previous = known_gateways(switch_name)
    cache.set(_key(switch_name), {"names": names, "read_at": time.time()}, None)
    _remember_switch(switch_name)
    if previous is None or list(previous.names) != names:
        logger.info("gateways of %s: %s", switch_name, ", ".join(names) or "none")
    return names


def _remember_switch(switch_name: str) -> None:
    """Add the switch to the index of switches read.

    Not atomic: two switches first read at the same instant may lose one of them, which the next
    refresh of that switch (each one checks) puts back.
    """
    index: list[str] = cache.get(_INDEX_KEY) or []
    if switch_name not in index:
        cache.set(_INDEX_KEY, sorted({*index, switch_name}), None)


def forget_switch(switch_name: str) -> None:
    """A switch removed from the dialer: its list and its place in the index go."""
    cache.delete_many([_key(switch_name), _asked_key(switch_name)])
    index: list[str] = cache.get(_INDEX_KEY) or []
    if switch_name in index:
        cache.set(_INDEX_KEY, [name for name in index if name != switch_name], None)


def known_switches() -> list[str]:
    """The switches whose gateways were ever read (and not forgotten), by name."""
    return list(cache.get(_INDEX_KEY) or [])


def known_gateways(switch_name: str) -> KnownGateways | None:
    """The list last read from ``switch_name`` with its time; None when it was never read."""
    value = cache.get(_key(switch_name))
    if value is None:
        return None
    return KnownGateways(switch_name, tuple(value["names"]), float(value["read_at"]))


def gateway_names(switch_name: str) -> list[str]:
    """``switch_name``'s gateways as last read, sorted; empty when never read (see ``known_gateways``)."""
    known = known_gateways(switch_name)
    return [] if known is None else list(known.names)


def gateway_map(switches: Iterable[str] | None = None) -> dict[str, frozenset[str]]:
    """Each of ``switches`` (default: every switch read) whose list is known, with its gateways: one cache read.

    A switch never read is absent, so that the caller can tell "no gateway" from "not known yet".
    """
    names = list(known_switches() if switches is None else switches)
    values = cache.get_many([_key(name) for name in names])
    return {name: frozenset(values[_key(name)]["names"]) for name in names if _key(name) in values}


def switches_with_gateway(gateway_id: str, switches: Iterable[str] | None = None) -> list[str]:
    """The switches (of ``switches``, default every switch read) that have ``gateway_id``, by name."""
    return sorted(name for name, gateways in gateway_map(switches).items() if gateway_id in gateways)


def note_unknown_gateway(
    gateway_id: str,
    switches: Iterable[str] | None = None,
    refresh: Callable[[str], object] | None = None,
) -> list[str]:
    """A contact's gateway is on none of ``switches``: ask those lacking it to be read again, rate-limited.

    Each switch is refreshed at most once per ``UNKNOWN_GATEWAY_REFRESH_SECONDS`` by all workers together
    (an atomic ``cache.add``), whatever the gateway. ``refresh(switch_name)`` does it; by default the
    ``refresh_switch_gateways`` task is queued. Returns the switches asked now (empty: each was asked
    recently, so what is known is as fresh as the rate allows). ``switches`` defaults to every switch
    read, or ``default`` when none was.
    """
    names = list(switches) if switches is not None else (known_switches() or [DEFAULT_SWITCH])
    having = set(switches_with_gateway(gateway_id, names))
    asked = [
        name
        for name in sorted(set(names) - having)
        if cache.add(_asked_key(name), time.time(), UNKNOWN_GATEWAY_REFRESH_SECONDS)
    ]
    ask = refresh or _queue_refresh
    for name in asked:
        logger.info("gateway %s is on no known switch: reading the gateways of %s again", gateway_id, name)
        ask(name)
    return asked


def unknown_since(gateway_ids: Iterable[str]) -> dict[str, float]:
    """When each of ``gateway_ids`` (named by contacts, on no switch's list) was first met so: the first caller's
    time is kept, shared by every worker, for ``UNKNOWN_SINCE_SECONDS`` (then met anew)."""
    names = list(gateway_ids)
    now = time.time()
    for name in names:
        cache.add(_unknown_key(name), now, UNKNOWN_SINCE_SECONDS)
    values = cache.get_many([_unknown_key(name) for name in names])
    return {name: float(values[_unknown_key(name)]) for name in names if _unknown_key(name) in values}


def _unknown_key(gateway_id: str) -> str:
    return f"gateways:unknown-since:{gateway_id}"


def _queue_refresh(switch_name: str) -> object:
    from dialer.tasks import refresh_switch_gateways  # imported here: the tasks module imports this one

    return refresh_switch_gateways.delay(switch_name)


def pick_switch(gateway_id: str, candidates: Mapping[str, int], gateways: Mapping[str, Set[str]]) -> str | None:
    """The switch to dial ``gateway_id`` on: of the ``candidates`` (name → free slots) that have it, the one
    with the most free slots, the first by name among equals (so every worker picks the same one).

    A switch that has the gateway is returned even with no free slot (the caller waits for one);
    None only when no candidate has it, which (every candidate's list being known) is ``Invalid Gateway``.
    A candidate absent from ``gateways`` (list not known) does not have it.
    """
    holders = [name for name in candidates if gateway_id in gateways.get(name, ())]
    if not holders:
        return None
    return min(holders, key=lambda name: (-candidates[name], name))


def gateways_to_dial(switch: str, free_slots: Mapping[str, int], gateways: Mapping[str, Set[str]]) -> list[str]:
    """The gateways ``switch`` dials now: those it has for which it is ``pick_switch``'s choice among the switches
    up (``free_slots``: name → free slots, ``switch`` among them), sorted.

    Every switch's cycle decides alike from the same lists, so a gateway of one switch is dialed there, and a
    shared one on the holder with the most free slots that is up: while a holder is down the others take it.
    """
    if switch not in free_slots:
        return []
    return sorted(name for name in gateways.get(switch, ()) if pick_switch(name, free_slots, gateways) == switch)


def invalid_gateways(
    candidates: Iterable[str], lists: Mapping[str, KnownGateways | None], since: Mapping[str, float]
) -> list[str]:
    """Of ``candidates`` (gateways named by contacts due), those on no switch for certain, sorted.

    ``lists``: every switch dialed on, with its list as last read (None: never read). Certain means every list
    is known, none has the gateway, and each was read after the gateway was first met unknown (``since``): a
    gateway just added to a switch is not taken for invalid before that switch's list is read again.
    """
    if any(known is None for known in lists.values()):
        return []
    return sorted(
        name
        for name in candidates
        if name in since
        and all(
            known is not None and name not in known.names and known.read_at >= since[name] for known in lists.values()
        )
    )

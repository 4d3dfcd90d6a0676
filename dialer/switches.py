"""The switches the dialer places calls on (SPEC section 10): ``Switch`` rows, or the settings' switch ``default``.

With no row, the settings of section 3 (``ESL_*``, ``MAX_CONCURRENT_CALLS``, ``DIALER_CALLS_PER_SECOND``) are one
switch named ``default``, read when asked (never at import), so a one-switch install changes nothing and a test that
overrides a setting is obeyed. As soon as one row exists the rows are the switches and ``ESL_*`` are not read.

``switch_summary`` is what the switches API lists, and what the status API and the admin show of each switch: its
configuration (never the password), whether it answers, and its calls in progress, counted in one grouped query
over the partial index of active contacts, whatever the number of switches or contacts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.models import Count

from campaigns.choices import ACTIVE_STATUSES
from campaigns.models import Contact
from dialer import gateways, switch_state
from dialer.esl.client import (
    DEFAULT_SWITCH,
    ESL_PASSWORD_MISSING,
    SwitchAddress,
    SwitchClient,
    SwitchNotConfigured,
    SwitchUnavailable,
    switch_client,
)
from dialer.models import Switch

logger = logging.getLogger(__name__)


class UnknownSwitch(LookupError):
    """No switch of that name: not a row, nor (with no rows at all) the settings' ``default``."""


@dataclass(frozen=True)
class SwitchConfig:
    """One switch as the dialer uses it: where its event socket is (``address``) and its share of the work."""

    address: SwitchAddress
    max_concurrent_calls: int
    calls_per_second: float
    enabled: bool = True

    @property
    def name(self) -> str:
        return self.address.name


def _from_row(row: Switch) -> SwitchConfig:
    return SwitchConfig(
        address=SwitchAddress(row.host, row.port, row.password, name=row.name),
        max_concurrent_calls=row.max_concurrent_calls,
        calls_per_second=row.calls_per_second,
        enabled=row.enabled,
    )


def default_switch(*, require_password: bool = True) -> SwitchConfig:
    """The settings' switch, named ``default``, as ``dialer.esl.client.configured_switch`` reads it.

    Refuses, naming ESL_PASSWORD, when it has no password (FreeSWITCH would refuse every connection), unless
    ``require_password`` is off: listing switches never needs it.
    """
    if require_password and not settings.ESL_PASSWORD:
        raise SwitchNotConfigured(ESL_PASSWORD_MISSING)
    return SwitchConfig(
        address=SwitchAddress(settings.ESL_HOST, settings.ESL_PORT, settings.ESL_PASSWORD, name=DEFAULT_SWITCH),
        max_concurrent_calls=settings.MAX_CONCURRENT_CALLS,
        calls_per_second=settings.DIALER_CALLS_PER_SECOND,
    )


def _switches(*, enabled_only: bool, require_password: bool) -> list[SwitchConfig]:
    rows = [_from_row(row) for row in Switch.objects.order_by("name")]
    if not rows:
        return [default_switch(require_password=require_password)]
    return [switch for switch in rows if switch.enabled or not enabled_only]


def configured_switches(*, enabled_only: bool = True) -> list[SwitchConfig]:
    """The switches to dial on (``enabled_only``), or all of them, by name; one query.

    With no row: the settings' ``default`` (raising ``SwitchNotConfigured`` without ESL_PASSWORD, as
    ``configured_switch`` does). With rows: only the rows, so every row disabled means no switch to dial on.
    """
    return _switches(enabled_only=enabled_only, require_password=True)


def switch_named(name: str) -> SwitchConfig:
    """The switch called ``name``, enabled or not (a disabled switch still ends the calls it holds).

    Raises ``UnknownSwitch``; ``default`` is the settings' switch only while there is no row.
    """
    row = Switch.objects.filter(name=name).first()
    if row is not None:
        return _from_row(row)
    if name == DEFAULT_SWITCH and not Switch.objects.exists():
        return default_switch()
    raise UnknownSwitch(f"no switch named {name!r}")


def client_for_call(switch_name: str) -> SwitchClient:
    """This thread's client of the switch that holds a call (``contact.switch_name``): every command for the call
    goes there.

    A name no longer configured falls back to the settings' switch only while that is the one switch (no rows: a
    call recorded before switches were named, or under an older name); otherwise it is logged and raised as
    ``SwitchUnavailable``, which callers treat as the switch being down.
    """
    try:
        return switch_client(switch_named(switch_name).address)
    except UnknownSwitch:
        if not Switch.objects.exists():
            return switch_client(default_switch().address)
        logger.warning("a call is held by switch %r, which is no longer configured", switch_name)
        raise SwitchUnavailable(f"{switch_name}: no longer configured") from None


def active_calls_per_switch() -> dict[str, int]:
    """Calls in progress (``dialed``, ``agent_pending``) per switch name: one grouped query over ``contact_active``.

    The partial index holds only the active contacts (at most about the switches' slots), so the cost does not
    grow with the contact table.
    """
    rows = (
        Contact.objects.filter(status__in=ACTIVE_STATUSES)
        .values_list("switch_name")
        .annotate(calls=Count("pk"))
        .order_by()
    )
    return dict(rows)


def _connection(switch: SwitchConfig, *, probe: bool) -> dict[str, Any]:
    """Whether ``switch`` answers, from what its listener and the workers last saw (shared in Redis).

    With ``probe`` (the APIs, like the status API), a switch of which nothing fresh is known is asked itself, with
    a one-second deadline (``dialer.status.switch_health``); without it (the admin's list) only Redis is read.
    """
    if probe and switch.enabled and switch.address.password:
        # Imported here: the status API will list its switches through this module.
        from dialer.status import switch_health

        health = switch_health(switch.address)
        return {"connected": health["connected"], "listener_connected": health["listener_connected"]}
    return last_known_connection(switch.name)


def last_known_connection(name: str) -> dict[str, bool]:
    """``connected`` (a listener beats, or a worker's last round trip succeeded within FRESH_SECONDS) and
    ``listener_connected``, from Redis alone: two reads, never the switch itself."""
    listening = switch_state.listener_connected(name)
    seen = switch_state.last_seen(name)
    fresh_ok = seen is not None and seen.ok and seen.age <= switch_state.FRESH_SECONDS
    return {"connected": listening or fresh_ok, "listener_connected": listening}


def describe(switch: SwitchConfig, active_calls: int, *, probe: bool) -> dict[str, Any]:
    """One switch in the shape of ``GET /api/v1/switches/`` (SPEC section 10): never its password."""
    return {
        "name": switch.name,
        "host": switch.address.host,
        "port": switch.address.port,
        "enabled": switch.enabled,
        **_connection(switch, probe=probe),
        "max_concurrent_calls": switch.max_concurrent_calls,
        "active_calls": active_calls,
        "calls_per_second": switch.calls_per_second,
        # As last read from the switch and shared in Redis by dialer.gateways (one read, never the switch itself).
        "gateways": gateways.gateway_names(switch.name),
    }


def require_switches() -> None:
    """The start-up check of what talks to the switches (the web, dialing workers, the listener).

    With switch rows, their passwords are in them; with none, the settings' switch needs ESL_PASSWORD. A database
    that cannot be read now counts as "no rows" (the strict rule): the process says so in one line and is started
    again, rather than starting to fail every call. The connection is closed after: the web's master and Celery's
    main process fork their workers afterwards, which must not share it.
    """
    if settings.ESL_PASSWORD:
        return
    try:
        has_rows = Switch.objects.exists()
    except DatabaseError:
        has_rows = False
    finally:
        connections.close_all()
    if not has_rows:
        raise SwitchNotConfigured(ESL_PASSWORD_MISSING)


def listed_switches() -> list[SwitchConfig]:
    """Every switch, disabled ones too, for the pages that show them: no password needed (one query)."""
    return _switches(enabled_only=False, require_password=False)


def switch_summary(*, probe: bool = True, switches: Iterable[SwitchConfig] | None = None) -> list[dict[str, Any]]:
    """Every switch (disabled ones too) as ``GET /api/v1/switches/`` lists them, for that API and the status API.

    Two queries whatever the number of switches and contacts (the rows, the grouped count of active calls) plus
    Redis reads; see ``_connection`` for ``probe``. Listing needs no password: the settings' ``default`` is shown
    even without ESL_PASSWORD.
    """
    listed = list(switches) if switches is not None else listed_switches()
    active = active_calls_per_switch()
    return [describe(switch, active.get(switch.name, 0), probe=probe) for switch in listed]

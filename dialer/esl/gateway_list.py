"""Reading a switch's gateways from ``sofia xmlstatus gateway`` (a pure parser).

SPEC section 10: each switch's gateways are read from it. ``sofia xmlstatus gateway`` (no name) lists
every gateway of every running SIP profile as XML, which is read with a real parser rather than by
column positions (``sofia status`` pads its columns and appends ``(retry: …)`` to some states).

The format, from FreeSWITCH's own source (repository signalwire/freeswitch, commit 0059f0cc1b34,
``src/mod/endpoints/mod_sofia/mod_sofia.c``):

- ``sofia_function`` sends ``xmlstatus`` to ``cmd_xml_status`` with the words after it; with the one
  word ``gateway`` (``argc == 1``) it writes the header ``<?xml version="1.0" encoding="ISO-8859-1"?>``,
  a line ``<gateways>``, one block per gateway of every profile that is RUNNING (aliases skipped), and
  a line ``</gateways>``. No gateway, or no profile running: the two lines with nothing between.
- each block is ``xml_gateway_status``: ``  <gateway>``, then one element per line indented by four
  spaces — name, profile, scheme, realm, username, password (``yes``/``no``), from, contact, exten,
  to, proxy, context, expires, freq, ping, pingfreq, pingmin, pingcount, pingmax, pingtime, pinging,
  **state** (the registration state: UNREGED, TRYING, REGISTER, REGED, UNREGISTER, FAILED,
  FAIL_WAIT, EXPIRED, NOREG, DOWN, TIMEOUT), **status** (``UP`` or ``DOWN``), uptime-usec,
  calls-in, calls-out, failed-calls-in, failed-calls-out, and ``retry`` (``<n>s`` or ``NEVER``)
  only while the state is FAILED or TRYING — then ``  </gateway>``.
- only from, contact and exten are escaped (``switch_amp_encode``); name, realm, username, to,
  proxy and the others are written as they are, so a gateway whose user name holds ``&`` or ``<``
  makes the answer not well-formed XML: that is reported as unreadable (and logged by the caller),
  never guessed at.
- ``sofia xmlstatus gateway <name>`` writes the header and one block without the ``<gateways>``
  wrapper (the real capture in tests/fixtures/freeswitch/b_gateway_status.txt has one, byte for
  byte as the writer above), or ``Invalid Gateway!``.

While mod_sofia is not loaded (a shutdown, a reload) the event socket answers
``-ERR sofia Command not found!`` (reference/esl.md, seen on FreeSWITCH 1.10.12): the switch cannot
say which gateways it has *now*, which is not the same as having none — ``None`` here, never ``()``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from dialer.esl.responses import GatewayState, UnexpectedResponse


@dataclass(frozen=True)
class GatewayEntry:
    """One gateway as the switch lists it: its name, profile, registration state and UP/DOWN status."""

    name: str
    profile: str
    # The registration state (NOREG for a gateway with register=false, which is normal).
    state: str
    # What decides whether calls may go through it: UP or DOWN (a gateway with no ping is always UP).
    status: GatewayState


class GatewayListUnreadable(UnexpectedResponse):
    """The answer is not a gateway list this code understands (garbage, broken XML, a missing name)."""


def parse_gateway_list(body: str) -> tuple[GatewayEntry, ...] | None:
    """The gateways in a ``sofia xmlstatus gateway`` answer, in the switch's order.

    ``None`` when the switch cannot say now (``-ERR …``: mod_sofia unloaded); ``()`` when it has no
    gateway. Raises ``GatewayListUnreadable`` for anything else that is not the list.
    """
    text = body.strip()
    if text.startswith("-ERR"):
        return None
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        # FreeSWITCH never declares any: refuse entity expansion outright rather than trust the parser's limits.
        raise GatewayListUnreadable(f"gateway list with a document type: {text[:80]!r}")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise GatewayListUnreadable(f"gateway list is not well-formed XML ({exc}): {text[:80]!r}") from exc
    if root.tag != "gateways":
        raise GatewayListUnreadable(f"expected <gateways>, got <{root.tag}>: {text[:80]!r}")
    entries: dict[str, GatewayEntry] = {}
    for element in root:
        if element.tag != "gateway":
            raise GatewayListUnreadable(f"unexpected <{element.tag}> in the gateway list")
        name = (element.findtext("name") or "").strip()
        if not name:
            raise GatewayListUnreadable("a gateway without a name in the gateway list")
        status = (element.findtext("status") or "").strip()
        entries.setdefault(
            name,
            GatewayEntry(
                name=name,
                profile=(element.findtext("profile") or "").strip(),
                state=(element.findtext("state") or "").strip(),
                # As parse_gateway_status reads the text answer: UP (possibly with a suffix), else DOWN.
                status=GatewayState.UP if status.startswith("UP") else GatewayState.DOWN,
            ),
        )
    return tuple(entries.values())


def gateway_list_names(entries: tuple[GatewayEntry, ...]) -> list[str]:
    """The gateways' names, sorted (names are unique on a switch: mod_sofia finds gateways by name alone)."""
    return sorted({entry.name for entry in entries})

"""The simulator's ``sofia xmlstatus gateway`` answers, written as mod_sofia writes them.

The shape is ``cmd_xml_status`` and ``xml_gateway_status`` of signalwire/freeswitch
``src/mod/endpoints/mod_sofia/mod_sofia.c`` (see ``dialer.esl.gateway_list``): the header line, then
for the list ``<gateways>`` … ``</gateways>``, each gateway a block of one element per line; a
single gateway is the header and its block alone. The values mirror the real capture of
``gw_down`` (tests/fixtures/freeswitch/b_gateway_status.txt): a gateway down is one whose OPTIONS
ping fails, an UP one has no ping.
"""

from __future__ import annotations

from collections.abc import Iterable

XML_HEADER = '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
PROFILE = "external"


def xml_gateway(name: str, *, up: bool, uptime_usec: int, ping_epoch: int) -> str:
    """One ``xml_gateway_status`` block (``from``, ``contact`` and ``exten`` amp-encoded, as mod_sofia does)."""
    realm = "127.0.0.1:5090"
    fields = [
        ("name", name), ("profile", PROFILE), ("scheme", "Digest"), ("realm", realm), ("username", "dialer"),
        ("password", "yes"), ("from", f"&lt;sip:dialer@{realm}&gt;"),
        ("contact", f"&lt;sip:gw+{name}@127.0.0.1:5080;transport=udp;gw={name}&gt;"), ("exten", "dialer"),
        ("to", f"sip:dialer@{realm}"), ("proxy", f"sip:{realm}"), ("context", "default"), ("expires", "3600"),
        ("freq", "3600"), ("ping", "0" if up else str(ping_epoch)), ("pingfreq", "0" if up else "5"),
        ("pingmin", "1"), ("pingcount", "0"), ("pingmax", "1"), ("pingtime", "0.00"), ("pinging", "0"),
        ("state", "NOREG"), ("status", "UP" if up else "DOWN"), ("uptime-usec", str(uptime_usec if up else 0)),
        ("calls-in", "0"), ("calls-out", "0"), ("failed-calls-in", "0"), ("failed-calls-out", "0"),
    ]  # fmt: skip
    return "  <gateway>\n" + "".join(f"    <{tag}>{value}</{tag}>\n" for tag, value in fields) + "  </gateway>\n"


def xml_gateway_list(gateways: Iterable[tuple[str, bool]], *, uptime_usec: int, ping_epoch: int) -> str:
    """``sofia xmlstatus gateway``: every (name, up) given, in that order; none gives the empty list."""
    blocks = "".join(xml_gateway(name, up=up, uptime_usec=uptime_usec, ping_epoch=ping_epoch) for name, up in gateways)
    return f"{XML_HEADER}<gateways>\n{blocks}</gateways>\n"


def xml_single_gateway(name: str, *, up: bool, uptime_usec: int, ping_epoch: int) -> str:
    """``sofia xmlstatus gateway <name>`` for a gateway the switch has (no ``<gateways>`` wrapper)."""
    return XML_HEADER + xml_gateway(name, up=up, uptime_usec=uptime_usec, ping_epoch=ping_epoch)

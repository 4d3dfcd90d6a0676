"""The FreeSWITCH event socket wire format (``reference/esl.md``), shared by the listener and the simulator.

Pure functions: frames are headers, a blank line, then ``Content-Length`` bytes of body;
a plain event is ``Name: value`` lines with percent-encoded values, optionally
followed by its own ``Content-Length`` and body.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import unquote

# Bytes FreeSWITCH percent-encodes in header values, besides those outside 0x20-0x7E.
_ENCODED: Final = frozenset('\r\n #%&+:;<=>?@[\\]^`{|}"')


def encode_value(value: str) -> str:
    """Percent-encode a header value as FreeSWITCH does (upper-case hex, space is %20)."""
    out = []
    for byte in value.encode():
        char = chr(byte)
        out.append(f"%{byte:02X}" if byte < 0x20 or byte > 0x7E or char in _ENCODED else char)
    return "".join(out)


@dataclass(frozen=True)
class Event:
    """A parsed event: the first value of each header (names can repeat), and the body."""

    headers: Mapping[str, str]
    body: str = ""
    all_headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    # The text as received, kept for an event that cannot be applied.
    raw: str = field(default="", repr=False)

    @property
    def name(self) -> str:
        return self.headers.get("Event-Name", "")

    def get(self, name: str, default: str = "") -> str:
        return self.headers.get(name, default)

    def variable(self, name: str, default: str = "") -> str:
        """A channel variable (``variable_<name>`` header)."""
        return self.headers.get(f"variable_{name}", default)


def parse_event(text: str) -> Event:
    """Parse a ``text/event-plain`` body; values are decoded after splitting into lines."""
    head, _, rest = text.replace("\r", "").partition("\n\n")
    pairs: list[tuple[str, str]] = []
    headers: dict[str, str] = {}
    for line in head.split("\n"):
        if not line:
            continue
        name, _, value = line.partition(":")
        decoded = unquote(value.lstrip(" "))
        pairs.append((name, decoded))
        headers.setdefault(name, decoded)
    length = headers.get("Content-Length")
    body = rest.encode()[: int(length)].decode(errors="replace") if length else ""
    return Event(headers=headers, body=body, all_headers=tuple(pairs), raw=text)


def serialize_event(headers: Iterable[tuple[str, str]], body: str = "") -> str:
    """The plain text of an event (what goes inside a ``text/event-plain`` frame)."""
    lines = [f"{name}: {encode_value(value)}" for name, value in headers if value != ""]
    if body:
        lines.append(f"Content-Length: {len(body.encode())}")
        return "\n".join(lines) + "\n\n" + body
    return "\n".join(lines) + "\n\n"


def frame(headers: Iterable[tuple[str, str]], body: str = "") -> bytes:
    """A server message: headers, a blank line, and the body announced by Content-Length."""
    data = body.encode()
    lines = [f"{name}: {value}" for name, value in headers]
    if data:
        lines.insert(0, f"Content-Length: {len(data)}")
    return ("\n".join(lines) + "\n\n").encode() + data


def event_frame(event_text: str) -> bytes:
    """An event message; for events Content-Length comes before Content-Type, as FreeSWITCH sends it."""
    data = event_text.encode()
    return f"Content-Length: {len(data)}\nContent-Type: text/event-plain\n\n".encode() + data

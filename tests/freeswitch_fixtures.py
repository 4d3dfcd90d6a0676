"""Read the real FreeSWITCH captures in tests/fixtures/freeswitch/ as they are."""

from __future__ import annotations

import re
from pathlib import Path

from dialer.esl.wire import Event, parse_event

FIXTURES = Path(__file__).parent / "fixtures" / "freeswitch"
_EVENT_FRAME = re.compile(rb"Content-Length: (\d+)\nContent-Type: text/event-plain\n\n")
_API_FRAME = re.compile(rb"Content-Type: api/response\nContent-Length: (\d+)\n\n")


def _bodies(name: str, pattern: re.Pattern[bytes]) -> list[str]:
    data = (FIXTURES / name).read_bytes()
    return [data[m.end() : m.end() + int(m.group(1))].decode() for m in pattern.finditer(data)]


def raw_event_texts(name: str) -> list[str]:
    """The bodies of every text/event-plain frame in a capture, cut by their Content-Length."""
    return _bodies(name, _EVENT_FRAME)


def api_responses(name: str) -> list[str]:
    """The bodies of every api/response frame in a capture."""
    return _bodies(name, _API_FRAME)


def events(name: str) -> list[Event]:
    return [parse_event(text) for text in raw_event_texts(name)]


def event(name: str, event_name: str) -> Event:
    return next(e for e in events(name) if e.name == event_name)

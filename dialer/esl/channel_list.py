"""Reading ``show channels as json``: the channel UUIDs a switch holds (a pure function).

Reconciliation trusts this answer to end calls as ``Stale``, so anything it does not fully understand
is an error, never "no calls": a misread list would end every live call of the switch.

The format is FreeSWITCH's own, read from its source (no capture of it exists here):
``src/mod/applications/mod_commands/mod_commands.c``, ``show_function`` and ``show_as_json_callback``
(signalwire/freeswitch at 44f78e9e76c4, and the same code in the 1.10 line, e.g. the fork
sergey-safarov/freeswitch at 081dd1e0f0ca). ``show channels as json`` runs
``select * from channels where hostname='<switchname>' order by created_epoch`` on the core database;
each row becomes an object of strings keyed by column name (``uuid`` first, see ``create_channels_sql``
in ``src/switch_core_sqldb.c``), and the answer is ``cJSON_PrintUnformatted`` of
``{"row_count": <number>, "rows": [<row>, ...]}`` (no newline after it). With no row the writer prints
the literal ``{"row_count": 0}`` and a newline, with no ``rows``. Errors start with ``-ERR``:
``-ERR SQL DISABLED NO DATA AVAILABLE!`` (core database off), ``-ERR Databse Error!``, or
``-ERR SQL Error [...]`` — which may be followed by ``{"row_count": 0}`` on the next line, hence an
answer that starts with ``-ERR`` is unknown whatever follows. The core writes its channel rows through
a queue, a few milliseconds after the channel exists: a call just placed may not be listed yet.
"""

from __future__ import annotations

import json
import re

from dialer.esl.responses import UnexpectedResponse

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class ChannelListUnknown(Exception):
    """The switch answered ``-ERR …``: it cannot list its channels now (it says nothing of the calls)."""


def parse_channel_list(body: str) -> frozenset[str]:
    """The UUIDs (lower case) of the channels in a ``show channels as json`` answer.

    Raises ``ChannelListUnknown`` for ``-ERR …`` and ``UnexpectedResponse`` for anything that is not
    exactly the documented shape: the row count must match the rows, every row must carry a UUID.
    """
    text = body.strip()
    if text.startswith("-ERR"):
        raise ChannelListUnknown(text.splitlines()[0][:200])
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise UnexpectedResponse(f"show channels as json: not JSON: {text[:80]!r}") from exc
    if not isinstance(document, dict) or "row_count" not in document:
        raise UnexpectedResponse(f"show channels as json: no row_count: {text[:80]!r}")
    count = document["row_count"]
    if type(count) not in (int, float) or count != int(count) or count < 0:
        raise UnexpectedResponse(f"show channels as json: row_count {count!r}")
    rows = document.get("rows", [] if count == 0 else None)
    if not isinstance(rows, list) or len(rows) != count:
        raise UnexpectedResponse(f"show channels as json: {count} rows announced, rows are {str(rows)[:80]}")
    uuids = set()
    for row in rows:
        value = row.get("uuid") if isinstance(row, dict) else None
        if not isinstance(value, str) or not _UUID.fullmatch(value.lower()):
            raise UnexpectedResponse(f"show channels as json: a row without a channel UUID: {str(row)[:80]}")
        uuids.add(value.lower())
    return frozenset(uuids)

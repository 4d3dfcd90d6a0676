"""The event socket server of the switch simulator: FreeSWITCH's inbound ESL protocol over TCP.

Speaks what ``reference/esl.md`` describes, so python-ESL connects to it unchanged:
``auth``, ``api``, ``bgapi`` (with a client-chosen ``Job-UUID``), ``event plain``,
``filter``, ``nixevent``/``noevents`` and ``exit``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass, field

from dialer.esl.wire import event_frame, frame
from dialer.simulators.switch import SimulatedSwitch

logger = logging.getLogger(__name__)
DISCONNECT = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"


@dataclass(eq=False)  # sessions are kept in a set, by identity
class _Session:
    writer: asyncio.StreamWriter
    authenticated: bool = False
    subscriptions: set[str] = field(default_factory=set)
    filters: list[tuple[str, str]] = field(default_factory=list)
    # While a synchronous api command runs, events for this socket wait until its response is sent.
    held: list[bytes] | None = None

    def wants(self, name: str, text: str) -> bool:
        if not self.authenticated or not ({"ALL", name} & self.subscriptions):
            return False
        if not self.filters:
            return True
        return any(f"\n{header}: {value}\n" in f"\n{text}" for header, value in self.filters)

    def send(self, data: bytes) -> None:
        if self.held is not None:
            self.held.append(data)
        elif not self.writer.is_closing():
            self.writer.write(data)


class EslServer:
    def __init__(self, switch: SimulatedSwitch, password: str = "ClueCon") -> None:
        self.switch = switch
        self.password = password
        self.server: asyncio.Server | None = None
        self.sessions: set[_Session] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._heartbeat: asyncio.Task[None] | None = None
        switch.subscribers.append(self._deliver)

    async def start(self, host: str, port: int) -> int:
        self.server = await asyncio.start_server(self._serve, host, port)
        self._heartbeat = asyncio.get_running_loop().create_task(self._beat())
        return int(self.server.sockets[0].getsockname()[1])

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.switch.scenario.heartbeat_seconds)
            self.switch.heartbeat()

    async def close(self) -> None:
        """Stop listening and drop every client, as a switch that goes away would."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        if self.server is not None:
            self.server.close()
        for session in list(self.sessions):
            session.writer.close()
        # Let each connection's loop see its end rather than be cancelled mid-read.
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.server is not None:
            await self.server.wait_closed()

    def _deliver(self, name: str, text: str) -> None:
        data = event_frame(text)
        for session in list(self.sessions):
            if session.wants(name, text):
                session.send(data)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = _Session(writer)
        self.sessions.add(session)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        writer.write(frame([("Content-Type", "auth/request")]))
        try:
            while not writer.is_closing():
                try:
                    command, headers = await asyncio.wait_for(
                        _read_command(reader), timeout=None if session.authenticated else 25
                    )
                except (asyncio.IncompleteReadError, TimeoutError, ConnectionError):
                    break
                if not await self._handle(session, command, headers):
                    break
                await writer.drain()
        finally:
            self.sessions.discard(session)
            with contextlib.suppress(ConnectionError, RuntimeError):
                writer.close()

    async def _handle(self, session: _Session, command: str, headers: dict[str, str]) -> bool:
        """Answer one command; False closes the connection."""
        verb, _, rest = command.partition(" ")
        if not session.authenticated:
            if verb != "auth":
                session.send(_reply("-ERR command not found"))
                return True
            if rest.strip() != self.password:
                session.send(_reply("-ERR invalid"))
                session.send(frame([("Content-Type", "text/disconnect-notice")], DISCONNECT))
                return False
            session.authenticated = True
            session.send(_reply("+OK accepted"))
            return True
        if verb == "api":
            await self._api(session, rest)
        elif verb == "bgapi":
            self._bgapi(session, rest, headers.get("Job-UUID") or str(uuid.uuid4()))
        elif verb == "event":
            self._subscribe(session, rest)
        elif verb == "filter":
            name, _, value = rest.partition(" ")
            session.filters.append((name, value))
            session.send(_reply(f"+OK filter added. [{name}]=[{value}]"))
        elif verb in ("nixevent", "noevents"):
            session.subscriptions.clear()
            session.send(_reply("+OK no longer listening for events"))
        elif verb == "exit":
            session.send(_reply("+OK bye"))
            session.send(frame([("Content-Type", "text/disconnect-notice")], DISCONNECT))
            return False
        else:
            session.send(_reply("-ERR command not found"))
        return True

    async def _api(self, session: _Session, text: str) -> None:
        command, _, args = text.partition(" ")
        self.switch.receive(command, args)
        session.held = []
        try:
            body = await self.switch.api(command, args)
        finally:
            held, session.held = session.held, None
        session.send(frame([("Content-Type", "api/response")], body or "-ERR no reply\n"))
        for data in held:
            session.send(data)

    def _bgapi(self, session: _Session, text: str, job_uuid: str) -> None:
        command, _, args = text.partition(" ")
        self.switch.receive(command, args)
        session.send(_reply(f"+OK Job-UUID: {job_uuid}", ("Job-UUID", job_uuid)))

        async def run() -> None:
            result = await self.switch.api(command, args)
            self.switch.background_job(job_uuid, command, args, result or "-ERR no reply\n")

        asyncio.get_running_loop().create_task(run())

    def _subscribe(self, session: _Session, text: str) -> None:
        kind, _, names = text.partition(" ")
        wanted = {n for n in names.split() if n.isupper()}
        if kind != "plain" or not wanted:
            session.send(_reply("-ERR no keywords supplied"))
            return
        session.subscriptions |= wanted
        session.send(_reply("+OK event listener enabled plain"))


def _reply(text: str, *extra: tuple[str, str]) -> bytes:
    return frame([("Content-Type", "command/reply"), ("Reply-Text", text), *extra])


async def _read_command(reader: asyncio.StreamReader) -> tuple[str, dict[str, str]]:
    """A command line, optional ``Name: value`` lines, a blank line (and a body if announced)."""
    lines: list[str] = []
    while True:
        line = (await reader.readuntil(b"\n")).decode(errors="replace").rstrip("\r\n")
        if line == "" and lines:
            break
        if line:
            lines.append(line)
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    if length := headers.get("Content-Length"):
        await reader.readexactly(int(length))
    return lines[0], headers

"""A bounded check that a switch's event socket answers: connect, read the greeting, authenticate, leave.

python-ESL has no timeouts: against a frozen switch (the TCP handshake is done by the kernel, the
greeting never comes) its constructor and commands block for ever. This check runs on a plain
socket with a deadline, for the web (which must never wait on the switch) and before python-ESL
is asked to connect.
"""

from __future__ import annotations

import socket
import time

PROBE_TIMEOUT_SECONDS = 1.0


def _read_message(sock: socket.socket, deadline: float) -> str:
    data = b""
    while b"\n\n" not in data.replace(b"\r", b""):
        sock.settimeout(max(0.001, deadline - time.monotonic()))
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("the event socket closed the connection")
        data += chunk
    return data.decode(errors="replace")


def probe_event_socket(host: str, port: int, password: str, *, timeout: float = PROBE_TIMEOUT_SECONDS) -> None:
    """Return when the switch greets and accepts the password within ``timeout``; raise OSError otherwise."""
    deadline = time.monotonic() + timeout
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            if "auth/request" not in _read_message(sock, deadline):
                raise ConnectionError("no auth/request greeting")
            sock.sendall(f"auth {password}\n\n".encode())
            if "+OK accepted" not in _read_message(sock, deadline):
                raise ConnectionError("the event socket refused the password")
            sock.sendall(b"exit\n\n")
    except TimeoutError as exc:
        raise TimeoutError(f"no answer within {timeout:g}s") from exc

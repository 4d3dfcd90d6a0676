"""A TCP proxy that a test can cut, to lose a real server (PostgreSQL, Redis, the switch) for real."""

from __future__ import annotations

import socket
import threading
from contextlib import suppress


class TcpProxy:
    """Forward 127.0.0.1:<port> to ``target``; ``cut()`` drops every connection and refuses new ones."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._frozen: set[socket.socket] = set()
        self.accepted = 0  # connections made through the proxy
        self._lock = threading.Lock()
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()

    def start(self) -> TcpProxy:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def resume(self) -> None:
        """Listen again on the same port: the server is back."""
        if self._listener is None:
            self.start()

    def cut(self) -> None:
        """Close the listening socket and every open connection: the server is gone."""
        with self._lock:
            if self._listener is not None:
                # shutdown() first: a thread blocked in accept() keeps a closed socket listening.
                with suppress(OSError):
                    self._listener.shutdown(socket.SHUT_RDWR)
                self._listener.close()
                self._listener = None
            for sock in self._sockets:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def freeze(self) -> None:
        """Open connections stay open but carry nothing more, either way (a firewall that lost their state).

        New connections work: only a peer that notices the silence gets through again.
        """
        with self._lock:
            self._frozen |= self._sockets

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets |= {client, upstream}
                self.accepted += 1
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                if not {source, sink} & self._frozen:
                    sink.sendall(data)
        with suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

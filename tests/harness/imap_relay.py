"""A loopback relay to an IMAP server that takes ``\\*`` out of PERMANENTFLAGS.

It stands for an upstream server that lets clients set flags but create no new keywords
(RFC 3501 7.1: no ``\\*`` in PERMANENTFLAGS). Dovecot 2.3 has no setting for that state, but a
Dovecot whose mail storage is ``imapc`` (an IMAP client of another server) takes it over from
its upstream and then refuses new keywords itself, with its own code and its own answers. So
the only thing this relay changes is that one response code; every command goes through
untouched.
"""

import contextlib
import re
import socket
import threading
from collections.abc import Callable
from typing import Any, BinaryIO

from tests.harness.errors import HarnessError
from tests.harness.ports import LOOPBACK

_LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")
_PERMANENTFLAGS = re.compile(rb"^\* OK \[PERMANENTFLAGS \(")
JOIN_SECONDS = 5.0


def without_wildcard(line: bytes) -> bytes:
    """The server line with ``\\*`` removed when it is a PERMANENTFLAGS response code."""
    if not _PERMANENTFLAGS.match(line):
        return line
    head, _, rest = line.partition(b"(")
    flags, _, tail = rest.partition(b")")
    kept = [flag for flag in flags.split() if flag != rb"\*"]
    return head + b"(" + b" ".join(kept) + b")" + tail


class NoNewKeywordsRelay:
    """Relays 127.0.0.1:``port`` to ``upstream``, rewriting only PERMANENTFLAGS.

    Server lines are read one at a time; a literal (``{n}``) is passed on as ``n`` raw bytes,
    so message text that looks like a response is never rewritten.
    """

    host = LOOPBACK

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self._upstream = (upstream_host, upstream_port)
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    @property
    def port(self) -> int:
        if self._listener is None:
            raise HarnessError("IMAP relay is not running")
        port: int = self._listener.getsockname()[1]
        return port

    def start(self) -> None:
        if self._listener is not None:
            raise HarnessError("IMAP relay already started")
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, 0))
        listener.listen(16)
        self._listener = listener
        self._spawn(self._accept_loop, listener)

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is None:
            return
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
            threads, self._threads = self._threads, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in threads:
            thread.join(timeout=JOIN_SECONDS)

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed by stop()
            if self._listener is not listener:  # stop() came between accept and here
                client.close()
                return
            try:
                server = socket.create_connection(self._upstream, timeout=10)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, server]
            self._spawn(self._client_to_server, client, server)
            self._spawn(self._server_to_client, server, client)

    @staticmethod
    def _client_to_server(client: socket.socket, server: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := client.recv(65536):
                server.sendall(chunk)
        with contextlib.suppress(OSError):
            server.shutdown(socket.SHUT_WR)

    @staticmethod
    def _server_to_client(server: socket.socket, client: socket.socket) -> None:
        with contextlib.suppress(OSError, ValueError), server.makefile("rb") as reader:
            _copy_lines(reader, client)
        with contextlib.suppress(OSError):
            client.shutdown(socket.SHUT_WR)


def _copy_lines(reader: BinaryIO, client: socket.socket) -> None:
    while line := reader.readline():
        client.sendall(without_wildcard(line))
        literal = _LITERAL.search(line)
        if literal is not None:
            size = int(literal.group(1))
            while size > 0:
                chunk = reader.read(min(size, 65536))
                if not chunk:
                    return
                client.sendall(chunk)
                size -= len(chunk)

"""A loopback relay in front of Dovecot that cuts the link in the middle of a chosen command.

It stands where a NAT box, a load balancer or a flaky line does, and when the client sends a
command that matches a test's pattern it closes both sockets at once (no BYE, no TLS
close_notify) at one of these moments:

- ``Cut.MID_RESPONSE_LITERAL``: the answer is passed on up to half of its first literal (a
  FETCH of whole messages, cut in the middle of a message);
- ``Cut.AFTER_CONTINUATION``: the server's ``+`` is passed on, then the cut (IDLE: the client
  is idling when the line dies);
- ``Cut.MID_COMMAND_LITERAL``: half of the client's literal reaches the server, then the cut
  (APPEND: half a message uploaded, so the server keeps nothing);
- ``Cut.INSTEAD_OF_ANSWER``: the whole command reaches the server and is done there; its
  tagged answer is dropped, then the cut (the client never learns that it worked).

Clients connect with implicit TLS and the harness certificate, so they keep verifying it; the
relay speaks plain IMAP to Dovecot's ``imap_port`` on loopback, which is how it reads commands.
Everything else passes through untouched.
"""

import asyncio
import contextlib
import re
import threading
from dataclasses import dataclass
from enum import Enum

from tests.harness.certs import CertBundle
from tests.harness.errors import HarnessError
from tests.harness.loop_thread import LoopThread
from tests.harness.ports import LOOPBACK

LINE_LIMIT = 1 << 24  # a SEARCH answer over a big folder is one long line
CHUNK = 65536
_LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")


class Cut(Enum):
    """Where, in the matching command, the link dies."""

    MID_RESPONSE_LITERAL = "mid-response-literal"
    AFTER_CONTINUATION = "after-continuation"
    MID_COMMAND_LITERAL = "mid-command-literal"
    INSTEAD_OF_ANSWER = "instead-of-answer"


@dataclass
class _Rule:
    pattern: re.Pattern[bytes]
    at: Cut
    skip: int  # matching commands still let through before the cut
    times: int  # cuts still to make


@dataclass(eq=False)  # one per connection, kept in a set
class _Link:
    """One client connection and its upstream; `armed` is the cut the next answer brings."""

    client: asyncio.StreamWriter
    server: asyncio.StreamWriter
    armed: tuple[Cut, bytes, bytes] | None = None  # the cut, the command's tag and text


class CuttingRelay:
    """TLS on ``127.0.0.1:port`` for clients, plain IMAP to ``upstream`` (Dovecot's imap_port).

    ``cut(pattern, at)`` arms a cut for the next command (the text after its tag) that
    matches the regular expression ``pattern``; ``commands()`` lists every command seen and
    ``cuts()`` the commands cut so far, oldest first.
    """

    host = LOOPBACK

    def __init__(self, upstream_host: str, upstream_port: int, certs: CertBundle) -> None:
        self._upstream = (upstream_host, upstream_port)
        self._certs = certs
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._commands: list[str] = []
        self._cuts: list[str] = []
        self._loop: LoopThread | None = None
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()
        self._port = 0

    @property
    def port(self) -> int:
        if self._server is None:
            raise HarnessError("IMAP cutting relay is not running")
        return self._port

    def cut(self, pattern: str, at: Cut, *, skip: int = 0, times: int = 1) -> None:
        """Cut the link at `at` in the next `times` commands matching `pattern` (a regular
        expression searched in the command after its tag), after letting `skip` through."""
        rule = _Rule(re.compile(pattern.encode(), re.IGNORECASE), at, skip, times)
        with self._lock:
            self._rules.append(rule)

    def commands(self) -> list[str]:
        """Every command line clients sent so far (without tag and literal), oldest first."""
        with self._lock:
            return list(self._commands)

    def cuts(self) -> list[str]:
        """The commands whose link was cut, oldest first."""
        with self._lock:
            return list(self._cuts)

    def pending(self) -> int:
        """Cuts armed but not made yet."""
        with self._lock:
            return sum(rule.times for rule in self._rules)

    def clear(self) -> None:
        """Forget the armed cuts and what was seen."""
        with self._lock:
            self._rules.clear()
            self._commands.clear()
            self._cuts.clear()

    def start(self) -> None:
        if self._loop is not None:
            raise HarnessError("IMAP cutting relay already started")
        self._loop = LoopThread.running("imap-cutting-relay", self._listen, self._close_everything)

    def stop(self) -> None:
        loop, self._loop = self._loop, None
        if loop is None:
            return
        try:
            loop.close()
        finally:
            self._server = None

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(
            self._session, self.host, 0, ssl=self._certs.server_context(), limit=LINE_LIMIT
        )
        self._port = self._server.sockets[0].getsockname()[1]

    async def _close_everything(self) -> None:
        if self._server is not None:
            self._server.close()
        for link in list(self._links):
            self._sever(link)
        current = asyncio.current_task()
        others = [task for task in asyncio.all_tasks() if task is not current]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _session(self, client_in: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        try:
            server_in, server = await asyncio.open_connection(*self._upstream, limit=LINE_LIMIT)
        except OSError:
            client.transport.abort()
            return
        link = _Link(client, server)
        self._links.add(link)
        try:
            await asyncio.gather(
                self._from_client(link, client_in), self._from_server(link, server_in)
            )
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # one side went away: so does the other, below
        finally:
            self._links.discard(link)
            self._sever(link)

    async def _from_client(self, link: _Link, reader: asyncio.StreamReader) -> None:
        starts_command = True
        while line := await reader.readline():
            tag, _, rest = line.partition(b" ")
            rule = self._take_rule(rest) if starts_command else None
            if starts_command:
                with self._lock:
                    self._commands.append(_text(rest))
            literal = _LITERAL.search(line)
            if rule is not None and rule.at is Cut.MID_COMMAND_LITERAL:
                await _send(link.server, line)
                if literal is not None:
                    half = await reader.readexactly(int(literal.group(1)) // 2)
                    await _send(link.server, half)
                self._cut(link, rest)
                return
            if rule is not None:
                link.armed = (rule.at, tag, rest)
            await _send(link.server, line)
            if literal is not None:
                await _pass_literal(reader, link.server, int(literal.group(1)))
            starts_command = literal is None
        _half_close(link.server)

    async def _from_server(self, link: _Link, reader: asyncio.StreamReader) -> None:
        while line := await reader.readline():
            literal = _LITERAL.search(line)
            armed = link.armed
            if armed is not None:
                at, tag, command = armed
                if at is Cut.INSTEAD_OF_ANSWER and line.startswith(tag + b" "):
                    self._cut(link, command)
                    return
                if at is Cut.AFTER_CONTINUATION and line.startswith(b"+"):
                    await _send(link.client, line)
                    self._cut(link, command)
                    return
                if at is Cut.MID_RESPONSE_LITERAL and literal is not None:
                    await _send(link.client, line)
                    await _send(link.client, await reader.readexactly(int(literal.group(1)) // 2))
                    self._cut(link, command)
                    return
            await _send(link.client, line)
            if literal is not None:
                await _pass_literal(reader, link.client, int(literal.group(1)))
        _half_close(link.client)

    def _take_rule(self, command: bytes) -> _Rule | None:
        with self._lock:
            for rule in self._rules:
                if not rule.pattern.search(command):
                    continue
                if rule.skip:
                    rule.skip -= 1
                    return None
                rule.times -= 1
                if rule.times == 0:
                    self._rules.remove(rule)
                return rule
        return None

    def _cut(self, link: _Link, command: bytes) -> None:
        with self._lock:
            self._cuts.append(_text(command))
        self._sever(link)

    @staticmethod
    def _sever(link: _Link) -> None:
        for writer in (link.client, link.server):
            writer.transport.abort()


def _text(command: bytes) -> str:
    return command.rstrip(b"\r\n").decode("ascii", "replace")


async def _send(writer: asyncio.StreamWriter, data: bytes) -> None:
    writer.write(data)
    await writer.drain()


async def _pass_literal(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, size: int
) -> None:
    while size > 0:
        chunk = await reader.readexactly(min(size, CHUNK))
        await _send(writer, chunk)
        size -= len(chunk)


def _half_close(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, RuntimeError):
        if writer.can_write_eof():
            writer.write_eof()
        else:
            writer.close()

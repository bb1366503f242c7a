"""An SMTP submission server (aiosmtpd) on three loopback ports, in its own thread.

The server runs its own event loop in a background thread so synchronous
tests and tests with their own ``asyncio.run`` can both talk to it.
"""

import asyncio
import functools
import ssl
import weakref
from dataclasses import dataclass

from aiosmtpd.smtp import SMTP

from tests.harness.certs import CertBundle
from tests.harness.errors import HarnessError
from tests.harness.loop_thread import LoopThread
from tests.harness.ports import LOOPBACK
from tests.harness.smtp_faults import DataFaultScript, RecipientRefusals, SenderRefusals
from tests.harness.smtp_handler import (
    Deliver,
    SubmissionHandler,
    SubmittedMessage,
    SubmittedMessages,
    authenticate,
)


@dataclass(frozen=True)
class ListenerSpec:
    """How one port secures its sessions.

    ``starttls``: STARTTLS offered, AUTH only after it; ``tls``: TLS from the
    first byte; ``plain``: no TLS at all, AUTH allowed in clear text.
    """

    name: str
    offer_starttls: bool
    implicit_tls: bool


LISTENERS = (
    ListenerSpec("starttls", offer_starttls=True, implicit_tls=False),
    ListenerSpec("tls", offer_starttls=False, implicit_tls=True),
    ListenerSpec("plain", offer_starttls=False, implicit_tls=False),
)


class SubmissionServer:
    """Authenticated SMTP submission that delivers into Dovecot before answering 250.

    Ports (after ``start()``): ``starttls_port``, ``tls_port``, ``plain_port``,
    all on ``host`` (127.0.0.1), each bound to port 0 by the kernel.
    ``messages()`` / ``clear_messages()`` read and reset the copies of accepted
    mail; ``faults`` scripts failures of upcoming DATA commands, ``refusals``
    the recipients refused at RCPT TO, ``sender_refusals`` the answers to the next MAIL FROM.
    """

    host = LOOPBACK

    def __init__(self, certs: CertBundle, deliver: Deliver) -> None:
        self.faults = DataFaultScript()
        self.refusals = RecipientRefusals()
        self.sender_refusals = SenderRefusals()
        self._certs = certs
        self._deliver = deliver
        self._messages = SubmittedMessages()
        self._ports: dict[str, int] = {}
        self._loop: LoopThread | None = None
        self._servers: list[asyncio.Server] = []
        self._sessions: weakref.WeakSet[SMTP] = weakref.WeakSet()

    @property
    def starttls_port(self) -> int:
        """Port offering STARTTLS; AUTH is refused until the session is encrypted."""
        return self._port("starttls")

    @property
    def tls_port(self) -> int:
        """Implicit-TLS (SMTPS) port."""
        return self._port("tls")

    @property
    def plain_port(self) -> int:
        """Clear-text port without STARTTLS, AUTH allowed (for ``security: none``)."""
        return self._port("plain")

    def messages(self) -> list[SubmittedMessage]:
        """Copies of every accepted message so far, oldest first."""
        return self._messages.snapshot()

    def clear_messages(self) -> None:
        """Forget the recorded messages."""
        self._messages.clear()

    def start(self) -> None:
        """Start the loop thread and open all three listeners."""
        if self._loop is not None:
            raise HarnessError("SMTP server already started")
        self._loop = LoopThread.running(
            "test-smtp-server", self._open_listeners, self._close_everything
        )

    def stop(self) -> None:
        """Close listeners and open sessions, then stop and close the loop."""
        loop, self._loop = self._loop, None
        if loop is None:
            return
        try:
            loop.close()
        finally:
            self._ports.clear()

    def _port(self, name: str) -> int:
        try:
            return self._ports[name]
        except KeyError:
            raise HarnessError("SMTP server is not running") from None

    async def _open_listeners(self) -> None:
        loop = asyncio.get_running_loop()
        context = self._certs.server_context()
        for spec in LISTENERS:
            server = await loop.create_server(
                functools.partial(self._new_session, spec, context, loop),
                host=self.host,
                port=0,
                ssl=context if spec.implicit_tls else None,
            )
            self._servers.append(server)
            self._ports[spec.name] = server.sockets[0].getsockname()[1]

    def _new_session(
        self, spec: ListenerSpec, context: ssl.SSLContext, loop: asyncio.AbstractEventLoop
    ) -> SMTP:
        handler = SubmissionHandler(
            spec.name,
            self._deliver,
            self._messages,
            self.faults,
            self.refusals,
            self.sender_refusals,
        )
        session = SMTP(
            handler,
            hostname="localhost",
            tls_context=context if spec.offer_starttls else None,
            # AUTH before MAIL is enforced by the handler; aiosmtpd's own
            # auth_required cannot tell implicit TLS from clear text.
            auth_required=False,
            auth_require_tls=spec.offer_starttls,
            authenticator=authenticate,
            loop=loop,
        )
        self._sessions.add(session)
        return session

    async def _close_everything(self) -> None:
        for server in self._servers:
            server.close()
        for session in list(self._sessions):
            if isinstance(session.transport, asyncio.Transport):
                session.transport.abort()
        current = asyncio.current_task()
        others = [task for task in asyncio.all_tasks() if task is not current]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()
        await asyncio.get_running_loop().shutdown_default_executor()

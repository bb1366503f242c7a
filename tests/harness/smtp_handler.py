"""What the test SMTP server does with a session: AUTH, MAIL, RCPT, DATA to LMTP.

Kept apart from the event-loop plumbing in ``smtp_server`` so the rules a
submission server enforces can be read in one place.
"""

import asyncio
import base64
import threading
from dataclasses import dataclass
from typing import Any, Protocol

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.harness.lmtp import LmtpRefused
from tests.harness.smtp_faults import (
    DataFault,
    DataFaultScript,
    RecipientRefusals,
    SenderRefusals,
    closes_connection,
)
from tests.harness.users import MAIL_DOMAIN, password_matches


class Deliver(Protocol):
    """Puts a message into a recipient's mailbox now, or raises ``LmtpRefused``.

    ``DovecotServer.deliver`` is the production implementation.
    """

    def __call__(self, recipient: str, raw_message: bytes, sender: str = "") -> None: ...


@dataclass(frozen=True)
class SubmittedMessage:
    """A copy of one message the server accepted (or delivered before a fault).

    ``raw`` holds the bytes as received after DATA (CRLF line ends, dot
    stuffing removed); ``username`` is the login the client authenticated
    with; ``listener`` is ``"starttls"``, ``"tls"`` or ``"plain"``.
    ``delivered_to`` lists the recipients handed to Dovecot; recipients in
    other domains are only recorded here.
    """

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    username: str
    listener: str
    delivered_to: tuple[str, ...]


class SubmittedMessages:
    """The thread-safe list of accepted messages that tests read and clear."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[SubmittedMessage] = []

    def append(self, message: SubmittedMessage) -> None:
        """Record one accepted message (called from the server thread)."""
        with self._lock:
            self._messages.append(message)

    def snapshot(self) -> list[SubmittedMessage]:
        """A copy of everything recorded so far, oldest first."""
        with self._lock:
            return list(self._messages)

    def clear(self) -> None:
        """Forget all recorded messages."""
        with self._lock:
            self._messages.clear()


def authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    """aiosmtpd authenticator: PLAIN and LOGIN against the harness's test users."""
    if mechanism not in ("PLAIN", "LOGIN") or not isinstance(auth_data, LoginPassword):
        return AuthResult(success=False, handled=False)
    login = auth_data.login.decode("utf-8", errors="replace")
    password = auth_data.password.decode("utf-8", errors="replace")
    if password_matches(login, password):
        return AuthResult(success=True, auth_data=login)
    return AuthResult(success=False, handled=False)


def _is_local(recipient: str) -> bool:
    return recipient.rpartition("@")[2].lower() == MAIL_DOMAIN


class SubmissionHandler:
    """aiosmtpd handler: refuses MAIL before AUTH, delivers over LMTP before 250.

    One handler per listener so each recorded message says which port it
    came through; the message list and the fault scripts are shared.
    """

    def __init__(
        self,
        listener: str,
        deliver: Deliver,
        messages: SubmittedMessages,
        faults: DataFaultScript,
        refusals: RecipientRefusals,
        sender_refusals: SenderRefusals,
    ) -> None:
        self._listener = listener
        self._deliver = deliver
        self._messages = messages
        self._faults = faults
        self._refusals = refusals
        self._sender_refusals = sender_refusals

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        """XOAUTH2 as Gmail and Microsoft 365 take it; the bearer token is the user's password."""
        blob = args[1] if len(args) > 1 else ""
        try:
            fields = base64.b64decode(blob).decode("utf-8").split("\x01")
        except (ValueError, UnicodeDecodeError):
            return AuthResult(success=False, handled=False)
        values = dict(f.split("=", 1) for f in fields if "=" in f)
        login = values.get("user", "")
        token = values.get("auth", "").removeprefix("Bearer ")
        if password_matches(login, token):
            return AuthResult(success=True, auth_data=login)
        return AuthResult(success=False, handled=False)

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        """Refuse unauthenticated senders (aiosmtpd's own check would need AUTH-over-TLS), then
        the scripted refusals."""
        if not session.authenticated:
            return "530 5.7.0 Authentication required"
        refusal = self._sender_refusals.take()
        if refusal is not None:
            return _reply(server, refusal)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        """Refuse the scripted addresses; aiosmtpd adds a recipient only when no hook does."""
        refusal = self._refusals.take(address)
        if refusal is not None:
            return _reply(server, refusal)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Deliver every local recipient, one LMTP transaction each, then answer."""
        fault = self._faults.take()
        if fault is not None and not fault.deliver:
            return self._fail(server, fault)
        status = await self._deliver_all(session, envelope)
        if fault is not None:
            return self._fail(server, fault)
        return status

    async def _deliver_all(self, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        sender = envelope.mail_from or ""
        delivered: list[str] = []
        for recipient in envelope.rcpt_tos:
            if not _is_local(recipient):
                continue
            try:
                await asyncio.to_thread(self._deliver, recipient, raw, sender=sender)
            except LmtpRefused as refusal:
                return f"{refusal.code} {refusal.reply}"
            delivered.append(recipient)
        self._messages.append(
            SubmittedMessage(
                mail_from=sender,
                rcpt_tos=tuple(envelope.rcpt_tos),
                raw=raw,
                username=str(session.auth_data),
                listener=self._listener,
                delivered_to=tuple(delivered),
            )
        )
        return "250 2.0.0 OK delivered"

    @staticmethod
    def _fail(server: SMTP, fault: DataFault) -> str:
        if fault.drops_connection:
            # abort(), not close(): close() would still flush the reply aiosmtpd
            # writes after this hook returns.
            if isinstance(server.transport, asyncio.Transport):
                server.transport.abort()
            return "421 4.3.0 connection dropped (never sent)"
        return _reply(server, fault.reply())


def _reply(server: SMTP, reply: str) -> str:
    """A scripted reply; after a ``421`` the connection is closed once the reply is out."""
    if closes_connection(reply) and server.transport is not None:
        # Run after aiosmtpd has written the reply: close() sends what is buffered first.
        asyncio.get_running_loop().call_soon(server.transport.close)
    return reply

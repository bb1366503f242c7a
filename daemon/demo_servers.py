"""The mail servers `afterview demo` runs in-process: real IMAP and SMTP, on loopback, no root.

IMAP is pymap's in-memory backend; SMTP is aiosmtpd, delivering every message it accepts into
the recipients' pymap INBOX (as an MTA hands mail to the mailbox server). Both run on one
asyncio loop in a background thread and speak STARTTLS with a throwaway certificate when the
`cryptography` package is there, plain text on loopback otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import ssl
import threading
from collections.abc import Coroutine, Iterable
from concurrent.futures import Future
from contextlib import AsyncExitStack, closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from proxyprotocol.reader import ProxyProtocolReader
from pymap.backend.dict import Config as PymapConfig
from pymap.backend.dict import DictBackend, Identity, Login
from pymap.config import BackendCapability
from pymap.context import connection_exit
from pymap.imap import IMAPConnection, IMAPServer
from pymap.imap.state import ConnectionState
from pymap.parsing.command import CommandNoArgs, CommandSelect
from pymap.parsing.commands import Commands
from pymap.parsing.message import AppendMessage
from pymap.parsing.response import ResponseOk
from pymap.parsing.specials.flag import Flag
from pymap.user import Passwords, UserMetadata

HOST = "127.0.0.1"
T = TypeVar("T")


class _Unselect(CommandNoArgs, CommandSelect):
    """RFC 3691 UNSELECT, which pymap lacks: leave a folder without expunging anything."""

    command = b"UNSELECT"


class _State(ConnectionState):
    async def do_unselect(self, cmd: _Unselect) -> tuple[ResponseOk, None]:
        self._selected = None
        return ResponseOk(cmd.tag, cmd.command + b" completed."), None


class _Config(PymapConfig):
    @property
    def commands(self) -> Commands:
        commands = Commands()
        commands.register(_Unselect)
        return commands

    @property
    def backend_capability(self) -> BackendCapability:
        return BackendCapability(idle=True, object_id=True, multi_append=True,
                                 custom=[b"UNSELECT"])  # fmt: skip


class _Server(IMAPServer):
    """pymap's `IMAPServer`, with connections whose state knows UNSELECT."""

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                       sock_info: Any) -> None:  # fmt: skip
        connection = IMAPConnection(self.commands, self._config, reader, writer, sock_info)
        state = _State(self._login, self._config)
        async with AsyncExitStack() as stack:
            connection_exit.set(stack)
            stack.enter_context(closing(connection))
            await connection.run(state)


@dataclass
class Delivered:
    """One message the SMTP server accepted: who sent it to whom, and its bytes."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes


@dataclass
class MailServers:
    """The running servers: where they listen, and who has a mailbox on them."""

    imap_port: int = 0
    smtp_port: int = 0
    ca_file: Path | None = None  # None: plain text (no `cryptography` to make a certificate)
    passwords: dict[str, str] = field(default_factory=dict)
    delivered: list[Delivered] = field(default_factory=list)


class EmbeddedMail:
    """Start with `start()`, stop with `stop()`; `users` get a mailbox and a password each."""

    def __init__(self, directory: Path, users: dict[str, str]) -> None:
        self.directory = directory
        self.servers = MailServers(passwords=dict(users))
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._stack = AsyncExitStack()
        self._backend: DictBackend | None = None

    def start(self) -> MailServers:
        self._thread.start()
        self._call(self._start())
        return self.servers

    def stop(self) -> None:
        if self._thread.is_alive():
            self._call(self._stack.aclose())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
        self._loop.close()

    def _call(self, work: Coroutine[Any, Any, T]) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(work, self._loop)
        return future.result(timeout=30)

    async def _start(self) -> None:
        tls = _server_context(self.directory)
        self.servers.ca_file = tls[1] if tls else None
        context = tls[0] if tls else None
        args = argparse.Namespace(passlib_cfg=None, proxy_protocol=None, debug=False)
        config = _Config(
            args,
            host=HOST,
            port=0,
            demo_data=False,
            demo_user="",
            demo_password="",
            ssl_context=context,
            tls_enabled=context is not None,
            invalid_user_sleep=0.0,
        )
        config.apply_context()
        self._backend, self._config = DictBackend(Login(config), config), config
        for user, password in self.servers.passwords.items():
            await _add_user(self._backend, config, user, password)
        reader = ProxyProtocolReader(config.proxy_protocol)
        imap = await asyncio.start_server(
            reader.get_callback(_Server(self._backend.login, config)), HOST, 0
        )
        await self._stack.enter_async_context(imap)
        self.servers.imap_port = imap.sockets[0].getsockname()[1]

        def session() -> SMTP:
            return SMTP(
                _Delivery(self),
                hostname="mail.demo",
                tls_context=context,
                require_starttls=context is not None,
                authenticator=self._authenticate,
                auth_require_tls=context is not None,
            )

        smtp = await self._loop.create_server(session, HOST, 0)
        await self._stack.enter_async_context(smtp)
        self.servers.smtp_port = smtp.sockets[0].getsockname()[1]

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if mechanism in ("PLAIN", "LOGIN") and isinstance(data, LoginPassword):
            login = data.login.decode(errors="replace")
            if self.servers.passwords.get(login) == data.password.decode(errors="replace"):
                return AuthResult(success=True, auth_data=login)
        return AuthResult(success=False, handled=False)

    async def deliver(self, user: str, raw: bytes, folder: str = "INBOX",
                      at: datetime | None = None, flags: Iterable[str] = ()) -> None:  # fmt: skip
        """Put one message into a user's folder, as delivery or an import would."""
        assert self._backend is not None
        identity = Identity(user, self._backend.login, None, frozenset())
        async with identity.new_session() as session:
            mailbox = await session.mailbox_set.get_mailbox(folder)
            when = at or datetime.now(UTC)
            message = AppendMessage(raw, when, frozenset(Flag(f.encode()) for f in flags))
            await mailbox.append(message)

    def put(self, user: str, raw: bytes, folder: str = "INBOX", at: datetime | None = None,
            flags: Iterable[str] = ()) -> None:  # fmt: skip
        """`deliver`, from the caller's thread."""
        self._call(self.deliver(user, raw, folder, at, flags))


class _Delivery:
    """aiosmtpd handler: each accepted message goes into its recipients' INBOX."""

    def __init__(self, mail: EmbeddedMail) -> None:
        self.mail = mail

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address.lower() not in self.mail.servers.passwords:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address.lower())
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        for rcpt in envelope.rcpt_tos:
            await self.mail.deliver(rcpt, raw)
        self.mail.servers.delivered.append(
            Delivered(envelope.mail_from or "", list(envelope.rcpt_tos), raw)
        )
        return "250 2.0.0 delivered"


async def _add_user(backend: DictBackend, config: PymapConfig, user: str, password: str) -> None:
    hashed = await Passwords(config).hash_password(password)
    identity = Identity(user, backend.login, None, frozenset())
    await identity.set(UserMetadata(config, user, password=hashed))
    async with identity.new_session() as session:
        await session.mailbox_set.add_mailbox("Sent")


def _server_context(directory: Path) -> tuple[ssl.SSLContext, Path] | None:
    """A server context for 127.0.0.1 signed by a throwaway CA, and that CA's PEM file."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        return None
    now = datetime.now(UTC)

    def issue(
        subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name | None,
        signer: ec.EllipticCurvePrivateKey, ca: bool,
    ) -> x509.Certificate:  # fmt: skip
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
        public = key.public_key()
        builder = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(issuer or name)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()),
                critical=False,
            )
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=not ca,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=ca,
                    crl_sign=ca,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
        )
        if not ca:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address(HOST)), x509.DNSName("localhost")]
                ),
                critical=False,
            ).add_extension(
                x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
            )
        return builder.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = issue("afterview demo CA", ca_key, None, ca_key, True)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = issue(HOST, leaf_key, ca.subject, ca_key, False)
    pem = serialization.Encoding.PEM
    ca_file, cert_file, key_file = (directory / n for n in ("ca.pem", "cert.pem", "key.pem"))
    ca_file.write_bytes(ca.public_bytes(pem))
    cert_file.write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    key_file.write_bytes(
        leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_file.chmod(0o600)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context, ca_file

"""Fixtures that start the real test servers, lazily and once per session.

Nothing starts unless a test asks for it, so unit-only runs stay
server-free. A server that cannot start fails the requesting tests with the
reason (and Dovecot's log tail) instead of skipping them.

Users (``tests.harness.MAIL_USERS``): ``alice``/``alice-Secret-1``,
``bob``/``bob-Secret-2``, ``carol``/``carol-Secret-3``. IMAP LOGIN and SMTP
AUTH take the bare name (``alice``; ``alice@example.test`` works too); mail
goes to ``alice@example.test``, and ``alice+tag@example.test`` lands in
alice's INBOX. Every server listens on 127.0.0.1; certificates are valid for
``localhost`` and ``127.0.0.1`` and signed by ``tls_certs.ca_pem``.
"""

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import (
    CertBundle,
    CuttingRelay,
    DovecotServer,
    RadicaleServer,
    SubmissionServer,
    create_cert_bundle,
)


@pytest.fixture(scope="session")
def harness_root() -> Iterator[Path]:
    """A short directory under /tmp for all servers (unix sockets allow 108 bytes).

    World-traversable so Dovecot's unprivileged processes reach their files.
    """
    root = Path(tempfile.mkdtemp(prefix="av-", dir="/tmp"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def tls_certs(harness_root: Path) -> CertBundle:
    """Test CA and ``localhost``/127.0.0.1 server certificate.

    ``ca_pem`` is the file clients trust (``cafile=``, ``cert_bundle=``);
    ``client_context()`` returns a verifying ``ssl.SSLContext`` for it.
    """
    return create_cert_bundle(harness_root / "certs")


@pytest.fixture(scope="session")
def dovecot_session(harness_root: Path, tls_certs: CertBundle) -> Iterator[DovecotServer]:
    """The session's Dovecot; prefer ``dovecot``, which also revives a stopped one."""
    server = DovecotServer(harness_root / "dovecot", tls_certs)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def dovecot(dovecot_session: DovecotServer) -> DovecotServer:
    """Dovecot 2.3, running, on 127.0.0.1.

    Ports: ``imap_port`` (plain, offers STARTTLS, plaintext LOGIN allowed),
    ``imaps_port`` (implicit TLS), ``lmtp_port``. Helpers: ``deliver(recipient,
    raw_bytes, sender="")`` over LMTP, ``stop(kill=False)``, ``start()``,
    ``restart()``, ``doveadm(*args)``, ``empty_mailboxes(name)``. Mailboxes
    persist across tests: find your message by a unique Message-ID.
    If an earlier test left it stopped, it is started again here.
    """
    if not dovecot_session.running:
        dovecot_session.start()
    return dovecot_session


@pytest.fixture(scope="session")
def smtp_session(
    dovecot_session: DovecotServer, tls_certs: CertBundle
) -> Iterator[SubmissionServer]:
    """The session's SMTP server; prefer ``smtp_server``, which resets it per test."""
    server = SubmissionServer(tls_certs, deliver=dovecot_session.deliver)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_server(
    smtp_session: SubmissionServer, dovecot: DovecotServer
) -> Iterator[SubmissionServer]:
    """SMTP submission (aiosmtpd) delivering into ``dovecot`` before it answers 250.

    Ports: ``starttls_port`` (AUTH only after STARTTLS), ``tls_port``
    (implicit TLS), ``plain_port`` (no TLS, AUTH allowed). MAIL FROM needs
    AUTH PLAIN or LOGIN first. ``messages()`` lists accepted messages
    (``SubmittedMessage``); ``faults.fail_next(451)`` / ``faults.drop_next()``
    / ``faults.inject(DataFault(...), times=n)`` script failing DATA answers;
    ``refusals.refuse("x@example.test", "450 4.2.1 try later", times=1)``
    refuses that recipient at RCPT TO while the others are accepted
    (``refusals.asked()`` lists every RCPT TO address);
    ``sender_refusals.refuse("452 4.3.1 out of storage")`` answers the next
    MAIL FROM so. A scripted ``421`` closes the connection after the reply.
    Messages, faults and refusals start empty in every test.
    """
    _clear_scripts(smtp_session)
    smtp_session.clear_messages()
    yield smtp_session
    _clear_scripts(smtp_session)


def _clear_scripts(server: SubmissionServer) -> None:
    server.faults.clear()
    server.refusals.clear()
    server.sender_refusals.clear()


@pytest.fixture(scope="session")
def imap_cutter_session(
    dovecot_session: DovecotServer, tls_certs: CertBundle
) -> Iterator[CuttingRelay]:
    """The session's cutting relay; prefer ``imap_cutter``, which resets it per test."""
    relay = CuttingRelay(dovecot_session.host, dovecot_session.imap_port, tls_certs)
    relay.start()
    try:
        yield relay
    finally:
        relay.stop()


@pytest.fixture
def imap_cutter(imap_cutter_session: CuttingRelay, dovecot: DovecotServer) -> CuttingRelay:
    """A relay to ``dovecot`` that cuts the link in the middle of a chosen command.

    Clients use implicit TLS to ``127.0.0.1:port`` (the harness certificate, trust
    ``tls_certs.ca_pem``); the relay speaks plain IMAP to Dovecot's ``imap_port``.
    ``cut("^APPEND ", Cut.MID_COMMAND_LITERAL)`` arms one cut (a regular expression for
    the command after its tag; ``skip=``, ``times=``); ``commands()`` and ``cuts()`` say
    what was seen and cut. Armed cuts and the record start empty in every test.
    """
    imap_cutter_session.clear()
    return imap_cutter_session


@pytest.fixture(scope="session")
def radicale(harness_root: Path) -> Iterator[RadicaleServer]:
    """Radicale CalDAV over plain HTTP on 127.0.0.1.

    ``base_url``, ``username``, ``password`` and ``calendar_url`` (an existing,
    initially empty calendar collection owned by that user).
    """
    server = RadicaleServer(harness_root / "radicale")
    try:
        server.start()
        yield server
    finally:
        server.stop()

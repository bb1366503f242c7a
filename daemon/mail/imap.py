"""IMAP adapter (imapclient): connect, authenticate, and find the folders afterview watches."""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
from dataclasses import dataclass

import imapclient
from imapclient.exceptions import IMAPClientError, LoginError

from daemon.config import ImapConfig, Security
from daemon.errors import AuthenticationFailed, CertificateRejected, ServerUnavailable
from daemon.tls import client_context, describe_verification_error

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class MailboxSummary:
    """What `check-config --connect` reports about a mailbox."""

    inbox: str
    inbox_messages: int
    sent: str | None
    sent_found_by: str


def connect(config: ImapConfig, timeout: float = TIMEOUT_SECONDS) -> imapclient.IMAPClient:
    """A logged-in client, or an AfterviewError that says what went wrong in plain words."""
    where = f"{config.host}:{config.port}"
    context = client_context(config.ca_file, insecure=config.insecure)
    client: imapclient.IMAPClient | None = None
    try:
        client = imapclient.IMAPClient(
            config.host,
            port=config.port,
            ssl=config.security is Security.SSL,
            ssl_context=context,
            timeout=timeout,
        )
        if config.security is Security.STARTTLS:
            client.starttls(context)
        client.login(config.username, config.secret.reveal())
    except LoginError as exc:
        _close(client)
        raise AuthenticationFailed(
            f"IMAP server {where} refused the login for {config.username}: {_text(exc)}"
        ) from None
    except ssl.SSLCertVerificationError as exc:
        _close(client)
        raise CertificateRejected(describe_verification_error(exc, where)) from None
    except (OSError, IMAPClientError, ssl.SSLError) as exc:
        _close(client)
        raise ServerUnavailable(f"IMAP server {where}: {_text(exc)}") from None
    log.debug("logged in to IMAP %s as %s", where, config.username)
    return client


def summarize(client: imapclient.IMAPClient, config: ImapConfig) -> MailboxSummary:
    """Count the inbox and locate the Sent folder the way the sync will."""
    try:
        status = client.folder_status(config.folders.inbox, ["MESSAGES"])
        if config.folders.sent is not None:
            exists = client.folder_exists(config.folders.sent)
            sent = config.folders.sent if exists else None
            how = "configured" if exists else f"configured folder {config.folders.sent!r} missing"
        else:
            sent = client.find_special_folder(imapclient.SENT)
            how = "found by SPECIAL-USE or common name" if sent else "not found"
    except (OSError, IMAPClientError) as exc:
        raise ServerUnavailable(f"IMAP server {config.host}:{config.port}: {_text(exc)}") from None
    return MailboxSummary(config.folders.inbox, int(status[b"MESSAGES"]), sent, how)


def logout(client: imapclient.IMAPClient) -> None:
    try:
        client.logout()
    except (OSError, IMAPClientError):
        _close(client)


def _close(client: imapclient.IMAPClient | None) -> None:
    if client is None:
        return
    with contextlib.suppress(OSError, IMAPClientError):
        client.shutdown()


def _text(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    text = str(exc)
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if text.startswith("b'") or text.startswith('b"'):
        text = text[2:-1]
    return text or type(exc).__name__

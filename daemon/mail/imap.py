"""IMAP adapter (imapclient): connect, authenticate, and find the folders afterview watches."""

from __future__ import annotations

import contextlib
import logging
import ssl
from dataclasses import dataclass

import imapclient
import imapclient.imapclient
from imapclient.exceptions import IMAPClientError, LoginError

from daemon.config import ImapConfig, Security
from daemon.errors import (
    AuthenticationFailed,
    CertificateRejected,
    ServerUnavailable,
    network_reason,
)
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
            f"IMAP server {where} refused the login for {config.username}: {network_reason(exc)}"
        ) from None
    except ssl.SSLCertVerificationError as exc:
        _close(client)
        raise CertificateRejected(describe_verification_error(exc, where)) from None
    except (OSError, IMAPClientError, ssl.SSLError) as exc:
        _close(client)
        raise ServerUnavailable(f"IMAP server {where}: {network_reason(exc)}") from None
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
            sent = client.find_special_folder(imapclient.imapclient.SENT)
            how = "found by SPECIAL-USE or common name" if sent else "not found"
    except (OSError, IMAPClientError) as exc:
        where = f"{config.host}:{config.port}"
        raise ServerUnavailable(f"IMAP server {where}: {network_reason(exc)}") from None
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

"""IMAP adapter (imapclient): connect, authenticate, find the watched folders, fetch lean.

Every read is `BODY.PEEK` on a folder opened with EXAMINE (read-only), so nothing here can set
`\\Seen`; the only writes afterview makes to a mailbox live in the modules that need them.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import imapclient
import imapclient.imapclient
from imapclient.exceptions import IMAPClientError, LoginError

from daemon import credentials
from daemon.config import ImapConfig, Security
from daemon.envelope import HEADER_FIELDS
from daemon.errors import (
    AuthenticationFailed,
    CertificateRejected,
    ServerUnavailable,
    network_reason,
)
from daemon.tls import client_context, describe_verification_error

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 30.0
# Sent folders by the names providers give them when the server has no SPECIAL-USE.
SENT_NAMES = ("Sent", "Sent Items", "Sent Messages", "Sent Mail", "[Gmail]/Sent Mail", "INBOX.Sent")
MAX_BODY_BYTES = 4 << 20  # a message's first 4 MiB is all the detector reads
_HEADERS_ITEM = "BODY.PEEK[HEADER.FIELDS ({})]".format(" ".join(HEADER_FIELDS))
_BODY_ITEM = f"BODY.PEEK[]<0.{MAX_BODY_BYTES}>"


@dataclass(frozen=True)
class MailboxSummary:
    """What `check-config --connect` reports about a mailbox."""

    inbox: str
    inbox_messages: int
    sent: str | None
    sent_found_by: str


def connect(
    config: ImapConfig,
    timeout: float = TIMEOUT_SECONDS,
    on_secret: Callable[[str], None] | None = None,
) -> imapclient.IMAPClient:
    """A logged-in client, or an AfterviewError that says what went wrong in plain words.

    With `oauth2_token_command` it runs the command for a fresh token at every login (tokens
    live about an hour) and hands the token to `on_secret` before use, so logs can mask it.
    """
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
        if config.oauth2_token_command:
            token = _oauth2_token(config, where)
            if on_secret is not None:
                on_secret(token)
            client.oauth2_login(config.username, token)
        else:
            client.login(config.username, config.secret.reveal())
    except AuthenticationFailed:
        _close(client)
        raise
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


def _oauth2_token(config: ImapConfig, where: str) -> str:
    command = list(config.oauth2_token_command or ())
    try:
        return credentials.from_command(command)
    except credentials.SecretUnavailable as exc:
        raise AuthenticationFailed(f"IMAP server {where}: no OAuth2 token: {exc}") from None


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


def discard(client: imapclient.IMAPClient) -> None:
    """Drop a connection that failed, without waiting for the server to agree."""
    _close(client)


def _close(client: imapclient.IMAPClient | None) -> None:
    if client is None:
        return
    with contextlib.suppress(OSError, IMAPClientError):
        client.shutdown()


@dataclass(frozen=True)
class FolderStatus:
    uidvalidity: int
    uidnext: int
    messages: int
    highestmodseq: int | None


@dataclass(frozen=True)
class FetchedHeaders:
    uid: int
    headers: bytes
    size: int
    gm_msgid: str | None
    gm_thrid: str | None


class Mailbox:
    """One logged-in connection, used the way the sync needs it; errors become AfterviewErrors."""

    def __init__(self, client: imapclient.IMAPClient, config: ImapConfig) -> None:
        self.client = client
        self.config = config
        self.where = f"{config.host}:{config.port}"
        caps = {bytes(c).upper() for c in client.capabilities()}
        self.gmail = b"X-GM-EXT-1" in caps
        self.condstore = b"CONDSTORE" in caps
        self.idle = b"IDLE" in caps
        self._selected: str | None = None

    def close(self) -> None:
        logout(self.client)

    def sent_folder(self) -> str | None:
        """The configured Sent folder, else SPECIAL-USE \\Sent, else a common name."""
        if self.config.folders.sent is not None:
            return self.config.folders.sent
        with self._errors("finding the Sent folder"):
            for flags, _, name in self.client.list_folders():
                if imapclient.imapclient.SENT in flags:
                    return str(name)
            existing = {str(name).lower(): str(name) for _, _, name in self.client.list_folders()}
        for candidate in SENT_NAMES:
            if candidate.lower() in existing:
                return existing[candidate.lower()]
        return None

    def status(self, folder: str) -> FolderStatus:
        """One STATUS round trip: enough to tell that nothing changed."""
        items = ["UIDVALIDITY", "UIDNEXT", "MESSAGES"]
        if self.condstore:
            items.append("HIGHESTMODSEQ")
        with self._errors(f"STATUS {folder}"):
            found = self.client.folder_status(folder, items)
        modseq = found.get(b"HIGHESTMODSEQ")
        return FolderStatus(
            uidvalidity=int(found[b"UIDVALIDITY"]),
            uidnext=int(found.get(b"UIDNEXT", 0)),
            messages=int(found.get(b"MESSAGES", 0)),
            highestmodseq=int(modseq) if modseq is not None else None,
        )

    def examine(self, folder: str) -> None:
        """Open the folder read-only (EXAMINE): reading can never change its flags."""
        with self._errors(f"EXAMINE {folder}"):
            self.client.select_folder(folder, readonly=True)
        self._selected = folder

    def unselect(self) -> None:
        """Leave the folder without expunging anything (UNSELECT, not CLOSE)."""
        if self._selected is None:
            return
        with self._errors("UNSELECT"):
            self.client.unselect_folder()
        self._selected = None

    def uids_above(self, last_uid: int) -> list[int]:
        with self._errors("UID SEARCH"):
            found = self.client.search(["UID", f"{last_uid + 1}:*"])
        # "n:*" always matches the highest message, even below n.
        return sorted(uid for uid in found if uid > last_uid)

    def uids_since(self, day: date | None) -> list[int]:
        with self._errors("UID SEARCH"):
            found = self.client.search(["SINCE", day] if day else ["ALL"])
        return sorted(found)

    def fetch_headers(self, uids: Sequence[int]) -> Iterator[FetchedHeaders]:
        items = [_HEADERS_ITEM, "RFC822.SIZE"]
        if self.gmail:
            items += ["X-GM-MSGID", "X-GM-THRID"]
        with self._errors("FETCH headers"):
            response = self.client.fetch(list(uids), items)
        for uid in sorted(response):
            data = response[uid]
            yield FetchedHeaders(
                uid=int(uid),
                headers=_item(data, b"BODY[HEADER") or b"",
                size=int(data.get(b"RFC822.SIZE", 0)),
                gm_msgid=_text_item(data.get(b"X-GM-MSGID")),
                gm_thrid=_text_item(data.get(b"X-GM-THRID")),
            )

    def fetch_bodies(self, uids: Sequence[int]) -> dict[int, bytes]:
        """The first MAX_BODY_BYTES of each message, with BODY.PEEK."""
        if not uids:
            return {}
        with self._errors("FETCH bodies"):
            response = self.client.fetch(list(uids), [_BODY_ITEM])
        return {int(uid): _item(data, b"BODY[]") or b"" for uid, data in response.items()}

    def noop(self) -> None:
        with self._errors("NOOP"):
            self.client.noop()

    @contextlib.contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except (OSError, IMAPClientError, ssl.SSLError) as exc:
            raise ServerUnavailable(
                f"IMAP server {self.where}: {doing}: {network_reason(exc)}"
            ) from None


def _item(data: dict[bytes, Any], prefix: bytes) -> bytes | None:
    for key, value in data.items():
        if isinstance(key, bytes) and key.upper().startswith(prefix):
            return bytes(value) if value is not None else None
    return None


def _text_item(value: Any) -> str | None:
    return None if value is None else str(value)

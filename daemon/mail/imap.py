"""IMAP adapter (imapclient): connect, authenticate, find the watched folders, fetch lean.

Every read is `BODY.PEEK` on a folder opened with EXAMINE (read-only), so nothing here can set
`\\Seen`; the only writes afterview makes to a mailbox live in the modules that need them. The one
write kept here is `Mailbox.mark` (a quiet thread's keyword, `\\Flagged`, Gmail label): it opens
its folder with SELECT for that alone and never touches `\\Seen`, moves or expunges.
"""

from __future__ import annotations

import contextlib
import logging
import re
import ssl
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import imapclient
import imapclient.imapclient
from imapclient.exceptions import IMAPClientError, LoginError
from imapclient.response_parser import parse_fetch_response

from daemon import credentials
from daemon.config import ImapConfig, Security
from daemon.envelope import HEADER_FIELDS
from daemon.errors import (
    AuthenticationFailed,
    CertificateRejected,
    PermanentError,
    ServerUnavailable,
    network_reason,
)
from daemon.tls import client_context, describe_verification_error

log = logging.getLogger(__name__)
_IMAPLIB_LOG = logging.getLogger("imapclient.imaplib")  # where imapclient sends imaplib's lines
TIMEOUT_SECONDS = 30.0
# Sent folders by the names providers give them when the server has no SPECIAL-USE.
SENT_NAMES = ("Sent", "Sent Items", "Sent Messages", "Sent Mail", "[Gmail]/Sent Mail", "INBOX.Sent")
MAX_BODY_BYTES = 4 << 20  # a message's first 4 MiB is all the detector reads
_HEADERS_ITEM = "BODY.PEEK[HEADER.FIELDS ({})]".format(" ".join(HEADER_FIELDS))
_BODY_ITEM = f"BODY.PEEK[]<0.{MAX_BODY_BYTES}>"
STORE_BATCH = 500  # UIDs per STORE or FETCH command, so a command line stays short
FLAGGED = "\\Flagged"


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


@dataclass(frozen=True)
class MarkResult:
    """What `Mailbox.mark` stored.

    `keyword_used` is the keyword that marks the thread, or None when the folder takes no new
    keywords and `\\Flagged` marks it instead (`fell_back`, for the engine's one warning).
    `flagged_by_us` are the `add` UIDs that got `\\Flagged` from afterview in this call (not
    those the user had flagged already): keep them, and pass them back when unmarking.
    """

    keyword_used: str | None
    fell_back: bool
    flagged_by_us: tuple[int, ...]


@dataclass(frozen=True)
class MarkFlags:
    """Which flags a mark uses in one folder, decided from its PERMANENTFLAGS."""

    keyword: str | None
    flagged: bool
    fell_back: bool


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

    def keyword_uids(self, folder: str, keyword: str) -> list[int]:
        """The UIDs in `folder` carrying `keyword` (the user's mark for a thread to track);
        on Gmail also those with a label of that name."""
        self.examine(folder)
        try:
            with self._errors(f"UID SEARCH KEYWORD in {folder}"):
                found = set(self.client.search(["KEYWORD", keyword]))
                if self.gmail:
                    found |= set(self.client.search(["X-GM-LABELS", keyword]))
                return sorted(found)
        finally:
            self.unselect()

    def uids_since(self, day: date | None) -> list[int]:
        with self._errors("UID SEARCH"):
            found = self.client.search(["SINCE", day] if day else ["ALL"])
        return sorted(found)

    def fetch_headers(self, uids: Sequence[int]) -> list[FetchedHeaders]:
        items = [_HEADERS_ITEM, "RFC822.SIZE"]
        if self.gmail:
            items += ["X-GM-MSGID", "X-GM-THRID"]
        with self._errors("FETCH headers"):
            response = self._fetch(uids, items)
        return [
            FetchedHeaders(
                uid=uid,
                headers=_item(data, b"BODY[HEADER") or b"",
                size=int(data.get(b"RFC822.SIZE", 0)),
                gm_msgid=_text_item(data.get(b"X-GM-MSGID")),
                gm_thrid=_text_item(data.get(b"X-GM-THRID")),
            )
            for uid, data in sorted(response.items())
        ]

    def fetch_bodies(self, uids: Sequence[int]) -> dict[int, bytes]:
        """The first MAX_BODY_BYTES of each message, with BODY.PEEK."""
        if not uids:
            return {}
        with self._errors("FETCH bodies"):
            response = self._fetch(uids, [_BODY_ITEM])
        return {uid: _item(data, b"BODY[]") or b"" for uid, data in response.items()}

    def _fetch(self, uids: Sequence[int], items: list[str]) -> dict[int, dict[bytes, Any]]:
        """UID FETCH as imapclient's `fetch` sends it, read with a parser for the plain
        responses a FETCH of these items gets (imapclient's general one costs more than the
        server does to answer); anything else goes to imapclient's parser."""
        if not uids:
            return {}
        imap = self.client._imap
        # imapclient sets imaplib's debug level to 5 so that its logger sees every line; imaplib
        # then formats the repr of every response (whole messages) even when nobody logs.
        level = imap.debug
        if not _IMAPLIB_LOG.isEnabledFor(logging.DEBUG):
            imap.debug = 0
        try:
            tag = imap._command("UID", "FETCH", uid_set(uids), "({})".format(" ".join(items)))
            typ, data = imap._command_complete("FETCH", tag)
            if typ != "OK":
                raise IMAPClientError(f"FETCH failed: {data[0]!r}")
            typ, data = imap._untagged_response(typ, data, "FETCH")
        finally:
            imap.debug = level
        wanted = set(uids)
        return {uid: found for uid, found in parse_fetch(data).items() if uid in wanted}

    def append(self, folder: str, message: bytes) -> None:
        """Store afterview's own copy of a message it sent (marked read: the user wrote it)."""
        with self._errors(f"APPEND {folder}"):
            self.client.append(folder, message, flags=(imapclient.SEEN,))

    def holds(self, folder: str, header: str, value: str) -> bool:
        """Whether a message with this header value is in the folder (read-only look)."""
        with self._errors(f"SEARCH {folder}"):
            self.client.select_folder(folder, readonly=True)
            try:
                found = self.client.search(["HEADER", header, value])
            finally:
                self.client.unselect_folder()
        self._selected = None
        return bool(found)

    def mark(
        self,
        folder: str,
        add: Sequence[int],
        remove: Sequence[int],
        *,
        keyword: str,
        flag: bool,
        label: str | None,
        flagged_by_us: Collection[int] = (),
    ) -> MarkResult:
        """Mark the messages `add` and unmark the messages `remove` (UIDs in `folder`).

        The mark is `keyword`; with `flag` also `\\Flagged`; on Gmail also `label`. A folder
        whose PERMANENTFLAGS allow neither new keywords (`\\*`) nor this one gets `\\Flagged`
        as the mark instead (`fell_back`). afterview only ever removes a `\\Flagged` it set: one
        the user had already set is left out of `MarkResult.flagged_by_us`, and on `remove` only
        the UIDs also in `flagged_by_us` lose `\\Flagged`. The keyword is afterview's own and is
        removed from every UID in `remove`. Removals go first, so a UID in both ends up marked.

        Opens the folder with SELECT (the only read-write open in this module) and leaves it
        with UNSELECT, never CLOSE, which would expunge; nothing stays selected afterwards.
        Writes only with `UID STORE ... .SILENT` in batches of STORE_BATCH, reads only FLAGS:
        never `\\Seen`, never a move, copy, delete or EXPUNGE. A UID that no longer exists is
        skipped by the server. `label` is ignored off Gmail (no X-GM-EXT-1). Raises
        ServerUnavailable when the folder cannot be selected or the connection fails,
        PermanentError when the folder lets nothing be marked at all (read-only, or not even
        `\\Flagged` is permanent), ValueError for a keyword that is not an IMAP atom.
        """
        check_keyword(keyword)
        with self._errors(f"SELECT {folder}"):
            selected = self.client.select_folder(folder, readonly=False)
        self._selected = folder
        try:
            flags = choose_mark_flags(selected.get(b"PERMANENTFLAGS"), keyword, flag=flag)
            if flags is None or selected.get(b"READ-ONLY"):
                raise PermanentError(
                    f"IMAP server {self.where}: {folder} lets afterview store neither "
                    f"{keyword} nor {FLAGGED} (read-only, or no permanent flags)"
                )
            label = label if self.gmail else None
            self._unmark(remove, flags.keyword, set(flagged_by_us), label)
            ours = self._mark(add, flags, label)
        finally:
            with self._errors("UNSELECT"):
                self.client.unselect_folder()
            self._selected = None
        return MarkResult(flags.keyword, flags.fell_back, ours)

    def _unmark(
        self, uids: Sequence[int], keyword: str | None, ours: set[int], label: str | None
    ) -> None:
        for batch in uid_batches(uids):
            with self._errors("STORE -FLAGS"):
                if keyword is not None:
                    self.client.remove_flags(uid_set(batch), [keyword], silent=True)
                if label is not None:
                    self.client.remove_gmail_labels(uid_set(batch), [label], silent=True)
        for batch in uid_batches(uid for uid in uids if uid in ours):
            with self._errors("STORE -FLAGS"):
                self.client.remove_flags(uid_set(batch), [FLAGGED], silent=True)

    def _mark(self, uids: Sequence[int], flags: MarkFlags, label: str | None) -> tuple[int, ...]:
        ours: list[int] = []
        for batch in uid_batches(uids):
            with self._errors("STORE +FLAGS"):
                if flags.keyword is not None:
                    self.client.add_flags(uid_set(batch), [flags.keyword], silent=True)
                if label is not None:
                    self.client.add_gmail_labels(uid_set(batch), [label], silent=True)
            if flags.flagged:
                # FLAGS only (never a body item), so this FETCH cannot set \Seen.
                with self._errors("FETCH FLAGS"):
                    unflagged = not_flagged(batch, self.client.get_flags(batch))
                    if unflagged:
                        self.client.add_flags(uid_set(unflagged), [FLAGGED], silent=True)
                ours += unflagged
        return tuple(ours)

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


def uid_set(uids: Sequence[int]) -> str:
    """An IMAP sequence set for these UIDs, runs as ranges: "1:250,300,302:310"."""
    ordered = sorted(set(uids))
    runs = []
    start = previous = ordered[0]
    for uid in ordered[1:]:
        if uid != previous + 1:
            runs.append(f"{start}:{previous}" if previous != start else str(start))
            start = uid
        previous = uid
    runs.append(f"{start}:{previous}" if previous != start else str(start))
    return ",".join(runs)


def uid_batches(uids: Iterable[int], size: int = STORE_BATCH) -> list[list[int]]:
    """The UIDs in ascending order, duplicates dropped, in runs of at most `size`."""
    ordered = sorted(set(uids))
    return [ordered[start : start + size] for start in range(0, len(ordered), size)]


# An RFC 3501 atom: printable ASCII except ( ) { % * " \ ] (so no system flag, no space).
_KEYWORD = re.compile(r"[!#$&'+,\-./0-9:;<=>?@A-Z\[^_`a-z|}~]+")


def check_keyword(keyword: str) -> None:
    """Raise ValueError unless `keyword` is a storable IMAP keyword (an atom)."""
    if not _KEYWORD.fullmatch(keyword):
        raise ValueError(f"not an IMAP keyword: {keyword!r}")


def choose_mark_flags(
    permanent_flags: Sequence[bytes] | None, keyword: str, *, flag: bool
) -> MarkFlags | None:
    """How to mark in a folder with these PERMANENTFLAGS, or None when nothing can be stored.

    The keyword when the folder lets clients create keywords (`\\*`) or already knows this
    one; otherwise `\\Flagged` carries the mark (`fell_back`). No PERMANENTFLAGS in the
    SELECT answer at all means every flag is permanent (RFC 3501 7.1).
    """
    if permanent_flags is None:
        return MarkFlags(keyword, flagged=flag, fell_back=False)
    known = {bytes(item).lower() for item in permanent_flags}
    flagged = FLAGGED.lower().encode() in known
    if b"\\*" in known or keyword.lower().encode() in known:
        return MarkFlags(keyword, flagged=flag and flagged, fell_back=False)
    if flagged:
        return MarkFlags(None, flagged=True, fell_back=True)
    return None


def not_flagged(uids: Iterable[int], flags: Mapping[int, Sequence[bytes]]) -> list[int]:
    """Those of `uids` that exist (have FLAGS) and carry no `\\Flagged`: nobody flagged them."""
    wanted = FLAGGED.lower().encode()
    return [
        uid
        for uid in uids
        if uid in flags and wanted not in {bytes(item).lower() for item in flags[uid]}
    ]


class _Unexpected(Exception):
    """A FETCH response outside what `parse_fetch` reads; imapclient's parser takes it."""


_RESPONSE_START = re.compile(rb"(\d+) \(")
_ITEM = re.compile(
    rb" ?([A-Z0-9.\-]+(?:\[[^\]]*\](?:<\d+>)?)?) "
    rb'(\d+|NIL|"(?:[^"\\]|\\.)*"|\{\d+\}|\([^()"{}]*\))',
    re.IGNORECASE,
)
_ESCAPE = re.compile(rb"\\(.)")


def parse_fetch(data: list[Any]) -> dict[int, dict[bytes, Any]]:
    """imaplib's FETCH data as imapclient's `fetch` returns it: by UID (the sequence number
    when a response has no UID), each item by its upper-case name."""
    try:
        return _parse_fetch_plain(data)
    except _Unexpected:
        parsed = parse_fetch_response(data, True, True)
        return {int(key): dict(value) for key, value in parsed.items()}


def _parse_fetch_plain(data: list[Any]) -> dict[int, dict[bytes, Any]]:
    """Responses made of numbers, NIL, strings, literals and flat lists; raises _Unexpected
    for anything else."""
    found: dict[int, dict[bytes, Any]] = {}
    if data == [None]:
        return found
    segments: list[tuple[bytes, bytes | None]] = []
    for piece in data:
        if isinstance(piece, tuple) and len(piece) == 2:
            segments.append((bytes(piece[0]), bytes(piece[1])))
            continue
        if not isinstance(piece, bytes):
            raise _Unexpected(repr(piece)[:80])
        segments.append((piece, None))
        sequence, items = _one_response(segments)
        key = items.pop(b"UID", sequence)
        if not isinstance(key, int):
            raise _Unexpected("a UID that is not a number")
        found.setdefault(key, {}).update(items)
        segments = []
    if segments:
        raise _Unexpected("a literal without the rest of its response")
    return found


def _one_response(segments: list[tuple[bytes, bytes | None]]) -> tuple[int, dict[bytes, Any]]:
    first = _RESPONSE_START.match(segments[0][0])
    trailer = segments[-1][0]
    if first is None or not trailer.endswith(b")"):
        raise _Unexpected("not a FETCH response")
    sequence = int(first.group(1))
    items: dict[bytes, Any] = {b"SEQ": sequence}
    last = len(segments) - 1
    for index, (text, literal) in enumerate(segments):
        position = first.end() if index == 0 else 0
        end = len(text) - 1 if index == last else len(text)
        while position < end:
            match = _ITEM.match(text, position, end)
            if match is None:
                raise _Unexpected("an item this parser does not read")
            name, value = match.group(1).upper(), match.group(2)
            position = match.end()
            if value[:1] == b"{":
                if literal is None or position != end:
                    raise _Unexpected("a literal out of place")
                items[name] = literal
            elif value[:1] == b"(":
                items[name] = tuple(int(v) if v.isdigit() else v for v in value[1:-1].split())
            elif value[:1] == b'"':
                items[name] = _ESCAPE.sub(rb"\1", value[1:-1])
            else:
                items[name] = None if value.upper() == b"NIL" else int(value)
    return sequence, items


def _item(data: dict[bytes, Any], prefix: bytes) -> bytes | None:
    for key, value in data.items():
        if isinstance(key, bytes) and key.upper().startswith(prefix):
            return bytes(value) if value is not None else None
    return None


def _text_item(value: Any) -> str | None:
    return None if value is None else str(value)

"""What afterview keeps about one message: the header fields threads and plans need, no body.

The sync fetches exactly `HEADER_FIELDS` for every new message and turns the bytes into an
`Envelope` here; parsing is pure and never raises (a broken header becomes an empty field).
"""

from __future__ import annotations

import email.utils
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import Header
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Protocol

from daemon.detect.mime import decode_words

# Everything the thread builder, the quick triage and the quiet rules read, nothing else.
HEADER_FIELDS = (
    "MESSAGE-ID",
    "DATE",
    "FROM",
    "SENDER",
    "REPLY-TO",
    "TO",
    "CC",
    "SUBJECT",
    "IN-REPLY-TO",
    "REFERENCES",
    "CONTENT-TYPE",
    "CONTENT-CLASS",
    "AUTO-SUBMITTED",
    "PRECEDENCE",
    "LIST-ID",
    "LIST-UNSUBSCRIBE",
    "X-AUTOREPLY",
    "X-AUTORESPOND",
    "X-AFTERVIEW",
)
MAX_REFERENCES = 50
# Out-of-office and bounce subjects in our four languages: an autoreply is no answer.
OUT_OF_OFFICE_SUBJECT = re.compile(
    r"^(?:(?:re|aw|sv|wg|fwd?)\s*:\s*)*(?:auto(?:matic)?[ -]?(?:reply|response)|out of (?:the )?"
    r"office|abwesenheit|automatische antwort|r[ée]ponse automatique|absence|respuesta "
    r"autom[áa]tica|fuera de la oficina|ausente|undeliver|delivery status|mail delivery|"
    r"returned mail)",
    re.IGNORECASE,
)
MAX_SUBJECT_CHARS = 500
_MESSAGE_ID = re.compile(r"<([^<>\s]{1,500})>")
_BARE_ID = re.compile(r"[^<>\s]{1,500}@[^<>\s]{1,500}")
_PARSER = BytesHeaderParser(policy=compat32)
# One field and its continuation lines; the name as the email package's `headerRE` takes it
# (printable ASCII but ':').
_FIELD = re.compile(r"([\041-\071\073-\176]*):([^\n]*(?:\n[ \t][^\n]*)*)(?:\n|\Z)")
_BLOCK = re.compile(r"(?:[\041-\071\073-\176]*:[^\n]*(?:\n[ \t][^\n]*)*(?:\n|\Z))*")


@dataclass(frozen=True)
class Address:
    name: str
    email: str  # lower-cased


@dataclass(frozen=True)
class Envelope:
    message_id: str  # without angle brackets; synthetic ("sha1.<hex>@afterview.invalid") if absent
    date: datetime | None  # aware, from the Date header
    sender: Address | None  # From
    reply_to: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    subject: str
    in_reply_to: str | None
    references: tuple[str, ...]  # oldest first, In-Reply-To last when it was not listed
    content_type: str  # "multipart/mixed", lower-case
    calendar: bool  # the top-level part says it is a calendar message
    automatic: bool  # auto-submitted, bulk, list mail or an autoresponder
    mailing_list: bool
    own_marker: bool  # carries X-Afterview: one of afterview's own emails

    @property
    def participants(self) -> frozenset[str]:
        people = [*self.to, *self.cc, *self.reply_to]
        if self.sender is not None:
            people.append(self.sender)
        return frozenset(p.email for p in people if p.email)


# An approval token where afterview's requests and the replies to them carry it: the
# request's Message-ID (so every reply's References) and the subject tag.
_TOKEN = re.compile(
    r"(?<=afterview\.approve\.)[A-Za-z0-9_-]{20,64}(?=@)|(?<=\[av:)[A-Za-z0-9_-]{20,64}(?=\])"
)


def without_tokens(text: str) -> str:
    """`text` with any approval token replaced by a digest of it: the state never holds a
    token (it acts only from the reply as it arrives), while the same token still gives the
    same id, so the request and its replies stay one thread."""
    if "afterview.approve." not in text and "[av:" not in text:
        return text
    return _TOKEN.sub(lambda m: "h" + hashlib.sha256(m.group(0).encode()).hexdigest()[:40], text)


def parse_headers(raw: bytes, fallback_key: str = "") -> Envelope:
    """Read fetched header bytes. `fallback_key` makes a stable id when Message-ID is missing."""
    raw = raw[:256_000]
    fields = _plain_fields(raw) or _ParsedFields(_PARSER.parsebytes(raw))
    message_id = first_message_id(fields.text("message-id"))
    if message_id is None:
        digest = hashlib.sha1(raw + fallback_key.encode("utf-8", "replace"), usedforsecurity=False)
        message_id = f"sha1.{digest.hexdigest()}@afterview.invalid"
    message_id = without_tokens(message_id)
    references = tuple(
        without_tokens(ref) for ref in message_ids(fields.text("references"))[-MAX_REFERENCES:]
    )
    in_reply_to = first_message_id(fields.text("in-reply-to"))
    in_reply_to = without_tokens(in_reply_to) if in_reply_to else None
    if in_reply_to and in_reply_to not in references:
        references = (*references, in_reply_to)
    content_type = fields.text("content-type").split(";")[0].strip().lower()
    mailing_list = bool(fields.text("list-id") or fields.text("list-unsubscribe"))
    precedence = fields.text("precedence").strip().lower()
    auto_submitted = fields.text("auto-submitted").strip().lower()
    calendar = _is_calendar(fields, content_type)
    subject = without_tokens(_words(fields.text("subject"))[:MAX_SUBJECT_CHARS].strip())
    # X-Auto-Response-Suppress alone is not a sign: Outlook puts it on people's mail too.
    automatic = (
        (auto_submitted not in ("", "no"))
        or precedence in ("bulk", "list", "junk", "auto_reply")
        or mailing_list
        or fields.present("x-autoreply")
        or fields.present("x-autorespond")
        or bool(OUT_OF_OFFICE_SUBJECT.match(subject))
    )
    senders = _addresses(fields, "from") or _addresses(fields, "sender")
    return Envelope(
        message_id=message_id,
        date=_date(fields.text("date")),
        sender=senders[0] if senders else None,
        reply_to=_addresses(fields, "reply-to"),
        to=_addresses(fields, "to"),
        cc=_addresses(fields, "cc"),
        subject=subject,
        in_reply_to=in_reply_to,
        references=references,
        content_type=content_type,
        calendar=calendar,
        automatic=automatic,
        mailing_list=mailing_list,
        own_marker=fields.present("x-afterview"),
    )


class _Fields(Protocol):
    """Header fields by lower-case name."""

    def text(self, name: str) -> str:
        """The first field of that name as text, "" when there is none."""

    def values(self, name: str) -> Sequence[str | Header]:
        """Every field of that name, in order."""

    def present(self, name: str) -> bool: ...


class _ParsedFields:
    """Fields as the email package reads them (compat32): any header block at all."""

    def __init__(self, message: Message) -> None:
        self.message = message

    def text(self, name: str) -> str:
        try:
            value = self.message.get(name)
        except Exception:  # compat32 can choke on very odd bytes; the field is then empty
            return ""
        if value is None:
            return ""
        # Raw 8-bit bytes (a UTF-8 subject sent as is) come back as a Header: decode them
        # rather than let str() turn them into replacement characters.
        return value if isinstance(value, str) else decode_words(value)

    def values(self, name: str) -> Sequence[str | Header]:
        return self.message.get_all(name) or []

    def present(self, name: str) -> bool:
        return self.message.get(name) is not None


class _PlainFields:
    """Fields split by hand, for the usual header block (see `_plain_fields`)."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        self.fields = fields

    def text(self, name: str) -> str:
        found = self.fields.get(name)
        return found[0] if found else ""

    def values(self, name: str) -> Sequence[str | Header]:
        return self.fields.get(name, [])

    def present(self, name: str) -> bool:
        return name in self.fields


def _plain_fields(raw: bytes) -> _PlainFields | None:
    """The fields of an ASCII header block, split exactly as the email package's compat32
    parser splits them (folded values keep their line breaks), at a fraction of its cost; None
    for anything it would treat specially (8-bit bytes, a bare CR, a "From " line, a field
    without a name, a continuation first), which then takes the email package's path."""
    if not raw.isascii() or raw.count(b"\r") != raw.count(b"\r\n"):
        return None
    text = raw.decode("ascii")
    if text[:1] in (" ", "\t") or text.startswith(("From ", ":")) or "\nFrom " in text:
        return None
    fields: dict[str, list[str]] = {}
    # The block ends at the blank line, or at the first line that is no field.
    block = _BLOCK.match(text)
    for name, value in _FIELD.findall(text, 0, block.end() if block else 0):
        if not name:
            return None
        fields.setdefault(name.lower(), []).append(value.lstrip(" \t").rstrip("\r\n"))
    return _PlainFields(fields)


def _words(value: str | Header) -> str:
    """`decode_words`, skipped for the usual ASCII text without encoded words (which it
    returns unchanged)."""
    if isinstance(value, str) and "=?" not in value and value.isascii():
        return value
    return decode_words(value)


def first_message_id(text: str) -> str | None:
    ids = message_ids(text)
    return ids[0] if ids else None


def message_ids(text: str) -> tuple[str, ...]:
    """Message-IDs in a header, without brackets; a bare `a@b` is accepted when unbracketed."""
    found = _MESSAGE_ID.findall(text)
    if not found:
        found = _BARE_ID.findall(text)
    seen: dict[str, None] = {}
    for item in found:
        seen.setdefault(item.strip(), None)
    return tuple(seen)


def _addresses(fields: _Fields, name: str) -> tuple[Address, ...]:
    values = fields.values(name)
    if not values:
        return ()
    found = []
    try:
        texts = [_words(v) for v in values]
        pairs = _plain_addresses(texts)
        if pairs is None:
            pairs = email.utils.getaddresses(texts)
    except Exception:
        return ()
    for display, address in pairs[:100]:
        address = address.strip().lower()
        if "@" not in address or any(c in address for c in " \r\n\t<>"):
            continue
        found.append(Address(display.strip()[:200], address[:320]))
    return tuple(found)


# The usual address lists: `a@b`, `Name Words <a@b>`, `"Any, Name" <a@b>`, separated by commas.
# For these the regular expressions give what `email.utils.getaddresses` gives, much faster;
# anything else (comments, groups, escapes, mixed phrases, odd addresses) goes to it.
_WORD = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_ADDR = rf"{_WORD}(?:\.{_WORD})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+"
_MAILBOX = re.compile(
    rf"[ \t\r\n]*(?:({_ADDR})"  # a@b
    rf'|"([^"\\\r\n]*)"[ \t]*<({_ADDR})>'  # "Any, Name" <a@b>
    rf"|((?:{_ATOM}[ \t]+)*{_ATOM})?[ \t]*<({_ADDR})>)"  # Name Words <a@b>, <a@b>
    r"[ \t\r\n]*(,|\Z)"
)


def _plain_addresses(texts: list[str]) -> list[tuple[str, str]] | None:
    joined = ", ".join(texts)
    pairs = []
    position, end = 0, len(joined)
    while position < end:
        match = _MAILBOX.match(joined, position)
        if match is None:
            return None
        bare, quoted, quoted_address, phrase, phrase_address = match.group(1, 2, 3, 4, 5)
        if bare is not None:
            pairs.append(("", bare))
        elif quoted_address is not None:
            pairs.append((quoted, quoted_address))
        else:
            pairs.append((" ".join((phrase or "").split()), phrase_address))
        position = match.end()
        if match.group(6) == "," and position == end:
            return None  # a trailing comma: the email package's own reading decides
    return pairs if pairs else None


def _date(text: str) -> datetime | None:
    if not text:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:  # "-0000": a time of unknown zone, read as UTC
        moment = moment.replace(tzinfo=UTC)
    return moment


def _is_calendar(fields: _Fields, content_type: str) -> bool:
    content_class = fields.text("content-class").lower()
    return content_type == "text/calendar" or "calendarmessage" in content_class

"""What afterview keeps about one message: the header fields threads and plans need, no body.

The sync fetches exactly `HEADER_FIELDS` for every new message and turns the bytes into an
`Envelope` here; parsing is pure and never raises (a broken header becomes an empty field).
"""

from __future__ import annotations

import email.utils
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32

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
    "X-AUTORESPONSE-SUPPRESS",
    "X-AUTO-RESPONSE-SUPPRESS",
    "X-AFTERVIEW",
)
MAX_REFERENCES = 50
MAX_SUBJECT_CHARS = 500
_MESSAGE_ID = re.compile(r"<([^<>\s]{1,500})>")
_BARE_ID = re.compile(r"[^<>\s]{1,500}@[^<>\s]{1,500}")
_PARSER = BytesHeaderParser(policy=compat32)


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


def parse_headers(raw: bytes, fallback_key: str = "") -> Envelope:
    """Read fetched header bytes. `fallback_key` makes a stable id when Message-ID is missing."""
    headers = _PARSER.parsebytes(raw[:256_000])
    message_id = first_message_id(_text(headers, "Message-ID"))
    if message_id is None:
        digest = hashlib.sha1(raw + fallback_key.encode("utf-8", "replace"), usedforsecurity=False)
        message_id = f"sha1.{digest.hexdigest()}@afterview.invalid"
    references = message_ids(_text(headers, "References"))[-MAX_REFERENCES:]
    in_reply_to = first_message_id(_text(headers, "In-Reply-To"))
    if in_reply_to and in_reply_to not in references:
        references = (*references, in_reply_to)
    content_type = _text(headers, "Content-Type").split(";")[0].strip().lower()
    mailing_list = bool(_text(headers, "List-Id") or _text(headers, "List-Unsubscribe"))
    precedence = _text(headers, "Precedence").strip().lower()
    auto_submitted = _text(headers, "Auto-Submitted").strip().lower()
    suppress = _text(headers, "X-Auto-Response-Suppress") or _text(
        headers, "X-AutoResponse-Suppress"
    )
    automatic = (
        (auto_submitted not in ("", "no"))
        or precedence in ("bulk", "list", "junk", "auto_reply")
        or mailing_list
        or ("all" in suppress.lower() and not _is_calendar(headers, content_type))
    )
    senders = _addresses(headers, "From") or _addresses(headers, "Sender")
    return Envelope(
        message_id=message_id,
        date=_date(_text(headers, "Date")),
        sender=senders[0] if senders else None,
        reply_to=_addresses(headers, "Reply-To"),
        to=_addresses(headers, "To"),
        cc=_addresses(headers, "Cc"),
        subject=decode_words(_text(headers, "Subject"))[:MAX_SUBJECT_CHARS].strip(),
        in_reply_to=in_reply_to,
        references=references,
        content_type=content_type,
        calendar=_is_calendar(headers, content_type),
        automatic=automatic,
        mailing_list=mailing_list,
        own_marker=headers.get("X-Afterview") is not None,
    )


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


def _text(headers: Message, name: str) -> str:
    try:
        value = headers.get(name)
    except Exception:  # compat32 can choke on very odd bytes; the field is then empty
        return ""
    if value is None:
        return ""
    return str(value) if not isinstance(value, str) else value


def _addresses(headers: Message, name: str) -> tuple[Address, ...]:
    values = headers.get_all(name) or []
    found = []
    try:
        pairs = email.utils.getaddresses([decode_words(v) for v in values])
    except Exception:
        return ()
    for display, address in pairs[:100]:
        address = address.strip().lower()
        if "@" not in address or any(c in address for c in " \r\n\t<>"):
            continue
        found.append(Address(display.strip()[:200], address[:320]))
    return tuple(found)


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


def _is_calendar(headers: Message, content_type: str) -> bool:
    content_class = _text(headers, "Content-Class").lower()
    return content_type == "text/calendar" or "calendarmessage" in content_class

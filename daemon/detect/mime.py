"""Turn raw RFC 5322 bytes into what the detector reads: headers, readable text, calendar parts.

Mail in the wild lies about its charset, nests parts oddly and breaks headers; every step
here degrades to "less text" rather than raising.
"""

from __future__ import annotations

import email
import email.errors
import email.header
import email.policy
import email.utils
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from html.parser import HTMLParser

import html2text

MAX_PARTS = 200
MAX_SUBJECT_CHARS = 1_000
_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_TEXT_CHARS = 200_000
MAX_HTML_CHARS = 150_000


@dataclass
class ParsedMail:
    subject: str = ""
    sender_name: str = ""
    sender: str = ""  # the From address, lower case
    reply_to: list[tuple[str, str]] = field(default_factory=list)
    to: list[tuple[str, str]] = field(default_factory=list)
    cc: list[tuple[str, str]] = field(default_factory=list)
    date: datetime | None = None
    message_id: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # lower-case name -> first value
    text: str = ""  # the readable body: text/plain, else HTML converted to text
    links: list[str] = field(default_factory=list)  # hrefs from HTML parts, in order
    calendars: list[bytes] = field(default_factory=list)  # text/calendar parts and .ics files
    content_type: str = ""
    own_marker: bool = False  # an X-Afterview header, even an empty one


def parse(raw: bytes) -> ParsedMail:
    # compat32 leaves headers as text; the default policy parses every header it is asked
    # for into objects, which cost a third of the detector's time. Decoding the few headers
    # we read is done here instead.
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    parsed = ParsedMail(content_type=message.get_content_type())
    parsed.subject = _header(message, "subject")[:MAX_SUBJECT_CHARS]
    from_pairs = _addresses(message, "from")
    if from_pairs:
        parsed.sender_name, parsed.sender = from_pairs[0]
    parsed.reply_to = _addresses(message, "reply-to")
    parsed.to = _addresses(message, "to")
    parsed.cc = _addresses(message, "cc")
    parsed.message_id = _header(message, "message-id").strip()
    parsed.date = _date(_header(message, "date"))
    for name in (
        "auto-submitted", "x-autoreply", "x-autorespond", "precedence", "list-id",
        "list-unsubscribe", "x-afterview", "return-path", "in-reply-to", "references",
        "x-mailer", "organization",
    ):  # fmt: skip
        value = _header(message, name)
        if value:
            parsed.headers[name] = value
    parsed.own_marker = "x-afterview" in message
    _collect(message, parsed)
    return parsed


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, TypeError, IndexError, AttributeError):
        return ""
    if value is None:
        return ""
    return " ".join(decode_words(value).split())


def decode_words(value: str | email.header.Header) -> str:
    """RFC 2047 encoded words and raw 8-bit header bytes to text, never raising."""
    try:
        parts = email.header.decode_header(value)
    except (ValueError, TypeError, IndexError, LookupError, email.errors.HeaderParseError):
        parts = [(str(value), None)]
    text = []
    for chunk, charset in parts:
        if isinstance(chunk, str):
            chunk = chunk.encode("utf-8", "surrogateescape")
        text.append(_bytes_to_text(chunk, charset))
    return "".join(text)


def _clean_text(text: str) -> str:
    """Codecs such as utf-7 can decode to lone surrogates, which nothing downstream can
    encode; replace them."""
    return text.encode("utf-8", "replace").decode("utf-8") if _SURROGATE.search(text) else text


def _bytes_to_text(data: bytes, charset: str | None) -> str:
    """The declared charset first, then UTF-8, then Windows-1252 (which never fails)."""
    for candidate in (charset, "utf-8"):
        if not candidate or candidate == "unknown-8bit":
            continue
        try:
            return _clean_text(data.decode(candidate))
        except (LookupError, ValueError, TypeError):  # UnicodeDecodeError is a ValueError
            continue
    return data.decode("cp1252", errors="replace")


def _addresses(message: Message, name: str) -> list[tuple[str, str]]:
    try:
        values = message.get_all(name, [])
    except (ValueError, TypeError, IndexError, AttributeError):
        return []
    found = []
    for value in values:
        # Raw 8-bit bytes come as a Header object (str() would turn them into U+FFFD);
        # encoded words stay encoded until the address list is split.
        try:
            text = value if isinstance(value, str) else decode_words(value)
        except (ValueError, TypeError):
            continue
        for display, address in email.utils.getaddresses([text]):
            if "@" in address:
                display = decode_words(display)
                found.append((" ".join(display.split()).strip("'\" "), address.strip().lower()))
    return found


def _date(text: str) -> datetime | None:
    if not text:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # "-0000": UTC, local zone not said
    if not 1970 <= parsed.year <= 2100:
        return None
    return parsed


def _collect(message: Message, parsed: ParsedMail) -> None:
    plain: list[str] = []
    html: list[str] = []
    for count, part in enumerate(message.walk()):
        if count > MAX_PARTS:
            break
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        filename = _filename(part)
        if content_type == "message/rfc822":
            continue
        if content_type in ("text/calendar", "application/ics") or filename.endswith(".ics"):
            payload = _payload(part)
            if payload:
                parsed.calendars.append(payload)
            continue
        disposition = (part.get_content_disposition() or "").lower()
        if disposition == "attachment" and not content_type.startswith("text/"):
            continue
        if content_type == "text/plain" and disposition != "attachment":
            plain.append(_decode(part))
        elif content_type == "text/html" and disposition != "attachment":
            html.append(_decode(part))
    html_text = "\n".join(html)[:MAX_HTML_CHARS]
    if html_text:
        parsed.links = _links(html_text)
    if any(p.strip() for p in plain):
        parsed.text = "\n".join(plain)
    elif html_text:
        parsed.text = html_to_text(html_text)
    parsed.text = parsed.text[:MAX_TEXT_CHARS]


def _filename(part: Message) -> str:
    try:
        return (part.get_filename() or "").lower()
    except (ValueError, TypeError, IndexError, AttributeError):
        return ""


def _payload(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except (ValueError, TypeError, AssertionError, LookupError):
        return b""
    return payload if isinstance(payload, bytes) else b""


def _decode(part: Message) -> str:
    """The part's text, read with the charset it declares when that works."""
    try:
        declared = part.get_content_charset() or ""
    except (ValueError, TypeError, LookupError):
        declared = ""
    return _bytes_to_text(_payload(part), declared or None)


def html_to_text(html: str) -> str:
    converter = html2text.HTML2Text(bodywidth=0)
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.ignore_tables = True
    converter.ignore_links = True
    converter.unicode_snob = True
    try:
        return converter.handle(html)
    except (ValueError, AssertionError, IndexError, KeyError, TypeError):
        return re.sub(r"<[^>]+>", " ", html)


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            for name, value in attrs:
                if name == "href" and value and value.startswith(("http://", "https://")):
                    self.links.append(value.strip())


def _links(html: str) -> list[str]:
    collector = _LinkCollector()
    try:
        collector.feed(html)
        collector.close()
    except (ValueError, AssertionError, IndexError):
        pass
    return collector.links

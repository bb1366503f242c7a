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
from html import unescape

import html2text

from daemon.detect.mimetree import message_tree

MAX_PARTS = 200
MAX_SUBJECT_CHARS = 1_000
# The standard library's decode_header is quadratic in the encoded words of one value (100,000
# of them cost half a minute): only this much of a value is decoded.
MAX_DECODED_CHARS = 20_000
_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_TEXT_CHARS = 200_000
# An invitation's calendar is a few kilobytes; a bigger one in a mail is an export or an attack,
# and reading it costs the calendar parser's time and memory for each of its lines.
MAX_CALENDAR_BYTES = 1 << 20
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
    text_cut: bool = False  # the readable body runs on past the text budget parse() was given
    calendars: list[bytes] = field(default_factory=list)  # text/calendar parts and .ics files
    content_type: str = ""
    own_marker: bool = False  # an X-Afterview header, even an empty one
    _html_parts: list[Message] = field(default_factory=list, repr=False, compare=False)
    _html: str | None = field(default=None, repr=False, compare=False)
    _links: list[str] | None = field(default=None, repr=False, compare=False)

    @property
    def html(self) -> str:
        """The HTML parts' markup, decoded when first asked for (a plain part is read first)."""
        if self._html is None:
            self._html = "\n".join(_decode(part) for part in self._html_parts)[:MAX_HTML_CHARS]
        return self._html

    @property
    def links(self) -> list[str]:
        """The web links of the HTML parts, in order; read when first asked for (most mail
        that has them says its meeting link in its text already)."""
        if self._links is None:
            self._links = _links(_SKIPPED.sub("", self.html)) if self.html else []
        return self._links


def parse(raw: bytes, text_budget: int = MAX_TEXT_CHARS) -> ParsedMail:
    """`text_budget`: how much of the readable body the caller reads; an HTML body is
    converted only that far (the conversion is the costliest step of reading a mail)."""
    # compat32 leaves headers as text; the default policy parses every header it is asked
    # for into objects, which cost a third of the detector's time. Decoding the few headers
    # we read is done here instead.
    message = message_tree(raw)
    fields = _fields(message)
    parsed = ParsedMail(content_type=message.get_content_type())
    parsed.subject = _header(fields, "subject")[:MAX_SUBJECT_CHARS]
    from_pairs = _addresses(fields, "from")
    if from_pairs:
        parsed.sender_name, parsed.sender = from_pairs[0]
    parsed.reply_to = _addresses(fields, "reply-to")
    parsed.to = _addresses(fields, "to")
    parsed.cc = _addresses(fields, "cc")
    parsed.message_id = _header(fields, "message-id").strip()
    parsed.date = _date(_header(fields, "date"))
    for name in _KEPT_HEADERS:
        value = _header(fields, name)
        if value:
            parsed.headers[name] = value
    parsed.own_marker = "x-afterview" in fields
    _collect(message, parsed, min(text_budget, MAX_TEXT_CHARS))
    return parsed


_KEPT_HEADERS = (
    "auto-submitted", "x-autoreply", "x-autorespond", "precedence", "list-id",
    "list-unsubscribe", "x-afterview", "return-path", "in-reply-to", "references",
    "x-mailer", "organization",
)  # fmt: skip
_Field = str | email.header.Header


def _fields(message: Message) -> dict[str, list[_Field]]:
    """Every header's values by lower-case name, in one pass (asking the message for each
    name walks all its headers again)."""
    fields: dict[str, list[_Field]] = {}
    try:
        items = message.items()
    except (ValueError, TypeError, IndexError, AttributeError):
        return fields
    for name, value in items:
        fields.setdefault(str(name).lower(), []).append(value)
    return fields


def _header(fields: dict[str, list[_Field]], name: str) -> str:
    values = fields.get(name)
    if not values:
        return ""
    return " ".join(decode_words(values[0]).split())


def decode_words(value: str | email.header.Header) -> str:
    """RFC 2047 encoded words and raw 8-bit header bytes to text, never raising."""
    if isinstance(value, str):
        if "=?" not in value and not _SURROGATE.search(value):
            return value  # plain text already: what decoding would give back
        value = value[:MAX_DECODED_CHARS]
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
    if text.isascii() or not _SURROGATE.search(text):  # isascii: a fast "none" for most text
        return text
    return text.encode("utf-8", "replace").decode("utf-8")


# Mail programs label Windows-1252 text "iso-8859-1" (its bytes 0x80-0x9F are then curly
# quotes and dashes, not control codes) and UTF-8 text too: text so labelled is read as UTF-8
# when it is valid UTF-8 (Latin-1 prose hardly ever is), else as Windows-1252, as browsers do.
_LATIN1_LABELS = {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "us-ascii", "ascii"}


def _bytes_to_text(data: bytes, charset: str | None) -> str:
    """The declared charset first, then UTF-8, then Windows-1252 (which never fails)."""
    if charset and charset.lower() in _LATIN1_LABELS and not data.isascii():
        try:
            return _clean_text(data.decode("utf-8"))
        except ValueError:
            return data.decode("cp1252", errors="replace")
    for candidate in (charset, "utf-8"):
        if not candidate or candidate == "unknown-8bit":
            continue
        try:
            return _clean_text(data.decode(candidate))
        except (LookupError, ValueError, TypeError):  # UnicodeDecodeError is a ValueError
            continue
    return data.decode("cp1252", errors="replace")


def _addresses(fields: dict[str, list[_Field]], name: str) -> list[tuple[str, str]]:
    values = fields.get(name, [])
    found = []
    for value in values:
        # Raw 8-bit bytes come as a Header object (str() would turn them into U+FFFD);
        # encoded words stay encoded until the address list is split.
        try:
            text = value if isinstance(value, str) else decode_words(value)
        except (ValueError, TypeError):
            continue
        try:
            pairs = email.utils.getaddresses([text])
        except RecursionError:  # thousands of nested comments: "Cc: ((((((..."
            continue
        for display, address in pairs:
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


def _collect(message: Message, parsed: ParsedMail, budget: int) -> None:
    plain: list[str] = []
    for count, part in enumerate(message.walk()):
        if count > MAX_PARTS:
            break
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        has_disposition = part.get("content-disposition") is not None
        filename = _filename(part, has_disposition)
        if content_type == "message/rfc822":
            continue
        if content_type in ("text/calendar", "application/ics") or filename.endswith(".ics"):
            payload = _payload(part)
            if payload and len(payload) <= MAX_CALENDAR_BYTES:
                parsed.calendars.append(payload)
            continue
        disposition = (part.get_content_disposition() or "").lower() if has_disposition else ""
        if disposition == "attachment" and not content_type.startswith("text/"):
            continue
        if content_type == "text/plain" and disposition != "attachment":
            plain.append(_decode(part))
        elif content_type == "text/html" and disposition != "attachment":
            parsed._html_parts.append(part)
    if any(p.strip() for p in plain):
        parsed.text = "\n".join(plain)
    elif parsed.html:
        lean = _LAYOUT_TAG.sub(r"<\1\2>", _SKIPPED.sub("", parsed.html))
        parsed.text = html_to_text(lean, budget)
    parsed.text_cut = len(parsed.text) > budget
    parsed.text = parsed.text[:budget]


def _filename(part: Message, has_disposition: bool = True) -> str:
    if not has_disposition and "name" not in str(part.get("content-type", "")).lower():
        return ""  # no header that could name a file: no parameter parsing needed
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


# What html2text would skip or not use with the options below, removed first: the head,
# styles, scripts and comments, and the attributes of layout tags (a newsletter's inline
# styles are most of its bytes, and parsing them most of the conversion's time).
_SKIPPED = re.compile(
    r"<head\b.*?</head\s*>|<style\b.*?</style\s*>|<script\b.*?</script\s*>|<!--.*?-->",
    re.IGNORECASE | re.DOTALL,
)
_LAYOUT_TAG = re.compile(
    r"<(/?)(td|tr|th|table|tbody|thead|tfoot|div|span|p|font|center|body|html|br|hr|h[1-6]|b|i|"
    r"u|strong|em|section|header|footer|blockquote|img|meta)\b[^<>]*>",
    re.IGNORECASE,
)
_HREF = re.compile(
    r"""<a\s[^<>]*?(?<![\w-])href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.IGNORECASE
)
_CHUNK = 1024
_NBSP_PLACEHOLDER = "&nbsp_place_holder;"
# The last lines html2text has written may still change (a paragraph's end, an entity):
# how far past the budget it writes before the text up to the budget is final.
_SETTLING = 200


class _Converter(html2text.HTML2Text):
    """html2text, counting what it has written so a caller can stop feeding it."""

    def __init__(self) -> None:
        super().__init__(bodywidth=0)
        self.ignore_images = True
        self.ignore_emphasis = True
        self.ignore_tables = True
        self.ignore_links = True
        self.unicode_snob = True
        self.written = 0

    def outtextf(self, s: str) -> None:
        super().outtextf(s)
        # A non-breaking space is written as a placeholder that finish() makes one character.
        self.written += len(s) - s.count(_NBSP_PLACEHOLDER) * (len(_NBSP_PLACEHOLDER) - 1)


def html_to_text(html: str, budget: int = MAX_TEXT_CHARS) -> str:
    """The text of an HTML body, converted until `budget` characters are written (a little
    more: the last lines written may still change)."""
    converter = _Converter()
    try:
        for start in range(0, len(html), _CHUNK):
            converter.feed(html[start : start + _CHUNK])
            if converter.written > budget + _SETTLING:
                break
        converter.feed("")
        return converter.finish()
    except (ValueError, AssertionError, IndexError, KeyError, TypeError):
        return re.sub(r"<[^>]+>", " ", html)


def _links(html: str) -> list[str]:
    """The web links of the HTML's anchors, in order."""
    found = []
    for match in _HREF.finditer(html):
        value = unescape(match.group(1) or match.group(2) or match.group(3) or "").strip()
        if value.startswith(("http://", "https://")):
            found.append(value)
    return found

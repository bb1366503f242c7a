"""The MIME parts of a message as `email.message_from_bytes(raw, policy=compat32)` builds them,
built faster for the shapes nearly all mail has.

The standard parser reads every line of a message through a stack of boundary matchers, and
compiles a regular expression for each new boundary; a 200 KB mail with a PDF costs it a
thousand lines of base64 it never needed to look at, and a mailbox's worth of mail a thousand
regex compilations. Here the header blocks go to the standard parser (they are short), and
multipart bodies are cut at their delimiter lines with `str.find`. Every part is then a real
`email.message.Message`, with the headers, payloads and nesting the standard parser gives (the
epilogue after the closing delimiter, which nothing here reads, is left out). Whatever is unusual (a multipart without its boundary or its closing delimiter, bare CR
line ends, a header block with no blank line after it, digests, deep nesting, a flood of
delimiter lines) goes to the standard parser whole, so the result never differs
(tests/unit/test_mimetree.py compares both on every corpus message and on generated ones).
"""

from __future__ import annotations

import email
import email.errors
import email.parser
import email.policy
import itertools
import re
from email.message import Message

MAX_DEPTH = 8
# A mail with more delimiter lines than this is left to the standard parser, which holds one
# line at a time: a list of a million delimiters costs more than 100 MB.
MAX_DELIMITERS = 10_000
_HEADERS = email.parser.Parser(policy=email.policy.compat32)


_BARE_CR = re.compile(r"\r(?!\n)")
_BLANK_LINE = re.compile(r"\r?\n\r?\n")


class _Unusual(Exception):
    """A shape left to the standard parser."""


def message_tree(raw: bytes) -> Message:
    """`email.message_from_bytes(raw, policy=compat32)`: the same parts, fewer steps."""
    text = raw.decode("ascii", "surrogateescape")  # as the standard BytesParser reads bytes
    if "\r" in text and _BARE_CR.search(text):
        return email.message_from_bytes(raw, policy=email.policy.compat32)  # bare CR line ends
    try:
        return _message(text, "text/plain", 0)
    except _Unusual:
        return email.message_from_bytes(raw, policy=email.policy.compat32)


def _message(text: str, default_type: str, depth: int) -> Message:
    if depth > MAX_DEPTH:
        raise _Unusual
    head, body = _split_head(text)
    message = _HEADERS.parsestr(head, headersonly=True)
    if any(isinstance(d, email.errors.MissingHeaderBodySeparatorDefect) for d in message.defects):
        raise _Unusual  # a line that is no header ended the headers: the body starts there
    if message.get_payload():
        raise _Unusual
    if default_type != "text/plain":
        message.set_default_type(default_type)
    content_type = message.get_content_type()  # read once: each call parses the header
    maintype = content_type.partition("/")[0]
    if maintype == "multipart":
        if content_type == "multipart/digest":
            raise _Unusual  # its parts default to message/rfc822
        _multipart(message, body, depth)
    elif content_type == "message/delivery-status":
        raise _Unusual  # blocks of headers, each its own part
    elif maintype == "message":  # message/rfc822 and the rest: another message inside
        message.set_payload([_message(body, "text/plain", depth + 1)])
    else:
        message.set_payload(body)
    return message


def _split_head(text: str) -> tuple[str, str]:
    """The header block (with its last line end) and the body after the blank line."""
    if text.startswith(("\r\n", "\n")):
        return "", text[2:] if text.startswith("\r\n") else text[1:]
    blank = _BLANK_LINE.search(text)  # one pass, up to the first blank line
    if blank is None:
        return text, ""
    head_end = blank.start() + (2 if text.startswith("\r\n", blank.start()) else 1)
    return text[:head_end], text[blank.end() :]


def _multipart(message: Message, body: str, depth: int) -> None:
    boundary = message.get_boundary()
    if boundary is None:
        raise _Unusual  # no boundary: the standard parser's defect handling
    separator = "--" + boundary
    delimiters = list(_delimiters(body, separator))
    if not delimiters or not delimiters[-1][2]:
        raise _Unusual  # no delimiter, or no closing one
    first_start = delimiters[0][0]
    if first_start > 0:
        message.preamble = _strip_eol(body[:first_start])
    parts: list[Message | str] = []
    for (_, end, closing), (next_start, _, next_closing) in itertools.pairwise(delimiters):
        if closing:
            raise _Unusual  # something after the closing delimiter looks like one
        content = body[end:next_start]
        if not content:
            if next_closing:
                raise _Unusual  # the standard parser reads on past a closing one here
            continue  # two delimiter lines in a row make no part
        part = _message(_strip_eol(content), "text/plain", depth + 1)
        parts.append(part)
    if not parts:
        raise _Unusual
    message.set_payload(parts)


def _delimiters(body: str, separator: str) -> list[tuple[int, int, bool]]:
    """(line start, position after the line, closing) of every delimiter line: the separator
    at a line's start, then "--" or not, spaces or tabs, and the line's end."""
    found: list[tuple[int, int, bool]] = []
    position = 0
    while True:
        at = body.find(separator, position)
        if at < 0:
            return found
        position = at + len(separator)
        if at > 0 and body[at - 1] != "\n":
            continue
        line_end = body.find("\n", position)
        after = len(body) if line_end < 0 else line_end + 1
        rest = body[position:after].rstrip("\r\n")
        closing = rest.startswith("--")
        if closing:
            rest = rest[2:]
        if rest.strip(" \t"):
            continue  # "--boundary-more": a longer word, not this delimiter
        found.append((at, after, closing))
        if len(found) > MAX_DELIMITERS:
            raise _Unusual
        position = after


def _strip_eol(text: str) -> str:
    """The line end before a delimiter belongs to the delimiter (RFC 2046)."""
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith("\n"):
        return text[:-1]
    return text

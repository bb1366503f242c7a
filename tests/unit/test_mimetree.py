"""`mimetree.message_tree` against the standard parser: the same parts, headers and payloads
on every corpus message, on generated mailboxes, on the benchmark's mail and on hostile shapes."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.classify import synthetic_message
from benchmarks.scanbench.mailgen import MailboxGenerator
from daemon.detect import mime, mimetree
from daemon.detect.mimetree import message_tree

ROOT = Path(__file__).resolve().parents[2]
CORPUS = sorted((ROOT / "tests" / "corpus").glob("*/*.eml"))


def standard(raw: bytes) -> Message:
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def shape(message: Message) -> list[tuple[object, ...]]:
    """What anything here reads of a message: each part's headers, type, parameters and
    decoded payload, in walk order."""
    found: list[tuple[object, ...]] = []
    for part in message.walk():
        payload = None if part.is_multipart() else part.get_payload(decode=True)
        found.append(
            (
                [(k, str(v)) for k, v in part.items()],
                part.get_content_type(),
                part.get_params(),
                part.get_filename(),
                part.is_multipart(),
                payload,
            )
        )
    return found


def same(raw: bytes) -> None:
    assert shape(message_tree(raw)) == shape(standard(raw))
    assert mime.parse(raw) == _parsed_by_standard(raw)


def _parsed_by_standard(raw: bytes) -> mime.ParsedMail:
    original = mime.message_tree
    mime.message_tree = standard  # type: ignore[assignment]
    try:
        return mime.parse(raw)
    finally:
        mime.message_tree = original


@pytest.mark.parametrize("path", CORPUS, ids=[f"{p.parent.name}/{p.name}" for p in CORPUS])
def test_every_corpus_message_parses_the_same(path: Path) -> None:
    same(path.read_bytes())


def _generated(count: int) -> Iterator[bytes]:
    generator = MailboxGenerator(7, (ROOT / "tests" / "corpus" / "positive",))
    for message in generator.messages(count):
        yield message.raw


def test_a_generated_mailbox_parses_the_same() -> None:
    for raw in _generated(400):
        same(raw)
        same(raw.replace(b"\n", b"\r\n"))


def test_the_benchmark_messages_parse_the_same() -> None:
    same(synthetic_message())
    same(synthetic_message(html_only=True))


def _multipart(boundary: str, parts: list[str], *, close: str = "--", tail: str = "\n") -> bytes:
    body = "".join(f"--{boundary}\n{part}\n" for part in parts) + f"--{boundary}{close}{tail}"
    head = f'From: a@b.example\nSubject: x\nContent-Type: multipart/mixed; boundary="{boundary}"\n'
    return (head + "\npreamble\n" + body + "epilogue\n").encode()


TEXT = "Content-Type: text/plain\n\nhello"
NESTED = (
    'Content-Type: multipart/alternative; boundary="in"\n\n--in\n'
    + TEXT
    + "\n--in\nContent-Type: text/html\n\n<p>hi</p>\n--in--"
)
ODD_SHAPES = [
    _multipart("b", [TEXT]),
    _multipart("b", [TEXT, NESTED]),
    _multipart("b", [TEXT], close=""),  # no closing delimiter
    _multipart("b", [TEXT], tail=""),  # closing delimiter at the very end
    _multipart("b", [TEXT, ""]),  # an empty part
    _multipart("b", ["\nno headers at all"]),
    _multipart("b", ["Content-Type: text/plain"]),  # headers, no body
    _multipart("b", [TEXT.replace("hello", "--b-not-a-delimiter\n--bx\n --b")]),
    _multipart("b", [TEXT + "\n--b  \t"]),  # a delimiter with trailing white space
    _multipart("b", [f"Content-Type: message/rfc822\n\nSubject: inner\n\n{TEXT}"]),
    _multipart("b", [TEXT]).replace(b'boundary="b"', b""),  # multipart without a boundary
    _multipart("b", [TEXT]).replace(b"\n", b"\r"),  # bare CR line ends
    _multipart("b", [TEXT]).replace(b"multipart/mixed", b"multipart/digest"),
    _multipart("b", ["not a header line\nContent-Type: text/plain\n\nx"]),
    _multipart("b", [TEXT]) + b"--b\nContent-Type: text/plain\n\nafter the end\n",
    b"Subject: no body",
    b"",
    b"\n\njust a body",
    b"Subject: x\nContent-Type: text/plain; charset=utf-8\n\n\xc3\xa9t\xc3\xa9 \xff",
    b"Subject: x\nnot a header\n\nbody",
]


@pytest.mark.parametrize("raw", ODD_SHAPES)
def test_odd_shapes_parse_the_same(raw: bytes) -> None:
    same(raw)
    same(raw.replace(b"\n", b"\r\n"))


_LINES = st.lists(
    st.sampled_from(
        ["--b", "--b--", "--b ", "--bb", "Content-Type: text/plain", "Content-Type: multipart/"
         'mixed; boundary="c"', "--c", "--c--", "", "text", "Subject: s", " folded", "\r"]
    ),
    max_size=30,
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(_LINES)
def test_generated_line_soups_parse_the_same(lines: list[str]) -> None:
    head = 'Subject: soup\nContent-Type: multipart/mixed; boundary="b"\n\n'
    same((head + "\n".join(lines)).encode())


def test_a_flood_of_delimiters_goes_to_the_standard_parser_before_it_is_listed() -> None:
    body = "--b\n" * (mimetree.MAX_DELIMITERS + 1)
    with pytest.raises(mimetree._Unusual):  # a million of them made a list of 100 MB
        mimetree._delimiters(body, "--b")
    same(("Subject: x\nContent-Type: multipart/mixed; boundary=b\n\n" + body + "--b--\n").encode())

"""The fast header reading gives what the email package gives: fields split by hand, address
lists read by regular expressions, and whole envelopes, compared on generated and real mail."""

from __future__ import annotations

import email.utils
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daemon import envelope
from daemon.detect.mime import decode_words
from daemon.envelope import HEADER_FIELDS, parse_headers

CORPUS = Path(__file__).resolve().parents[1] / "corpus"

_NAMES = st.sampled_from(
    [
        *HEADER_FIELDS,
        *(name.lower() for name in HEADER_FIELDS),
        "Subject",
        "X-Other",
        "Received",
        "From",
        "",  # ":value", a field without a name
        "Bad Name",  # a space before the colon: not a field, it ends the block
    ]
)
_TEXT = st.lists(
    st.sampled_from([*"abcXYZ 019@.<>\",;:()=?_-'\t\r", "é", "=?utf-8?q?x?="]), max_size=30
).map("".join)
_ENDING = st.sampled_from(["\r\n", "\n"])


@st.composite
def header_blocks(draw: st.DrawFn) -> bytes:
    lines = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["field", "field", "field", "continuation", "from", "junk"]))
        if kind == "field":
            line = f"{draw(_NAMES)}:{draw(_TEXT)}"
        elif kind == "continuation":
            line = draw(st.sampled_from([" ", "\t"])) + draw(_TEXT)
        elif kind == "from":
            line = "From someone@example.test Thu Nov 19 10:00:00 2026"
        else:
            line = draw(_TEXT)
        lines.append(line + draw(_ENDING))
    if draw(st.booleans()):
        lines.append(draw(_ENDING) + "body: text\n")
    return "".join(lines).encode("utf-8", "surrogateescape")


@settings(max_examples=400, deadline=None)
@given(header_blocks())
def test_fields_split_by_hand_are_the_email_packages(raw: bytes) -> None:
    fast = envelope._plain_fields(raw)
    if fast is None:
        return
    message = BytesHeaderParser(policy=compat32).parsebytes(raw)
    names = {name.lower() for name in message}
    assert names == set(fast.fields)
    for name in names:
        assert [str(value) for value in message.get_all(name) or []] == fast.fields[name]


_ADDRESS = st.sampled_from(
    ["a@b.example", "Dana.Lee@Firm-1.example", "x+tag@sub.mail.example", "o'neil@x.example"]
)
_NAME = st.sampled_from(
    ["Dana Lee", "Dr. J. Smith", "O'Neil", "Lee,  Dana", "Maya Chen (Northwind)", "", "  ", "x"]
)


@st.composite
def address_lists(draw: st.DrawFn) -> list[str]:
    values = []
    for _ in range(draw(st.integers(0, 3))):
        items = []
        for _ in range(draw(st.integers(1, 3))):
            address, name = draw(_ADDRESS), draw(_NAME)
            form = draw(st.sampled_from(["bare", "named", "quoted", "angle", "junk"]))
            if form == "bare":
                items.append(address)
            elif form == "named":
                items.append(f"{name} <{address}>")
            elif form == "quoted":
                items.append(f'"{name}" <{address}>')
            elif form == "angle":
                items.append(f"<{address}>")
            else:
                items.append(draw(_TEXT))
        separator = draw(st.sampled_from([", ", ",", " ,\r\n\t", ",\r\n "]))
        values.append(separator.join(items) + draw(st.sampled_from(["", " ", ","])))
    return values


@settings(max_examples=600, deadline=None)
@given(address_lists())
def test_plain_address_lists_read_as_getaddresses_reads_them(values: list[str]) -> None:
    fast = envelope._plain_addresses(values)
    if fast is not None:
        assert fast == email.utils.getaddresses(values)


def test_the_usual_forms_take_the_fast_path() -> None:
    found = envelope._plain_addresses(
        ['"Chen, Maya" <maya@firm.example>, Dana Lee <dana@firm.example>', "x@y.example"]
    )
    assert found == [
        ("Chen, Maya", "maya@firm.example"),
        ("Dana Lee", "dana@firm.example"),
        ("", "x@y.example"),
    ]
    assert envelope._plain_fields(b"Subject: hi\r\n\tthere\r\nTo: a@b.example\r\n\r\n") is not None


def _header_blocks() -> list[bytes]:
    blocks = []
    for path in sorted(CORPUS.rglob("*.eml")):
        raw = path.read_bytes()
        head = raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[0]
        blocks += [head + b"\r\n\r\n", head.replace(b"\r\n", b"\n") + b"\n\n"]
    return blocks


def test_envelopes_are_the_same_on_either_path(monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = _header_blocks()
    assert len(blocks) > 200
    fast = [parse_headers(raw, "INBOX/1") for raw in blocks]
    monkeypatch.setattr(envelope, "_plain_fields", lambda raw: None)
    monkeypatch.setattr(envelope, "_plain_addresses", lambda texts: None)
    monkeypatch.setattr(envelope, "_words", decode_words)
    assert [parse_headers(raw, "INBOX/1") for raw in blocks] == fast

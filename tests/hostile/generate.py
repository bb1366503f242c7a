"""The hostile inputs too big to commit, made when a test asks for them.

Each maker returns the input's bytes; its name says what it is, so a failure names the case.
Sizes follow issue 9: 10 MB bodies and attachments, 1,000-deep nesting, 5,000 parts,
10,000 VEVENTs. Nothing here is random: the same name always gives the same bytes.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

MB = 1 << 20
HEAD = (
    b"From: Dana Lee <dana@lumen.example>\r\nTo: carol@example.test\r\n"
    b"Date: Tue, 1 Dec 2026 09:00:00 +0000\r\nMessage-ID: <big@lumen.example>\r\n"
)
SENTENCE = b"Your interview for the Data Engineer role is on Thursday, December 3 at 3pm ET. "


def _mail(headers: bytes, body: bytes) -> bytes:
    return HEAD + headers + b"\r\n" + body


def _sized(unit: bytes, size: int) -> bytes:
    return (unit * (size // len(unit) + 1))[:size]


def _base64_lines(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def _nested_multipart(depth: int) -> bytes:
    opening = b"".join(
        b'Content-Type: multipart/mixed; boundary="n%d"\r\n\r\n--n%d\r\n' % (i, i)
        for i in range(depth)
    )
    closing = b"".join(b"\r\n--n%d--" % i for i in reversed(range(depth)))
    return (
        _mail(b"Subject: Interview\r\n", b"")
        + opening
        + b"Content-Type: text/plain\r\n\r\n"
        + (SENTENCE + closing)
    )


def _nested_forwards(depth: int) -> bytes:
    inner = b"Content-Type: text/plain\r\n\r\n" + SENTENCE
    layers = b"".join(
        b"Content-Type: message/rfc822\r\n\r\nSubject: Fwd %d\r\n" % i for i in range(depth)
    )
    return _mail(b"Subject: Fwd: Interview\r\n", b"") + layers + inner


def _parts(count: int, part: bytes) -> bytes:
    body = b"".join(b"--p\r\n" + part + b"\r\n" for _ in range(count)) + b"--p--\r\n"
    return _mail(b'Subject: Interview\r\nContent-Type: multipart/mixed; boundary="p"\r\n', body)


def _event(uid: str, *lines: str, start: str = "20261203T150000Z") -> str:
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:{start}\r\n"
        f"DTEND:20261203T160000Z\r\nSUMMARY:Interview: Data Engineer at Lumen Labs\r\n"
        f"ORGANIZER;CN=Dana Lee:mailto:dana@lumen.example\r\n"
        + "".join(f"{line}\r\n" for line in lines)
        + "END:VEVENT\r\n"
    )


def _calendar(*parts: str, head: str = "") -> bytes:
    text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//hostile//EN\r\n" + head
    return (text + "".join(parts) + "END:VCALENDAR\r\n").encode()


def _invitation(calendar: bytes) -> bytes:
    headers = b"Subject: Interview invitation\r\nContent-Type: text/calendar; method=REQUEST\r\n"
    return _mail(headers, calendar)


def _vevents(count: int, *lines: str, same_uid: bool = False) -> bytes:
    return _calendar(*(_event("same" if same_uid else f"e{n}", *lines) for n in range(count)))


MAIL: dict[str, Callable[[], bytes]] = {
    "nested-1000-deep-multipart": lambda: _nested_multipart(1000),
    "nested-1000-deep-multipart-unclosed": lambda: _nested_multipart(1000).split(b"\r\n--n999--")[
        0
    ],
    "nested-1000-deep-forwarded-messages": lambda: _nested_forwards(1000),
    "body-10mb-text": lambda: _mail(b"Subject: Interview\r\n", _sized(SENTENCE + b"\r\n", 10 * MB)),
    "body-4mb-one-line": lambda: _mail(b"Subject: Interview\r\n", _sized(SENTENCE, 4 * MB)),
    "body-10mb-html": lambda: _mail(
        b"Subject: Interview\r\nContent-Type: text/html\r\n",
        _sized(
            b"<div><p>" + SENTENCE + b"<a href='https://zoom.us/j/1'>join</a></p></div>", 10 * MB
        ),
    ),
    "body-4mb-nul-bytes": lambda: _mail(b"Subject: Interview\r\n", bytes(4 * MB)),
    "attachment-10mb-base64": lambda: _parts(
        1,
        b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + _base64_lines(_sized(b"%PDF-1.4 \x00\xff", 7_500_000)),
    ),
    "attachment-10mb-base64-truncated": lambda: _parts(
        1,
        b"Content-Type: text/calendar\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + _base64_lines(_sized(b"BEGIN:VEVENT\r\n", 7_500_000)),
    )[: 10 * MB - 7],
    "parts-5000": lambda: _parts(5000, b"Content-Type: text/plain\r\n\r\n" + SENTENCE),
    "parts-5000-calendars": lambda: _parts(
        5000, b"Content-Type: text/calendar\r\n\r\n" + _vevents(1, "RRULE:FREQ=SECONDLY")
    ),
    "delimiters-1000000": lambda: _parts(1, b"")[:-9] + b"--p\r\n" * 1_000_000,
    "line-breaks-10mb": lambda: _mail(b"Subject: Interview\r\n", b"\r\n" * (5 * MB)),
    "header-line-4mb": lambda: _mail(
        b"Subject: Interview " + _sized(b"interview ", 4 * MB) + b"\r\n", SENTENCE
    ),
    "headers-100000": lambda: _mail(
        b"".join(b"X-H%d: v\r\n" % n for n in range(100_000)), SENTENCE
    ),
    "subject-100000-encoded-words": lambda: _mail(
        b"Subject: " + b" ".join([b"=?utf-8?B?SW50ZXJ2aWV3?="] * 100_000) + b"\r\n", SENTENCE
    ),
    "subject-100000-folded-lines": lambda: _mail(
        b"Subject: Interview" + b"\r\n interview" * 100_000 + b"\r\n", SENTENCE
    ),
    "to-20000-addresses": lambda: _mail(
        b"To: "
        + b", ".join(b"Person %d <p%d@lumen.example>" % (n, n) for n in range(20_000))
        + b"\r\n",
        SENTENCE,
    ),
    "cc-100000-nested-comments": lambda: _mail(b"Cc: " + b"(" * 100_000 + b"\r\n", SENTENCE),
    "references-100000": lambda: _mail(
        b"References: " + b" ".join(b"<r%d@lumen.example>" % n for n in range(100_000)) + b"\r\n",
        SENTENCE,
    ),
    "html-nested-100000-deep": lambda: _mail(
        b"Subject: Interview\r\nContent-Type: text/html\r\n",
        b"<div>" * 100_000 + SENTENCE + b"</div>" * 100_000,
    ),
    "html-entity-storm": lambda: _mail(
        b"Subject: Interview\r\nContent-Type: text/html\r\n",
        b"<p>" + b"&#0;&#x110000;&#xD800;&#99999999999;&bogus;&nbsp;" * 50_000 + SENTENCE,
    ),
    "html-links-30000": lambda: _mail(
        b"Subject: Interview\r\nContent-Type: text/html\r\n",
        b"".join(b'<a href="https://zoom.us/j/%d">l</a>' % n for n in range(30_000)),
    ),
    "calendar-part-10000-vevents": lambda: _invitation(_vevents(10_000)),
    "calendar-parts-150-in-one-mail": lambda: _parts(
        150, b"Content-Type: text/calendar; method=REQUEST\r\n\r\n" + _vevents(1)
    ),
}

CALENDAR: dict[str, Callable[[], bytes]] = {
    "vevents-10000": lambda: _vevents(10_000),
    "vevents-20-daily-series": lambda: _vevents(20, "RRULE:FREQ=DAILY"),
    "vevents-500-one-uid": lambda: _vevents(500, same_uid=True),
    "vevents-500-secondly-since-1970": lambda: _calendar(
        *(_event(f"s{n}", "RRULE:FREQ=SECONDLY", start="19700101T000000Z") for n in range(500))
    ),
    "description-2mb-one-line": lambda: _vevents(1, "DESCRIPTION:" + "interview " * 200_000),
    "description-10mb-folded": lambda: _vevents(1, "DESCRIPTION:" + "interview\r\n " * 1_000_000),
    "attendees-2000": lambda: _vevents(
        1, *(f"ATTENDEE;CN=Person {n}:mailto:p{n}@lumen.example" for n in range(2000))
    ),
    "exdates-2000": lambda: _vevents(
        1,
        "RRULE:FREQ=HOURLY",
        *(f"EXDATE:2026{n % 12 + 1:02d}{n % 28 + 1:02d}T{n % 24:02d}0000Z" for n in range(2000)),
    ),
    "recurrence-ids-400": lambda: _calendar(
        _event("r", "RRULE:FREQ=HOURLY;COUNT=5000"),
        *(
            _event("r", f"RECURRENCE-ID:202612{3 + n // 24:02d}T{n % 24:02d}0000Z")
            for n in range(1, 400)
        ),
    ),
    "uid-1mb": lambda: _calendar(_event("u" * MB)),
    "components-2000-deep": lambda: _calendar(
        "BEGIN:VEVENT\r\nUID:x\r\n" * 2000 + "END:VEVENT\r\n" * 2000
    ),
    "vtimezones-200": lambda: _calendar(
        *(
            _event(f"z{n}")
            .replace("DTSTART:", f"DTSTART;TZID=Zone{n}:")
            .replace("T150000Z", "T150000")
            for n in range(200)
        ),
        head="".join(
            f"BEGIN:VTIMEZONE\r\nTZID:Zone{n}\r\nBEGIN:STANDARD\r\nDTSTART:16010101T000000\r\n"
            f"TZOFFSETFROM:+0{n % 10}00\r\nTZOFFSETTO:+0{n % 10}00\r\n"
            "END:STANDARD\r\nEND:VTIMEZONE\r\n"
            for n in range(200)
        ),
    ),
    # Just under the 20 MiB an ICS source may have: 4.5 million lines, 9 million blank ones.
    "short-lines-18mb": lambda: _calendar(_event("g")).replace(
        b"END:VCALENDAR", b"X:\r\n" * 4_500_000 + b"END:VCALENDAR"
    ),
    "blank-lines-18mb": lambda: _calendar(_event("b")).replace(
        b"END:VEVENT", b"\r\n" * 9_000_000 + b"END:VEVENT"
    ),
    "garbage-lines-128kb": lambda: _calendar(_event("g")).replace(
        b"END:VCALENDAR", _sized(b"X-JUNK;A=B:\xff\xfe garbage\r\n", MB // 8) + b"END:VCALENDAR"
    ),
}

CONFIG: dict[str, Callable[[], bytes]] = {
    "very-long-key": lambda: b"account: {email: carol@example.test}\n" + b"k" * 500_000 + b": 1\n",
    "very-long-value": lambda: (
        b"account: {email: carol@example.test}\nlog_level: " + b"x" * 1_000_000 + b"\n"
    ),
    "over-one-mebibyte": lambda: (
        b"account: {email: carol@example.test}\n" + b"# padding\n" * 110_000
    ),
    "over-one-mebibyte-of-garbage": lambda: bytes(range(256)) * 20_000,
    "keys-75000": lambda: b"".join(b"k%d: %d\n" % (n, n) for n in range(75_000)),
    "aliases-15000-to-a-long-string": lambda: (
        b"a: &a " + b"x" * 1000 + b"\nb: [" + b", ".join([b"*a"] * 15_000) + b"]\n"
    ),
    "block-nesting-1000-deep": lambda: (
        b"".join(b" " * n + b"k:\n" for n in range(1000)) + b" " * 1000 + b"leaf\n"
    ),
}

"""The corpus's real interview mail and calendars, damaged at random: byte flips, cuts,
hostile lines spliced in, parts repeated. Every reader the sync and the calendar refresh use
still answers without raising (issue 9, "Bad input"). Random bytes and random MIME soups are
tests/unit/test_detect_robust.py's; these start from mail that nearly works.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daemon.approval import read_reply
from daemon.calendars.items import Window
from daemon.calendars.occurrences import MAX_ITEMS, MAX_OCCURRENCES, Expansion
from daemon.detect import classify_calendar, classify_email
from daemon.envelope import parse_headers
from daemon.errors import PermanentError
from daemon.model import Kind
from daemon.triage import triage

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
MAILS = [path.read_bytes() for path in sorted((CORPUS / "positive").glob("*.eml"))]
CALENDARS = [path.read_bytes() for path in sorted(CORPUS.glob("*/*.ics"))]
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
WINDOW = Window(NOW - timedelta(days=30), NOW + timedelta(days=365))
SPLICES = [
    b"\r\n--", b"\r\n\r\n", b"\x00", b"\r", b"\xff\xfe", b"=?utf-8?B?", b"?=", b"=\r\n",
    b'Content-Type: multipart/mixed; boundary=""\r\n',
    b"Content-Type: text/calendar; charset=utf-7\r\n\r\nBEGIN:VCALENDAR\r\n",
    b"Content-Transfer-Encoding: base64\r\n", b"Subject: =?utf-8?Q?=0D=0ABcc:_x@evil?=\r\n",
    b"RRULE:FREQ=SECONDLY\r\n", b"DTSTART;TZID=Mars/Olympus:99991231T235959\r\n",
    b"BEGIN:VEVENT\r\n", b"END:VCALENDAR\r\n", b"DURATION:P99999999W\r\n", b"\r\n ",
]  # fmt: skip
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def damaged(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["flip", "cut", "splice", "drop", "repeat"]))
        if action == "flip" and at < len(data):
            data[at] ^= draw(st.integers(1, 255))
        elif action == "cut":
            del data[at:]
        elif action == "splice":
            data[at:at] = draw(st.sampled_from(SPLICES))
        elif action == "drop":
            del data[at : at + draw(st.integers(1, 200))]
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 2000))] * draw(st.integers(1, 20))
    return bytes(data)


@FUZZ
@given(damaged(MAILS))
def test_damaged_mail_goes_through_every_reader(raw: bytes) -> None:
    assert classify_email(raw, now=NOW).kind in Kind
    envelope = parse_headers(raw, "INBOX/7")
    triage(envelope, from_me=False, in_job_thread=True)
    read_reply(raw)
    for detection in classify_calendar(raw):
        assert detection.kind in Kind


@FUZZ
@given(damaged(CALENDARS))
def test_damaged_calendars_are_expanded_within_the_caps(data: bytes) -> None:
    for detection in classify_calendar(data):
        assert detection.kind in Kind
    expansion = Expansion("fuzz", WINDOW)
    try:
        expansion.add_source(data, "the fuzzed file")
    except PermanentError:
        return  # no iCalendar left in it: the source's problem, reported as such
    read = expansion.result({})
    assert len(read.items) <= MAX_ITEMS
    for item in read.items:
        assert sum(i.uid == item.uid for i in read.items) <= MAX_OCCURRENCES
        for detection in classify_calendar(item.data):
            assert detection.kind in Kind

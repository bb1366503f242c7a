"""No input raises out of the detector: random bytes, broken MIME, hostile calendars."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daemon.detect import classify_calendar, classify_email, ics
from daemon.model import Kind

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HEADERS = st.sampled_from(
    [
        b"Subject: Interview confirmation\r\n",
        b"Subject: =?utf-8?B?SW50ZXJ2aWV3?=\r\n",
        b"Subject: =?bogus?Q?x?=\r\n",
        b"Date: Tue, 3 Dec 2026 15:00:00 -0500\r\n",
        b"Date: not a date\r\n",
        b"From: Dana <dana@example.com>\r\n",
        b"From: <<<>>>@@\r\n",
        b"Content-Type: multipart/mixed; boundary=x\r\n",
        b"Content-Type: multipart/alternative\r\n",
        b"Content-Type: text/plain; charset=klingon\r\n",
        b"Content-Transfer-Encoding: base64\r\n",
        b"Content-Transfer-Encoding: quoted-printable\r\n",
        b"Content-Type: text/calendar; method=REQUEST\r\n",
    ]
)
BODIES = st.sampled_from(
    [
        b"--x\r\nContent-Type: text/calendar\r\n\r\nBEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n",
        b"--x\r\n--x\r\n--x--\r\n",
        b"=ZZ=\r\n=E9t=C3",
        b"////invalid base64====",
        b"Interview on Tuesday, Dec 3 at 3pm ET with Dana Lee. https://zoom.us/j/1",
        b"<html><body><a href='https://nam12.safelinks.protection.outlook.com/?url=x'>x</body>",
        b"\xff\xfe\x00\x00garbage",
    ]
)


@FUZZ
@given(st.binary(max_size=4000))
def test_random_bytes_never_raise(data: bytes) -> None:
    assert classify_email(data).kind in Kind
    for result in classify_calendar(data):
        assert result.kind in Kind


@FUZZ
@given(st.lists(HEADERS, max_size=8), st.lists(BODIES, max_size=6), st.binary(max_size=300))
def test_broken_mime_never_raises(headers: list[bytes], bodies: list[bytes], tail: bytes) -> None:
    raw = b"".join(headers) + b"\r\n" + b"\r\n".join(bodies) + tail
    result = classify_email(raw)
    assert result.kind in Kind


@FUZZ
@given(st.text(max_size=2000))
def test_random_text_in_a_calendar_never_raises(text: str) -> None:
    data = f"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n{text}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    for result in classify_calendar(data.encode("utf-8", "surrogatepass")):
        assert result.kind in Kind


def test_deeply_nested_mime_is_survived() -> None:
    depth = 400
    parts = b"".join(
        f"Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n".encode()
        for i in range(depth)
    )
    result = classify_email(b"Subject: x\r\n" + parts + b"Content-Type: text/plain\r\n\r\nhi\r\n")
    assert result.kind is Kind.NONE


def test_unknown_time_zone_and_far_future_in_a_calendar() -> None:
    data = (
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Interview with Acme\r\n"
        b"DTSTART;TZID=Mars/Olympus:99991231T235959\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    (result,) = classify_calendar(data)
    assert result.error is None
    assert result.start is not None and result.start.year == 9999


ROLE = "Your interview for the Data Analyst role is"


@pytest.mark.parametrize(
    ("date", "body"),
    [
        ("Fri, 31 Dec 9999 10:00:00 +0000", f"{ROLE} tomorrow at 3pm."),
        ("Fri, 31 Dec 9999 20:00:00 -1200", f"{ROLE} on Monday at 3pm."),
        ("Mon, 1 Jun 2026 10:00:00 +0000", f"{ROLE} on 9999-12-31 at 11pm, 2 hours."),
        (
            "Mon, 1 Jun 2026 10:00:00 +0200",
            "Entretien pour le poste de Data Analyst le 9 juin à 25 du soir.",
        ),
    ],
)
def test_impossible_dates_and_hours_do_not_raise(date: str, body: str) -> None:
    raw = f"From: Dana Lee <dana@acme.example>\r\nDate: {date}\r\nSubject: Interview\r\n\r\n{body}"
    result = classify_email(raw.encode())
    assert result.error is None


def test_surrogates_from_utf7_never_reach_the_result() -> None:
    raw = (
        b"Subject: Interview\r\nContent-Type: text/plain; charset=utf-7\r\n\r\n"
        b"Your interview: Position: Data Analyst +2AA- on Tuesday, June 9 at 2pm ET.\r\n"
    )
    result = classify_email(raw)
    for value in (result.role, result.company, result.location):
        if value:
            value.encode("utf-8")  # raises on a lone surrogate


def test_a_duration_past_the_year_9999_leaves_the_event_without_an_end() -> None:
    data = (
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Interview with Acme\r\n"
        b"DTSTART:99991231T230000Z\r\nDURATION:PT2H\r\nEND:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nUID:b\r\nSUMMARY:Interview with Acme\r\n"
        b"DTSTART:20261203T150000Z\r\nDURATION:P99999999W\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    for result in classify_calendar(data):
        assert result.error is None and result.start is not None and result.end is None


def test_a_calendar_of_more_lines_than_any_export_is_not_read() -> None:
    data = b"BEGIN:VCALENDAR\r\n" + b"X:\r\n" * ics.MAX_LINES + b"END:VCALENDAR\r\n"
    (result,) = classify_calendar(data)
    assert result.error == f"more than {ics.MAX_LINES} lines; not read"


def test_an_event_s_attendees_are_read_up_to_the_cap() -> None:
    attendees = "".join(
        f"ATTENDEE:mailto:p{n}@lumen.example\r\n" for n in range(3 * ics.MAX_ATTENDEES)
    )
    data = (
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20261203T150000Z\r\n"
        f"{attendees}END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()
    (event,) = ics.read(data).events
    assert len(event.attendees) == ics.MAX_ATTENDEES


def test_an_absurd_sequence_is_held_within_the_state_s_integers() -> None:
    import icalendar

    from daemon.detect.ics import MAX_SEQUENCE, sequence_number

    for written, kept in (("99999999999999999999999", MAX_SEQUENCE), ("-5", 0), ("x", 0), ("3", 3)):
        text = f"BEGIN:VEVENT\r\nUID:x\r\nSEQUENCE:{written}\r\nEND:VEVENT\r\n"
        event = icalendar.Event.from_ical(text)
        assert sequence_number(event) == kept, written

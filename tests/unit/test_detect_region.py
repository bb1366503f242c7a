"""How a mail's dates are read: "3/12" by real cues, the sender's zone from its Date header
and its words, and relative dates in a forwarded mail against that mail's own Date."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from daemon.detect import classify_email
from daemon.detect.region import day_first, guess_zone

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("language", "domain", "text", "zone", "expected"),
    [
        ("de", "acme.example", "am 3/12", NEW_YORK, True),  # the language is the strongest cue
        ("en", "acme.co.uk", "on 3/12", NEW_YORK, True),  # then the sender's country
        ("en", "acme.com.au", "on 3/12", NEW_YORK, True),
        ("en", "acme.us", "on 3/12", LONDON, False),
        ("en", "acme.example", "on 3/12, or 11/13 if that fails", LONDON, False),
        ("en", "acme.example", "on 3/12, or 13/11 if that fails", NEW_YORK, True),
        ("en", "acme.example", "on 3/12", NEW_YORK, False),  # the zone last
        ("en", "acme.example", "on 3/12", LONDON, True),
    ],
)
def test_day_first_from_cues_in_order_of_strength(
    language: str, domain: str, text: str, zone: ZoneInfo, expected: bool
) -> None:
    assert day_first(language, domain, text, zone) is expected


def test_utc_date_header_in_english_is_not_read_as_london() -> None:
    sent = datetime.fromisoformat("2026-06-01T10:00:00+00:00")
    assert guess_zone(sent, "en") == ZoneInfo("UTC")
    assert guess_zone(sent, "en", "Our office: 3 Tabernacle Street, London") == LONDON
    assert guess_zone(sent, "en", "", "acme.co.uk") == LONDON


def mail(sender: str, date: str, body: str, subject: str = "Interview confirmation") -> bytes:
    return (
        f"From: {sender}\r\nTo: Jordan Avery <jordan.avery@mailbox.example>\r\n"
        f"Subject: {subject}\r\nDate: {date}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body
    ).encode()


def test_a_british_sender_writes_the_day_first_even_from_new_york() -> None:
    raw = mail(
        "Dana Lee <dana.lee@acme.co.uk>",
        "Wed, 25 Nov 2026 10:00:00 -0500",
        "Your interview for the Data Analyst role is confirmed for 3/12 at 10am.",
    )
    result = classify_email(raw)
    assert result.start is not None and result.start.date().isoformat() == "2026-12-03"


def test_relative_dates_in_a_forward_count_from_the_forwarded_mail() -> None:
    body = (
        "FYI, see below.\n\n---------- Forwarded message ---------\n"
        "From: Dana Lee <dana.lee@acme.example>\n"
        "Date: Tue, Nov 3, 2026 at 9:14 AM\n"
        "Subject: Interview confirmation\n"
        "To: Jordan Avery <jordan.avery@mailbox.example>\n\n"
        "Hi Jordan, your interview for the Data Analyst role is confirmed for tomorrow at "
        "3pm ET with me.\n"
    )
    raw = mail(
        "Jordan Avery <jordan.avery@mailbox.example>",
        "Wed, 4 Nov 2026 08:00:00 -0500",
        body,
        subject="Fwd: Interview confirmation",
    )
    result = classify_email(raw)
    assert result.start is not None and result.start.isoformat() == "2026-11-04T15:00:00-05:00"

"""Dates and times in prose, four languages, resolved against the mail's Date header."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from daemon.detect.when import find_dates, find_length, find_moments

SENT = datetime(2026, 11, 25, 10, 0, tzinfo=timezone(timedelta(hours=-5)))
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("text", "zone", "day_first", "start", "end"),
    [
        (
            "Confirmed for Thursday, Dec 3 at 3pm ET.",
            NEW_YORK,
            False,
            "2026-12-03T15:00-05:00",
            None,
        ),
        (
            "Thursday, December 3rd, 2026 from 3:00 - 4:00 PM Eastern Time",
            NEW_YORK,
            False,
            "2026-12-03T15:00-05:00",
            "2026-12-03T16:00-05:00",
        ),
        ("am Donnerstag, 3. Dezember um 15:00 Uhr", BERLIN, True, "2026-12-03T15:00+01:00", None),
        (
            "le jeudi 3 décembre à 15h30 (heure de Paris)",
            BERLIN,
            True,
            "2026-12-03T15:30+01:00",
            None,
        ),
        (
            "el jueves 3 de diciembre a las 3 de la tarde",
            BERLIN,
            True,
            "2026-12-03T15:00+01:00",
            None,
        ),
        ("tomorrow at 10am", NEW_YORK, False, "2026-11-26T10:00-05:00", None),
        (
            "on 12/3 at 2-3pm PT",
            NEW_YORK,
            False,
            "2026-12-03T14:00-08:00",
            "2026-12-03T15:00-08:00",
        ),
        ("am 03.12.2026, 14.30 Uhr", BERLIN, True, "2026-12-03T14:30+01:00", None),
        ("morgen um 14 Uhr", BERLIN, True, "2026-11-26T14:00+01:00", None),
        ("Guten Morgen, am 3.12. um 10 Uhr", BERLIN, True, "2026-12-03T10:00+01:00", None),
        ("mañana a las 10:00", BERLIN, True, "2026-11-26T10:00+01:00", None),
        ("2026-12-03 15:00 UTC", NEW_YORK, False, "2026-12-03T15:00+00:00", None),
        ("Monday, 7 December 2026 11:30 AM IST", NEW_YORK, False, "2026-12-07T11:30+05:30", None),
        # A summer date keeps the summer offset of the zone named, not the offset of today.
        ("June 3, 2027 at 9am Pacific Time", NEW_YORK, False, "2027-06-03T09:00-07:00", None),
    ],
)
def test_moments(text: str, zone: ZoneInfo, day_first: bool, start: str, end: str | None) -> None:
    (moment,) = find_moments(text, SENT, zone, day_first=day_first)
    assert moment.start == datetime.fromisoformat(start)
    assert (moment.end.isoformat(timespec="minutes") if moment.end else None) == end


def test_numeric_date_follows_locale() -> None:
    us = find_moments("on 3/12 at 10am", SENT, NEW_YORK, day_first=False)
    eu = find_moments("le 3/12 à 10h", SENT, BERLIN, day_first=True)
    assert us[0].start.date().isoformat() == "2027-03-12"
    assert eu[0].start.date().isoformat() == "2026-12-03"


@pytest.mark.parametrize(
    "text",
    ["Call me at 555-0100", "Version 3.12 is out", "see section 15.30", "We had 3 rounds"],
)
def test_numbers_that_are_not_times(text: str) -> None:
    assert find_moments(text, SENT, NEW_YORK, day_first=False) == []


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("a 45-minute video call", 45), ("dauert ca. 1 Stunde", 60), ("half an hour", 30)],
)
def test_lengths(text: str, minutes: int) -> None:
    assert find_length(text) == timedelta(minutes=minutes)


def test_outlook_offset_label_is_not_a_time_and_the_zone_name_wins() -> None:
    text = "When: Tuesday, June 9, 2026 2:00 PM-3:00 PM (UTC-05:00) Eastern Time (US & Canada)."
    (moment,) = find_moments(text, SENT, NEW_YORK, day_first=False)
    assert moment.start.isoformat() == "2026-06-09T14:00:00-04:00"
    assert moment.end is not None and moment.end.isoformat() == "2026-06-09T15:00:00-04:00"


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("Tuesday 9 June 2026 at 10:00 UTC, 1 hour", "+00:00"),
        ("Tuesday 9 June 2026 at 10:00 UTC - 11:00 UTC", "+00:00"),
        ("Tuesday 9 June 2026 at 10:00 (UTC+1)", "+01:00"),
        ("Tuesday 9 June 2026 at 10:00 GMT-05:00", "-05:00"),
    ],
)
def test_a_dash_after_utc_starts_a_range_not_an_offset(text: str, offset: str) -> None:
    moment = find_moments(text, SENT, NEW_YORK, day_first=True)[0]
    assert moment.start.isoformat().endswith(offset)


@pytest.mark.parametrize(
    "text", ["Monday or \u017funday at 3pm", "\u017funday, 3/12 at 3pm", "\u017fat. at 10am"]
)
def test_weekday_words_the_tables_do_not_know_are_skipped_not_raised(text: str) -> None:
    # The patterns match case-insensitively, folding the long s; the weekday table does not.
    find_dates(text, SENT.date(), day_first=False)
    find_moments(text, SENT, NEW_YORK, day_first=False)

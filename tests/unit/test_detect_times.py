"""Which time in a mail is the interview: zone notices, the date each time belongs to,
deadlines and arrival times that are not the start, French clock forms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from daemon.detect import classify_email, zones
from daemon.detect.when import find_moments

SPRING = datetime(2026, 5, 25, 10, 0, tzinfo=timezone(timedelta(hours=-4)))
SENT = datetime(2026, 11, 25, 10, 0, tzinfo=timezone(timedelta(hours=-5)))


def mail(body: str, *, date: str = "Wed, 25 Nov 2026 10:00:00 -0500", sender: str = "") -> bytes:
    sender = sender or "Dana Lee <dana.lee@acme.example>"
    return (
        f"From: {sender}\r\nTo: Jordan Avery <jordan.avery@mailbox.example>\r\n"
        f"Subject: Interview confirmation\r\nDate: {date}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body
    ).encode()


# Item 1: a named zone in a notice keeps the zone's own offset on the day, DST included.
@pytest.mark.parametrize(
    ("notice", "offset"),
    [
        ("Time zone: (UTC-05:00) Eastern Time (US & Canada)", "-04:00"),
        ("Zeitzone: (UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", "+02:00"),
        ("Fuseau : (UTC+01:00) Bruxelles, Copenhague, Madrid, Paris", "+02:00"),
        ("(GMT+01:00) Brussels, Copenhagen, Madrid, Paris", "+02:00"),
        ("All times are Central European Time.", "+02:00"),
        ("Toutes les heures sont en heure de Paris.", "+02:00"),
    ],
)
def test_zone_notice_uses_the_zones_offset_on_the_day(notice: str, offset: str) -> None:
    text = f"Interview on Tuesday, June 9, 2026 at 2:00 PM.\n{notice}"
    (moment,) = find_moments(text, SPRING, UTC, day_first=False)
    assert moment.start.isoformat() == f"2026-06-09T14:00:00{offset}"


def test_outlook_label_names_the_iana_zone() -> None:
    assert zones.zone_named("(UTC-05:00) Eastern Time (US & Canada)") == ZoneInfo(
        "America/New_York"
    )


# Item 2: each time binds to its own date.
@pytest.mark.parametrize(
    "text",
    [
        "We can offer Tuesday, December 1 at 3:00 PM, and Wednesday, December 2 at 10:00 AM.",
        "Either 3:00 PM on Tuesday, December 1 or 10:00 AM on Wednesday, December 2.",
        "Options: Tue Dec 1, 3pm / Wed Dec 2, 10am",
    ],
)
def test_two_slots_on_two_days_stay_on_their_days(text: str) -> None:
    moments = find_moments(text, SENT, ZoneInfo("America/New_York"), day_first=False)
    assert [m.start.date().isoformat() for m in moments] == ["2026-12-01", "2026-12-02"]


def test_a_later_time_without_a_date_keeps_the_date_before_it() -> None:
    text = "Tuesday, December 1 at 3pm or 5pm"
    moments = find_moments(text, SENT, ZoneInfo("America/New_York"), day_first=False)
    assert [m.start.isoformat() for m in moments] == [
        "2026-12-01T15:00:00-05:00",
        "2026-12-01T17:00:00-05:00",
    ]


# Item 3: a deadline to answer by is not the interview's start.
@pytest.mark.parametrize(
    ("body", "start"),
    [
        (
            "Please confirm by Friday 5pm: your interview for the Data Analyst role is on "
            "Tuesday, December 8 at 2:00 PM ET with Dana Lee.",
            "2026-12-08T14:00:00-05:00",
        ),
        (
            "Please reply before Dec 2, 12:00 to keep your slot. Your interview for the Data "
            "Analyst role is confirmed for Tuesday, December 8 at 2pm ET.",
            "2026-12-08T14:00:00-05:00",
        ),
        (
            "Bitte bis Freitag, 12 Uhr bestätigen. Ihr Vorstellungsgespräch für die Stelle als "
            "Data Analyst findet am Dienstag, 8. Dezember um 14:00 Uhr statt.",
            "2026-12-08T14:00:00+01:00",
        ),
        (
            "Merci de confirmer avant le 2 décembre à 12h. Votre entretien pour le poste "
            "d'analyste aura lieu le mardi 8 décembre à 14h.",
            "2026-12-08T14:00:00+01:00",
        ),
    ],
)
def test_a_deadline_is_not_the_start(body: str, start: str) -> None:
    date = "Wed, 25 Nov 2026 10:00:00 -0500"
    if "Bitte" in body or "Merci" in body:
        date = "Wed, 25 Nov 2026 10:00:00 +0100"
    result = classify_email(mail(body, date=date))
    assert result.start is not None and result.start.isoformat() == start


def test_an_answer_asked_about_a_slot_is_no_deadline() -> None:
    body = (
        "Your interview for the Data Analyst role is confirmed. Please confirm by reply "
        "whether Tuesday, December 8 at 2pm ET still suits you."
    )
    result = classify_email(mail(body))
    assert result.start is not None and result.start.isoformat() == "2026-12-08T14:00:00-05:00"


# Item 13: French clock forms and the arrival time.
def test_french_spaced_clock_keeps_its_minutes() -> None:
    (moment,) = find_moments(
        "le mardi 8 décembre à 14 h 30", SENT, ZoneInfo("Europe/Paris"), day_first=True
    )
    assert moment.start.isoformat() == "2026-12-08T14:30:00+01:00"


def test_apres_midi_is_not_noon() -> None:
    moments = find_moments(
        "le mardi 8 décembre, l'après-midi vers 15h", SENT, ZoneInfo("Europe/Paris"), day_first=True
    )
    assert [m.start.isoformat() for m in moments] == ["2026-12-08T15:00:00+01:00"]


@pytest.mark.parametrize(
    ("body", "start"),
    [
        (
            "Votre entretien pour le poste d'analyste est confirmé le mardi 8 décembre. "
            "Merci d'arriver à 9h45, l'entretien commence à 10h.",
            "2026-12-08T10:00:00+01:00",
        ),
        (
            "Your interview for the Data Analyst role is confirmed for Tuesday, December 8. "
            "Please arrive at 9:45, the interview starts at 10:00 AM.",
            "2026-12-08T10:00:00+01:00",
        ),
    ],
)
def test_the_arrival_time_does_not_swallow_the_next_time(body: str, start: str) -> None:
    result = classify_email(mail(body, date="Wed, 25 Nov 2026 10:00:00 +0100"))
    assert result.start is not None and result.start.isoformat() == start


# Zones written out in words, in the four languages.
@pytest.mark.parametrize(
    ("written", "offset"),
    [
        ("à 10 h (heure de l'Est)", "-05:00"),
        ("à 10 h, heure du Pacifique", "-08:00"),
        ("a las 10:00 (hora del centro)", "-06:00"),
        ("at 10:00 Greenwich Mean Time - London", "+00:00"),
        ("um 10:00 Uhr mitteleuropäischer Zeit", "+01:00"),
        ("at 10:00 Mountain Standard Time", "-07:00"),
    ],
)
def test_zone_names_in_words(written: str, offset: str) -> None:
    (moment,) = find_moments(f"Jeudi 3 décembre 2026 {written}", SENT, UTC, day_first=True)
    assert moment.start.isoformat() == f"2026-12-03T10:00:00{offset}"

"""Times a reply takes from its thread ("Friday, same time") and times typed on a phone."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from daemon.detect import classify_email
from daemon.detect.text import is_quote_header
from daemon.detect.thread import same_time_moments

SENT = datetime(2026, 11, 9, 9, 0, tzinfo=timezone(timedelta(hours=-5)))
NEW_YORK = ZoneInfo("America/New_York")
QUOTED = (
    "On Fri, Nov 6, 2026 at 4:10 PM Maya Chen <maya.chen@acme.example> wrote:\n"
    "Hi Jordan, you're booked for the case interview on Tuesday, November 10 at 1:30 PM ET "
    "(45 minutes).\n"
)


def mail(body: str, *, subject: str, sender: str, date: str) -> bytes:
    return (
        f"From: {sender}\r\nTo: Jordan Avery <jordan.avery@mailbox.example>\r\n"
        f"Subject: {subject}\r\nDate: {date}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body
    ).encode()


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("Could we do Thursday, same time?", 12),
        ("Could we move it to the same time on Friday?", 13),
        ("Pouvons-nous le décaler à jeudi, même heure ?", 12),
        ("¿Podemos pasarla al viernes a la misma hora?", 13),
        ("Können wir auf Donnerstag zur gleichen Uhrzeit gehen?", 12),
    ],
)
def test_a_new_day_keeps_the_quoted_slots_clock_and_length(text: str, day: int) -> None:
    (moment,) = same_time_moments(text, QUOTED, SENT, NEW_YORK, day_first=False)
    assert moment.start.isoformat() == f"2026-11-{day}T13:30:00-05:00"
    assert moment.end is not None and moment.end - moment.start == timedelta(minutes=45)


def test_the_clock_is_the_slots_own_across_a_dst_change() -> None:
    quoted = "Hi Jordan, confirmed for Friday, October 30 at 10:00 AM Eastern.\n"
    sent = datetime(2026, 10, 28, 9, 0, tzinfo=timezone(timedelta(hours=-4)))
    (moment,) = same_time_moments("Monday, same time?", quoted, sent, NEW_YORK, day_first=False)
    assert moment.start.isoformat() == "2026-11-02T10:00:00-05:00"


@pytest.mark.parametrize(
    "text",
    ["At the same time, we are growing the team.", "Same time works for me.", "Thanks!"],
)
def test_same_time_without_a_day_names_no_slot(text: str) -> None:
    assert same_time_moments(text, QUOTED, SENT, NEW_YORK, day_first=False) == []


def test_without_a_quoted_slot_nothing_is_taken() -> None:
    quoted = "On Fri, Nov 6, 2026 at 4:10 PM Maya Chen <maya.chen@acme.example> wrote:\nHi!\n"
    assert same_time_moments("Thursday, same time?", quoted, SENT, NEW_YORK, day_first=False) == []


@pytest.mark.parametrize(
    "line",
    [
        "On Fri, Nov 6, 2026 at 4:10 PM Maya Chen <maya.chen@acme.example> wrote:",
        "Am 06.11.2026 um 16:10 schrieb Maya Chen <maya.chen@acme.example>:",
        "Le ven. 6 nov. 2026 à 16:10, Maya Chen <maya.chen@acme.example> a écrit :",
        "Sent: Friday, November 6, 2026 4:10 PM",
    ],
)
def test_quote_headers_are_no_slots(line: str) -> None:
    assert is_quote_header(line)
    assert not is_quote_header("Your interview is on Friday, November 6 at 4:10 PM.")


def test_a_reply_that_moves_the_interview_to_another_day_same_time() -> None:
    header, slot = QUOTED.splitlines()
    body = (
        "Hi Jordan,\n\nThe panel is short one person on Tuesday, so we need to move your case "
        "interview to Thursday, same time. The Zoom link stays the same.\n\nMaya\n\n"
        f"{header}\n> {slot}\n"
    )
    raw = mail(
        body,
        subject="Re: Case interview - Data Analyst",
        sender="Maya Chen <maya.chen@acme.example>",
        date="Mon, 9 Nov 2026 09:00:00 -0500",
    )
    result = classify_email(raw)
    assert result.kind.value == "rescheduled"
    assert result.start is not None and result.start.isoformat() == "2026-11-12T13:30:00-05:00"


@pytest.mark.parametrize("word", ["tmrw", "tmr", "2moro"])
def test_tomorrow_as_typed_on_a_phone(word: str) -> None:
    raw = mail(
        f"ok great - {word} 4pm eastern, I'll call your cell. won't take long\n\nMaya\n\n"
        "> On Nov 9, 2026, at 8:02 AM, Jordan Avery <jordan.avery@mailbox.example> wrote:\n"
        "> Happy to talk about the analyst role, any time tomorrow works.\n",
        subject="Re: Data Analyst - quick call?",
        sender="Maya Chen <maya.chen@acme.example>",
        date="Mon, 9 Nov 2026 09:00:00 -0500",
    )
    result = classify_email(raw)
    assert result.kind.value == "scheduled"
    assert result.start is not None and result.start.isoformat() == "2026-11-10T16:00:00-05:00"
    assert [p.email for p in result.interviewers] == ["maya.chen@acme.example"]

"""An interview typed by the user (`interview add|edit`): each flag read and checked, then laid
over the record. Pure: plain objects and a time zone."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from daemon import by_hand
from daemon.by_hand import InputError, Typed, added, edited
from daemon.interviews import Interview, Status
from daemon.model import Person

BERLIN = ZoneInfo("Europe/Berlin")
DANA = Person("Dana Lee", "dana@acme.example")
AT_3PM = datetime(2026, 12, 3, 15, 0)  # naive: in the user's zone


def test_a_start_is_a_date_and_a_time_in_the_user_s_zone_unless_it_has_an_offset() -> None:
    assert by_hand.read_start("2026-12-03T15:00") == AT_3PM
    assert by_hand.read_start("2026-12-03 15:00") == AT_3PM
    assert by_hand.read_start("2026-12-03T15:00+00:00").tzinfo is not None
    for wrong in ("2026-12-03", "tomorrow 3pm", "2026-13-03T15:00", ""):
        with pytest.raises(InputError):
            by_hand.read_start(wrong)
    interview = added(Typed(company="Acme", start=AT_3PM), BERLIN)
    assert interview.start == datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
    given = by_hand.read_start("2026-12-03T15:00+00:00")
    assert added(Typed(company="Acme", start=given), BERLIN).start == datetime(
        2026, 12, 3, 15, 0, tzinfo=UTC
    )


def test_an_end_is_a_time_that_day_a_date_and_time_or_a_duration() -> None:
    assert by_hand.read_end("16:15") == time(16, 15)
    assert by_hand.read_end("9:30") == time(9, 30)
    assert by_hand.read_end("2026-12-03T16:15") == datetime(2026, 12, 3, 16, 15)
    assert by_hand.read_duration("45m") == timedelta(minutes=45)
    assert by_hand.read_duration("1h30m") == timedelta(minutes=90)
    for wrong in ("0m", "2d", "soon", "5 business days"):
        with pytest.raises(InputError):
            by_hand.read_duration(wrong)
    with pytest.raises(InputError):
        by_hand.read_end("25:00")
    end_at = added(Typed(company="Acme", start=AT_3PM, end=time(16, 15)), BERLIN).end
    assert end_at == datetime(2026, 12, 3, 15, 15, tzinfo=UTC)
    lasting = added(Typed(company="Acme", start=AT_3PM, duration=timedelta(minutes=45)), BERLIN)
    assert lasting.end == datetime(2026, 12, 3, 14, 45, tzinfo=UTC)
    assert added(Typed(company="Acme", start=AT_3PM), BERLIN).end is None  # the plan assumes 1h


def test_an_end_not_after_the_start_or_a_day_later_is_refused() -> None:
    with pytest.raises(InputError, match=r"would end .* before it starts"):
        added(Typed(company="Acme", start=AT_3PM, end=time(14, 0)), BERLIN)
    with pytest.raises(InputError, match="before it starts"):
        added(Typed(company="Acme", start=AT_3PM, end=time(15, 0)), BERLIN)
    with pytest.raises(InputError, match="at most 1d"):
        added(Typed(company="Acme", start=AT_3PM, end=datetime(2026, 12, 5, 9, 0)), BERLIN)


def test_a_local_time_the_clocks_skip_is_refused() -> None:
    skipped = datetime(2026, 3, 29, 2, 30)  # Berlin goes from 02:00 to 03:00 that night
    with pytest.raises(InputError, match="does not exist in Europe/Berlin"):
        added(Typed(company="Acme", start=skipped), BERLIN)


def test_interviewers_are_a_name_and_an_address_or_an_address() -> None:
    assert by_hand.read_person("Dana Lee <dana@acme.example>") == DANA
    assert by_hand.read_person('"Lee, Dana" <dana@acme.example>') == Person(
        "Lee, Dana", "dana@acme.example"
    )
    assert by_hand.read_person("dana@acme.example") == Person(None, "dana@acme.example")
    for wrong in ("Dana Lee", "Dana <dana@>", "dana@acme", "Dana Lee dana@acme.example",
                  "Dana <dana@acme.example>\nBcc: x@y.example"):  # fmt: skip
        with pytest.raises(InputError, match=r"expected 'Name <name@company\.example>'"):
            by_hand.read_person(wrong)


def test_urls_and_text() -> None:
    assert by_hand.read_url("https://meet.example/abc") == "https://meet.example/abc"
    assert by_hand.read_url("") == ""
    for wrong in ("meet.example/abc", "javascript:alert(1)", "https://", "https://a b.example"):
        with pytest.raises(InputError):
            by_hand.read_url(wrong)
    assert by_hand.read_text("  Room 4, 2nd floor ") == "Room 4, 2nd floor"
    with pytest.raises(InputError):
        by_hand.read_text("two\nlines")
    with pytest.raises(InputError):
        by_hand.read_name("  ")


def test_an_added_interview_is_scheduled_and_what_was_given_is_corrected() -> None:
    with pytest.raises(InputError, match="--company"):
        added(Typed(start=AT_3PM), BERLIN)
    with pytest.raises(InputError, match="--start"):
        added(Typed(company="Acme"), BERLIN)
    interview = added(
        Typed(company="Acme", role="Data Engineer", start=AT_3PM, interviewers=(DANA,),
              meeting_url="https://meet.example/x", thread_id=7),
        BERLIN,
    )  # fmt: skip
    assert interview.id is None and interview.status is Status.SCHEDULED
    assert interview.interviewers == (DANA,) and interview.thread_id == 7
    assert interview.corrected == {"company", "role", "time", "interviewers", "meeting_url"}


DETECTED = Interview(
    id=3,
    status=Status.SCHEDULED,
    company="Greenhouse",
    role="Data Engineer",
    start=datetime(2026, 12, 3, 13, 0, tzinfo=UTC),
    end=datetime(2026, 12, 3, 13, 45, tzinfo=UTC),
    interviewers=(Person("Recruiting Team", "jobs@acme.example"),),
    location="Berlin office",
    thread_id=2,
    uid="evt-1",
)


def test_an_edit_sets_what_is_given_and_keeps_the_rest() -> None:
    fixed = edited(DETECTED, Typed(company="Acme", start=AT_3PM, interviewers=(DANA,)), BERLIN)
    assert fixed.company == "Acme" and fixed.interviewers == (DANA,)
    assert fixed.start == datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
    assert fixed.end == datetime(2026, 12, 3, 14, 45, tzinfo=UTC)  # the length is kept
    assert (fixed.role, fixed.location, fixed.uid, fixed.thread_id) == (
        "Data Engineer", "Berlin office", "evt-1", 2,
    )  # fmt: skip
    assert fixed.corrected == {"company", "time", "interviewers"}
    later = edited(fixed, Typed(role="", location=""), BERLIN)
    assert later.role is None and later.location is None
    assert later.corrected == {"company", "time", "interviewers", "role", "location"}


def test_an_edit_needs_something_to_change_and_a_start_for_an_end() -> None:
    with pytest.raises(InputError, match="nothing to change"):
        edited(DETECTED, Typed(), BERLIN)
    invited = Interview(id=4, status=Status.INVITED, company="Acme")
    with pytest.raises(InputError, match="need a start"):
        edited(invited, Typed(duration=timedelta(minutes=30)), BERLIN)
    timed = edited(invited, Typed(start=AT_3PM), BERLIN)
    assert timed.status is Status.SCHEDULED and timed.end is None


def test_a_new_time_for_a_cancelled_interview_says_it_takes_place() -> None:
    cancelled = Interview(id=5, status=Status.CANCELLED, company="Acme",
                          start=datetime(2026, 12, 1, 9, 0, tzinfo=UTC))  # fmt: skip
    assert edited(cancelled, Typed(start=AT_3PM), BERLIN).status is Status.SCHEDULED
    assert edited(cancelled, Typed(role="SRE"), BERLIN).status is Status.CANCELLED

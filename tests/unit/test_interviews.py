"""Merging sightings into one interview record: pure decisions, plain objects."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from daemon.interviews import (
    CalendarEntry,
    Interview,
    Sighting,
    Status,
    merge,
    removed_events,
)
from daemon.model import Detection, Kind, Person

START = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
DANA = Person("Dana Lee", "dana.lee@lumen.example")
OMAR = Person("Omar Haddad", "omar@lumen.example")


def seen(
    kind: Kind,
    *,
    thread: int | None = 1,
    uid: str | None = None,
    sequence: int = 0,
    start: datetime | None = START,
    company: str | None = "Lumen Labs",
    people: tuple[Person, ...] = (DANA,),
) -> Sighting:
    detection = Detection(
        kind,
        company=company,
        start=start,
        interviewers=people,
        uid=uid,
        end=start + timedelta(hours=1) if start else None,
    )
    return Sighting(detection, f"test:{kind}:{uid}:{start}", thread, sequence)


def saved(change_interview: Interview, id_: int = 1) -> Interview:
    return replace(change_interview, id=id_)


def test_nothing_about_an_interview_changes_nothing() -> None:
    assert merge([], seen(Kind.NONE)) is None


def test_a_first_sighting_is_a_new_record() -> None:
    change = merge([], seen(Kind.SCHEDULED))
    assert change is not None and change.what == "new"
    assert change.interview.status is Status.SCHEDULED and change.interview.start == START


def test_an_invitation_has_no_time_even_when_slots_were_read() -> None:
    change = merge([], seen(Kind.INVITATION))
    assert change is not None
    assert change.interview.status is Status.INVITED and change.interview.start is None


def test_the_confirmation_after_an_invitation_fixes_the_same_interview() -> None:
    invited = saved(merge([], seen(Kind.INVITATION)).interview)  # type: ignore[union-attr]
    change = merge([invited], seen(Kind.SCHEDULED))
    assert change is not None and change.interview.id == 1
    assert change.interview.status is Status.SCHEDULED and change.interview.start == START


def test_the_calendar_event_for_an_emailed_invite_is_the_same_interview() -> None:
    by_mail = saved(merge([], seen(Kind.SCHEDULED, people=(DANA,))).interview)  # type: ignore[union-attr]
    event = seen(Kind.SCHEDULED, thread=None, uid="evt-1", people=(DANA, OMAR))
    change = merge([by_mail], event)
    assert change is not None and change.interview.id == 1 and change.what == "updated"
    assert change.interview.interviewers == (DANA, OMAR)
    assert change.interview.uid == "evt-1"


def test_a_reschedule_in_the_thread_moves_the_interview_and_keeps_its_length() -> None:
    first = saved(merge([], seen(Kind.SCHEDULED)).interview)  # type: ignore[union-attr]
    moved = Sighting(Detection(Kind.RESCHEDULED, start=START + timedelta(days=1)), "m2", 1)
    change = merge([first], moved)
    assert change is not None and change.what == "rescheduled" and change.interview.id == 1
    assert change.interview.start == START + timedelta(days=1)
    assert change.interview.end == START + timedelta(days=1, hours=1)


def test_a_lower_sequence_of_a_known_event_is_stale() -> None:
    current = saved(merge([], seen(Kind.SCHEDULED, uid="u", sequence=2)).interview)  # type: ignore[union-attr]
    change = merge([current], seen(Kind.SCHEDULED, uid="u", sequence=1, start=START - timedelta(1)))
    assert change is not None and change.what == "stale" and change.interview == current


def test_a_cancellation_without_a_time_cancels_the_thread_s_interview() -> None:
    first = saved(merge([], seen(Kind.SCHEDULED)).interview)  # type: ignore[union-attr]
    change = merge([first], seen(Kind.CANCELLED, start=None))
    assert change is not None and change.what == "cancelled" and change.interview.id == 1
    assert change.interview.start == START  # the slot that was called off stays known


def test_a_cancellation_from_outside_the_thread_needs_one_live_interview_there() -> None:
    first = saved(merge([], seen(Kind.SCHEDULED)).interview)  # type: ignore[union-attr]
    other = saved(replace(first, company="Other Co", thread_id=2), 2)
    change = merge(
        [first, other], seen(Kind.CANCELLED, thread=9, start=None, company="Lumen Labs Inc")
    )
    assert change is not None and change.interview.id == 1 and change.what == "cancelled"
    second_lumen = saved(replace(first, thread_id=3, start=START + timedelta(days=7)), 3)
    change = merge([first, second_lumen], seen(Kind.CANCELLED, thread=9, start=None))
    assert change is not None and change.what == "new"  # ambiguous: recorded, nothing cancelled


def test_another_round_in_the_same_thread_is_its_own_interview() -> None:
    first = saved(merge([], seen(Kind.SCHEDULED)).interview)  # type: ignore[union-attr]
    change = merge([first], seen(Kind.SCHEDULED, start=START + timedelta(days=10)))
    assert change is not None and change.what == "new"


def test_the_same_message_twice_is_unchanged() -> None:
    first = saved(merge([], seen(Kind.SCHEDULED)).interview)  # type: ignore[union-attr]
    change = merge([first], seen(Kind.SCHEDULED))
    assert change is not None and change.what == "unchanged"


def corrected_by_hand() -> Interview:
    """The calendar's event, read wrong (a two-hour shift, the ATS as the company, the
    recruiter as the interviewer), then corrected by the user."""
    event = seen(Kind.SCHEDULED, thread=None, uid="evt-1", start=START - timedelta(hours=2),
                 company="Greenhouse", people=(OMAR,))  # fmt: skip
    detected = saved(merge([], event).interview)  # type: ignore[union-attr]
    return replace(
        detected, company="Lumen Labs", start=START, end=START + timedelta(minutes=45),
        interviewers=(DANA,), corrected=frozenset({"company", "time", "interviewers"}),
    )  # fmt: skip


def test_a_later_sighting_of_the_same_event_keeps_what_the_user_corrected() -> None:
    fixed = corrected_by_hand()
    again = seen(Kind.SCHEDULED, thread=None, uid="evt-1", start=START - timedelta(hours=2),
                 company="Greenhouse", people=(OMAR,))  # fmt: skip
    change = merge([fixed], again)
    assert change is not None and change.what == "unchanged" and change.interview == fixed
    assert change.kept == ("interviewers", "time")  # the company was not overwritten anyway
    # What the user did not correct still comes in: the role, a meeting link.
    detail = Detection(Kind.SCHEDULED, role="Data Engineer", start=START - timedelta(hours=2),
                       meeting_url="https://meet.example/x", uid="evt-1")  # fmt: skip
    change = merge([fixed], Sighting(detail, "calendar:work|evt-1|", None, 1))
    assert change is not None and change.what == "updated"
    assert change.interview.role == "Data Engineer"
    assert change.interview.meeting_url == "https://meet.example/x"
    assert change.interview.start == START and change.interview.interviewers == (DANA,)


def test_a_reschedule_does_not_move_a_time_set_by_hand_but_a_cancellation_cancels() -> None:
    fixed = corrected_by_hand()
    moved = Sighting(Detection(Kind.RESCHEDULED, start=START + timedelta(days=1), uid="evt-1"),
                     "m2", None, 2)  # fmt: skip
    change = merge([fixed], moved)
    assert change is not None and change.what != "rescheduled" and change.kept == ("time",)
    assert change.interview.start == START
    change = merge([fixed], Sighting(Detection(Kind.CANCELLED, uid="evt-1"), "m3", None, 3))
    assert change is not None and change.what == "cancelled"
    assert change.interview.status is Status.CANCELLED and change.interview.start == START


NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
WINDOW_END = NOW + timedelta(days=365)


def _entry(key: str, days: float | None, href: str | None = None) -> CalendarEntry:
    return CalendarEntry(key, href, None if days is None else NOW + timedelta(days=days))


def test_an_upcoming_event_missing_from_a_full_read_was_removed() -> None:
    before = [_entry("a", 3), _entry("b", 5), _entry("c", -2), _entry("d", None)]
    gone = removed_events(before, ["b", "x"], None, NOW, WINDOW_END)
    # "c" is over (it left the window's past end), "d" has no known time: neither counts.
    assert [entry.key for entry in gone] == ["a"]


def test_an_empty_full_read_removes_nothing() -> None:
    # An ICS feed that serves an empty calendar once must not cancel everything in it.
    assert removed_events([_entry("a", 3)], [], None, NOW, WINDOW_END) == []


def test_a_partial_read_removes_only_what_its_re_read_objects_no_longer_hold() -> None:
    before = [_entry("a", 3, "/cal/a.ics"), _entry("b", 4, "/cal/b.ics")]
    gone = removed_events(before, [], ["/cal/a.ics"], NOW, WINDOW_END)
    assert [entry.key for entry in gone] == ["a"]


def test_an_event_past_the_window_s_end_may_have_moved_out_of_it() -> None:
    assert removed_events([_entry("a", 400)], ["b"], None, NOW, WINDOW_END) == []

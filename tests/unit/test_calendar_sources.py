"""Calendar items from ICS data: repetitions expanded in a window, time zones kept, caps hold."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from daemon import calendars
from daemon.calendars import CalendarItem, CalendarRead, occurrences
from daemon.calendars.items import Window
from daemon.calendars.sources import count_events
from daemon.config import IcsFileCalendar
from daemon.detect import ics
from daemon.errors import PermanentError

MARCH = datetime(2026, 3, 1, tzinfo=UTC)
JUNE = datetime(2026, 6, 1, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
BERLIN_VTIMEZONE = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
"""
# As Outlook writes it: a Windows zone name, defined by a VTIMEZONE starting in 1601.
OUTLOOK_VTIMEZONE = """BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
"""


def event(uid: str, *lines: str) -> str:
    return "BEGIN:VEVENT\nUID:{}\nDTSTAMP:20260201T090000Z\n{}\nEND:VEVENT\n".format(
        uid, "\n".join(lines)
    )


def calendar(*parts: str, header: str = "") -> str:
    head = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//afterview//tests//EN\n" + header
    return head + "".join(parts) + "END:VCALENDAR\n"


def read_text(
    tmp_path: Path,
    text: str,
    *,
    start: datetime = MARCH,
    end: datetime = JUNE,
    validators: Mapping[str, str] | None = None,
) -> CalendarRead:
    path = tmp_path / "work.ics"
    path.write_bytes(text.replace("\n", "\r\n").encode())
    return read_path(path, start=start, end=end, validators=validators)


def read_path(
    path: Path,
    *,
    start: datetime = MARCH,
    end: datetime = JUNE,
    validators: Mapping[str, str] | None = None,
) -> CalendarRead:
    source = IcsFileCalendar(path=path)
    return calendars.read(source, window_start=start, window_end=end, validators=validators)


def only_event(item: CalendarItem) -> icalendar.Event:
    [parsed] = icalendar.Calendar.from_ical(item.data, multiple=True)
    [vevent] = parsed.walk("VEVENT")
    return vevent


def starts(read: CalendarRead, uid: str) -> list[datetime]:
    return [only_event(item).decoded("DTSTART") for item in read.items if item.uid == uid]


# -- Expansion ----------------------------------------------------------------------------------


def test_weekly_series_with_exdate_and_a_moved_occurrence(tmp_path: Path) -> None:
    text = calendar(
        BERLIN_VTIMEZONE,
        event(
            "weekly@example.test",
            "DTSTART;TZID=Europe/Berlin:20260302T100000",
            "DTEND;TZID=Europe/Berlin:20260302T110000",
            "RRULE:FREQ=WEEKLY;COUNT=6",
            "EXDATE;TZID=Europe/Berlin:20260309T100000",
            "SUMMARY:Weekly sync",
        ),
        event(
            "weekly@example.test",
            "RECURRENCE-ID;TZID=Europe/Berlin:20260316T100000",
            "DTSTART;TZID=Europe/Berlin:20260317T150000",
            "DTEND;TZID=Europe/Berlin:20260317T160000",
            "SEQUENCE:1",
            "SUMMARY:Weekly sync (moved)",
        ),
    )
    read = read_text(tmp_path, text)

    assert read.problems == () and not read.unchanged and read.changed_hrefs is None
    assert [item.recurrence_id for item in read.items] == [
        "2026-03-02T09:00:00Z",
        "2026-03-16T09:00:00Z",
        "2026-03-23T09:00:00Z",
        "2026-03-30T08:00:00Z",  # summer time from March 29th: still 10:00 in Berlin
        "2026-04-06T08:00:00Z",
    ]
    assert starts(read, "weekly@example.test") == [
        datetime(2026, 3, 2, 10, tzinfo=BERLIN),
        datetime(2026, 3, 17, 15, tzinfo=BERLIN),
        datetime(2026, 3, 23, 10, tzinfo=BERLIN),
        datetime(2026, 3, 30, 10, tzinfo=BERLIN),
        datetime(2026, 4, 6, 10, tzinfo=BERLIN),
    ]
    moved = read.items[1]
    assert only_event(moved)["SUMMARY"] == "Weekly sync (moved)"
    assert moved.sequence == 1 and moved.href is None
    assert moved.source == f"ics_file {tmp_path / 'work.ics'}"
    # Each item is a whole calendar of its own: the VTIMEZONE it uses, no repetition rules.
    [parsed] = icalendar.Calendar.from_ical(moved.data, multiple=True)
    assert [c.name for c in parsed.subcomponents] == ["VTIMEZONE", "VEVENT"]
    assert "RRULE" not in only_event(moved) and "EXDATE" not in only_event(moved)
    # The detector reads it like an emailed invitation.
    [seen] = ics.read(moved.data).events
    assert (seen.uid, seen.start) == ("weekly@example.test", datetime(2026, 3, 17, 14, tzinfo=UTC))


def test_single_events_pass_unchanged_and_outside_the_window_are_dropped(tmp_path: Path) -> None:
    text = calendar(
        event("in@example.test", "DTSTART:20260305T100000Z", "SUMMARY:Interview with Acme"),
        event("before@example.test", "DTSTART:20260105T100000Z", "DTEND:20260105T110000Z"),
        event("after@example.test", "DTSTART:20260705T100000Z"),
        event("spans@example.test", "DTSTART;VALUE=DATE:20260220", "DTEND;VALUE=DATE:20260310"),
        event("ended@example.test", "DTSTART:20150105T100000Z", "RRULE:FREQ=DAILY;UNTIL=20200101"),
        header="METHOD:REQUEST\n",
    )
    read = read_text(tmp_path, text)

    assert [item.uid for item in read.items] == ["in@example.test", "spans@example.test"]
    assert read.problems == ()
    single = read.items[0]
    assert single.recurrence_id is None
    assert b"METHOD:REQUEST\r\n" in single.data
    assert "RECURRENCE-ID" not in only_event(single)


def test_all_day_events_and_a_yearly_all_day_series(tmp_path: Path) -> None:
    text = calendar(
        event("day@example.test", "DTSTART;VALUE=DATE:20260410", "SUMMARY:Onsite day"),
        event(
            "birthday@example.test",
            "DTSTART;VALUE=DATE:19900415",
            "RRULE:FREQ=YEARLY",
            "SUMMARY:Birthday",
        ),
    )
    read = read_text(tmp_path, text)

    assert starts(read, "day@example.test") == [date(2026, 4, 10)]
    assert starts(read, "birthday@example.test") == [date(2026, 4, 15)]
    birthday = next(item for item in read.items if item.uid == "birthday@example.test")
    assert birthday.recurrence_id == "2026-04-15"
    assert b"DTSTART;VALUE=DATE:20260415" in birthday.data


def test_floating_times_count_near_the_edges_and_keep_no_zone(tmp_path: Path) -> None:
    # 23:00 local on the day before the window may well be inside it for a user east of UTC.
    text = calendar(
        event("late@example.test", "DTSTART:20260228T230000", "DTEND:20260228T233000"),
        event("series@example.test", "DTSTART:20260301T090000", "RRULE:FREQ=DAILY;COUNT=2"),
        event("early@example.test", "DTSTART:20260226T090000", "DTEND:20260226T100000"),
    )
    read = read_text(tmp_path, text)

    assert [item.uid for item in read.items] == [
        "late@example.test",
        "series@example.test",
        "series@example.test",
    ]
    assert [item.recurrence_id for item in read.items[1:]] == [
        "2026-03-01T09:00:00",
        "2026-03-02T09:00:00",
    ]
    assert starts(read, "series@example.test")[0] == datetime(2026, 3, 1, 9)


def test_outlook_windows_zone_names_with_and_without_a_vtimezone(tmp_path: Path) -> None:
    text = calendar(
        OUTLOOK_VTIMEZONE,
        event(
            "outlook@example.test",
            "DTSTART;TZID=W. Europe Standard Time:20260302T143000",
            "DTEND;TZID=W. Europe Standard Time:20260302T153000",
            "RRULE:FREQ=WEEKLY;COUNT=5",
        ),
        event(
            "pacific@example.test",
            'DTSTART;TZID="Pacific Standard Time":20260310T090000',
            'DTEND;TZID="Pacific Standard Time":20260310T100000',
        ),
        header="METHOD:REQUEST\n",
    )
    read = read_text(tmp_path, text)

    assert read.problems == ()
    outlook = [item for item in read.items if item.uid == "outlook@example.test"]
    assert [item.recurrence_id for item in outlook] == [
        "2026-03-02T13:30:00Z",
        "2026-03-09T13:30:00Z",
        "2026-03-16T13:30:00Z",
        "2026-03-23T13:30:00Z",
        "2026-03-30T12:30:00Z",  # the VTIMEZONE's summer time, as Berlin's
    ]
    assert b"TZID:W. Europe Standard Time" in outlook[0].data
    [seen] = ics.read(outlook[4].data).events
    assert seen.start == datetime(2026, 3, 30, 12, 30, tzinfo=UTC)
    # No VTIMEZONE in the source: one is made for the zone the name stands for.
    [pacific] = [item for item in read.items if item.uid == "pacific@example.test"]
    assert b"BEGIN:VTIMEZONE\r\nTZID:Pacific Standard Time" in pacific.data
    assert only_event(pacific).decoded("DTSTART") == datetime(
        2026, 3, 10, 16, tzinfo=UTC
    )  # PDT, since March 8th


def test_google_x_wr_timezone_keeps_local_time_across_summer_time(tmp_path: Path) -> None:
    # Google writes a weekly 10:00 New York meeting in UTC and names the zone in X-WR-TIMEZONE.
    text = calendar(
        event(
            "google@example.test",
            "DTSTART:20260302T150000Z",
            "DTEND:20260302T160000Z",
            "RRULE:FREQ=WEEKLY;COUNT=3",
        ),
        header="X-WR-TIMEZONE:America/New_York\n",
    )
    read = read_text(tmp_path, text)

    new_york = ZoneInfo("America/New_York")
    assert starts(read, "google@example.test") == [
        datetime(2026, 3, d, 10, tzinfo=new_york) for d in (2, 9, 16)
    ]
    assert [item.recurrence_id for item in read.items] == [
        "2026-03-02T15:00:00Z",
        "2026-03-09T14:00:00Z",
        "2026-03-16T14:00:00Z",
    ]
    assert b"BEGIN:VTIMEZONE\r\nTZID:America/New_York" in read.items[0].data
    assert b"X-WR-TIMEZONE" not in read.items[0].data


def test_method_cancel_is_kept_for_an_event_and_for_one_occurrence(tmp_path: Path) -> None:
    text = calendar(
        event(
            "call@example.test",
            "DTSTART:20260305T100000Z",
            "SEQUENCE:2",
            "STATUS:CANCELLED",
            "SUMMARY:Canceled: Interview with Acme",
        ),
        event(
            "series@example.test",
            "RECURRENCE-ID:20260312T100000Z",
            "DTSTART:20260312T100000Z",
            "SEQUENCE:1",
            "STATUS:CANCELLED",
        ),
        header="METHOD:CANCEL\n",
    )
    read = read_text(tmp_path, text)

    call, occurrence = read.items
    assert (call.uid, call.sequence, call.recurrence_id) == ("call@example.test", 2, None)
    assert occurrence.recurrence_id == "2026-03-12T10:00:00Z"
    for item in read.items:
        assert b"METHOD:CANCEL\r\n" in item.data
        assert only_event(item)["STATUS"] == "CANCELLED"


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1", [(3, 27), (4, 24), (5, 29)]),  # Outlook's last Friday
        ("FREQ=MONTHLY;BYDAY=2TU", [(3, 10), (4, 14), (5, 12)]),
        ("FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", [(3, 29)]),
        ("FREQ=MONTHLY;BYMONTHDAY=31", [(3, 31), (5, 31)]),
        ("FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO", [(5, 11)]),
        ("FREQ=DAILY;COUNT=3;UNTIL=20261231T000000Z", [(1, 5), (1, 6), (1, 7)]),  # by its COUNT
    ],
)
def test_recurrence_shapes_calendars_write(
    tmp_path: Path, rule: str, expected: list[tuple[int, int]]
) -> None:
    text = calendar(event("rule@example.test", "DTSTART:20260105T100000Z", f"RRULE:{rule}"))
    start = datetime(2026, 1, 1, tzinfo=UTC) if "COUNT" in rule else MARCH
    read = read_text(tmp_path, text, start=start)

    assert read.problems == ()
    assert [(s.month, s.day) for s in starts(read, "rule@example.test")] == expected


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "asks for days that the months it names lack"),
        ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=9", "picks a position that not every period has"),
        ("FREQ=MONTHLY;BYDAY=6FR", "asks for an nth weekday that not every period has"),
        ("FREQ=DAILY;INTERVAL=7;BYDAY=TU", "steps over the weekdays it asks for"),
        ("FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13", "asks for a weekday on given days of the month"),
        ("FREQ=HOURLY;BYDAY=MO", "filters the days of a rule that repeats within a day"),
        ("FREQ=FORTNIGHTLY", "cannot be read"),
        ("FREQ=DAILY;INTERVAL=0", "has an INTERVAL that is not a positive number"),
    ],
)
def test_rules_that_could_walk_to_the_year_9999_are_refused(
    tmp_path: Path, rule: str, reason: str
) -> None:
    text = calendar(
        event("odd@example.test", "DTSTART:20260105T100000Z", f"RRULE:{rule}"),
        event("plain@example.test", "DTSTART:20260305T100000Z"),
    )
    read = read_text(tmp_path, text)

    assert [item.uid for item in read.items] == ["plain@example.test"]
    [problem] = read.problems
    assert problem.startswith("event 'odd@example.test': RRULE") and reason in problem


def test_a_hostile_calendar_finishes_within_its_caps(tmp_path: Path) -> None:
    kinds = [
        "DTSTART:20260101T100000Z\nRRULE:FREQ=DAILY",  # no end: 92 in the window
        "DTSTART:19700101T000000Z\nRRULE:FREQ=SECONDLY",  # no end, since 1970
        "DTSTART:20260101T100000Z\nRRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
        "DTSTART:99991231T230000Z\nDURATION:PT2H\nRRULE:FREQ=DAILY",  # the year 9999
        "DTSTART;TZID=Mars/Olympus:20260310T100000",
        "SUMMARY:no start",
        "DTSTART:20260310T100000Z",
    ]
    events = [event(f"e{n}", kinds[n % len(kinds)]) for n in range(10_000)]
    read = read_text(tmp_path, calendar(*events))

    assert len(read.items) == occurrences.MAX_ITEMS
    assert len(read.problems) <= occurrences.MAX_PROBLEMS + 1
    problems = "\n".join(read.problems)
    assert "event 'e4' and 1427 more events: unknown time zone 'Mars/Olympus'" in problems
    assert "event 'e5' and 1427 more events: no readable DTSTART; skipped" in problems
    # Single events come first; then the series, each checked before it is expanded, until the
    # items run out: the daily ones give 92 each, the rest are refused or (9999) start too late.
    assert sum(item.recurrence_id is None for item in read.items) == 2 * 1428
    assert "event 'e1' and 22 more events: repeats more than 50000 times" in problems
    assert "event 'e2' and 22 more events: RRULE:FREQ=DAILY;BYMONTHDAY=30;BYMONTH=2" in problems
    assert problems.endswith("\n5687 events or occurrences left out: 5000 at most")


def test_an_event_repeating_too_often_is_capped(tmp_path: Path) -> None:
    text = calendar(event("hourly@example.test", "DTSTART:20260101T000000Z", "RRULE:FREQ=HOURLY"))
    read = read_text(tmp_path, text)

    assert len(read.items) == occurrences.MAX_OCCURRENCES
    assert read.items[0].recurrence_id == "2026-03-01T00:00:00Z"
    assert read.items[-1].recurrence_id == "2026-03-21T19:00:00Z"
    assert read.problems == (
        "event 'hourly@example.test': repeats too often; only the occurrences until "
        "2026-03-21 are read",
    )


def test_bad_events_are_problems_and_the_rest_still_count(tmp_path: Path) -> None:
    text = calendar(
        event("nostart@example.test", "SUMMARY:Interview, time to be confirmed"),
        event("garbled@example.test", "DTSTART:2026030", "RRULE:FREQ=DAILY"),
        event("badrule@example.test", "DTSTART:20260305T100000Z", "RRULE:FREQ=DAILY;INTERVAL=x"),
        "BEGIN:VEVENT\nDTSTART:20260305T100000Z\nSUMMARY:no uid\nEND:VEVENT\n",
        event("good@example.test", "DTSTART:20260305T100000Z"),
    )
    read = read_text(tmp_path, text)

    assert [item.uid for item in read.items] == ["good@example.test"]
    assert read.problems == (
        "event: an event without UID; skipped",
        "event 'nostart@example.test' and 1 more events: no readable DTSTART; skipped",
        "event 'badrule@example.test': RRULE 'FREQ=DAILY;INTERVAL=x' cannot be read; skipped",
    )


def test_a_file_that_is_not_icalendar_fails_and_an_empty_one_is_empty(tmp_path: Path) -> None:
    with pytest.raises(PermanentError, match="is not an iCalendar file"):
        read_text(tmp_path, "<html><body>Please log in</body></html>\n")
    assert read_text(tmp_path, "").items == ()
    with pytest.raises(PermanentError, match="cannot read"):
        read_path(tmp_path / "missing.ics")


# -- File validators ----------------------------------------------------------------------------


def test_an_unchanged_file_is_not_read_again(tmp_path: Path) -> None:
    path = tmp_path / "work.ics"
    path.write_text(calendar(event("a@example.test", "DTSTART:20260305T100000Z")))
    first = read_path(path)
    assert first.validators["window"] == "2026-03-01T00:00:00+00:00/2026-06-01T00:00:00+00:00"
    assert set(first.validators) == {"window", "mtime_ns", "size", "sha256"}

    # A window inside the last one, as a sliding window gives during the day: nothing to do.
    inside = {"start": MARCH + timedelta(hours=5), "end": JUNE - timedelta(hours=3)}
    later = read_path(path, **inside, validators=first.validators)
    assert later.unchanged and later.items == () and later.validators == first.validators

    # Touched but not changed: still unchanged, with the new modification time to compare.
    stamp = path.stat().st_mtime_ns + 1_000_000_000
    os.utime(path, ns=(stamp, stamp))
    touched = read_path(path, validators=first.validators)
    assert touched.unchanged and touched.validators["mtime_ns"] == str(stamp)


def test_a_changed_file_or_a_wider_window_reads_again(tmp_path: Path) -> None:
    path = tmp_path / "work.ics"
    path.write_text(calendar(event("a@example.test", "DTSTART:20260305T100000Z")))
    first = read_path(path)

    path.write_text(calendar(event("a@example.test", "DTSTART:20260306T100000Z", "SEQUENCE:1")))
    changed = read_path(path, validators=first.validators)
    assert not changed.unchanged and [item.sequence for item in changed.items] == [1]

    # The next day's window reaches one day further: events may have entered it.
    wider = read_path(path, end=JUNE + timedelta(days=1), validators=changed.validators)
    assert not wider.unchanged and len(wider.items) == 1
    assert wider.validators["window"].endswith("/2026-06-02T00:00:00+00:00")

    # Validators from elsewhere or damaged are as good as none.
    assert not read_path(path, validators={"window": "yesterday"}).unchanged


def test_a_rule_until_the_year_9999_repeats_and_one_starting_then_is_left_alone(
    tmp_path: Path,
) -> None:
    text = calendar(
        event(
            "forever@example.test",
            "DTSTART:20260105T100000Z",
            "RRULE:FREQ=WEEKLY;UNTIL=99991231T235959Z",
        ),
        event(
            "late@example.test", "DTSTART;TZID=America/New_York:99991231T230000", "RRULE:FREQ=DAILY"
        ),
        event("late-once@example.test", "DTSTART;TZID=America/New_York:99991231T230000"),
    )
    read = read_text(tmp_path, text)

    assert read.problems == ()
    assert {item.uid for item in read.items} == {"forever@example.test"}
    assert len(read.items) == 13  # every Monday from March to May


def test_a_file_of_more_lines_than_any_export_is_refused_unread(tmp_path: Path) -> None:
    text = calendar(event("e@example.test", "DTSTART:20260305T100000Z")) + "\n" * ics.MAX_LINES
    with pytest.raises(PermanentError, match=f"has more than {ics.MAX_LINES} lines"):
        read_text(tmp_path, text)


def test_a_caldav_object_or_a_checked_file_of_too_many_lines_is_not_parsed() -> None:
    flood = b"BEGIN:VCALENDAR\r\n" + b"\r\n" * ics.MAX_LINES + b"END:VCALENDAR\r\n"
    expansion = occurrences.Expansion("caldav", Window(MARCH, JUNE))
    expansion.add_object(flood, "/cal/flood.ics")
    assert expansion.result({}).problems == (
        f"/cal/flood.ics: more than {ics.MAX_LINES} lines; skipped",
    )
    with pytest.raises(PermanentError, match=f"has more than {ics.MAX_LINES} lines"):
        count_events(flood, "the calendar at this URL")

"""Which occurrences of a recurring calendar event count as sightings of its interview."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from daemon.calendars import CalendarItem
from daemon.engine import _first_occurrences
from daemon.model import Detection, Kind

NAME = "ics_file /home/carol/work.ics"
FIRST = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


def occurrence(uid: str, day: int | None) -> tuple[CalendarItem, list[Detection]]:
    """An occurrence `day` days after FIRST (None: a single event at FIRST)."""
    start = FIRST + timedelta(days=day or 0)
    rid = None if day is None else start.strftime("%Y-%m-%dT%H:%M:%SZ")
    item = CalendarItem(NAME, uid, rid, 0, b"", None)
    return item, [Detection(Kind.SCHEDULED, start=start, uid=uid)]


def counted(read: list[tuple[CalendarItem, list[Detection]]], known: set[str]) -> list[str]:
    ids = _first_occurrences(NAME, read, lambda prefix: {k for k in known if k.startswith(prefix)})
    return [f"{item.uid}@{item.recurrence_id}" for item, _ in read if id(item) in ids]


def test_a_series_is_one_interview_at_its_earliest_occurrence() -> None:
    read = [occurrence("loop", day) for day in (2, 0, 1)] + [occurrence("single", None)]
    assert counted(read, set()) == ["loop@2026-12-03T15:00:00Z", "single@None"]


def test_a_series_keeps_the_occurrence_it_was_first_seen_as() -> None:
    read = [occurrence("loop", day) for day in (0, 1, 2)]
    known = {f"calendar:{NAME}|loop|2026-12-04T15:00:00Z"}
    assert counted(read, known) == ["loop@2026-12-04T15:00:00Z"]
    # Once that occurrence has left the window, no later one moves the interview.
    assert counted(read[2:], known) == []

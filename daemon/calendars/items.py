"""What a calendar read gives back: one item per event occurrence, and the read window."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

# A floating time or an all-day date means local time somewhere: widen the window by the
# largest offset from UTC on Earth rather than guess the zone.
FLOATING_SLACK = timedelta(hours=14)


@dataclass(frozen=True)
class CalendarItem:
    """One event occurrence, ready for the detector."""

    source: str  # describe(source)
    uid: str
    recurrence_id: str | None  # the occurrence's RECURRENCE-ID (UTC, floating or a date), else None
    sequence: int
    data: bytes  # a VCALENDAR with this one VEVENT, the source's METHOD and the VTIMEZONEs it needs
    href: str | None  # the CalDAV object URL


@dataclass(frozen=True)
class CalendarRead:
    """What one read of a source found.

    `validators` go back into the next `read()`. Keys: `window` (the window the items covered),
    then `mtime_ns`, `size`, `sha256` for a file; `etag`, `last_modified`, `sha256` for an ICS
    URL; `ctag <collection URL>` and `etag <object URL>` for CalDAV.

    `changed_hrefs` is None when `items` are everything the source holds in the window, so what an
    earlier read gave and is missing now is gone. A CalDAV read that could use the earlier etags
    re-reads only the objects that changed: then `changed_hrefs` names the objects that changed,
    appeared or left (deleted, or moved out of the window); the items carrying them replace what
    they gave before, and the earlier items of every other object still stand.
    """

    items: tuple[CalendarItem, ...]
    unchanged: bool  # the source said nothing changed; items empty then
    validators: Mapping[str, str]
    problems: tuple[str, ...]  # events skipped, or read with a stated fallback, and why
    changed_hrefs: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    def key(self) -> str:
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    def covered_by(self, key: str) -> bool:
        """Whether an earlier read over the window `key` already gave every item of this one."""
        try:
            start, end = (datetime.fromisoformat(part) for part in key.split("/"))
            return start <= self.start and self.end <= end
        except (ValueError, TypeError):
            return False

    def holds(self, start: date, end: date) -> bool:
        """Whether an event from `start` to `end` overlaps the window (or starts at its start)."""
        begin, floating = instant(start)
        slack = FLOATING_SLACK if floating else timedelta(0)
        if begin >= self.end + slack:
            return False
        finish = max(instant(end)[0], begin)
        return finish > self.start - slack or begin >= self.start - slack


def unchanged_read(validators: Mapping[str, str]) -> CalendarRead:
    return CalendarRead(items=(), unchanged=True, validators=validators, problems=())


def instant(value: date) -> tuple[datetime, bool]:
    """`value` as an aware UTC datetime, and whether it was local time (floating, or a date).
    A moment whose UTC time falls outside the years 1 to 9999 is held at that end."""
    if isinstance(value, datetime):
        if value.tzinfo is not None and value.utcoffset() is not None:
            try:
                return value.astimezone(UTC), False
            except OverflowError:
                end = datetime.max if value.year > 1 else datetime.min
                return end.replace(tzinfo=UTC), False
        return value.replace(tzinfo=UTC), True
    return datetime(value.year, value.month, value.day, tzinfo=UTC), True


def one_line(text: str) -> str:
    """A reason fit for one log line."""
    return " ".join(text.split())[:200]

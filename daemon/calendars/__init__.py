"""Calendar sources: a local .ics file, an ICS URL, or a CalDAV server (the `caldav` library).

`read()` turns a source into one `CalendarItem` per event occurrence in a time window, each a
small VCALENDAR the detector reads like an emailed invitation. It knows nothing of the store: the
engine keeps the items and hands back the `validators`, so an unchanged source costs one request.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from daemon.calendars.items import CalendarItem, CalendarRead, Window
from daemon.calendars.sources import (
    check_caldav,
    count_events,
    describe,
    get_url,
    read_caldav,
    read_file,
    read_file_bytes,
    read_url,
)
from daemon.config import CalendarSource, IcsFileCalendar, IcsUrlCalendar

__all__ = ["CalendarItem", "CalendarRead", "check", "describe", "read"]


def check(source: CalendarSource) -> str:
    """Reach the source once and say what is there; raise an AfterviewError otherwise."""
    if isinstance(source, IcsFileCalendar):
        return count_events(read_file_bytes(source), str(source.path))
    if isinstance(source, IcsUrlCalendar):
        return count_events(get_url(source, {}).body, source.url)
    return check_caldav(source)


def read(
    source: CalendarSource,
    *,
    window_start: datetime,
    window_end: datetime,
    validators: Mapping[str, str] | None = None,
) -> CalendarRead:
    """The occurrences of the source's events that overlap [window_start, window_end).

    The window is widened to whole days (UTC). With the `validators` of an earlier read whose
    window held this one, an unchanged source gives `unchanged`; a window reaching further reads
    the source in full again, so events and repetitions entering a sliding window are found once
    a day. Raises only AfterviewError, when the source cannot be reached, refuses the login or is
    not a calendar at all; a bad event becomes a line in `problems`.
    """
    if window_start.tzinfo is None or window_end.tzinfo is None or window_start >= window_end:
        raise ValueError("the window needs two aware datetimes, start before end")
    first = window_start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    last = window_end.astimezone(UTC)
    if last.time() != datetime.min.time():
        last = last.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    window = Window(first, last)
    old = dict(validators or {})
    covered = window.covered_by(old.get("window", ""))
    if isinstance(source, IcsFileCalendar):
        return read_file(source, window, old, covered)
    if isinstance(source, IcsUrlCalendar):
        return read_url(source, window, old, covered)
    return read_caldav(source, window, old, covered)

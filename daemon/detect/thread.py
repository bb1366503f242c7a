"""Times a reply takes from the thread it answers: "Friday, same time", "jeudi, même heure",
"el viernes a la misma hora", "Donnerstag zur gleichen Uhrzeit" name a new day and keep the
clock time (and the length) of the slot the quoted mail arranged."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone, tzinfo

from daemon.detect import when, zones
from daemon.detect.fastre import Pattern
from daemon.detect.text import is_quote_header

SAME_TIME = Pattern(
    r"\b(?:(?:at|à|a|zur|zu|um)\s+)?(?:the\s+|la\s+|l'|der\s+)?(?:same time|same hour|"
    r"m[êe]me heure|m[êe]me horaire|misma hora|mismo horario|gleichen? (?:uhr)?zeit|"
    r"selben? (?:uhr)?zeit)\b",
    re.IGNORECASE,
)
# How far before "same time" the new day may be written: "Friday, same time", "Thursday at
# the same time", "le jeudi 12 à la même heure".
_DAY_REACH = 40
_LENGTH_REACH = 200


def same_time_moments(
    text: str,
    quoted: str,
    sent: datetime | None,
    zone: tzinfo,
    *,
    day_first: bool,
) -> list[when.Moment]:
    """The moments "<day>, same time" names in `text`, read against the first slot `quoted`
    arranged. Nothing when either is missing."""
    if not quoted.strip() or sent is None:
        return []
    found = list(SAME_TIME.finditer(text))
    if not found:
        return []
    earlier = _earlier_slot(quoted, sent, zone, day_first=day_first)
    if earlier is None:
        return []
    clock, length = earlier
    today = sent.astimezone(zone).date()
    moments = []
    for match in found:
        day = _day_beside(text, match.start(), match.end(), today, day_first=day_first)
        if day is None:
            continue  # "at the same time, we..." names no day
        day_on, position = day
        start = datetime.combine(day_on, clock.time(), clock.tzinfo)
        offset = start.utcoffset()  # the zone's offset on the new day, DST included
        start = start.replace(tzinfo=timezone(offset)) if offset is not None else start
        line_start = text.rfind("\n", 0, match.start()) + 1
        line_end = text.find("\n", match.end())
        line = text[line_start : line_end if line_end >= 0 else len(text)]
        moments.append(when.Moment(start, start + length if length else None, position, line))
    return moments


_BETWEEN_BEFORE = re.compile(r"[\s,]*")
_BETWEEN_AFTER = re.compile(r"[\s,]*(?:(?:on|this|le|el|am|au)\b)?\s*", re.IGNORECASE)


def _day_beside(
    text: str, start: int, end: int, today: date, *, day_first: bool
) -> tuple[date, int] | None:
    """The day written right before "same time" ("Friday, same time") or right after it
    ("same time on Friday", "même heure jeudi"), and where it stands."""
    low = max(0, start - _DAY_REACH)
    before = when.find_dates(text[low:start], today, day_first=day_first)
    if before and _BETWEEN_BEFORE.fullmatch(text, low + before[-1].end, start):
        return before[-1].day, low + before[-1].start
    after = when.find_dates(text[end : end + _DAY_REACH], today, day_first=day_first)
    if after and _BETWEEN_AFTER.fullmatch(text, end, end + after[0].start):
        return after[0].day, start
    return None


def _earlier_slot(
    quoted: str, sent: datetime, zone: tzinfo, *, day_first: bool
) -> tuple[datetime, timedelta | None] | None:
    """The clock time, in its own zone, of the first slot the quoted mail names, and its
    length when stated beside it."""
    moments = when.find_moments(quoted, sent, zone, day_first=day_first)
    first = next((m for m in moments if not is_quote_header(m.line)), None)
    if first is None:
        return None
    mention = next((t for t in when.find_times(quoted) if t.start == first.position), None)
    own_zone = (mention.zone if mention else None) or zones.zone_named(quoted) or zone
    clock = first.start.astimezone(own_zone)
    length = first.end - first.start if first.end else None
    if length is None:
        length = when.find_length(quoted[first.position : first.position + _LENGTH_REACH])
    return clock, length

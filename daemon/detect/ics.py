"""Read VEVENTs out of iCalendar data into plain `CalendarEvent`s (the `icalendar` library).

Broken calendars are common (unknown TZIDs, missing DTEND, stray bytes): each event that can
be read is returned, and what could not be read is reported in `errors`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from daemon.model import Person

log = logging.getLogger(__name__)
MAX_EVENTS = 5000
# The parser spends some 35 µs and 350 bytes on each content line, blank or not: a file of
# short lines within the size caps would cost minutes and gigabytes. As many lines as the
# largest calendar exports have cost 20 s and 200 MB at most.
MAX_LINES = 500_000
# An interview has a handful of attendees; reading them is quadratic (each is compared with the
# others), so an event's list is read this far.
MAX_ATTENDEES = 500
MAX_SEQUENCE = 2**31 - 1  # RFC 5545 says "integer"; the state keeps a 64-bit one
# An answer from an attendee, not an invitation: "Accepted: Interview", a counter-proposal.
ANSWER_METHODS = ("REPLY", "COUNTER", "DECLINECOUNTER", "REFRESH")
_ADDRESS = re.compile(r"^[^@\s<>,;:\"]+@[^@\s<>,;:\"]+\.[^@\s<>,;:\"]+$")
_CONFERENCE_PROPERTIES = (
    "X-GOOGLE-CONFERENCE",
    "X-MICROSOFT-SKYPETEAMSMEETINGURL",
    "X-MICROSOFT-ONLINEMEETINGEXTERNALLINK",
    "URL",
)


@dataclass
class Attendee:
    person: Person
    cutype: str = "INDIVIDUAL"
    role: str = ""
    partstat: str = ""


@dataclass
class CalendarEvent:
    method: str = ""
    uid: str | None = None
    sequence: int = 0
    status: str = ""
    summary: str = ""
    description: str = ""
    location: str = ""
    start: datetime | None = None
    end: datetime | None = None
    all_day: bool = False
    organizer: Person | None = None
    attendees: list[Attendee] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(part for part in (self.summary, self.description, self.location) if part)


@dataclass
class CalendarData:
    events: list[CalendarEvent] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def read(data: bytes, default_zone: tzinfo = UTC) -> CalendarData:
    """Every VEVENT in `data`; floating times are read in `default_zone`."""
    result = CalendarData()
    if line_count(data) > MAX_LINES:
        result.errors.append(f"more than {MAX_LINES} lines; not read")
        return result
    try:
        calendars = icalendar.Calendar.from_ical(data, multiple=True)
    except Exception as exc:  # the parser raises a wide variety on hostile input
        result.errors.append(f"not a valid iCalendar file: {_short(exc)}")
        return result
    for calendar in calendars:
        method = str(calendar.get("METHOD", "") or "").strip().upper()
        for component in calendar.walk("VEVENT"):
            if len(result.events) >= MAX_EVENTS:
                result.errors.append(f"more than {MAX_EVENTS} events; the rest were skipped")
                return result
            try:
                result.events.append(_event(component, method, default_zone))
            except Exception as exc:
                result.errors.append(f"an event could not be read: {_short(exc)}")
    return result


def line_count(data: bytes) -> int:
    """The content lines the parser would make of `data` (it ends a line at CR, LF or CRLF),
    counted without splitting them."""
    return max(data.count(b"\n"), data.count(b"\r"))


def sequence_number(component: icalendar.cal.Component) -> int:
    """The component's SEQUENCE, 0 when unreadable, held within 0..MAX_SEQUENCE (a
    "SEQUENCE:99999999999999999999" must not outgrow the state's integers)."""
    try:
        return min(max(int(str(component.get("SEQUENCE", 0)).strip()), 0), MAX_SEQUENCE)
    except ValueError:
        return 0


def _event(component: icalendar.cal.Component, method: str, zone: tzinfo) -> CalendarEvent:
    event = CalendarEvent(method=method)
    event.uid = _text(component.get("UID")) or None
    event.sequence = sequence_number(component)
    event.status = _text(component.get("STATUS")).upper()
    # Bounded like a mail's text: what an event says about an interview comes early.
    event.summary = _text(component.get("SUMMARY"))[:1_000]
    event.description = _text(component.get("DESCRIPTION"))[:6_000]
    event.location = _text(component.get("LOCATION"))[:1_000]
    start = _when(component, "DTSTART", zone)
    if isinstance(start, datetime):
        event.start = start
        end = _when(component, "DTEND", zone)
        if isinstance(end, datetime) and end > start:
            event.end = end
        elif component.get("DURATION") is not None:
            try:
                duration = component.decoded("DURATION")
                if isinstance(duration, timedelta) and duration > timedelta(0):
                    event.end = start + duration
            except (ValueError, TypeError, KeyError, OverflowError):  # P99999999W, year 9999
                pass
    elif isinstance(start, date):
        event.all_day = True
    organizer = component.get("ORGANIZER")
    if organizer is not None:
        event.organizer = _first_sane(organizer if isinstance(organizer, list) else [organizer])
    attendees = component.get("ATTENDEE")
    if attendees is not None:
        for value in (attendees if isinstance(attendees, list) else [attendees])[:MAX_ATTENDEES]:
            params = getattr(value, "params", {})
            event.attendees.append(
                Attendee(
                    _person(value),
                    str(params.get("CUTYPE", "INDIVIDUAL")).upper(),
                    str(params.get("ROLE", "")).upper(),
                    str(params.get("PARTSTAT", "")).upper(),
                )
            )
    for name in _CONFERENCE_PROPERTIES:
        value = _text(component.get(name))
        if value.startswith(("http://", "https://")):
            event.urls.append(value)
    return event


def _when(component: icalendar.cal.Component, name: str, zone: tzinfo) -> date | None:
    prop = component.get(name)
    if prop is None:
        return None
    try:
        value = component.decoded(name)
    except Exception:
        value = _fallback_when(prop, zone)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            tzid = getattr(prop, "params", {}).get("TZID")
            value = value.replace(tzinfo=_zone(tzid) or zone)
        return value
    if isinstance(value, date):
        return value
    return None


def _fallback_when(prop: object, zone: tzinfo) -> datetime | None:
    """DTSTART with a TZID nobody knows: read the digits, place them in a known zone."""
    raw = str(getattr(prop, "to_ical", lambda: b"")().decode() if hasattr(prop, "to_ical") else "")
    try:
        value = datetime.strptime(raw[:15], "%Y%m%dT%H%M%S")
    except ValueError:
        return None
    tzid = getattr(prop, "params", {}).get("TZID")
    return value.replace(tzinfo=_zone(tzid) or zone)


def _zone(tzid: object) -> tzinfo | None:
    if not tzid:
        return None
    name = str(tzid).strip().strip('"')
    for candidate in (name, name.lstrip("/"), WINDOWS_TO_OLSON.get(name, "")):
        if not candidate:
            continue
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return None


def _first_sane(values: list[object]) -> Person | None:
    """A repeated ORGANIZER: the first that names a mail address."""
    for value in values:
        person = _person(value)
        if person.email:
            return person
    return None


def _person(value: object) -> Person:
    address = str(value).strip()
    if address.lower().startswith("mailto:"):
        address = address[7:]
    params = getattr(value, "params", {})
    common_name = params.get("CN", "")
    if isinstance(common_name, list | tuple):  # an unquoted "Last, First" splits in two
        common_name = ",".join(str(part) for part in common_name)
    name = str(common_name).strip().strip('"') or None
    email_address = address.strip().lower() if _ADDRESS.match(address.strip()) else None
    return Person(name, email_address)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    try:
        return str(value).strip()
    except (ValueError, TypeError):
        return ""


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]

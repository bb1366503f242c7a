"""Expansion: iCalendar data -> one item per event occurrence in the window, with bounded work.

Recurring events are expanded with recurring-ical-events; only the rule shapes calendar apps
write are expanded, each with a known maximum gap, so a hostile rule costs nothing.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import icalendar
import recurring_ical_events  # type: ignore[import-untyped]
import x_wr_timezone  # type: ignore[import-untyped]

from daemon.calendars.items import (
    FLOATING_SLACK,
    CalendarItem,
    CalendarRead,
    Window,
    instant,
    one_line,
)
from daemon.detect import ics
from daemon.errors import PermanentError

log = logging.getLogger(__name__)

MAX_ITEMS = 5_000  # per read; the detector reads at most as many events from one file
MAX_OCCURRENCES = 500  # per recurring event: a daily event over a year and a bit
MAX_PROBLEMS = 50
# Expanding a recurring event steps through every repetition from its DTSTART; these bound that
# work, per event and per read, so a rule repeating every second since 1970 costs nothing.
SERIES_STEPS = 50_000
READ_STEPS = 500_000  # about a second and a half


@dataclass(frozen=True)
class _Shared:
    """What the items from one VCALENDAR share."""

    header: bytes  # BEGIN:VCALENDAR, VERSION, PRODID, and CALSCALE and METHOD as in the source
    zones: Mapping[str, bytes]  # the source's VTIMEZONEs by TZID
    href: str | None


class Expansion:
    """The items of one read, within the caps, and what had to be skipped on the way."""

    def __init__(self, source_id: str, window: Window) -> None:
        self.source_id = source_id
        self.window = window
        self.items: list[CalendarItem] = []
        self.problems: dict[str, list[str]] = {}  # reason -> the events it concerns
        self.steps = 0  # dateutil steps spent on recurring events so far
        self.left_out = 0  # events and occurrences beyond MAX_ITEMS
        self._made_zones: dict[str, bytes] = {}

    def add_source(self, data: bytes, where: str) -> None:
        """A whole ICS file or download; one that is not iCalendar at all is the source's fault."""
        if ics.line_count(data) > ics.MAX_LINES:
            raise PermanentError(f"{where} has more than {ics.MAX_LINES} lines; not read")
        calendars = _parse(data)
        if isinstance(calendars, str):
            raise PermanentError(f"{where} is not an iCalendar file: {calendars}")
        for calendar in calendars:
            self._add_calendar(calendar, None)

    def add_object(self, data: bytes, href: str) -> None:
        """One CalDAV object; an unreadable one is a problem, the others still count."""
        if ics.line_count(data) > ics.MAX_LINES:
            self._problem(href, f"more than {ics.MAX_LINES} lines; skipped")
            return
        calendars = _parse(data)
        if isinstance(calendars, str):
            self._problem(href, f"not iCalendar data ({calendars}); skipped")
        for calendar in calendars if isinstance(calendars, list) else []:
            self._add_calendar(calendar, href)

    def result(
        self, validators: Mapping[str, str], changed_hrefs: tuple[str, ...] | None = None
    ) -> CalendarRead:
        problems = []
        for reason, labels in self.problems.items():
            more = f" and {len(labels) - 1} more events" if len(labels) > 1 else ""
            problems.append(f"{labels[0][:160]}{more}: {reason}")
        if len(problems) > MAX_PROBLEMS:
            problems[MAX_PROBLEMS - 1 :] = [f"{len(problems) - MAX_PROBLEMS + 1} more problems"]
        if self.left_out:
            problems.append(f"{self.left_out} events or occurrences left out: {MAX_ITEMS} at most")
        log.debug("%s: %d items, %d problems", self.source_id, len(self.items), len(problems))
        return CalendarRead(
            items=tuple(self.items),
            unchanged=False,
            validators=dict(validators),
            problems=tuple(problems),
            changed_hrefs=changed_hrefs,
        )

    def _problem(self, label: str, reason: str) -> None:
        self.problems.setdefault(one_line(reason)[:240], []).append(label)

    def _add_calendar(self, calendar: icalendar.Calendar, href: str | None) -> None:
        try:
            self._add_events(calendar, href)
        except Exception as exc:  # a calendar so broken its parts cannot even be listed
            self._problem(href or "the calendar", f"skipped, {type(exc).__name__}: {exc}")

    def _add_events(self, calendar: icalendar.Calendar, href: str | None) -> None:
        zone_name = calendar.get("X-WR-TIMEZONE")
        if zone_name is not None:
            try:  # Google writes UTC times and means this zone; see x_wr_timezone
                calendar = x_wr_timezone.to_standard(calendar)
            except Exception:
                self._problem(
                    href or "the calendar", f"X-WR-TIMEZONE {str(zone_name)[:60]!r} is unknown"
                )
        zones = {str(z.get("TZID")): bytes(z.to_ical()) for z in calendar.walk("VTIMEZONE")}
        shared = _Shared(_header(calendar), zones, href)
        groups: dict[str, list[icalendar.Event]] = {}
        for component in calendar.subcomponents:
            if isinstance(component, icalendar.Event):
                uid = _text(component.get("UID"))
                if uid:
                    groups.setdefault(uid, []).append(component)
                else:
                    self._problem(_label("", href), "an event without UID; skipped")
        # Single events first: interviews seldom repeat, so the caps leave them alone.
        for uid, events in sorted(groups.items(), key=lambda group: _is_series(group[1])):
            if len(self.items) >= MAX_ITEMS:
                self.left_out += 1
                continue
            try:
                self._add_group(uid, events, shared)
            except Exception as exc:  # one odd event must not hide the others
                self._problem(_label(uid, href), f"skipped, {type(exc).__name__}: {exc}")

    def _add_group(self, uid: str, events: list[icalendar.Event], shared: _Shared) -> None:
        label = _label(uid, shared.href)
        usable = []
        for event in events:
            if _when(event, "DTSTART") is None:
                self._problem(label, "no readable DTSTART; skipped")
                continue
            for name in ("DTSTART", "DTEND", "RECURRENCE-ID"):
                prop = event.get(name)
                value = getattr(prop, "dt", None)
                if isinstance(value, datetime) and value.tzinfo is None and "TZID" in prop.params:
                    tzid = str(prop.params["TZID"])[:60]
                    self._problem(label, f"unknown time zone {tzid!r}, read as local time")
                    break
            usable.append(event)
        if usable and not _is_series(usable):
            event = max(usable, key=ics.sequence_number)  # the latest of several copies
            start = _when(event, "DTSTART")
            if start is not None and self.window.holds(start, _end(event, start)):
                self._emit(event, uid, None, shared)
        elif usable:
            self._add_series(uid, usable, label, shared)

    def _add_series(
        self, uid: str, events: list[icalendar.Event], label: str, shared: _Shared
    ) -> None:
        starts = [instant(when)[0] for e in events if (when := _when(e, "DTSTART")) is not None]
        if min(starts) >= self.window.end + FLOATING_SLACK:
            return  # begins after the window (in the year 9999, say)
        masters = [event for event in events if "RECURRENCE-ID" not in event]
        master = max(masters, key=ics.sequence_number) if masters else None
        if master is not None and len(events) == 1 and _ended(master, self.window):
            return  # a series that ended before the window: old meetings cost nothing
        plan = _series_plan(master, self.window) if master is not None else (0, 0.0)
        if isinstance(plan, str):
            self._problem(label, f"{plan}; skipped")
            return
        steps, density = plan[0] + len(events), plan[1]
        if steps > SERIES_STEPS:
            self._problem(
                label, f"repeats more than {SERIES_STEPS} times by the window's end; skipped"
            )
            return
        if self.steps + steps > READ_STEPS:
            self._problem(label, "skipped: the recurring events before it used the read's budget")
            return
        self.steps += steps
        calendar = icalendar.Calendar()
        for event in events:
            calendar.add_component(_count_or_until(event) if event is master else event)
        query = recurring_ical_events.CalendarQuery(calendar)
        # In spans that hold MAX_OCCURRENCES at most, so no more are made than are read.
        span = MAX_OCCURRENCES / density if density else math.inf
        found: dict[str, tuple[datetime, icalendar.Event]] = {}
        begin, last = self.window.start - timedelta(days=1), self.window.end + timedelta(days=1)
        while begin < last and len(found) <= MAX_OCCURRENCES:
            left = (last - begin).total_seconds()
            end = last if span >= left else begin + timedelta(seconds=span)
            for occurrence in query.between(begin, end):
                start = _when(occurrence, "DTSTART")
                if start is not None and self.window.holds(start, _end(occurrence, start)):
                    found[_recurrence_id(occurrence) or ""] = (instant(start)[0], occurrence)
            begin = end
        ordered = sorted(found.items(), key=lambda pair: pair[1][0])
        if len(ordered) > MAX_OCCURRENCES:
            until = ordered[MAX_OCCURRENCES - 1][1][0].date().isoformat()
            self._problem(label, f"repeats too often; only the occurrences until {until} are read")
        for recurrence_id, (_, occurrence) in ordered[:MAX_OCCURRENCES]:
            self._emit(occurrence, uid, recurrence_id or None, shared)

    def _emit(
        self, event: icalendar.Event, uid: str, recurrence_id: str | None, shared: _Shared
    ) -> None:
        if len(self.items) >= MAX_ITEMS:
            self.left_out += 1
            return
        zones = b"".join(self._zone(tzid, shared) for tzid in _tzids(event))
        data = shared.header + zones + event.to_ical() + b"END:VCALENDAR\r\n"
        self.items.append(
            CalendarItem(
                self.source_id, uid, recurrence_id, ics.sequence_number(event), data, shared.href
            )
        )

    def _zone(self, tzid: str, shared: _Shared) -> bytes:
        """The VTIMEZONE for `tzid`: the source's own, else one made for the window's years."""
        if tzid in shared.zones:
            return shared.zones[tzid]
        if tzid not in self._made_zones:
            try:
                zone = icalendar.Timezone.from_tzid(
                    tzid,
                    first_date=(self.window.start - timedelta(days=400)).date(),
                    last_date=(self.window.end + timedelta(days=400)).date(),
                )
                self._made_zones[tzid] = bytes(zone.to_ical())
            except ValueError:  # a zone nobody knows; its times are read as local time
                self._made_zones[tzid] = b""
        return self._made_zones[tzid]


def _parse(data: bytes) -> list[icalendar.Calendar] | str:
    """The VCALENDARs in `data`, or why there are none."""
    if not data.strip():
        return []
    try:
        components = icalendar.Calendar.from_ical(data, multiple=True)
    except Exception as exc:  # the parser raises a wide variety on hostile input
        return one_line(str(exc))[:120] or type(exc).__name__
    calendars = [c for c in components if isinstance(c, icalendar.Calendar)]
    return calendars if calendars else "no VCALENDAR in it"


def _header(calendar: icalendar.Calendar) -> bytes:
    head = icalendar.Calendar()
    head.add("VERSION", "2.0")
    head.add("PRODID", _text(calendar.get("PRODID"))[:200] or "-//afterview//calendar item//EN")
    for name in ("CALSCALE", "METHOD"):
        if calendar.get(name) is not None:
            head[name] = calendar[name]
    return bytes(head.to_ical()).removesuffix(b"END:VCALENDAR\r\n")


def _label(uid: str, href: str | None) -> str:
    where = f" in {href}" if href else ""
    return f"event {uid[:80]!r}{where}" if uid else f"event{where}"


def _text(value: object) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    return "" if value is None else str(value).strip()


def _is_series(events: list[icalendar.Event]) -> bool:
    return any(name in event for event in events for name in ("RRULE", "RDATE", "RECURRENCE-ID"))


def _when(event: icalendar.Event, name: str) -> date | None:
    """The date or time of property `name`, or None when absent or unreadable."""
    if name not in event:
        return None
    try:
        value = event.decoded(name)
    except Exception:  # a malformed value decodes to a variety of errors
        return None
    return value if isinstance(value, date) else None


def _end(event: icalendar.Event, start: date) -> date:
    end = _when(event, "DTEND")
    if end is not None and isinstance(end, datetime) == isinstance(start, datetime):
        return end
    try:
        duration = event.decoded("DURATION") if "DURATION" in event else None
        if isinstance(duration, timedelta):
            return start + duration
        return start if isinstance(start, datetime) else start + timedelta(days=1)
    except (OverflowError, ValueError, TypeError):
        return start


def _recurrence_id(occurrence: icalendar.Event) -> str | None:
    value = _when(occurrence, "RECURRENCE-ID")
    if isinstance(value, datetime):
        moment, floating = instant(value)
        return moment.strftime("%Y-%m-%dT%H:%M:%S" + ("" if floating else "Z"))
    return value.isoformat() if value is not None else None


def _tzids(event: icalendar.Event) -> list[str]:
    found: list[str] = []
    for name in ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE"):
        props = event.get(name)
        for prop in props if isinstance(props, list) else [props]:
            tzid = getattr(prop, "params", {}).get("TZID")
            if tzid and str(tzid) not in found:
                found.append(str(tzid))
    return found


def _count_or_until(event: icalendar.Event) -> icalendar.Event:
    """RFC 5545 forbids COUNT with UNTIL and dateutil warns; read such a rule by its COUNT."""
    rules = event.get("RRULE")
    listed = rules if isinstance(rules, list) else [rules]
    if not any(isinstance(r, icalendar.vRecur) and "COUNT" in r and "UNTIL" in r for r in listed):
        return event
    fixed = event.copy()
    fixed.subcomponents = event.subcomponents
    fixed["RRULE"] = [
        icalendar.vRecur({k: v for k, v in rule.items() if k != "UNTIL"})
        if isinstance(rule, icalendar.vRecur)
        else rule
        for rule in listed
    ]
    return fixed


# -- Bounds on recurrence ------------------------------------------------------------------------

_FREQ_SECONDS = {  # the shortest length of each period, so estimates err high
    "YEARLY": 365 * 86400,
    "MONTHLY": 28 * 86400,
    "WEEKLY": 7 * 86400,
    "DAILY": 86400,
    "HOURLY": 3600,
    "MINUTELY": 60,
    "SECONDLY": 1,
}
_DAY_FILTERS = ("BYMONTH", "BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY", "BYSETPOS")
_WEEKDAY = re.compile(r"([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)")
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _ended(master: icalendar.Event, window: Window) -> bool:
    """Whether every repetition of `master` is over before the window, by its rules' UNTIL."""
    start = _when(master, "DTSTART")
    rules = master.get("RRULE")
    untils = [
        _first(rule, "UNTIL", None) if isinstance(rule, icalendar.vRecur) else None
        for rule in (rules if isinstance(rules, list) else [rules])
    ]
    ends = [instant(until)[0] for until in untils if isinstance(until, date)]
    if start is None or "RDATE" in master or len(ends) < len(untils):
        return False
    length = instant(_end(master, start))[0] - instant(start)[0]
    return _later(max(ends), length + FLOATING_SLACK) < window.start


def _later(moment: datetime, by: timedelta) -> datetime:
    """`moment + by`, held at the ends of the calendar: a rule "until 9999-12-31" never ends."""
    try:
        return moment + by
    except OverflowError:
        return (datetime.max if by > timedelta(0) else datetime.min).replace(tzinfo=moment.tzinfo)


def _series_plan(master: icalendar.Event, window: Window) -> tuple[int, float] | str:
    """dateutil's steps to expand `master` up to the window's end, and its most repetitions per
    second; or why it is not expanded."""
    start = _when(master, "DTSTART")
    assert start is not None  # checked by the caller
    begin = instant(start)[0]
    horizon = window.end + FLOATING_SLACK + timedelta(days=1)
    steps, density = 0, 0.0
    rules = master.get("RRULE")
    for rule in rules if isinstance(rules, list) else [] if rules is None else [rules]:
        if not isinstance(rule, icalendar.vRecur):
            return f"RRULE {_text(rule)[:80]!r} cannot be read"
        plan = _rule_plan(rule, start, begin, horizon)
        if isinstance(plan, str):
            return f"RRULE:{_rule_text(rule)} {plan}"
        steps, density = steps + plan[0], density + plan[1]
    for name in ("RDATE", "EXDATE"):
        values = master.get(name)
        for value in values if isinstance(values, list) else [values]:
            steps += len(getattr(value, "dts", ()))
    return steps, density


def _rule_plan(
    rule: icalendar.vRecur, start: date, begin: datetime, horizon: datetime
) -> tuple[int, float] | str:
    freq = str(_first(rule, "FREQ", "")).upper()
    interval = _first(rule, "INTERVAL", 1)
    if freq not in _FREQ_SECONDS:
        return "has no known FREQ"
    if not isinstance(interval, int) or interval < 1:
        return "has an INTERVAL that is not a positive number"
    period = _FREQ_SECONDS[freq] * interval
    gap = _gap(rule, freq, math.ceil(366 * 86400 / period), start)
    if isinstance(gap, str):
        return f"{gap}, which afterview does not expand"
    # dateutil's cache reads ten repetitions ahead: that many gaps past the window's end.
    try:
        end = horizon + timedelta(seconds=min(10 * gap * period, 100 * 366 * 86400))
    except OverflowError:
        end = horizon
    until = _first(rule, "UNTIL", None)
    if isinstance(until, date):
        end = min(end, _later(instant(until)[0], FLOATING_SLACK))
    per_period = math.prod(
        len(rule.get(part) or [0]) for part in ("BYHOUR", "BYMINUTE", "BYSECOND")
    )
    if freq == "YEARLY":
        days = (
            366 if any(rule.get(p) for p in _DAY_FILTERS[1:]) else len(rule.get("BYMONTH") or [0])
        )
    elif freq == "MONTHLY":
        days = 31 if rule.get("BYDAY") or rule.get("BYMONTHDAY") else 1
    else:
        days = len(rule.get("BYDAY") or [0]) if freq == "WEEKLY" else 1
    per_period *= days
    steps = ((max(0.0, (end - begin).total_seconds()) / period) + 2) * per_period
    count = _first(rule, "COUNT", None)
    if isinstance(count, int) and count >= 0:  # the shapes let through match every 8th period
        steps = min(steps, 8 * (count + 1) * per_period)
    return math.ceil(steps), per_period / period


def _rule_text(rule: Any) -> str:
    return bytes(rule.to_ical()).decode(errors="replace")[:100]


def _first(rule: icalendar.vRecur, name: str, default: Any) -> Any:
    values = rule.get(name)
    return values[0] if isinstance(values, list) and values else default


def _gap(rule: icalendar.vRecur, freq: str, year: int, start: date) -> int | str:
    """The most periods from one repetition of `rule` to the next (`year` periods make a year),
    or why it may match rarely or never.

    dateutil walks period after period until a repetition passes the window's end; a rule whose
    filters never match (February 30th) walks on to the year 9999, seconds per rule. The shapes
    calendar programs write (each weekday, the second Tuesday, the last Friday, March 31st)
    match every year, February 29th every 8 years at most; anything else is refused.
    """
    interval = _first(rule, "INTERVAL", 1)
    parts = {name for name in _DAY_FILTERS if rule.get(name)}
    if not parts:  # dateutil repeats DTSTART's day of the month, and of the year
        if freq in ("YEARLY", "MONTHLY") and start.day > 28:
            return 8 * year if freq == "YEARLY" else 12
        return 1
    if _FREQ_SECONDS[freq] < 86400:
        return "filters the days of a rule that repeats within a day"
    try:
        weekdays = [_WEEKDAY.fullmatch(str(day).upper()) for day in rule.get("BYDAY") or []]
        ordinals = [int(m.group(1) or 0) for m in weekdays if m is not None]
        months = [int(month) for month in rule.get("BYMONTH") or []]
        monthdays = [int(day) for day in rule.get("BYMONTHDAY") or []]
        positions = [int(position) for position in rule.get("BYSETPOS") or []]
        weeks = [int(week) for week in rule.get("BYWEEKNO") or []]
        yeardays = [int(day) for day in rule.get("BYYEARDAY") or []]
    except (TypeError, ValueError):
        return "has a filter that is not a number"
    if None in weekdays or not all(1 <= m <= 12 for m in months):
        return "has a weekday or month out of range"
    if not all(1 <= abs(day) <= 31 for day in monthdays):
        return "has a day of the month out of range"
    if weeks or yeardays:  # alone, or weekdays in given weeks
        if freq != "YEARLY" or not (parts <= {"BYWEEKNO", "BYDAY"} or parts == {"BYYEARDAY"}):
            return "combines week or year days with other filters"
        if any(ordinals):
            return "asks for an nth weekday in given weeks"
        if not all(1 <= abs(n) <= 52 for n in weeks) or not all(
            1 <= abs(n) <= 365 for n in yeardays
        ):
            return "asks for a week or a day of the year that some years lack"
        return 1
    if monthdays and weekdays:
        return "asks for a weekday on given days of the month (met rarely)"
    if positions:
        per_period = {"WEEKLY": 1, "MONTHLY": 4, "YEARLY": 4 if months else 52}.get(freq, 0)
        largest = per_period * len(weekdays) * max(1, len(months) if freq == "YEARLY" else 1)
        if any(ordinals) or not weekdays or not all(1 <= abs(p) <= largest for p in positions):
            return "picks a position that not every period has"
    if weekdays:
        if any(ordinals) and not all(ordinals):  # dateutil wants both at once: never met
            return "mixes nth weekdays with plain weekdays"
        most = {"MONTHLY": 4 if months else 5, "YEARLY": 4 if months else 52}.get(freq, 0)
        if any(abs(n) > most or (abs(n) == 5 and interval > 1) for n in ordinals if n):
            return "asks for an nth weekday that not every period has"
        if (
            freq == "DAILY"
            and len({m.group(2) for m in weekdays if m}) < 7
            and math.gcd(interval, 7) > 1
        ):
            return "steps over the weekdays it asks for"
    if months and freq != "YEARLY" and interval > {"DAILY": 28, "WEEKLY": 4}.get(freq, 1):
        return "steps over the months it asks for"
    if monthdays and (freq == "WEEKLY" or (freq == "DAILY" and interval > 1)):
        return "steps over the days of the month it asks for"
    if freq in ("YEARLY", "MONTHLY") and not weekdays and not monthdays:
        monthdays = [start.day]  # what dateutil assumes
    if monthdays:
        february = 29 if interval == 1 else 28
        limits = [february if m == 2 else _MONTH_DAYS[m - 1] for m in months or range(1, 13)]
        if not any(abs(day) <= limit for day in monthdays for limit in limits):
            return "asks for days that the months it names lack"
        if freq == "MONTHLY" and interval > 1 and min(abs(day) for day in monthdays) > 28:
            return "steps over the months that have the day it asks for"
        if not any(abs(day) <= limit for day in monthdays for limit in limits if limit != 29):
            return 8 * year  # February 29th alone
    if months and freq != "YEARLY":
        return year
    if freq == "DAILY":
        return 62 if monthdays else 7
    if freq == "MONTHLY" and (monthdays or any(abs(n) == 5 for n in ordinals)):
        return 6
    return 1

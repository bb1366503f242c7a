"""Find dates, times and lengths in prose, in English, German, French and Spanish.

"Tuesday, Dec 3 at 3pm ET", "am 3. Dezember um 15:00 Uhr", "le mardi 3 décembre à 15h",
"el martes 3 de diciembre a las 15:00", "tomorrow at 10am", "3/12" read by locale cues.
Dates without a year, weekdays and relative words are resolved against the message's Date.
No general date library reads these reliably in four languages at this speed, hence this.
"""

from __future__ import annotations

import bisect
import email.utils
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from daemon.detect import zones
from daemon.detect.fastre import Pattern

_MONTHS = {
    1: "january jan januar jänner janvier janv enero ene",
    2: "february feb februar février fevrier févr fevr fév febrero",
    3: "march mar märz maerz mrz mars marzo",
    4: "april apr avril avr abril abr",
    5: "may mai mayo",
    6: "june jun juni juin junio",
    7: "july jul juli juillet juil julio",
    8: "august aug août aout agosto ago",
    9: "september sept sep septembre septiembre setiembre",
    10: "october oct oktober okt octobre octubre",
    11: "november nov novembre noviembre",
    12: "december dec dezember dez décembre decembre déc diciembre dic",
}
MONTH_WORDS = {word: number for number, words in _MONTHS.items() for word in words.split()}
_WEEKDAYS = {
    0: "monday mon montag lundi lunes",
    1: "tuesday tue tues dienstag mardi martes",
    2: "wednesday wed mittwoch mercredi miércoles miercoles",
    3: "thursday thu thur thurs donnerstag jeudi jueves",
    4: "friday fri freitag vendredi viernes",
    5: "saturday sat samstag samedi sábado sabado",
    6: "sunday sun sonntag dimanche domingo",
}
WEEKDAY_WORDS = {word: number for number, words in _WEEKDAYS.items() for word in words.split()}

_MONTH = "(" + "|".join(sorted(map(re.escape, MONTH_WORDS), key=len, reverse=True)) + r")\.?"
_WEEKDAY = "(" + "|".join(sorted(map(re.escape, WEEKDAY_WORDS), key=len, reverse=True)) + r")\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th|er|\.|º|°)?"
_YEAR = r"(?:,?\s+(?:de\s+)?(\d{4}))?"

DAY_MONTH = Pattern(
    rf"\b(?:{_WEEKDAY},?\s+)?(?:the\s+|le\s+|el\s+|den\s+)?{_DAY}\s+(?:of\s+|de\s+)?{_MONTH}(?!\w){_YEAR}",
    re.IGNORECASE,
)
MONTH_DAY = Pattern(
    rf"\b(?:{_WEEKDAY},?\s+)?{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?(?!\d){_YEAR}", re.IGNORECASE
)
# Each opens with "(?=\d)": said first, it lets `re` skip to the next digit fast.
ISO_DATE = re.compile(r"(?=\d)\b(\d{4})-(\d{2})-(\d{2})\b")
NUMERIC_DATE = re.compile(
    r"(?=\d)(?<![\d/.])(\d{1,2})([./])(\d{1,2})(?:\2(\d{4}|\d{2}))?(\.?)(?![\d/]|\.\d)"
)
WEEKDAY_ALONE = Pattern(
    rf"\b(next|this|coming|nächsten|kommenden|prochain)?\s*{_WEEKDAY}(?!\w)", re.IGNORECASE
)
RELATIVE = Pattern(
    r"\b(today|tomorrow|tmrw|tmr|tmw|2moro|2morrow|tomorow|heute|übermorgen|uebermorgen|demain|"
    r"aujourd'hui|après-demain|"
    r"apres-demain|hoy|pasado mañana)\b|(?<![Gg]uten )(?<![Aa]m )(?<![Jj]eden )\b(morgen)\b|"
    r"(?<!la )(?<!esta )\b(mañana)\b(?! por la| de la)",
)
_RELATIVE_DAYS = {
    "today": 0, "heute": 0, "aujourd'hui": 0, "hoy": 0,
    "tomorrow": 1, "morgen": 1, "demain": 1, "mañana": 1,
    # as people type it on a phone
    "tmrw": 1, "tmr": 1, "tmw": 1, "2moro": 1, "2morrow": 1, "tomorow": 1,
    "übermorgen": 2, "uebermorgen": 2, "après-demain": 2, "apres-demain": 2, "pasado mañana": 2,
}  # fmt: skip
RELATIVE_WORDS = frozenset(_RELATIVE_DAYS)

_AMPM = r"\s*(a\.?\s?m\.?|p\.?\s?m\.?)(?![a-z])"
_CLOCK = (
    # 15, 15:30, 15.30, 15h30 -- but not the offset in "(UTC-05:00)" or "GMT+1"
    # and "14 h 30" as French typesetting spaces it
    r"(?<![\d.,/])(?<!\d:)(?<![+−])(?<!(?:utc|gmt)-)(\d{1,2})(?:(?::|\.|[ \t]?h[ \t]?)(\d{2}))?"
    rf"(?:{_AMPM}|\s*(uhr|h)\b|\s*(de la (?:mañana|tarde|noche)|du (?:matin|soir)|de l'après-midi))?"
)
TIME = re.compile(_CLOCK + r"(?![\d/])", re.IGNORECASE)
_DIGIT_RUN = re.compile(r"\d+")
_MINUTES_UNIT = re.compile(r"[ \t]?m(?:in(?:s|utes?|uten|utos)?)?\b", re.IGNORECASE)
_NOT_BEFORE = (".", ",", "/")
RANGE_JOIN = re.compile(
    r"\s*(?:-|–|—|to|until|till|bis|à|a|au|y|and|und)\s*(?:um\s+|las\s+)?", re.IGNORECASE
)
# "midi" is noon, "l'après-midi" the afternoon.
NOON = Pattern(
    r"\b(noon|midday|midi|mediodía|mittag)\b(?<!après-midi)(?<!apres-midi)", re.IGNORECASE
)
LENGTH = Pattern(
    r"(?<![\d:])(\d{1,3}|an?|one|une|una|eine|half an?)[\s-]*"
    r"(minutes?|mins?\b|min\.|minuten|minutos|hours?|hrs?\b|stunden?|heures?|horas?)",
    re.IGNORECASE,
)
_TIME_CUE_BEFORE = re.compile(
    r"(?:\bat|\bum|\bà|\ba las|\ba la|\bfrom|\bvon|\bde|\bbetween|\bzwischen|\bentre|@)\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DateMention:
    day: date
    start: int
    end: int


@dataclass(frozen=True)
class TimeMention:
    start_time: time
    end_time: time | None
    zone: tzinfo | None
    start: int
    end: int


@dataclass(frozen=True)
class Moment:
    """A date and time found in the text, with where it stood."""

    start: datetime
    end: datetime | None
    position: int
    line: str


def find_moments(
    text: str,
    sent: datetime | None,
    default_zone: tzinfo,
    *,
    day_first: bool,
    anchors: tuple[tuple[int, datetime], ...] = (),
) -> list[Moment]:
    """Every date-with-time in `text`, in order of appearance. `anchors`: from a position
    on, relative dates count from another date (a forwarded mail's own Date)."""
    moment = sent or datetime.now(default_zone)
    if not 1970 <= moment.year <= 2100:
        return []  # a Date header from year 9999 gives nothing to count relative days from
    times = find_times(text)
    if not times:
        return []  # a date without a time is no interview slot
    # Dates are looked for only where a time can use them: up to 600 characters above the
    # first time and just after the last one (see _date_for).
    low = text.rfind("\n", 0, max(0, times[0].start - 620)) + 1
    high = min(len(text), times[-1].end + 60)
    dates = []
    for piece_start, piece_end, reference in _spans(low, high, moment, anchors):
        today = reference.astimezone(default_zone).date()
        dates += [
            DateMention(d.day, d.start + piece_start, d.end + piece_start)
            for d in find_dates(text[piece_start:piece_end], today, day_first=day_first)
        ]
    notice_zone = zones.zone_named(text[low : times[-1].end + 400])
    moments = []
    for found in times:
        if any(d.start <= found.start < d.end for d in dates):
            continue  # "from 14 December": the number is the date's day, not a time
        day = _date_for(found, dates, text)
        if day is None:
            continue
        zone = found.zone or notice_zone or default_zone
        start = datetime.combine(day, found.start_time, zone)
        end = None
        if found.end_time is not None:
            end = datetime.combine(day, found.end_time, zone)
            if end <= start:
                end = None
        line_start = text.rfind("\n", 0, found.start) + 1
        line_end = text.find("\n", found.end)
        line = text[line_start : line_end if line_end >= 0 else len(text)]
        moments.append(Moment(_normal(start), _normal(end) if end else None, found.start, line))
    return moments


def _spans(
    low: int, high: int, sent: datetime, anchors: tuple[tuple[int, datetime], ...]
) -> list[tuple[int, int, datetime]]:
    """[low, high) cut where an anchor starts, each piece with the date it counts from."""
    spans, start, reference = [], low, sent
    for position, anchored in sorted(anchors, key=lambda a: a[0]):
        if position >= high:
            break
        if position > start:
            spans.append((start, position, reference))
            start = position
        if 1970 <= anchored.year <= 2100:
            reference = anchored
    spans.append((start, high, reference))
    return spans


def reference_date(
    line: str, sent: datetime | None, zone: tzinfo, *, day_first: bool
) -> datetime | None:
    """The moment a forwarded mail's date line names: "Date: Tue, 3 Nov 2026 09:14:00 -0500",
    "Sent: Monday, 19 October 2026 16:12", "On Tue, Nov 3, 2026 at 9:14 AM Dana wrote:"."""
    value = line.split(":", 1)[1] if ":" in line else line
    try:
        stamped = email.utils.parsedate_to_datetime(value.strip(" *\t\r"))
    except (TypeError, ValueError, IndexError):
        stamped = None
    if stamped is not None and stamped.tzinfo is not None:
        return stamped
    found = find_moments(line, sent, zone, day_first=day_first)
    if found:
        return found[0].start
    today = (sent or datetime.now(zone)).astimezone(zone).date()
    days = find_dates(line, today, day_first=day_first)
    return datetime.combine(days[0].day, time(12, 0), zone) if days else None


def _normal(moment: datetime) -> datetime:
    """Resolve the zone to a fixed offset, so the ISO form carries it."""
    offset = moment.utcoffset()
    return moment if offset is None else moment.replace(tzinfo=timezone(offset))


# What may stand between a date and its own time: "Dec 1 at 3pm", "3pm on Dec 1",
# "03.12.2026, 14:30", "am 3. Dezember um 15 Uhr", "le 3 décembre à 15h".
_BINDS = re.compile(
    r"^[\s,(]*(?:(?:at|on|from|um|am|ab|von|à|a|las|la|le|el|the|den|de|du|dès|@|-|–)[\s,]*){0,3}$",
    re.IGNORECASE,
)


def _date_for(found: TimeMention, dates: list[DateMention], text: str) -> date | None:
    """The date a time belongs to: one written right beside it ("Dec 1 at 3pm", "3pm on
    Dec 1"), else the last date before it on its line ("Dec 1 at 3pm or 5pm"), else the first
    after it on the line; then just before, just after, or the last date above it
    ("Thursday, Dec 3:" over a list of sessions). Nearness alone would give "Dec 1 at 3pm,
    and Dec 2 at 10am" one day for both."""
    line_start = text.rfind("\n", 0, found.start) + 1
    line_end = text.find("\n", found.end)
    line_end = len(text) if line_end < 0 else line_end
    same_line = [d for d in dates if line_start <= d.start and d.end <= line_end]
    if same_line:
        before = [d for d in same_line if d.end <= found.start]
        after = [d for d in same_line if d.start >= found.end]
        if before and _BINDS.match(text[before[-1].end : found.start]):
            return before[-1].day
        if after and _BINDS.match(text[found.end : after[0].start]):
            return after[0].day
        if before or after:
            return (before[-1] if before else after[0]).day
        return same_line[0].day  # a date read across the time ("3.12." beside "3.12 Uhr")
    before = [d for d in dates if d.end <= found.start]
    after = [d for d in dates if d.start >= found.end]
    if before and found.start - before[-1].end <= 60:
        return before[-1].day
    if after and after[0].start - found.end <= 40:
        return after[0].day
    if before and found.start - before[-1].end <= 600:
        return before[-1].day
    return None


def find_dates(text: str, today: date, *, day_first: bool) -> list[DateMention]:
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []

    def add(day: date | None, match: re.Match[str] | _Shifted) -> None:
        if day is None or any(s < match.end() and match.start() < e for s, e in taken):
            return
        taken.append((match.start(), match.end()))
        found.append(DateMention(day, match.start(), match.end()))

    for match in ISO_DATE.finditer(text):
        add(_safe_date(int(match[1]), int(match[2]), int(match[3])), match)
    # The long word alternations run only around month and weekday words found by a cheap
    # tokenizer: scanning 20 KB with them directly costs a hundred times more.
    month_spots, weekday_spots = _spots(text)
    for window_start, window in _windows(text, month_spots):
        for match in DAY_MONTH.finditer(window):
            month = MONTH_WORDS.get(match[3].lower().rstrip("."))
            add(
                _resolve(today, month, int(match[2]), match[4], match[1]),
                _Shifted(match, window_start),
            )
        for match in MONTH_DAY.finditer(window):
            month = MONTH_WORDS.get(match[2].lower().rstrip("."))
            add(
                _resolve(today, month, int(match[3]), match[4], match[1]),
                _Shifted(match, window_start),
            )
    for match in NUMERIC_DATE.finditer(text):
        add(_numeric(match, today, day_first, text), match)
    for match in RELATIVE.finditer(text):
        word = (match[1] or match[2] or match[3]).lower()
        add(today + timedelta(days=_RELATIVE_DAYS[word]), match)
    explicit = list(found)
    for window_start, window in _windows(text, weekday_spots):
        for match in WEEKDAY_ALONE.finditer(window):
            if _is_time_prefix_clash(match, text):
                continue
            where = match.start() + window_start
            if any(abs(d.start - where) <= 25 or abs(d.end - where) <= 25 for d in explicit):
                continue  # "09/11/2026 (Monday)": the weekday only confirms the date beside it
            weekday = WEEKDAY_WORDS.get(match[2].lower().rstrip("."))
            if weekday is None:
                continue  # "\u017funday" (long s): the pattern folds it, the table does not
            ahead = (weekday - today.weekday()) % 7 or 7
            add(today + timedelta(days=ahead), _Shifted(match, window_start))
    found.sort(key=lambda d: d.start)
    return found


_TOKEN = re.compile(r"[^\W\d_]+")
_WEEKDAY_BEFORE = re.compile(rf"\b{_WEEKDAY},?\s+$", re.IGNORECASE)


class _Shifted:
    """A match found in a window, with positions in the whole text."""

    def __init__(self, match: re.Match[str], offset: int) -> None:
        self._match = match
        self._offset = offset

    def start(self) -> int:
        return self._match.start() + self._offset

    def end(self) -> int:
        return self._match.end() + self._offset

    def __getitem__(self, group: int) -> str | None:
        return self._match[group]


def _spots(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    months, weekdays = [], []
    # ASCII text lowers letter for letter: one call for the text, not one per word.
    lowered = text.lower() if text.isascii() else None
    for token in _TOKEN.finditer(lowered or text):
        word = token.group(0) if lowered else token.group(0).lower()
        if word in MONTH_WORDS:
            months.append(token.span())
        elif word in WEEKDAY_WORDS:
            weekdays.append(token.span())
    return months, weekdays


def _windows(text: str, spots: list[tuple[int, int]]) -> list[tuple[int, str]]:
    """Merged windows of text around each spot, with their start offsets."""
    merged: list[list[int]] = []
    for start, end in spots:
        low, high = max(0, start - 40), min(len(text), end + 30)
        if merged and low <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    # Start each window at a word boundary so that \b and lookbehinds behave as in the text.
    windows = []
    for low, high in merged:
        while low > 0 and text[low - 1].isalnum():
            low -= 1
        windows.append((low, text[low:high]))
    return windows


def _is_time_prefix_clash(match: re.Match[str], text: str) -> bool:
    """Short weekday words that are common words: 'sat', 'sun', 'mar', 'wed' alone."""
    word = match[2].lower().rstrip(".")
    return len(word) <= 4 and not match[2][0].isupper()


def _numeric(match: re.Match[str], today: date, day_first: bool, text: str) -> date | None:
    first, separator, second, year, trailing_dot = (
        int(match[1]), match[2], int(match[3]), match[4], match[5]
    )  # fmt: skip
    before = _WEEKDAY_BEFORE.search(text[max(0, match.start() - 16) : match.start()])
    weekday_word = before[1] if before else None
    if separator == "." and not year and not trailing_dot:
        return None  # "15.30" is a time, "3.12." or "03.12.2026" a date
    if separator == "." or (first > 12 and second <= 12):
        readings = [(second, first)]
    elif second > 12 and first <= 12:
        readings = [(first, second)]
    else:
        readings = (
            [(second, first), (first, second)] if day_first else [(first, second), (second, first)]
        )
    for month, day in readings:
        resolved = _resolve(today, month, day, year, weekday_word)
        if resolved is not None:
            if weekday_word and resolved.weekday() != WEEKDAY_WORDS.get(
                weekday_word.lower().rstrip(".")
            ):
                continue
            return resolved
    return None


def _resolve(
    today: date, month: int | None, day: int, year: str | None, weekday_word: str | None
) -> date | None:
    """A full date; without a year, the first one not long before the mail was written."""
    if month is None:
        return None
    if year:
        number = int(year)
        return _safe_date(number + 2000 if number < 100 else number, month, day)
    candidates = [_safe_date(today.year + k, month, day) for k in (-1, 0, 1)]
    valid = [c for c in candidates if c is not None and c >= today - timedelta(days=7)]
    if weekday_word:
        weekday = WEEKDAY_WORDS.get(weekday_word.lower().rstrip("."))
        matching = [c for c in valid if c.weekday() == weekday]
        if matching:
            return matching[0]
    return valid[0] if valid else None


def _safe_date(year: int, month: int, day: int) -> date | None:
    if not 1970 <= year <= 2100:
        return None  # no interview is held there; 9999-12-31 plus an hour would overflow
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _clock_at_or_after(text: str, starts: list[int], position: int) -> re.Match[str] | None:
    """TIME.search(text, position), tried only where a run of digits starts: a time starts
    there or nowhere, and TIME's look-behinds make a plain search slow on long text."""
    for start in starts[bisect.bisect_left(starts, position) :]:
        match = TIME.match(text, start)
        if match is not None:
            return match
    return None


def find_times(text: str) -> list[TimeMention]:
    found: list[TimeMention] = []
    # A time starts a run of one or two digits that no digit, point, comma or slash precedes.
    starts = [
        run.start()
        for run in _DIGIT_RUN.finditer(text)
        if run.end() - run.start() <= 2 and text[run.start() - 1 : run.start()] not in _NOT_BEFORE
    ]
    position = 0
    while True:
        match = _clock_at_or_after(text, starts, position)
        if match is None:
            break
        position = match.end()
        end_time, end_at = None, match.end()
        join = RANGE_JOIN.match(text, match.end())
        second_match = TIME.match(text, join.end()) if join else None
        second = _clock(second_match, text, ranged=True) if second_match else None
        ranged = second_match is not None and second is not None and _explicit(second_match)
        first = _clock(match, text, ranged=ranged)
        if first is None:
            continue
        if second_match is not None and second is not None:
            first, second = _share_meridiem(match, second_match, first, second)
            if second > first and (ranged or _explicit(match)):
                end_time, end_at = second, second_match.end()
                position = end_at
        zone_match = zones.ZONE_AFTER_TIME.match(text, end_at)
        zone = zones.zone_from_match(zone_match) if zone_match else None
        if zone_match and isinstance(zone, timezone):
            # Outlook writes "(UTC-05:00) Eastern Time (US & Canada)" all year: the name wins.
            zone = zones.labelled(zone, text, zone_match.end())
        found.append(TimeMention(first, end_time, zone, match.start(), end_at))
    for match in NOON.finditer(text):
        found.append(TimeMention(time(12, 0), None, None, match.start(), match.end()))
    found.sort(key=lambda t: t.start)
    return found


def _clock(match: re.Match[str], text: str, *, ranged: bool = False) -> time | None:
    hour_text, minute_text, meridiem, suffix, phrase = match.groups()
    hour, minute = int(hour_text), int(minute_text or 0)
    if minute > 59:
        return None
    before = text[max(0, match.start() - 12) : match.start()]
    if not _explicit(match) and not ranged and not _TIME_CUE_BEFORE.search(before):
        return None  # a bare number is a time only after "at", "um", "à", "a las"
    if minute_text and match.group(0)[len(hour_text)] == "." and not (suffix or meridiem or ranged):
        return None  # "15.30" alone is likelier a number than a time
    if minute_text and _MINUTES_UNIT.match(text, match.end()) and "h" in match.group(0).lower():
        return None  # "2h 41m", "1 h 30 min": a length, not a clock time
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        pm = meridiem.lower().startswith("p")
        hour = hour % 12 + (12 if pm else 0)
    elif phrase:
        words = phrase.lower()
        if any(w in words for w in ("tarde", "noche", "soir", "après-midi")) and hour < 12:
            hour += 12
        if not 0 <= hour <= 23:
            return None
    elif not 0 <= hour <= 23:
        return None
    elif 1 <= hour <= 6 and not suffix:
        hour += 12  # "at 3:00" in an interview mail is the afternoon
    return time(hour, minute)


def _explicit(match: re.Match[str]) -> bool:
    """Written as a time: with minutes, am/pm, Uhr/h, or "de la tarde"."""
    _, minute_text, meridiem, suffix, phrase = match.groups()
    return bool(minute_text or meridiem or suffix or phrase)


def _share_meridiem(
    first_match: re.Match[str], second_match: re.Match[str], first: time, second: time
) -> tuple[time, time]:
    """'3-4pm' is 15:00-16:00: a range without its own am/pm takes the other end's."""
    if second_match.group(3) and not first_match.group(3) and first.hour < 12:
        pm = second_match.group(3).lower().startswith("p")
        if pm and first.hour + 12 <= second.hour:
            first = first.replace(hour=first.hour + 12)
    return first, second


def find_length(text: str) -> timedelta | None:
    """The first stated length between 10 minutes and 8 hours ("45 minutes", "1 hour")."""
    for match in LENGTH.finditer(text):
        amount_text, unit = match[1].lower(), match[2].lower()
        if amount_text.startswith("half"):
            minutes = 30
        else:
            amount = int(amount_text) if amount_text.isdigit() else 1
            minutes = amount if unit.startswith("min") else amount * 60
        if 10 <= minutes <= 480:
            return timedelta(minutes=minutes)
    return None

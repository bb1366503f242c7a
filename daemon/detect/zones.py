"""Time-zone words people write in interview mail, mapped to IANA zones.

An abbreviation names a place's clock, not a fixed offset: "3pm EST" in July almost always
means New York's summer time, so abbreviations map to the zone, and the offset comes from
the date. Explicit offsets ("UTC+1", "GMT-05:00") stay fixed.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from daemon.detect.fastre import Pattern

_NAMED = {
    # North America
    "et": "America/New_York", "est": "America/New_York", "edt": "America/New_York",
    "eastern": "America/New_York", "eastern time": "America/New_York",
    "eastern standard time": "America/New_York", "eastern daylight time": "America/New_York",
    "new york time": "America/New_York",
    "ct": "America/Chicago", "cst": "America/Chicago", "cdt": "America/Chicago",
    "central time": "America/Chicago", "central standard time": "America/Chicago",
    "mt": "America/Denver", "mst": "America/Denver", "mdt": "America/Denver",
    "mountain time": "America/Denver",
    "pt": "America/Los_Angeles", "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles",
    "pacific": "America/Los_Angeles", "pacific time": "America/Los_Angeles",
    "pacific standard time": "America/Los_Angeles", "pacific daylight time": "America/Los_Angeles",
    # Europe
    "gmt": "Europe/London", "bst": "Europe/London", "uk time": "Europe/London",
    "london time": "Europe/London", "wet": "Europe/Lisbon", "west": "Europe/Lisbon",
    "cet": "Europe/Berlin", "cest": "Europe/Berlin", "mez": "Europe/Berlin",
    "mesz": "Europe/Berlin", "central european time": "Europe/Berlin",
    "berlin time": "Europe/Berlin", "german time": "Europe/Berlin",
    "deutscher zeit": "Europe/Berlin", "deutsche zeit": "Europe/Berlin",
    "berliner zeit": "Europe/Berlin", "paris time": "Europe/Paris",
    "heure de paris": "Europe/Paris", "heure française": "Europe/Paris",
    "heure de france": "Europe/Paris", "heure de bruxelles": "Europe/Brussels",
    "amsterdam time": "Europe/Amsterdam", "madrid time": "Europe/Madrid",
    "hora de madrid": "Europe/Madrid", "hora peninsular": "Europe/Madrid",
    "hora española": "Europe/Madrid", "hora de españa": "Europe/Madrid",
    "zurich time": "Europe/Zurich", "eet": "Europe/Athens", "eest": "Europe/Athens",
    # Elsewhere
    "ist": "Asia/Kolkata", "india time": "Asia/Kolkata", "india standard time": "Asia/Kolkata",
    "sgt": "Asia/Singapore", "jst": "Asia/Tokyo", "aest": "Australia/Sydney",
    "aedt": "Australia/Sydney", "hora de méxico": "America/Mexico_City",
    "hora de mexico": "America/Mexico_City", "hora de ciudad de méxico": "America/Mexico_City",
    "hora de buenos aires": "America/Argentina/Buenos_Aires", "art": "America/Argentina/Buenos_Aires",
    "hora de bogotá": "America/Bogota", "hora de colombia": "America/Bogota",
    "hora de santiago": "America/Santiago", "hora de lima": "America/Lima",
    "utc": "UTC", "z": "UTC",
}  # fmt: skip

_WORDS = sorted(_NAMED, key=len, reverse=True)
_ABBREVIATIONS = [w for w in _WORDS if " " not in w and w not in ("eastern", "pacific")]
_PHRASES = [w for w in _WORDS if w not in _ABBREVIATIONS]

# Abbreviations count only in capitals: French "et" is "and", "ist" is German for "is".
# A sign right after UTC/GMT ("UTC+1", "GMT -05:00"), not a dash that starts a range.
_OFFSET = r"(?:utc|gmt)[ \t]?([+\-−])[ \t]?(\d{1,2})(?::?(\d{2}))?(?![\d:.h]|\s*(?:am|pm)\b)"
_IANA = r"\b((?:Europe|America|Asia|Africa|Australia|Pacific|Atlantic)/[A-Z][A-Za-z_]+(?:/[A-Z][A-Za-z_]+)?)"
# A zone right after a time: "3pm ET", "15:00 Uhr (MEZ)", "10:00 (UTC+1)", "3pm Eastern Time".
ZONE_AFTER_TIME = re.compile(
    r"\s*(?:\(|,\s*|\s)?\s*[*_]?(?:"
    + _OFFSET
    + "|"
    + _IANA
    + "|("
    + "|".join(re.escape(w) for w in _PHRASES)
    + r")\b|(?-i:\b("
    + "|".join(re.escape(w.upper()) for w in _ABBREVIATIONS)
    + r")\b))",
    re.IGNORECASE,
)
# A zone anywhere: "All times are Eastern Time", "(GMT+01:00) Berlin"
ZONE_ANYWHERE = Pattern(
    _OFFSET
    + "|"
    + _IANA
    + "|\\b("
    + "|".join(re.escape(w) for w in _PHRASES)
    + r")\b|(?-i:\b("
    + "|".join(
        re.escape(w.upper()) for w in _ABBREVIATIONS if len(w) >= 3 and w not in ("art", "west")
    )
    + r")\b)",
    re.IGNORECASE,
)

_CLOCKISH_LINE = re.compile(
    r"^.*(?:\d|time|zeit|heure|hora|zone|utc|gmt).*$", re.IGNORECASE | re.MULTILINE
)

# Zones tried, in order, when only a Date header's offset is known.
_GUESSES = {
    "en": ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
           "Europe/London", "Europe/Berlin", "Asia/Kolkata", "UTC"),
    "de": ("Europe/Berlin", "Europe/London", "UTC"),
    "fr": ("Europe/Paris", "America/Toronto", "Europe/London", "UTC"),
    "es": ("Europe/Madrid", "America/Mexico_City", "America/Bogota",
           "America/Argentina/Buenos_Aires", "UTC"),
}  # fmt: skip


def zone_from_match(match: re.Match[str]) -> tzinfo | None:
    """The zone named by a ZONE_AFTER_TIME or ZONE_ANYWHERE match."""
    sign, hours, minutes, iana, phrase, abbreviation = match.groups()
    if hours is not None:
        offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
        if offset > timedelta(hours=14):
            return None
        return timezone(-offset if sign in "-−" else offset)
    name = iana or None
    if name is None:
        word = " ".join((phrase or abbreviation or "").lower().split())
        name = _NAMED.get(word)
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone_named(text: str) -> tzinfo | None:
    """The first zone named anywhere in `text` (a notice like "all times in CET").

    Only lines that mention a time or a clock are searched: the pattern is long.
    """
    lines = "\n".join(_CLOCKISH_LINE.findall(text))
    for match in ZONE_ANYWHERE.finditer(lines):
        zone = zone_from_match(match)
        if zone is not None:
            return zone
    return None


def guess_zone(sent: datetime | None, language: str) -> tzinfo:
    """A place whose clock matched the Date header's offset when the mail was written."""
    if sent is None or sent.utcoffset() is None:
        return ZoneInfo(_GUESSES.get(language, _GUESSES["en"])[0])
    offset = sent.utcoffset()
    for name in _GUESSES.get(language, _GUESSES["en"]) + _GUESSES["en"]:
        zone = ZoneInfo(name)
        if sent.astimezone(zone).utcoffset() == offset:
            return zone
    assert offset is not None
    return timezone(offset)

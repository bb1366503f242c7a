"""Time-zone words people write in interview mail, mapped to IANA zones.

An abbreviation names a place's clock, not a fixed offset: "3pm EST" in July almost always
means New York's summer time, so abbreviations map to the zone, and the offset comes from
the date. Explicit offsets ("UTC+1", "GMT-05:00") stay fixed.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from daemon.detect.fastre import Pattern

_NAMED = {
    # North America
    "et": "America/New_York", "est": "America/New_York", "edt": "America/New_York",
    "eastern": "America/New_York", "eastern time": "America/New_York",
    "eastern standard time": "America/New_York", "eastern daylight time": "America/New_York",
    "new york time": "America/New_York", "heure de l'est": "America/New_York",
    "heure de l’est": "America/New_York", "heure normale de l'est": "America/New_York",
    "heure avancée de l'est": "America/New_York", "hora del este": "America/New_York",
    "hora de nueva york": "America/New_York", "heure de montréal": "America/Toronto",
    "heure de toronto": "America/Toronto", "central daylight time": "America/Chicago",
    "heure du centre": "America/Chicago", "hora del centro": "America/Chicago",
    "mountain standard time": "America/Denver", "mountain daylight time": "America/Denver",
    "arizona time": "America/Phoenix", "heure du pacifique": "America/Los_Angeles",
    "hora del pacífico": "America/Los_Angeles", "hora del pacifico": "America/Los_Angeles",
    "ct": "America/Chicago", "cst": "America/Chicago", "cdt": "America/Chicago",
    "central time": "America/Chicago", "central standard time": "America/Chicago",
    "mt": "America/Denver", "mst": "America/Denver", "mdt": "America/Denver",
    "mountain time": "America/Denver",
    "pt": "America/Los_Angeles", "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles",
    "pacific": "America/Los_Angeles", "pacific time": "America/Los_Angeles",
    "pacific standard time": "America/Los_Angeles", "pacific daylight time": "America/Los_Angeles",
    # Europe
    "gmt": "Europe/London", "bst": "Europe/London", "uk time": "Europe/London",
    "greenwich mean time": "Europe/London", "british summer time": "Europe/London",
    "irish time": "Europe/Dublin", "dublin time": "Europe/Dublin",
    "central european standard time": "Europe/Berlin",
    "central european summer time": "Europe/Berlin", "mitteleuropäische zeit": "Europe/Berlin",
    "mitteleuropäischer zeit": "Europe/Berlin", "heure d'europe centrale": "Europe/Paris",
    "hora central europea": "Europe/Madrid", "wiener zeit": "Europe/Vienna",
    "österreichischer zeit": "Europe/Vienna", "schweizer zeit": "Europe/Zurich",
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

# The places Outlook and Windows name after an offset: "(UTC+01:00) Amsterdam, Berlin, Bern,
# Rome, Stockholm, Vienna". The offset there is the standard one all year; the place says
# which clock is meant, DST included.
_LABEL_PLACES = {
    "amsterdam": "Europe/Amsterdam", "berlin": "Europe/Berlin", "brussels": "Europe/Brussels",
    "bruxelles": "Europe/Brussels", "brüssel": "Europe/Brussels", "paris": "Europe/Paris",
    "madrid": "Europe/Madrid", "belgrade": "Europe/Belgrade", "belgrad": "Europe/Belgrade",
    "sarajevo": "Europe/Sarajevo", "warsaw": "Europe/Warsaw", "prague": "Europe/Prague",
    "dublin": "Europe/Dublin", "london": "Europe/London", "lisbon": "Europe/Lisbon",
    "athens": "Europe/Athens", "athènes": "Europe/Athens", "athen": "Europe/Athens",
    "bucharest": "Europe/Bucharest", "helsinki": "Europe/Helsinki", "istanbul": "Europe/Istanbul",
    "chennai": "Asia/Kolkata", "osaka": "Asia/Tokyo", "beijing": "Asia/Shanghai",
    "kuala lumpur": "Asia/Kuala_Lumpur", "singapore": "Asia/Singapore",
    "canberra": "Australia/Sydney", "sydney": "Australia/Sydney",
    "guadalajara": "America/Mexico_City", "bogota": "America/Bogota", "bogotá": "America/Bogota",
    "buenos aires": "America/Argentina/Buenos_Aires", "santiago": "America/Santiago",
    "atlantic time": "America/Halifax", "arizona": "America/Phoenix",
    "coordinated universal time": "UTC",
}  # fmt: skip
_LABEL = re.compile(
    r"[ \t]*\)?[ \t]*(?:city of[ \t]+)?("
    + "|".join(
        re.escape(w)
        for w in sorted({**_NAMED, **_LABEL_PLACES}, key=len, reverse=True)
        if len(w) > 3
    )
    + r")\b",
    re.IGNORECASE,
)

_WORDS = sorted(_NAMED, key=len, reverse=True)
_ABBREVIATIONS = [w for w in _WORDS if " " not in w and w not in ("eastern", "pacific")]
_PHRASES = [w for w in _WORDS if w not in _ABBREVIATIONS]

# Abbreviations count only in capitals: French "et" is "and", "ist" is German for "is".
# A sign right after UTC/GMT ("UTC+1", "GMT -05:00"), not a dash that starts a range
# ("10:00 UTC - 11:00 UTC": a sign stands against its number).
_OFFSET = r"(?:utc|gmt)[ \t]?([+\-−])(\d{1,2})(?::?(\d{2}))?(?![\d:.h]|\s*(?:am|pm)\b)"
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

_CLOCKISH = re.compile(r"\d|time|zeit|heure|hora|zone|utc|gmt", re.IGNORECASE)


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


def labelled(offset_zone: timezone, text: str, end: int) -> tzinfo:
    """The place an Outlook label names after its offset ("(UTC-05:00) Eastern Time (US &
    Canada)"), when that place's clock has this offset in winter or summer; else the offset."""
    found = _LABEL.match(text, end)
    if found is None:
        return offset_zone
    word = " ".join(found.group(1).lower().split())
    name = _LABEL_PLACES.get(word) or _NAMED.get(word)
    if name is None:
        return offset_zone
    offset = offset_zone.utcoffset(None)
    return ZoneInfo(name) if offset in _offsets(name) else offset_zone


@functools.cache
def _offsets(name: str) -> frozenset[timedelta | None]:
    """The offsets a zone's clock has had in winter and summer over recent years."""
    zone = ZoneInfo(name)
    return frozenset(
        datetime(year, month, 1, tzinfo=zone).utcoffset()
        for year in range(2015, 2036)
        for month in (1, 7)
    )


def zone_named(text: str) -> tzinfo | None:
    """The first zone named anywhere in `text` (a notice like "all times in CET").

    Only a line that mentions a time or a clock counts ("ET" alone is likelier a word). A
    named zone keeps its own offset on the day in question: CET means +02:00 in June.
    """
    for match in ZONE_ANYWHERE.finditer(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        line_end = text.find("\n", match.end())
        if not _CLOCKISH.search(text, line_start, len(text) if line_end < 0 else line_end):
            continue
        zone = zone_from_match(match)
        if isinstance(zone, timezone):
            return labelled(zone, text, match.end())
        if zone is not None:
            return zone
    return None

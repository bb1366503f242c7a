"""Where a mail comes from, as far as its words, its sender's address and its Date header
tell: which clock its times mean, and which way it writes "3/12".

The order of the cues for "3/12", strongest first:
1. the text's language: German, French and Spanish write the day first;
2. the sender's country domain: .us writes the month first, other countries the day first
   (.ca is mixed and tells nothing; .com, .io and the like tell nothing);
3. an unambiguous date in the same mail: "13/11" says day first, "11/13" month first;
4. the zone the mail means: the Americas month first, elsewhere day first.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone, tzinfo
from zoneinfo import ZoneInfo

from daemon.detect.when import NUMERIC_DATE

# A country's domain, and the zones that country's clocks use (tried against the Date offset).
_COUNTRY_ZONES = {
    "uk": ("Europe/London",), "ie": ("Europe/Dublin",), "de": ("Europe/Berlin",),
    "at": ("Europe/Vienna",), "ch": ("Europe/Zurich",), "fr": ("Europe/Paris",),
    "be": ("Europe/Brussels",), "nl": ("Europe/Amsterdam",), "es": ("Europe/Madrid",),
    "pt": ("Europe/Lisbon",), "it": ("Europe/Rome",), "se": ("Europe/Stockholm",),
    "dk": ("Europe/Copenhagen",), "no": ("Europe/Oslo",), "fi": ("Europe/Helsinki",),
    "pl": ("Europe/Warsaw",), "in": ("Asia/Kolkata",), "sg": ("Asia/Singapore",),
    "jp": ("Asia/Tokyo",), "au": ("Australia/Sydney", "Australia/Brisbane", "Australia/Perth"),
    "nz": ("Pacific/Auckland",), "za": ("Africa/Johannesburg",),
    "mx": ("America/Mexico_City",), "ar": ("America/Argentina/Buenos_Aires",),
    "cl": ("America/Santiago",), "pe": ("America/Lima",),
    "us": ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"),
    "ca": ("America/Toronto", "America/Winnipeg", "America/Edmonton", "America/Vancouver"),
}  # fmt: skip
_MONTH_FIRST_COUNTRIES = {"us", "ph"}
_MIXED_COUNTRIES = {"ca"}
# Words that place a mail in a country whose clock sits on UTC in winter.
_UTC_PLACES = (
    (re.compile(r"\b(?:London|UK|U\.K\.|United Kingdom|England|Scotland|Wales|BST)\b|\+44\b|£"),
     "Europe/London"),
    (re.compile(r"\b(?:Dublin|Ireland|Irish)\b|\+353\b"), "Europe/Dublin"),
    (re.compile(r"\b(?:Lisbon|Lisboa|Portugal|Porto)\b|\+351\b"), "Europe/Lisbon"),
)  # fmt: skip
# Zones tried, in order, when only a Date header's offset is known.
_GUESSES = {
    "en": ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
           "Europe/Berlin", "Asia/Kolkata"),
    "de": ("Europe/Berlin",),
    "fr": ("Europe/Paris", "America/Toronto"),
    "es": ("Europe/Madrid", "America/Mexico_City", "America/Bogota",
           "America/Argentina/Buenos_Aires"),
}  # fmt: skip


def country(domain: str) -> str | None:
    """The country a mail domain names ("acme.co.uk" -> "uk"), if any."""
    label = domain.lower().rstrip(".").rpartition(".")[2]
    return label if len(label) == 2 and label.isalpha() else None


def day_first(language: str, sender_domain: str, text: str, zone: tzinfo) -> bool:
    """Whether "3/12" is the 3rd of December, by the cues in the module's order."""
    if language != "en":
        return True
    place = country(sender_domain)
    if place and place not in _MIXED_COUNTRIES:
        return place not in _MONTH_FIRST_COUNTRIES
    day_first_seen = month_first_seen = False
    for match in NUMERIC_DATE.finditer(text) if "/" in text else ():
        if match[2] != "/":
            continue
        first, second = int(match[1]), int(match[3])
        day_first_seen |= 12 < first <= 31 and second <= 12
        month_first_seen |= 12 < second <= 31 and first <= 12
    if day_first_seen != month_first_seen:
        return day_first_seen
    return not str(zone).startswith("America/")


def guess_zone(
    sent: datetime | None, language: str, text: str = "", sender_domain: str = ""
) -> tzinfo:
    """A place whose clock matched the Date header's offset when the mail was written: the
    sender's country first, then the places the language is spoken. An offset of zero is a
    country's clock only when the mail names the place (servers write +0000); else UTC."""
    place = country(sender_domain)
    preferred = _COUNTRY_ZONES.get(place or "", ())
    guesses = _GUESSES.get(language, _GUESSES["en"])
    if sent is None or sent.utcoffset() is None:
        return ZoneInfo((preferred or guesses)[0])
    offset = sent.utcoffset()
    assert offset is not None
    if not offset:
        # Mail servers stamp +0000 whatever the season: the offset says little, the place all.
        if preferred:
            return ZoneInfo(preferred[0])
        named = next((name for cue, name in _UTC_PLACES if cue.search(text)), "UTC")
        return ZoneInfo(named)
    for name in (*preferred, *guesses, *_GUESSES["en"]):
        zone = ZoneInfo(name)
        if sent.astimezone(zone).utcoffset() == offset:
            return zone
    return timezone(offset)

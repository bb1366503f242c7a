"""Durations as people write them in the config: `90s`, `15m`, `2h`, `1h30m`, `5 business days`.

Business days cannot be a fixed number of seconds (weekends and holidays fall between), so a
`Duration` keeps them apart from clock time and the planner resolves them against a calendar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

_UNIT_SECONDS = {
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
    "w": 604800, "week": 604800, "weeks": 604800,
    "y": 31536000, "yr": 31536000, "year": 31536000, "years": 31536000,
}  # fmt: skip
_PART = re.compile(r"(\d+)\s*([a-z]+)")
_CLOCK = re.compile(r"^(?:\d+\s*[a-z]+\s*)+$")
_BUSINESS = re.compile(r"^(\d+)\s*(?:business|working|work)[\s_-]*days?$")

EXPECTED = "a duration like '90s', '15m', '2h', '3d' or '5 business days'"
EXPECTED_CLOCK = "a duration like '90s', '15m', '2h' or '3d'"


@dataclass(frozen=True)
class Duration:
    """Either clock time or a count of business days, never both."""

    clock: timedelta = timedelta(0)
    business_days: int = 0

    def __str__(self) -> str:
        if self.business_days:
            unit = "business day" if self.business_days == 1 else "business days"
            return f"{self.business_days} {unit}"
        return format_timedelta(self.clock)


def parse_duration(text: str, *, business_days: bool = True) -> Duration:
    """Parse `text`; raise ValueError (with a detail, or none) when it is not a duration.

    The caller says what was expected (`EXPECTED` or `EXPECTED_CLOCK`) around the detail.
    """
    cleaned = text.strip().lower()
    match = _BUSINESS.match(cleaned)
    if match:
        if not business_days:
            raise ValueError("business days are not allowed here")
        days = int(match.group(1))
        if days > 2600:
            raise ValueError("at most 10 years")
        return Duration(business_days=days)
    if not _CLOCK.match(cleaned):
        raise ValueError("")
    seconds = 0
    for number, unit in _PART.findall(cleaned):
        if unit not in _UNIT_SECONDS:
            raise ValueError(f"unknown unit '{unit}'")
        seconds += int(number) * _UNIT_SECONDS[unit]
    if seconds > 10 * 365 * 86400:
        raise ValueError("at most 10 years")
    return Duration(clock=timedelta(seconds=seconds))


def format_timedelta(value: timedelta) -> str:
    """The shortest way to write `value` in the units `parse_duration` reads."""
    seconds = int(value.total_seconds())
    if seconds == 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)

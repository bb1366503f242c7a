"""Durations as the config spells them: clock time in s/m/h/d/w, or a count of business days."""

from __future__ import annotations

from datetime import timedelta

import pytest

from daemon.durations import Duration, format_timedelta, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("15m", 15 * 60),
        ("2h", 2 * 3600),
        ("3d", 3 * 86400),
        ("1w", 7 * 86400),
        ("1h30m", 5400),
        ("1d2h3m4s", 86400 + 2 * 3600 + 3 * 60 + 4),
        ("1 h 30 m", 5400),
        ("2H", 7200),
        ("  15m\t", 900),
        ("10 minutes", 600),
        ("1 hour", 3600),
        ("2 weeks", 14 * 86400),
        ("45 secs", 45),
        ("0s", 0),
        ("3650d", 3650 * 86400),
    ],
)
def test_clock_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == Duration(clock=timedelta(seconds=seconds))
    # clock time is just as welcome where business days are refused
    assert parse_duration(text, business_days=False).clock == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("5 business days", 5),
        ("1 business day", 1),
        ("5 Business Days", 5),
        ("  7 business days  ", 7),
        ("3 working days", 3),
        ("2business days", 2),
    ],
)
def test_business_days(text: str, days: int) -> None:
    duration = parse_duration(text)
    assert duration == Duration(business_days=days)
    assert duration.clock == timedelta(0)


def test_business_days_are_not_calendar_days() -> None:
    assert parse_duration("5 business days") != parse_duration("5d")
    assert parse_duration("5d").business_days == 0


@pytest.mark.parametrize(
    ("text", "kwargs", "detail"),
    [
        ("5 business days", {"business_days": False}, "business days are not allowed here"),
        ("1 business day", {"business_days": False}, "business days are not allowed here"),
        ("5 fortnights", {}, "unknown unit 'fortnights'"),
        ("1h 2x", {}, "unknown unit 'x'"),
        ("", {}, ""),
        ("   ", {}, ""),
        ("-5m", {}, ""),
        ("90", {}, ""),
        ("1h30", {}, ""),
        ("m", {}, ""),
        ("1.5h", {}, ""),
        ("soon", {}, ""),
        ("3651d", {}, "at most 10 years"),
        ("600 weeks", {}, "at most 10 years"),
    ],
)
def test_invalid_durations(text: str, kwargs: dict[str, bool], detail: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_duration(text, **kwargs)
    assert str(info.value) == detail


def test_absurd_business_day_counts_are_refused_like_clock_time() -> None:
    # Clock time stops at 10 years; business days had no limit, and a date that far away
    # overflows (OverflowError) wherever the planner adds it to today.
    with pytest.raises(ValueError):
        parse_duration("99999999999999 business days")
    assert parse_duration("2000 business days") == Duration(business_days=2000)


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (Duration(), "0s"),
        (Duration(clock=timedelta(seconds=90)), "1m30s"),
        (Duration(clock=timedelta(hours=72)), "3d"),
        (Duration(clock=timedelta(days=1, hours=2, minutes=3, seconds=4)), "1d2h3m4s"),
        (Duration(business_days=1), "1 business day"),
        (Duration(business_days=5), "5 business days"),
    ],
)
def test_duration_str(duration: Duration, text: str) -> None:
    assert str(duration) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(0), "0s"),
        (timedelta(seconds=59), "59s"),
        (timedelta(minutes=15), "15m"),
        (timedelta(hours=1, minutes=30), "1h30m"),
        (timedelta(days=7), "7d"),
        (timedelta(days=60), "60d"),
        (timedelta(days=1, seconds=1), "1d1s"),
        (timedelta(seconds=90, microseconds=500), "1m30s"),
    ],
)
def test_format_timedelta(value: timedelta, text: str) -> None:
    assert format_timedelta(value) == text


@pytest.mark.parametrize(
    "text",
    ["90s", "15m", "2h", "3d", "1w", "1h30m", "36h", "100m", "1 business day", "5 business days"],
)
def test_str_round_trips_through_parse(text: str) -> None:
    duration = parse_duration(text)
    assert parse_duration(str(duration)) == duration


@pytest.mark.parametrize("seconds", [0, 1, 59, 60, 61, 3599, 3600, 3661, 86399, 86400, 987654])
def test_format_timedelta_round_trips_through_parse(seconds: int) -> None:
    value = timedelta(seconds=seconds)
    assert parse_duration(format_timedelta(value)).clock == value

"""An interview as the user types it (`afterview interview add|edit`): each flag read and
checked, then laid over the record. Pure: text and the user's time zone in, an Interview out.

Every field the user sets is marked corrected, and no later sighting changes a corrected field
(`interviews.merge`): what the user typed wins over what detection reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, time, timedelta, tzinfo
from urllib.parse import urlsplit

from daemon.config import is_email_address
from daemon.durations import EXPECTED_CLOCK, format_timedelta, parse_duration
from daemon.errors import Refused
from daemon.interviews import Interview, Status, keep_length
from daemon.model import Person

MAX_LENGTH = timedelta(hours=24)  # an interview longer than a day is a typo
MAX_TEXT = 300
_TIME_OF_DAY = re.compile(r"^\d{1,2}:\d{2}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# "Dana Lee <dana@acme.example>", '"Lee, Dana" <dana@acme.example>' or a bare address.
_PERSON = re.compile(r'^\s*(?:"?([^"<>]*?)"?\s*<([^<>\s]+)>|([^<>\s"]+))\s*$')


class InputError(Refused, ValueError):
    """What the user typed cannot be an interview; the message says why."""


@dataclass(frozen=True)
class Typed:
    """The flags given; None: not given (an edit keeps that field as it is). An empty role,
    URL or location clears it. A naive start or end is in the user's time zone."""

    company: str | None = None
    role: str | None = None
    start: datetime | None = None
    end: datetime | time | None = None  # a time of day: on the start's day
    duration: timedelta | None = None
    interviewers: tuple[Person, ...] | None = None
    meeting_url: str | None = None
    location: str | None = None
    thread_id: int | None = None  # the thread it belongs to (not a corrected field)

    def corrected(self) -> frozenset[str]:
        """The names (`interviews.CORRECTABLE`) of the fields given."""
        given = {f.name for f in fields(self) if getattr(self, f.name) is not None}
        if given & {"start", "end", "duration"}:
            given |= {"time"}
        return frozenset(given - {"start", "end", "duration", "thread_id"})


def added(typed: Typed, zone: tzinfo) -> Interview:
    """A new interview from the flags of `interview add` (a company and a start needed)."""
    if not typed.company:
        raise InputError("--company is needed: who is the interview with?")
    if typed.start is None:
        raise InputError("--start is needed: when is the interview?")
    return _laid_over(Interview(None, Status.SCHEDULED), typed, zone)


def edited(interview: Interview, typed: Typed, zone: tzinfo) -> Interview:
    """The interview with the flags of `interview edit` laid over it. A new time makes it
    scheduled (a cancelled one too: the user says it takes place)."""
    if not typed.corrected() and typed.thread_id is None:
        raise InputError("nothing to change: give at least one field (see --help)")
    return _laid_over(interview, typed, zone)


def _laid_over(base: Interview, typed: Typed, zone: tzinfo) -> Interview:
    start, end = _time(base, typed, zone)
    given = typed.corrected()
    found = replace(
        base,
        company=typed.company if typed.company is not None else base.company,
        role=_cleared(typed.role, base.role),
        start=start,
        end=end,
        interviewers=typed.interviewers if typed.interviewers is not None else base.interviewers,
        meeting_url=_cleared(typed.meeting_url, base.meeting_url),
        location=_cleared(typed.location, base.location),
        thread_id=typed.thread_id if typed.thread_id is not None else base.thread_id,
        corrected=base.corrected | given,
    )
    return replace(found, status=Status.SCHEDULED) if "time" in given else found


def _cleared(typed: str | None, known: str | None) -> str | None:
    if typed is None:
        return known
    return typed or None


def _time(base: Interview, typed: Typed, zone: tzinfo) -> tuple[datetime | None, datetime | None]:
    if typed.start is None and typed.end is None and typed.duration is None:
        return base.start, base.end
    start = in_zone(typed.start, zone) if typed.start is not None else base.start
    if start is None:
        raise InputError("--end and --duration need a start: give --start too")
    if typed.duration is not None:
        end: datetime | None = start + typed.duration
    elif isinstance(typed.end, datetime):
        end = in_zone(typed.end, zone)
    elif typed.end is not None:
        end = in_zone(datetime.combine(start.astimezone(zone).date(), typed.end), zone)
    else:
        end = keep_length(base, start)  # a move keeps the known length
    if end is not None and end <= start:
        raise InputError(
            f"the interview would end ({local_text(end, zone)}) before it starts "
            f"({local_text(start, zone)})"
        )
    if end is not None and end - start > MAX_LENGTH:
        raise InputError(
            f"the interview would last {format_timedelta(end - start)}: at most "
            f"{format_timedelta(MAX_LENGTH)}"
        )
    return start.astimezone(UTC), end.astimezone(UTC) if end is not None else None


def in_zone(moment: datetime, zone: tzinfo) -> datetime:
    """A naive time read in the user's zone (an aware one stays as it is); a local time the
    clocks skip is refused rather than moved."""
    if moment.tzinfo is not None:
        return moment
    aware = moment.replace(tzinfo=zone)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != moment:
        raise InputError(
            f"{moment:%Y-%m-%d %H:%M} does not exist in {zone}: the clocks skip it that day"
        )
    return aware


def local_text(moment: datetime, zone: tzinfo) -> str:
    """A moment as the interview list shows it: `Thu 2026-12-03 15:00 CET`."""
    return f"{moment.astimezone(zone):%a %Y-%m-%d %H:%M %Z}"


# -- Each flag read (an argparse `type`: ValueError says what is wrong) --------------------------


def read_start(text: str) -> datetime:
    """`2026-12-03T15:00` or `2026-12-03 15:00`, with an offset or not (then: the user's zone)."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"expected a date and time like 2026-12-03T15:00, got {text!r}") from None
    if "T" not in text.upper() and " " not in text.strip():
        raise InputError(f"{text!r} has no time of day: like 2026-12-03T15:00")
    return value


def read_end(text: str) -> datetime | time:
    """A time of day (`16:00`, on the start's day) or a date and time as for the start."""
    if _TIME_OF_DAY.match(text.strip()):
        try:
            return time.fromisoformat(text.strip().zfill(5))
        except ValueError:
            raise InputError(f"{text!r} is not a time of day") from None
    return read_start(text)


def read_duration(text: str) -> timedelta:
    try:
        length = parse_duration(text, business_days=False).clock
    except ValueError as exc:
        detail = f" ({exc})" if str(exc) else ""
        raise InputError(f"expected {EXPECTED_CLOCK}, got {text!r}{detail}") from None
    if not timedelta(minutes=1) <= length <= MAX_LENGTH:
        raise InputError(
            f"expected a length from 1m to {format_timedelta(MAX_LENGTH)}, got {text!r}"
        )
    return length


def read_person(text: str) -> Person:
    """`Dana Lee <dana@acme.example>` or `dana@acme.example`."""
    found = _PERSON.match(text) if not _CONTROL.search(text) else None
    address = (found.group(2) or found.group(3)) if found else ""
    if found is None or not _is_address(address):
        raise InputError(
            f"expected 'Name <name@company.example>' or an address, got {text!r}"
            + (f": {address!r} is not an email address" if address else "")
        )
    name = (found.group(1) or "").strip()
    return Person(name or None, address)


def read_url(text: str) -> str:
    """A web address (http or https); empty clears it."""
    value = text.strip()
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or _bad(value):
        raise InputError(f"expected a web address like https://meet.example/abc, got {text!r}")
    return value


def read_text(text: str) -> str:
    """One line of text (a role, a place); empty clears it."""
    value = text.strip()
    if _CONTROL.search(value):
        raise InputError("expected one line of text")
    if len(value) > MAX_TEXT:
        raise InputError(f"at most {MAX_TEXT} characters")
    return value


def read_name(text: str) -> str:
    """One line of text that cannot be empty (a company)."""
    value = read_text(text)
    if not value:
        raise InputError("cannot be empty")
    return value


def _is_address(text: str) -> bool:
    return is_email_address(text) and "." in text.rsplit("@", 1)[-1]


def _bad(text: str) -> bool:
    return bool(_CONTROL.search(text)) or any(c.isspace() for c in text)

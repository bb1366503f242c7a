"""One record per interview, merged from every place it was seen: pure decisions, no storage.

An emailed invitation, the confirmation that follows, the calendar event the user accepted and
the reschedule a week later are all the same interview. `merge` takes what is known and one new
sighting (a detection with where it came from) and says which record it updates or creates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from daemon.model import Detection, Kind, Person

SAME_SLOT = timedelta(minutes=1)
# What the user can set by hand (`afterview interview add|edit`); "time" is start and end.
CORRECTABLE = ("company", "role", "time", "interviewers", "meeting_url", "location")


class Status(StrEnum):
    INVITED = "invited"  # asked to interview, no time fixed yet
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Interview:
    id: int | None
    status: Status
    company: str | None = None
    role: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    interviewers: tuple[Person, ...] = ()
    meeting_url: str | None = None
    location: str | None = None
    thread_id: int | None = None
    uid: str | None = None
    sequence: int = 0
    # The fields the user set by hand (names from CORRECTABLE): no sighting changes them.
    corrected: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Sighting:
    """One detection that says something about an interview, and where it was seen."""

    detection: Detection
    source: str  # "mail:<message-id>" or "calendar:<source>|<uid>|<recurrence-id>"
    thread_id: int | None = None
    sequence: int = 0  # the ICS SEQUENCE, 0 for prose


@dataclass(frozen=True)
class Change:
    interview: Interview  # id None: a new record
    what: str  # "new", "updated", "rescheduled", "cancelled", "unchanged", "stale"
    kept: tuple[str, ...] = ()  # fields the user corrected that this sighting says otherwise


def merge(known: Sequence[Interview], sighting: Sighting) -> Change | None:
    """The record this sighting creates or changes; None when it is not about an interview."""
    found = sighting.detection
    if found.kind is Kind.NONE:
        return None
    match = _match(known, sighting)
    if match is None:
        return _new(sighting)
    if match.uid and found.uid == match.uid and sighting.sequence < match.sequence:
        return Change(match, "stale")  # an older copy of an event we already have newer
    return _update(match, sighting)


def _match(known: Sequence[Interview], sighting: Sighting) -> Interview | None:
    found = sighting.detection
    if found.uid:
        for interview in known:
            if interview.uid == found.uid:
                return interview
    if found.start is not None:
        for interview in known:
            if _same_slot(interview, found) and _same_company(interview.company, found.company):
                return interview
    in_thread = [i for i in known if sighting.thread_id and i.thread_id == sighting.thread_id]
    if not in_thread:
        return _by_company(known, found)
    if found.kind in (Kind.RESCHEDULED, Kind.CANCELLED, Kind.INVITATION):
        live = [i for i in in_thread if i.status is not Status.CANCELLED] or in_thread
        return _latest(live)
    # A scheduled time in a thread: it fixes the invitation, or it is another round.
    waiting = [i for i in in_thread if i.status is Status.INVITED or i.start is None]
    return _latest(waiting) if waiting else None


def _by_company(known: Sequence[Interview], found: Detection) -> Interview | None:
    """A reschedule or cancellation from outside the thread: the one live interview at that
    company, when there is exactly one."""
    if found.kind not in (Kind.RESCHEDULED, Kind.CANCELLED) or not found.company:
        return None
    live = [
        i
        for i in known
        if i.status is not Status.CANCELLED and _same_company(i.company, found.company)
    ]
    if found.kind is Kind.CANCELLED and found.start is not None:
        live = [i for i in live if i.start is None or _same_slot(i, found)]
    return live[0] if len(live) == 1 else None


def _same_slot(interview: Interview, found: Detection) -> bool:
    if interview.start is None or found.start is None:
        return False
    return abs(interview.start - found.start) < SAME_SLOT


def _same_company(first: str | None, second: str | None) -> bool:
    if not first or not second:
        return True
    return _company_key(first) == _company_key(second)


def _company_key(name: str) -> str:
    words = [w for w in name.lower().replace(",", " ").split() if w not in _LEGAL_FORMS]
    return " ".join(words)


_LEGAL_FORMS = {"inc", "inc.", "llc", "ltd", "ltd.", "gmbh", "ag", "sa", "sas", "s.a.", "bv", "plc"}


def _latest(interviews: Sequence[Interview]) -> Interview | None:
    if not interviews:
        return None
    return max(interviews, key=lambda i: i.id or 0)


def _new(sighting: Sighting) -> Change:
    found = sighting.detection
    status = {
        Kind.INVITATION: Status.INVITED,
        Kind.CANCELLED: Status.CANCELLED,
    }.get(found.kind, Status.SCHEDULED)
    interview = Interview(
        id=None,
        status=status,
        company=found.company,
        role=found.role,
        start=None if found.kind is Kind.INVITATION else found.start,
        end=None if found.kind is Kind.INVITATION else found.end,
        interviewers=found.interviewers,
        meeting_url=found.meeting_url,
        location=found.location,
        thread_id=sighting.thread_id,
        uid=found.uid,
        sequence=sighting.sequence,
    )
    return Change(interview, "new")


def _update(interview: Interview, sighting: Sighting) -> Change:
    found = sighting.detection
    merged = replace(
        interview,
        company=interview.company or found.company,
        role=interview.role or found.role,
        interviewers=_union(interview.interviewers, found.interviewers),
        meeting_url=found.meeting_url or interview.meeting_url,
        location=found.location or interview.location,
        thread_id=interview.thread_id or sighting.thread_id,
        uid=interview.uid or found.uid,
        sequence=max(interview.sequence, sighting.sequence),
    )
    what = "updated"
    if found.kind is Kind.CANCELLED:
        if interview.status is not Status.CANCELLED:
            merged = replace(merged, status=Status.CANCELLED)
            what = "cancelled"
    elif found.kind is Kind.INVITATION:
        pass  # a reminder of the invitation adds details at most
    elif found.start is not None:
        moved = interview.start is not None and not _same_slot(interview, found)
        merged = replace(
            merged,
            status=Status.SCHEDULED,
            start=found.start,
            end=found.end or keep_length(interview, found.start),
        )
        if moved and "time" not in interview.corrected:
            what = "rescheduled"
        elif interview.status is not Status.SCHEDULED:
            what = "updated"
    merged, kept = _by_hand_wins(interview, merged)
    if merged == interview:
        return Change(interview, "unchanged", kept)
    return Change(merged, what, kept)


_FIELDS = {"time": ("start", "end")}


def _by_hand_wins(interview: Interview, merged: Interview) -> tuple[Interview, tuple[str, ...]]:
    """The fields the user corrected, as the user left them; and those the sighting would
    have changed."""
    kept = []
    for name in sorted(interview.corrected.intersection(CORRECTABLE)):
        fields = _FIELDS.get(name, (name,))
        if any(getattr(merged, f) != getattr(interview, f) for f in fields):
            kept.append(name)
            merged = replace(merged, **{f: getattr(interview, f) for f in fields})
    return merged, tuple(kept)


def keep_length(interview: Interview, start: datetime) -> datetime | None:
    """The end of an interview moved to `start` that keeps its known length (None when its
    length is not known)."""
    if interview.start is None or interview.end is None:
        return None
    return start + (interview.end - interview.start)


def _union(first: Iterable[Person], second: Iterable[Person]) -> tuple[Person, ...]:
    people: list[Person] = []
    for person in [*first, *second]:
        same = next((p for p in people if _same_person(p, person)), None)
        if same is None:
            people.append(person)
        elif (same.name is None and person.name) or (same.email is None and person.email):
            people[people.index(same)] = Person(
                same.name or person.name, same.email or person.email
            )
    return tuple(people)


def _same_person(first: Person, second: Person) -> bool:
    if first.email and second.email:
        return first.email.lower() == second.email.lower()
    return bool(first.name and second.name and first.name.lower() == second.name.lower())


@dataclass(frozen=True)
class CalendarEntry:
    """What a calendar gave for one event occurrence at its last read."""

    key: str  # the sighting source: "calendar:<source>|<uid>|<recurrence-id>"
    href: str | None  # the CalDAV object URL
    start: datetime | None  # the detector's start, when it read one


def removed_events(
    before: Sequence[CalendarEntry],
    now_present: Iterable[str],
    changed_hrefs: Sequence[str] | None,
    now: datetime,
    window_end: datetime | None,
) -> list[CalendarEntry]:
    """The events a calendar no longer holds that were still to come: deleted by the user or
    the organiser, since an event that merely ended stays where it was.

    `changed_hrefs` is None after a full read (what is missing is gone), else the objects a
    partial CalDAV read re-read (only their missing events are gone). A full read that comes
    back empty removes nothing: an ICS feed that briefly serves an empty calendar must not
    cancel every interview in it. An event that started past the window's end may have moved
    out of it, not away; so do events with no known start: neither counts."""
    present = set(now_present)
    if changed_hrefs is None and not present:
        return []
    looked_at = None if changed_hrefs is None else set(changed_hrefs)
    return [
        entry
        for entry in before
        if entry.key not in present
        and (looked_at is None or entry.href in looked_at)
        and entry.start is not None
        and entry.start > now
        and (window_end is None or entry.start < window_end)
    ]

"""Read calendar events: an ICS file's VEVENTs, or the invitation a mail carries.

The event's own properties (METHOD, STATUS, SEQUENCE, ATTENDEE, ORGANIZER) are the strongest
evidence; for an event in a mail, the mail's reading completes what the event leaves out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo
from typing import Protocol

from daemon.detect import cues, details, ics, links, negatives, people
from daemon.detect.company import find_company, is_freemail
from daemon.model import Detection, Kind, Person

log = logging.getLogger(__name__)


class MailReading(Protocol):
    """What an event found in a mail asks of that mail's reading."""

    def complete(
        self,
        kind: Kind,
        start: datetime | None,
        end: datetime | None,
        found: list[Person],
        spelled: str = "",
    ) -> Detection: ...


def classify_calendar(
    data: bytes, *, me: Iterable[str] = (), default_zone: tzinfo = UTC
) -> list[Detection]:
    """One detection per VEVENT, in file order; an unreadable file gives one with `error`."""
    calendar = ics.read(data, default_zone)
    if not calendar.events:
        error = "; ".join(calendar.errors) or "no events in the calendar"
        return [Detection(Kind.NONE, error=error)]
    mine = {address.lower() for address in me} or _calendar_owner(calendar.events)
    results = []
    for event in calendar.events:
        try:
            results.append(event_detection(event, "", mine, set(), None))
        except Exception as exc:  # one odd event must not hide the others
            log.warning("detection failed on an event: %s: %s", type(exc).__name__, exc)
            results.append(
                Detection(Kind.NONE, uid=event.uid, error=f"detection failed: {type(exc).__name__}")
            )
    return results


def _calendar_owner(events: list[ics.CalendarEvent]) -> set[str]:
    """In a file of several interview events, the one person in all of them is the candidate."""
    if len(events) < 2:
        return set()
    seen = [{a.person.email for a in event.attendees if a.person.email} for event in events]
    common = set.intersection(*seen) if all(seen) else set()
    common = {a for a in common if not people.is_robot(a)}
    return common if len(common) == 1 else set()


def event_detection(
    event: ics.CalendarEvent,
    mail_text: str,
    me: set[str],
    my_names: set[str],
    reading: MailReading | None,
) -> Detection:
    if event.method in ics.ANSWER_METHODS:
        return Detection(Kind.NONE, uid=event.uid, reasons=("an attendee's answer",))
    text = event.text
    interview = cues.INTERVIEW.search(text) or (
        reading is not None and cues.INTERVIEW.search(mail_text)
    )
    if (
        not interview
        or event.start is None
        or negatives.BULK.search(event.summary)
        or negatives.NOT_HIRING.search(text)
        or negatives.REGISTRATION.search(text)
    ):
        return Detection(Kind.NONE, uid=event.uid, reasons=("not an interview event",))
    if event.method == "CANCEL" or event.status == "CANCELLED":
        kind = Kind.CANCELLED
    elif event.sequence > 0 or cues.RESCHEDULED.search(
        "\n".join(cues.firm_sentences(mail_text or text))
    ):
        kind = Kind.RESCHEDULED
    else:
        kind = Kind.SCHEDULED
    if not me:
        me = _guess_candidate(event)
    found = people.from_attendees(event.attendees, event.organizer, me)
    if not found:
        found = people.from_prose(event.description, me, my_names)
        found = people.clean(
            found + people.from_lists_and_titles(event.description, me, my_names), me
        )
    if reading is not None:
        # The event's own text spells the company as it writes itself ("Abernathy & Lowe").
        spelled = event.description + "\n" + event.location
        detection = reading.complete(kind, event.start, event.end, found, spelled)
        meeting = links.meeting_url(
            event.urls + links.urls_in(event.description + "\n" + event.location)
        )
        location = details.event_location(event) or detection.location
        return Detection(
            kind,
            company=detection.company,
            role=detection.role,
            start=event.start,
            end=event.end,
            interviewers=detection.interviewers,
            meeting_url=meeting or detection.meeting_url,
            location=None if (meeting or detection.meeting_url) else location,
            uid=event.uid,
            sequence=event.sequence,
        )
    meeting = links.meeting_url(
        event.urls + links.urls_in(event.description + "\n" + event.location)
    )
    organizer = event.organizer.email if event.organizer and event.organizer.email else ""
    company = find_company(
        event.summary,
        # a LOCATION often opens with the company's name as it spells it: "Boréal Logiciels, ..."
        event.description + "\n" + event.location,
        "",
        organizer,
        [p.email for p in found if p.email],
        set(),
        titled=True,
        people_names=[a.person.name or "" for a in event.attendees if a.person.email in me],
    )
    return Detection(
        kind,
        company=company,
        role=details.role_in(event.summary + "\n" + event.description),
        start=event.start,
        end=event.end,
        interviewers=tuple(found),
        meeting_url=meeting,
        location=None if meeting else details.event_location(event),
        uid=event.uid,
        sequence=event.sequence,
    )


def _guess_candidate(event: ics.CalendarEvent) -> set[str]:
    """In a bare calendar file the candidate is the attendee whose domain no one else shares."""
    addresses = [a.person.email for a in event.attendees if a.person.email]
    if event.organizer and event.organizer.email:
        addresses.append(event.organizer.email)
    people_here = [a for a in dict.fromkeys(addresses) if not people.is_robot(a)]
    domains = [a.split("@")[1] for a in people_here]
    lonely = {a for a in people_here if domains.count(a.split("@")[1]) == 1}
    if len(lonely) == 1 and len(people_here) > 1:
        return lonely
    # One person on a personal mail host among company addresses: the candidate.
    personal = {a for a in people_here if is_freemail(a.split("@")[1])}
    if len(personal) == 1 and len(people_here) > 1:
        return personal
    # Asked to answer while everyone else has accepted: the invitee, that is the candidate.
    waiting = {
        a.person.email
        for a in event.attendees
        if a.person.email and a.partstat == "NEEDS-ACTION" and not people.is_robot(a.person.email)
    }
    accepted = [a for a in event.attendees if a.partstat == "ACCEPTED"]
    if len(waiting) == 1 and accepted:
        return waiting
    organizer = event.organizer.email if event.organizer else None
    if organizer and not people.is_robot(organizer):
        outside = {a for a in people_here if a.split("@")[1] != organizer.split("@")[1]}
        if len(outside) == 1:
            return outside
    return set()

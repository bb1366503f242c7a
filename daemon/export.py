"""`afterview export`: everything afterview knows as CSV, and what is coming as a calendar.

Pure: both take what was read from the state and return text. The calendar's UIDs are stable
(`afterview-interview-ID@afterview`, `afterview-followup-ID-STEP@afterview`), so a calendar
subscribed to the exported file sees an event move, not a second copy of it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import icalendar

from daemon.interviews import Interview, Status
from daemon.plan import ASSUMED_LENGTH, FollowUpPlan, StepState

CSV_COLUMNS = (
    "kind",  # interview, plan_step, note
    "interview_id",
    "at",
    "company",
    "role",
    "status",
    "people",
    "step",
    "detail",
)
REMINDER_LENGTH = timedelta(minutes=15)  # a follow-up due date shows as a short event


def to_csv(
    interviews: Iterable[Interview],
    plans: Callable[[Interview], FollowUpPlan],
    notes: Iterable[dict[str, Any]],
) -> str:
    """One table, a row per interview, per step of its plan and per drafted note; `kind`
    says which."""
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for interview in interviews:
        found = plans(interview)
        writer.writerow(
            {
                "kind": "interview",
                "interview_id": interview.id,
                "at": interview.start.isoformat() if interview.start else "",
                "company": interview.company or "",
                "role": interview.role or "",
                "status": interview.status.value,
                "people": _people(interview),
                "step": "",
                "detail": found.stopped or "",
            }
        )
        for step in found.steps:
            writer.writerow(
                {
                    "kind": "plan_step",
                    "interview_id": interview.id,
                    "at": step.draft_at.isoformat(),
                    "company": interview.company or "",
                    "status": step.state.value,
                    "step": step.kind.value,
                    "detail": f"due {step.due.isoformat()}",
                }
            )
    for note in notes:
        writer.writerow(
            {
                "kind": "note",
                "interview_id": note["interview_id"],
                "at": note["sent_at"] or note["updated_at"] or "",
                "status": note["state"],
                "people": "; ".join(str(r) for r in note["recipients"] if r),
                "step": note["step"],
                "detail": note["detail"] or "",
            }
        )
    return out.getvalue()


def to_ics(
    interviews: Iterable[Interview],
    plans: Callable[[Interview], FollowUpPlan],
    now: datetime,
) -> bytes:
    """Upcoming interviews, and the follow-ups still to come, as one VCALENDAR."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//afterview//export//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "afterview")
    for interview in interviews:
        if interview.id is None or interview.status is Status.CANCELLED:
            continue
        company = interview.company or "unknown company"
        if interview.start is not None and interview.start >= now:
            event = _event(f"afterview-interview-{interview.id}@afterview", now)
            role = f" ({interview.role})" if interview.role else ""
            event.add("summary", f"Interview: {company}{role}")
            event.add("dtstart", interview.start)
            event.add("dtend", interview.end or interview.start + ASSUMED_LENGTH)
            event.add("sequence", interview.sequence)
            if interview.location:
                event.add("location", interview.location)
            if interview.meeting_url:
                event.add("url", interview.meeting_url)
            people = _people(interview)
            if people:
                event.add("description", f"With {people}")
            calendar.add_component(event)
        for step in plans(interview).steps:
            if step.state not in (StepState.WAITING, StepState.DUE):
                continue
            name = step.kind.value
            event = _event(f"afterview-followup-{interview.id}-{name}@afterview", now)
            event.add("summary", f"Follow up: {name.replace('_', ' ')} to {company}")
            event.add("dtstart", step.draft_at)
            event.add("dtend", step.draft_at + REMINDER_LENGTH)
            event.add("description", f"afterview drafts it then; due {step.due.isoformat()}")
            calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data


def _event(uid: str, now: datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", now)
    return event


def _people(interview: Interview) -> str:
    return "; ".join(
        f"{p.name} <{p.email}>" if p.name and p.email else p.name or p.email or ""
        for p in interview.interviewers
    )

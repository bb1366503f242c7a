"""Domain types shared by the core: what afterview knows about interviews and the people in them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """What a message or event says about an interview."""

    NONE = "none"
    INVITATION = "invitation"  # asked to interview, no fixed time yet
    SCHEDULED = "scheduled"  # a fixed time
    RESCHEDULED = "rescheduled"  # a scheduled interview moved; carries the new time
    CANCELLED = "cancelled"  # called off; carries the cancelled slot when stated


@dataclass(frozen=True)
class Person:
    name: str | None
    email: str | None

    def to_json(self) -> dict[str, str | None]:
        return {"name": self.name, "email": self.email}


@dataclass(frozen=True)
class Detection:
    """The detector's reading of one email or one calendar event."""

    kind: Kind
    company: str | None = None
    role: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    interviewers: tuple[Person, ...] = ()
    meeting_url: str | None = None
    location: str | None = None
    uid: str | None = None
    sequence: int = 0  # the ICS SEQUENCE of the event it was read from
    # The day the employer said they would decide or write by ("we'll be in touch by Friday").
    decision_by: date | None = None
    error: str | None = None
    reasons: tuple[str, ...] = field(default=(), compare=False)

    def to_json(self, file: str) -> dict[str, Any]:
        return {
            "file": file,
            "kind": self.kind.value,
            "company": self.company,
            "role": self.role,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "interviewers": [p.to_json() for p in self.interviewers],
            "meeting_url": self.meeting_url,
            "location": self.location,
            "uid": self.uid,
            "error": self.error,
        }

"""Interviews and where they were seen, calendar validators, and each component's health."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from daemon.interviews import CalendarEntry, Interview, Status
from daemon.model import Person
from daemon.store.connection import Connected


class InterviewRecords(Connected):
    # Interviews ----------------------------------------------------------------------------

    def interviews(self) -> list[Interview]:
        rows = self.db.execute(
            f"SELECT {_INTERVIEW_COLUMNS} FROM interview ORDER BY COALESCE(start, created_at), id"
        ).fetchall()
        return [_interview(row) for row in rows]

    def interview(self, interview_id: int) -> Interview | None:
        row = self.db.execute(
            f"SELECT {_INTERVIEW_COLUMNS} FROM interview WHERE id = ?", (interview_id,)
        ).fetchone()
        return _interview(row) if row else None

    def interview_sources(self, interview_id: int) -> list[tuple[str, str, str]]:
        rows = self.db.execute(
            "SELECT source, kind, seen_at FROM interview_source WHERE interview_id = ? "
            "ORDER BY seen_at",
            (interview_id,),
        ).fetchall()
        return [(row[0], row[1], row[2]) for row in rows]

    def source_seen(self, source: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM interview_source WHERE source = ?", (source,)
        ).fetchone()
        return row is not None

    def sources_starting(self, prefix: str) -> set[str]:
        """The interview sources whose key starts with `prefix` (a calendar series' occurrences)."""
        rows = self.db.execute(
            "SELECT source FROM interview_source WHERE source >= ? AND source < ?",
            (prefix, prefix + "\U0010ffff"),
        ).fetchall()
        return {str(row[0]) for row in rows}

    def save_interview(self, db: sqlite3.Connection, interview: Interview, at: str) -> int:
        values = (
            interview.status.value,
            interview.company,
            interview.role,
            interview.start.isoformat() if interview.start else None,
            interview.end.isoformat() if interview.end else None,
            json.dumps([p.to_json() for p in interview.interviewers]),
            interview.meeting_url,
            interview.location,
            interview.thread_id,
            interview.uid,
            interview.sequence,
            json.dumps(sorted(interview.corrected)),
        )
        if interview.id is None:
            cursor = db.execute(
                "INSERT INTO interview (status, company, role, start, end_at, interviewers, "
                "meeting_url, location, thread_id, uid, sequence, corrected, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*values, at, at),
            )
            return int(cursor.lastrowid or 0)
        db.execute(
            "UPDATE interview SET status = ?, company = ?, role = ?, start = ?, end_at = ?, "
            "interviewers = ?, meeting_url = ?, location = ?, thread_id = ?, uid = ?, "
            "sequence = ?, corrected = ?, updated_at = ? WHERE id = ?",
            (*values, at, interview.id),
        )
        return interview.id

    def add_interview_source(
        self, db: sqlite3.Connection, source: str, interview_id: int, kind: str, at: str
    ) -> None:
        db.execute(
            "INSERT OR IGNORE INTO interview_source (source, interview_id, kind, seen_at) "
            "VALUES (?, ?, ?, ?)",
            (source, interview_id, kind, at),
        )

    def interview_seen_at(self, source: str) -> int | None:
        """The interview a sighting source ("calendar:work|uid|") belongs to."""
        row = self.db.execute(
            "SELECT interview_id FROM interview_source WHERE source = ?", (source,)
        ).fetchone()
        return int(row[0]) if row else None

    # Corrections by the user --------------------------------------------------------------

    def save_by_hand(self, interview: Interview, changed: Sequence[str], at: str) -> int:
        """An interview the user added (id None) or corrected, with an audit line naming the
        `changed` fields; its id. An added one is seen at `user:<id>` (`status` shows it)."""
        with self.transaction() as db:
            interview_id = self.save_interview(db, interview, at)
            event = "interview corrected" if interview.id is not None else "interview added"
            if interview.id is None:
                self.add_interview_source(db, f"user:{interview_id}", interview_id, "added", at)
            db.execute(
                "INSERT INTO audit_log (at, event, detail) VALUES (?, ?, ?)",
                (at, event, f"interview {interview_id}: {', '.join(changed)}"),
            )
        return interview_id

    def ignore_interview(self, interview_id: int, at: str) -> bool:
        """Not an interview: cancelled, closed as ignored, and every source it was seen in
        ignored, so a later sighting of one of them brings nothing back. False if unknown."""
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE interview SET status = ?, closed = 'ignored', closed_at = ?, "
                "updated_at = ? WHERE id = ?",
                (Status.CANCELLED.value, at, at, interview_id),
            )
            db.execute(
                "UPDATE interview_source SET ignored = 1 WHERE interview_id = ?", (interview_id,)
            )
            if cursor.rowcount:
                db.execute(
                    "INSERT INTO audit_log (at, event, detail) VALUES (?, 'interview ignored', ?)",
                    (at, f"interview {interview_id}"),
                )
        return cursor.rowcount > 0

    def finish_interview(self, interview_id: int, at: str) -> bool:
        """The user is done with it: its plan stops (no note is drafted from now on)."""
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE interview SET closed = 'done', closed_at = ?, updated_at = ? "
                "WHERE id = ? AND closed IS NULL",
                (at, at, interview_id),
            )
            if cursor.rowcount:
                db.execute(
                    "INSERT INTO audit_log (at, event, detail) VALUES (?, 'interview done', ?)",
                    (at, f"interview {interview_id}"),
                )
        return cursor.rowcount > 0 or self.interview(interview_id) is not None

    def interview_closed(self, interview_id: int) -> str | None:
        """ "ignored" (not an interview) or "done" (the user closed it), else None."""
        row = self.db.execute(
            "SELECT closed FROM interview WHERE id = ?", (interview_id,)
        ).fetchone()
        return str(row[0]) if row and row[0] else None

    def source_ignored(self, source: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM interview_source WHERE source = ? AND ignored = 1", (source,)
        ).fetchone()
        return row is not None

    def ignore_source(
        self, db: sqlite3.Connection, source: str, interview_id: int, kind: str, at: str
    ) -> None:
        """A new sighting of an ignored interview: kept as ignored too."""
        db.execute(
            "INSERT INTO interview_source (source, interview_id, kind, seen_at, ignored) "
            "VALUES (?, ?, ?, ?, 1) ON CONFLICT (source) DO UPDATE SET ignored = 1",
            (source, interview_id, kind, at),
        )

    # Calendars and health ------------------------------------------------------------------

    def calendar_entries(self, source: str) -> list[CalendarEntry]:
        rows = self.db.execute(
            "SELECT key, href, start FROM calendar_entry WHERE source = ? ORDER BY key", (source,)
        ).fetchall()
        return [
            CalendarEntry(key, href, datetime.fromisoformat(start) if start else None)
            for key, href, start in rows
        ]

    def save_calendar_entries(
        self,
        db: sqlite3.Connection,
        source: str,
        entries: Sequence[CalendarEntry],
        changed_hrefs: Sequence[str] | None,
    ) -> None:
        """What a read gave: all of the source's events (`changed_hrefs` None), or the events
        of the objects a partial read re-read, which replace what those objects gave before."""
        if changed_hrefs is None:
            db.execute("DELETE FROM calendar_entry WHERE source = ?", (source,))
        else:
            db.executemany(
                "DELETE FROM calendar_entry WHERE source = ? AND href = ?",
                [(source, href) for href in changed_hrefs],
            )
        db.executemany(
            "INSERT OR REPLACE INTO calendar_entry (source, key, href, start) VALUES (?, ?, ?, ?)",
            [(source, e.key, e.href, e.start.isoformat() if e.start else None) for e in entries],
        )

    def calendar_validators(self, source: str) -> dict[str, str]:
        row = self.db.execute(
            "SELECT validators FROM calendar_state WHERE source = ?", (source,)
        ).fetchone()
        return dict(json.loads(row[0])) if row else {}

    def save_calendar_validators(
        self, db: sqlite3.Connection, source: str, validators: Mapping[str, str], at: str
    ) -> None:
        db.execute(
            "INSERT INTO calendar_state (source, validators, synced_at) VALUES (?, ?, ?) "
            "ON CONFLICT (source) DO UPDATE SET validators = excluded.validators, "
            "synced_at = excluded.synced_at",
            (source, json.dumps(dict(validators), sort_keys=True), at),
        )

    def record_ok(self, component: str, at: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO component_status (component, ok_at) VALUES (?, ?) "
                "ON CONFLICT (component) DO UPDATE SET ok_at = excluded.ok_at",
                (component, at),
            )

    def record_error(self, component: str, error: str, at: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO component_status (component, error, error_at) VALUES (?, ?, ?) "
                "ON CONFLICT (component) DO UPDATE SET error = excluded.error, "
                "error_at = excluded.error_at",
                (component, error, at),
            )

    def component_status(self) -> list[tuple[str, str | None, str | None, str | None]]:
        rows = self.db.execute(
            "SELECT component, ok_at, error, error_at FROM component_status ORDER BY component"
        ).fetchall()
        return [(row[0], row[1], row[2], row[3]) for row in rows]


_INTERVIEW_COLUMNS = (
    "id, status, company, role, start, end_at, interviewers, meeting_url, location, thread_id, "
    "uid, sequence, corrected"
)


def _interview(row: tuple[Any, ...]) -> Interview:
    people = tuple(Person(p.get("name"), p.get("email")) for p in json.loads(row[6]))
    return Interview(
        id=row[0],
        status=Status(row[1]),
        company=row[2],
        role=row[3],
        start=datetime.fromisoformat(row[4]) if row[4] else None,
        end=datetime.fromisoformat(row[5]) if row[5] else None,
        interviewers=people,
        meeting_url=row[7],
        location=row[8],
        thread_id=row[9],
        uid=row[10],
        sequence=row[11],
        corrected=frozenset(json.loads(row[12])),
    )

"""SQLite state: the only package that writes SQL. WAL mode, named migrations, one writer.

The state directory is created 0700 and the database 0600: it holds who the user talks to.
A lock file held for the life of the process refuses a second daemon on the same state.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from daemon.errors import PermanentError
from daemon.interviews import Interview, Status
from daemon.model import Person

log = logging.getLogger(__name__)

DATABASE_NAME = "afterview.sqlite3"
LOCK_NAME = "afterview.lock"


@dataclass(frozen=True)
class Migration:
    name: str
    sql: str


# Append only: a released migration is never edited, a change is a new migration.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "0001_sync_cursors_and_audit",
        """
        CREATE TABLE folder_cursor (
            folder        TEXT PRIMARY KEY,
            uidvalidity   INTEGER NOT NULL,
            last_uid      INTEGER NOT NULL DEFAULT 0,
            highestmodseq INTEGER,
            synced_at     TEXT
        );
        CREATE TABLE audit_log (
            id      INTEGER PRIMARY KEY,
            at      TEXT NOT NULL,
            event   TEXT NOT NULL,
            detail  TEXT NOT NULL DEFAULT ''
        );
        """,
    ),
    Migration(
        "0002_messages_threads_interviews",
        """
        ALTER TABLE folder_cursor ADD COLUMN uidnext INTEGER;
        CREATE TABLE thread (
            id          INTEGER PRIMARY KEY,
            subject     TEXT NOT NULL DEFAULT '',
            subject_key TEXT NOT NULL DEFAULT '',
            gm_thrid    TEXT,
            job         INTEGER NOT NULL DEFAULT 0,
            muted       INTEGER NOT NULL DEFAULT 0,
            first_at    TEXT,
            last_at     TEXT
        );
        CREATE INDEX thread_by_subject ON thread (subject_key);
        CREATE INDEX thread_by_gm ON thread (gm_thrid);
        CREATE TABLE thread_ref (
            message_id TEXT PRIMARY KEY,
            thread_id  INTEGER NOT NULL REFERENCES thread (id)
        );
        CREATE INDEX thread_ref_by_thread ON thread_ref (thread_id);
        CREATE TABLE message (
            id          INTEGER PRIMARY KEY,
            message_id  TEXT NOT NULL UNIQUE,
            gm_msgid    TEXT UNIQUE,
            thread_id   INTEGER NOT NULL REFERENCES thread (id),
            date        TEXT,
            sender      TEXT,
            sender_name TEXT NOT NULL DEFAULT '',
            recipients  TEXT NOT NULL DEFAULT '[]',
            subject     TEXT NOT NULL DEFAULT '',
            from_me     INTEGER NOT NULL DEFAULT 0,
            automatic   INTEGER NOT NULL DEFAULT 0,
            kind        TEXT,
            note        TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX message_by_thread ON message (thread_id, date);
        CREATE TABLE message_location (
            folder      TEXT NOT NULL,
            uidvalidity INTEGER NOT NULL,
            uid         INTEGER NOT NULL,
            message     INTEGER REFERENCES message (id),
            skipped     TEXT,
            PRIMARY KEY (folder, uidvalidity, uid)
        );
        CREATE INDEX location_by_message ON message_location (message);
        CREATE TABLE interview (
            id           INTEGER PRIMARY KEY,
            status       TEXT NOT NULL,
            company      TEXT,
            role         TEXT,
            start        TEXT,
            end_at       TEXT,
            interviewers TEXT NOT NULL DEFAULT '[]',
            meeting_url  TEXT,
            location     TEXT,
            thread_id    INTEGER REFERENCES thread (id),
            uid          TEXT,
            sequence     INTEGER NOT NULL DEFAULT 0,
            created_at   TEXT NOT NULL,
            updated_at   TEXT NOT NULL
        );
        CREATE INDEX interview_by_uid ON interview (uid);
        CREATE INDEX interview_by_thread ON interview (thread_id);
        CREATE INDEX interview_by_start ON interview (start);
        CREATE TABLE interview_source (
            source       TEXT PRIMARY KEY,
            interview_id INTEGER NOT NULL REFERENCES interview (id),
            kind         TEXT NOT NULL,
            seen_at      TEXT NOT NULL
        );
        CREATE INDEX source_by_interview ON interview_source (interview_id);
        CREATE TABLE calendar_state (
            source     TEXT PRIMARY KEY,
            validators TEXT NOT NULL DEFAULT '{}',
            synced_at  TEXT
        );
        CREATE TABLE component_status (
            component TEXT PRIMARY KEY,
            ok_at     TEXT,
            error     TEXT,
            error_at  TEXT
        );
        """,
    ),
    Migration(
        "0003_drafts_approvals_outbox",
        """
        CREATE TABLE draft (
            id            INTEGER PRIMARY KEY,
            interview_id  INTEGER NOT NULL REFERENCES interview (id),
            step          TEXT NOT NULL,
            recipient_key TEXT NOT NULL,
            version       INTEGER NOT NULL DEFAULT 1,
            recipients    TEXT NOT NULL DEFAULT '[]',
            subject       TEXT NOT NULL,
            body          TEXT NOT NULL,
            notes         TEXT NOT NULL DEFAULT '',
            message_id    TEXT NOT NULL UNIQUE,
            in_reply_to   TEXT,
            refs          TEXT NOT NULL DEFAULT '[]',
            created_at    TEXT NOT NULL,
            updated_at    TEXT NOT NULL,
            UNIQUE (interview_id, step, recipient_key)
        );
        CREATE TABLE approval (
            token_digest       TEXT PRIMARY KEY,
            draft_id           INTEGER NOT NULL REFERENCES draft (id),
            draft_version      INTEGER NOT NULL,
            request_message_id TEXT NOT NULL,
            created_at         TEXT NOT NULL,
            expires_at         TEXT NOT NULL,
            request_sent_at    TEXT,
            used_at            TEXT
        );
        CREATE INDEX approval_by_draft ON approval (draft_id);
        CREATE TABLE outbox (
            id            INTEGER PRIMARY KEY,
            draft_id      INTEGER NOT NULL UNIQUE REFERENCES draft (id),
            state         TEXT NOT NULL,
            phase         TEXT,
            send_id       TEXT NOT NULL UNIQUE,
            sender        TEXT NOT NULL,
            recipients    TEXT NOT NULL DEFAULT '[]',
            message       BLOB,
            attempts      INTEGER NOT NULL DEFAULT 0,
            not_before    TEXT,
            snoozed_until TEXT,
            detail        TEXT NOT NULL DEFAULT '',
            updated_at    TEXT NOT NULL,
            sent_at       TEXT
        );
        CREATE INDEX outbox_by_state ON outbox (state);
        CREATE TABLE handled_reply (
            message_id TEXT PRIMARY KEY,
            digest     TEXT NOT NULL UNIQUE,
            at         TEXT NOT NULL,
            verdict    TEXT NOT NULL
        );
        """,
    ),
    Migration(
        "0004_thread_outcome",
        """
        ALTER TABLE thread ADD COLUMN outcome TEXT;
        """,
    ),
)


class AlreadyRunning(PermanentError):
    """Another afterview process holds the state directory."""


class StateError(PermanentError):
    """The state cannot be opened or migrated; the message says which file and why."""


class StateLock:
    """An exclusive `flock` on the state directory's lock file, holding our pid."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise AlreadyRunning(
                f"afterview is already running (pid {holder}) on the state in {self.path.parent}"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None


class Store:
    """The state database. Use as a context manager; `transaction()` for every write."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.path = state_dir / DATABASE_NAME
        self._lock = StateLock(state_dir)
        self._db: sqlite3.Connection | None = None

    def open_read_only(self) -> Store:
        """Read the state while the daemon may be running: no lock, no migration, no writes."""
        if not self.path.exists():
            raise StateError(f"no state in {self.state_dir} yet: run 'afterview run --once' first")
        try:
            self._db = sqlite3.connect(
                f"file:{self.path}?mode=ro", uri=True, isolation_level=None, timeout=10
            )
            done = {row[0] for row in self._db.execute("SELECT name FROM schema_migration")}
        except sqlite3.Error as exc:
            self.close()
            raise StateError(f"cannot read the state database {self.path}: {exc}") from None
        missing = [m.name for m in MIGRATIONS if m.name not in done]
        if missing:
            self.close()
            raise StateError(
                f"the state in {self.state_dir} is from an older afterview: start the daemon "
                "(or 'afterview run --once') once to upgrade it"
            )
        return self

    def open(self) -> Store:
        _make_private_dir(self.state_dir)
        self._lock.acquire()
        try:
            self._db = _connect(self.path)
            apply_migrations(self._db)
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        self._lock.release()

    def __enter__(self) -> Store:
        return self if self._db is not None else self.open()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise StateError("the state database is not open")
        return self._db

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def schema_version(self) -> list[str]:
        rows = self.db.execute("SELECT name FROM schema_migration ORDER BY id").fetchall()
        return [row[0] for row in rows]

    def audit(self, at: str, event: str, detail: str = "") -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO audit_log (at, event, detail) VALUES (?, ?, ?)", (at, event, detail)
            )

    # Mail sync: folder cursors, messages, threads ---------------------------------------

    def cursor(self, folder: str) -> Cursor | None:
        row = self.db.execute(
            "SELECT uidvalidity, last_uid, highestmodseq, uidnext FROM folder_cursor "
            "WHERE folder = ?",
            (folder,),
        ).fetchone()
        return Cursor(folder, *row) if row else None

    def cursors(self) -> list[tuple[Cursor, str | None]]:
        rows = self.db.execute(
            "SELECT folder, uidvalidity, last_uid, highestmodseq, uidnext, synced_at "
            "FROM folder_cursor ORDER BY folder"
        ).fetchall()
        return [(Cursor(*row[:5]), row[5]) for row in rows]

    def save_cursor(self, db: sqlite3.Connection, cursor: Cursor, synced_at: str) -> None:
        db.execute(
            "INSERT INTO folder_cursor (folder, uidvalidity, last_uid, highestmodseq, uidnext, "
            "synced_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (folder) DO UPDATE SET "
            "uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid, "
            "highestmodseq = excluded.highestmodseq, uidnext = excluded.uidnext, "
            "synced_at = excluded.synced_at",
            (
                cursor.folder,
                cursor.uidvalidity,
                cursor.last_uid,
                cursor.highestmodseq,
                cursor.uidnext,
                synced_at,
            ),
        )

    def forget_folder_locations(self, db: sqlite3.Connection, folder: str) -> None:
        """The folder's UIDVALIDITY changed: its old UIDs mean nothing any more."""
        db.execute("DELETE FROM message_location WHERE folder = ?", (folder,))

    def message_row(self, message_id: str, gm_msgid: str | None = None) -> tuple[int, int] | None:
        """(message row id, thread id) of a message already stored, by Message-ID or Gmail id."""
        row = self.db.execute(
            "SELECT id, thread_id FROM message WHERE message_id = ?", (message_id,)
        ).fetchone()
        if row is None and gm_msgid is not None:
            row = self.db.execute(
                "SELECT id, thread_id FROM message WHERE gm_msgid = ?", (gm_msgid,)
            ).fetchone()
        return (row[0], row[1]) if row else None

    def messages_known(
        self, message_ids: Iterable[str], gm_msgids: Iterable[str] = ()
    ) -> tuple[dict[str, int], dict[str, int]]:
        """Row ids of the messages already stored among these, by Message-ID and by Gmail id
        (one query per few hundred ids, where `message_row` is one per message)."""
        by_id = {
            row[0]: row[1]
            for chunk in _chunks(message_ids)
            for row in self.db.execute(
                f"SELECT message_id, id FROM message WHERE message_id IN ({_marks(chunk)})", chunk
            )
        }
        by_gmail = {
            row[0]: row[1]
            for chunk in _chunks(gm_msgids)
            for row in self.db.execute(
                f"SELECT gm_msgid, id FROM message WHERE gm_msgid IN ({_marks(chunk)})", chunk
            )
        }
        return by_id, by_gmail

    def threads_of(self, ids: Iterable[str]) -> dict[str, tuple[int, bool]]:
        """For each of these Message-IDs that a thread holds (or was told about): the thread,
        and whether it is about a job."""
        return {
            row[0]: (row[1], bool(row[2]))
            for chunk in _chunks(ids)
            for row in self.db.execute(
                "SELECT thread_ref.message_id, thread.id, thread.job FROM thread_ref "
                "JOIN thread ON thread.id = thread_ref.thread_id "
                f"WHERE thread_ref.message_id IN ({_marks(chunk)})",
                chunk,
            )
        }

    def add_location(
        self,
        db: sqlite3.Connection,
        folder: str,
        uidvalidity: int,
        uid: int,
        message: int | None,
        skipped: str | None = None,
    ) -> None:
        self.add_locations(db, [(folder, uidvalidity, uid, message, skipped)])

    def add_locations(
        self,
        db: sqlite3.Connection,
        locations: Iterable[tuple[str, int, int, int | None, str | None]],
    ) -> None:
        """(folder, uidvalidity, uid, message row or None, why it was skipped or None)."""
        db.executemany(
            "INSERT OR IGNORE INTO message_location (folder, uidvalidity, uid, message, skipped) "
            "VALUES (?, ?, ?, ?, ?)",
            locations,
        )

    def known_uids(self, folder: str, uidvalidity: int) -> set[int]:
        rows = self.db.execute(
            "SELECT uid FROM message_location WHERE folder = ? AND uidvalidity = ?",
            (folder, uidvalidity),
        )
        return {row[0] for row in rows}

    def threads_referenced(self, ids: Iterable[str]) -> list[int]:
        """Threads that already hold (or were told about) any of these Message-IDs, oldest first."""
        wanted = list(dict.fromkeys(ids))[:MAX_LOOKUP]
        if not wanted:
            return []
        marks = ",".join("?" * len(wanted))
        rows = self.db.execute(
            f"SELECT DISTINCT thread_id FROM thread_ref WHERE message_id IN ({marks}) "
            "ORDER BY thread_id",
            wanted,
        ).fetchall()
        return [row[0] for row in rows]

    def thread_by_gmail_id(self, thrid: str) -> int | None:
        row = self.db.execute("SELECT id FROM thread WHERE gm_thrid = ?", (thrid,)).fetchone()
        return row[0] if row else None

    def threads_by_subject(self, key: str, since: str) -> list[tuple[int, frozenset[str]]]:
        """Recent threads with this normalised subject, with the addresses seen in each."""
        people: dict[int, set[str]] = {}
        for thread_id, sender, recipients in self.db.execute(
            "SELECT thread.id, message.sender, message.recipients FROM "
            "(SELECT id FROM thread WHERE subject_key = ? AND last_at >= ? "
            "ORDER BY id DESC LIMIT 5) AS thread "
            "LEFT JOIN message ON message.thread_id = thread.id ORDER BY thread.id DESC",
            (key, since),
        ):
            found = people.setdefault(thread_id, set())
            if recipients is not None:
                found.update(json.loads(recipients))
            if sender:
                found.add(sender)
        return [(thread_id, frozenset(found)) for thread_id, found in people.items()]

    def new_thread(
        self, db: sqlite3.Connection, subject: str, key: str, gm_thrid: str | None
    ) -> int:
        cursor = db.execute(
            "INSERT INTO thread (subject, subject_key, gm_thrid) VALUES (?, ?, ?)",
            (subject, key, gm_thrid),
        )
        return int(cursor.lastrowid or 0)

    def merge_threads(self, db: sqlite3.Connection, keep: int, others: Iterable[int]) -> None:
        """One message linked two conversations: everything moves to the oldest thread."""
        for other in others:
            if other == keep:
                continue
            for table in ("message", "thread_ref", "interview"):
                db.execute(f"UPDATE {table} SET thread_id = ? WHERE thread_id = ?", (keep, other))
            db.execute(
                "UPDATE thread SET job = MAX(job, (SELECT job FROM thread WHERE id = ?)), "
                "muted = MAX(muted, (SELECT muted FROM thread WHERE id = ?)) WHERE id = ?",
                (other, other, keep),
            )
            db.execute("DELETE FROM thread WHERE id = ?", (other,))

    def add_message(self, db: sqlite3.Connection, message: StoredMessage) -> int:
        cursor = db.execute(
            "INSERT INTO message (message_id, gm_msgid, thread_id, date, sender, sender_name, "
            "recipients, subject, from_me, automatic, kind, note) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                message.message_id,
                message.gm_msgid,
                message.thread_id,
                message.date,
                message.sender,
                message.sender_name,
                json.dumps(sorted(message.recipients)),
                message.subject,
                int(message.from_me),
                int(message.automatic),
                message.kind,
                message.note,
            ),
        )
        db.executemany(
            "INSERT OR IGNORE INTO thread_ref (message_id, thread_id) VALUES (?, ?)",
            [(ref, message.thread_id) for ref in (message.message_id, *message.references)],
        )
        if message.date:
            db.execute(
                "UPDATE thread SET first_at = MIN(COALESCE(first_at, ?), ?), "
                "last_at = MAX(COALESCE(last_at, ?), ?) WHERE id = ?",
                (message.date, message.date, message.date, message.date, message.thread_id),
            )
        return int(cursor.lastrowid or 0)

    def mark_job_thread(self, db: sqlite3.Connection, thread_id: int) -> None:
        db.execute("UPDATE thread SET job = 1 WHERE id = ?", (thread_id,))

    def set_thread_outcome(self, db: sqlite3.Connection, thread_id: int, outcome: str) -> None:
        """A rejection or an offer arrived in the thread: its plans stop."""
        db.execute("UPDATE thread SET outcome = ? WHERE id = ?", (outcome, thread_id))

    def thread_outcome(self, thread_id: int) -> str | None:
        row = self.db.execute("SELECT outcome FROM thread WHERE id = ?", (thread_id,)).fetchone()
        return row[0] if row else None

    def is_job_thread(self, thread_id: int) -> bool:
        row = self.db.execute("SELECT job FROM thread WHERE id = ?", (thread_id,)).fetchone()
        return bool(row and row[0])

    def counts(self) -> dict[str, int]:
        queries = {
            "messages": "SELECT COUNT(*) FROM message",
            "threads": "SELECT COUNT(*) FROM thread",
            "job_threads": "SELECT COUNT(*) FROM thread WHERE job = 1",
            "skipped": "SELECT COUNT(*) FROM message_location WHERE skipped IS NOT NULL",
            "interviews": "SELECT COUNT(*) FROM interview",
        }
        return {name: int(self.db.execute(sql).fetchone()[0]) for name, sql in queries.items()}

    def skipped_messages(self) -> list[tuple[str, int, str]]:
        rows = self.db.execute(
            "SELECT folder, uid, skipped FROM message_location WHERE skipped IS NOT NULL "
            "ORDER BY folder, uid"
        ).fetchall()
        return [(row[0], row[1], row[2]) for row in rows]

    def thread_message_times(self, thread_id: int, *, from_me: bool) -> list[datetime]:
        """When the user (or, with from_me False, anyone else but machines) wrote in a thread."""
        rows = self.db.execute(
            "SELECT date FROM message WHERE thread_id = ? AND from_me = ? AND automatic = 0 "
            "AND date IS NOT NULL",
            (thread_id, int(from_me)),
        ).fetchall()
        return [datetime.fromisoformat(row[0]) for row in rows]

    def thread_senders(self, thread_id: int) -> list[tuple[str, str]]:
        """The people other than the user who wrote in a thread, most recent first."""
        rows = self.db.execute(
            "SELECT sender, sender_name FROM message WHERE thread_id = ? AND from_me = 0 "
            "AND automatic = 0 AND sender IS NOT NULL ORDER BY date DESC",
            (thread_id,),
        ).fetchall()
        return list(dict.fromkeys((row[0], row[1]) for row in rows))

    def thread_context(self, thread_id: int) -> tuple[str, str | None, tuple[str, ...]] | None:
        """(subject, the latest Message-ID, the References chain) to reply in a thread."""
        rows = self.db.execute(
            "SELECT message_id, subject FROM message WHERE thread_id = ? ORDER BY date",
            (thread_id,),
        ).fetchall()
        if not rows:
            return None
        ids = tuple(row[0] for row in rows if not row[0].endswith("@afterview.invalid"))
        return rows[0][1], (ids[-1] if ids else None), ids[-20:]

    def first_seen(self, interview_id: int) -> datetime | None:
        row = self.db.execute(
            "SELECT MIN(m.date) FROM interview_source s JOIN message m "
            "ON s.source = 'mail:' || m.message_id WHERE s.interview_id = ?",
            (interview_id,),
        ).fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    # Interviews ----------------------------------------------------------------------------

    def interviews(self) -> list[Interview]:
        rows = self.db.execute(
            f"SELECT {_INTERVIEW_COLUMNS} FROM interview ORDER BY COALESCE(start, created_at), id"
        ).fetchall()
        return [_interview(row) for row in rows]

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
        )
        if interview.id is None:
            cursor = db.execute(
                "INSERT INTO interview (status, company, role, start, end_at, interviewers, "
                "meeting_url, location, thread_id, uid, sequence, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*values, at, at),
            )
            return int(cursor.lastrowid or 0)
        db.execute(
            "UPDATE interview SET status = ?, company = ?, role = ?, start = ?, end_at = ?, "
            "interviewers = ?, meeting_url = ?, location = ?, thread_id = ?, uid = ?, "
            "sequence = ?, updated_at = ? WHERE id = ?",
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

    # Calendars and health ------------------------------------------------------------------

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


MAX_LOOKUP = 200
_CHUNK = 500  # ids per IN (...) query, well under SQLite's limit on parameters


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    unique = list(dict.fromkeys(values))
    for start in range(0, len(unique), _CHUNK):
        yield unique[start : start + _CHUNK]


def _marks(values: list[str]) -> str:
    return ",".join("?" * len(values))


_INTERVIEW_COLUMNS = (
    "id, status, company, role, start, end_at, interviewers, meeting_url, location, thread_id, "
    "uid, sequence"
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
    )


@dataclass(frozen=True)
class Cursor:
    """Where the sync stopped in one folder."""

    folder: str
    uidvalidity: int
    last_uid: int
    highestmodseq: int | None
    uidnext: int | None


@dataclass(frozen=True)
class StoredMessage:
    """The metadata kept for one message: enough for threads and the quiet rules, no body."""

    message_id: str
    gm_msgid: str | None
    thread_id: int
    date: str | None
    sender: str | None
    sender_name: str
    recipients: frozenset[str]
    subject: str
    from_me: bool
    automatic: bool
    kind: str | None
    note: str
    references: tuple[str, ...]


def _make_private_dir(path: Path) -> None:
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise StateError(f"cannot create the state directory {path}: {exc.strerror}") from None
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)


def _connect(path: Path) -> sqlite3.Connection:
    if not path.exists():
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    try:
        db = sqlite3.connect(path, isolation_level=None, timeout=10)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
    except sqlite3.DatabaseError as exc:
        raise StateError(f"cannot open the state database {path}: {exc}") from None
    return db


def apply_migrations(
    db: sqlite3.Connection, migrations: tuple[Migration, ...] = MIGRATIONS
) -> list[str]:
    """Apply, each in its own transaction, the migrations not yet recorded; return their names."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migration "
        "(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, applied_at TEXT NOT NULL)"
    )
    done = {row[0] for row in db.execute("SELECT name FROM schema_migration")}
    known = {m.name for m in migrations}
    unknown = done - known
    if unknown:
        raise StateError(
            f"the state database was written by a newer afterview (migrations {sorted(unknown)}); "
            "upgrade afterview"
        )
    applied = []
    for migration in migrations:
        if migration.name in done:
            continue
        try:
            db.execute("BEGIN IMMEDIATE")
            for statement in _statements(migration.sql):
                db.execute(statement)
            db.execute(
                "INSERT INTO schema_migration (name, applied_at) VALUES (?, datetime('now'))",
                (migration.name,),
            )
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            db.execute("ROLLBACK")
            raise StateError(f"migration {migration.name} failed: {exc}") from None
        log.info("state: applied migration %s", migration.name)
        applied.append(migration.name)
    return applied


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (executescript would COMMIT behind our back).

    A `;` ends a statement only where SQLite agrees the text so far is complete, so a `;`
    inside a string literal stays where it is.
    """
    statements, current = [], ""
    for piece in sql.split(";"):
        current += piece + ";"
        if sqlite3.complete_statement(current):
            if current.strip(" \n\t;"):
                statements.append(current.strip())
            current = ""
    return statements

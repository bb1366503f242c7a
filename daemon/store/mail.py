"""What the mail sync keeps: folder cursors, message metadata (no bodies), threads."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from daemon.store.connection import Connected


class MailRecords(Connected):
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
        """Recent threads with this normalised subject, with the addresses seen in each (in its
        latest `PEOPLE_FROM_LATEST` messages: a mailing list's thread whose subject comes back
        every week grows to thousands of messages, too many to read for each new one)."""
        people: dict[int, set[str]] = {}
        for thread_id, sender, recipients in self.db.execute(
            "SELECT thread.id, message.sender, message.recipients FROM "
            "(SELECT id FROM thread WHERE subject_key = ? AND last_at >= ? "
            "ORDER BY id DESC LIMIT 5) AS thread "
            "LEFT JOIN message ON message.id IN (SELECT latest.id FROM message AS latest "
            "WHERE latest.thread_id = thread.id ORDER BY latest.date DESC LIMIT ?) "
            "ORDER BY thread.id DESC",
            (key, since, PEOPLE_FROM_LATEST),
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
            for table in ("message", "thread_ref", "interview", "thread_mark"):
                db.execute(f"UPDATE {table} SET thread_id = ? WHERE thread_id = ?", (keep, other))
            # What either side knew stays known: a job, a MUTE, an outcome, a decision date
            # (the later one).
            db.execute(
                "UPDATE thread SET job = MAX(job, (SELECT job FROM thread WHERE id = ?)), "
                "muted = MAX(muted, (SELECT muted FROM thread WHERE id = ?)), "
                "outcome = COALESCE(outcome, (SELECT outcome FROM thread WHERE id = ?)), "
                "decision_by = MAX(COALESCE(decision_by, ''), COALESCE((SELECT decision_by "
                "FROM thread WHERE id = ?), '')) WHERE id = ?",
                (other, other, other, other, keep),
            )
            db.execute("UPDATE thread SET decision_by = NULL WHERE id = ? AND decision_by = ''",
                       (keep,))  # fmt: skip
            db.execute("DELETE FROM thread WHERE id = ?", (other,))

    def add_message(self, db: sqlite3.Connection, message: StoredMessage) -> int:
        cursor = db.execute(
            "INSERT INTO message (message_id, gm_msgid, thread_id, date, sender, sender_name, "
            "recipients, subject, from_me, automatic, kind, note, list_mail, reply_to) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                int(message.list_mail),
                json.dumps([[name, address] for name, address in message.reply_to]),
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

    def thread_known(self, thread_id: int) -> bool:
        row = self.db.execute("SELECT 1 FROM thread WHERE id = ?", (thread_id,)).fetchone()
        return row is not None

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

    def keep_replies(self, db: sqlite3.Connection, replies: Iterable[bytes], at: str) -> None:
        """Replies to afterview's requests, kept with the messages they came with, until the
        follow-ups have read them: a crash in between loses no SEND."""
        db.executemany(
            "INSERT INTO pending_reply (raw, seen_at) VALUES (?, ?)",
            [(raw, at) for raw in replies],
        )

    def pending_replies(self) -> list[tuple[int, bytes]]:
        rows = self.db.execute("SELECT id, raw FROM pending_reply ORDER BY id").fetchall()
        return [(int(row[0]), bytes(row[1])) for row in rows]

    def reply_read(self, reply_id: int) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM pending_reply WHERE id = ?", (reply_id,))

    def thread_people(self, thread_id: int) -> list[tuple[str, str]]:
        """Who on the employer's side a note could go to, most likely first: the Reply-To
        of their latest mail, its sender, then whoever they copied in. (address, name)."""
        rows = self.db.execute(
            "SELECT sender, sender_name, reply_to, recipients FROM message WHERE thread_id = ? "
            "AND from_me = 0 AND automatic = 0 ORDER BY date DESC",
            (thread_id,),
        ).fetchall()
        found: list[tuple[str, str]] = []
        for sender, name, reply_to, _ in rows:
            found += [(str(a).lower(), str(n)) for n, a in json.loads(reply_to or "[]")]
            if sender:
                found.append((str(sender).lower(), str(name or "")))
        for _, _, _, recipients in rows:  # copied in: names unknown
            found += [(str(a).lower(), "") for a in json.loads(recipients or "[]")]
        seen: dict[str, tuple[str, str]] = {}
        for address, name in found:
            if address not in seen or (name and not seen[address][1]):
                seen[address] = (address, name)
        return list(seen.values())

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
        # From the interview's few sources to their messages by Message-ID: a join on
        # `'mail:' || message_id` reads every message, and this runs for each interview a minute.
        row = self.db.execute(
            "SELECT MIN(m.date) FROM interview_source s JOIN message m "
            "ON m.message_id = substr(s.source, 6) "
            "WHERE s.interview_id = ? AND substr(s.source, 1, 5) = 'mail:'",
            (interview_id,),
        ).fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    def set_thread_decision(self, db: sqlite3.Connection, thread_id: int, day: date) -> None:
        """The employer named a decision date ("we'll be in touch by Friday"). The latest
        message's date wins: a later "we need another week" replaces an earlier date."""
        db.execute("UPDATE thread SET decision_by = ? WHERE id = ?", (day.isoformat(), thread_id))

    def thread_decision(self, thread_id: int) -> date | None:
        row = self.db.execute(
            "SELECT decision_by FROM thread WHERE id = ?", (thread_id,)
        ).fetchone()
        return date.fromisoformat(row[0]) if row and row[0] else None


MAX_LOOKUP = 200
PEOPLE_FROM_LATEST = 50  # messages of a thread read for its people by the subject fallback
_CHUNK = 500  # ids per IN (...) query, well under SQLite's limit on parameters


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    unique = list(dict.fromkeys(values))
    for start in range(0, len(unique), _CHUNK):
        yield unique[start : start + _CHUNK]


def _marks(values: list[str]) -> str:
    return ",".join("?" * len(values))


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
    list_mail: bool = False  # List-Id or List-Unsubscribe: a list or a newsletter
    reply_to: tuple[tuple[str, str], ...] = ()  # (name, address) of each Reply-To mailbox

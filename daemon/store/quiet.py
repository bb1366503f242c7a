"""The quiet-thread and digest records: what the quiet rules read, the marks afterview set on
the user's mail (so it removes only its own), muted threads, and the digests sent."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from daemon.quiet import MessageView, QuietState, ThreadView
from daemon.store import Store

MAX_THREADS = 2_000  # the job threads read per check, the most recent first


@dataclass(frozen=True)
class StoredMark:
    """One of afterview's marks on a message: where it is, and what afterview set there."""

    message: int
    thread_id: int
    folder: str
    uid: int
    keyword: str | None  # None: the server refused keywords and \\Flagged stands in
    flagged_by_us: bool
    label: str | None


class QuietRecords:
    def __init__(self, store: Store, now: Callable[[], datetime] | None = None) -> None:
        self.store = store
        self.now = now or (lambda: datetime.now(UTC))

    # What the rules read -------------------------------------------------------------------

    def job_threads(self, me: Iterable[str]) -> list[ThreadView]:
        """Every thread about a job (the detector's mark or an interview in it), with its
        messages as the quiet rules see them."""
        mine = {address.lower() for address in me}
        db = self.store.db
        rows = db.execute(
            "SELECT thread.id, thread.subject, thread.job, thread.muted, "
            "EXISTS (SELECT 1 FROM interview WHERE interview.thread_id = thread.id), "
            "(SELECT company FROM interview WHERE interview.thread_id = thread.id "
            " ORDER BY id DESC LIMIT 1) "
            "FROM thread WHERE thread.job = 1 OR EXISTS "
            "(SELECT 1 FROM interview WHERE interview.thread_id = thread.id) "
            "ORDER BY thread.last_at DESC LIMIT ?",
            (MAX_THREADS,),
        ).fetchall()
        threads = []
        for thread_id, subject, job, muted, has_interview, company in rows:
            messages = tuple(
                _message_view(row, mine)
                for row in db.execute(
                    "SELECT id, date, from_me, recipients, sender, sender_name, automatic, "
                    "list_mail, message_id FROM message WHERE thread_id = ? AND date IS NOT NULL",
                    (thread_id,),
                )
            )
            if messages:
                view = ThreadView(thread_id, subject, messages, bool(job), bool(has_interview),
                                  bool(muted), company)  # fmt: skip
                threads.append(view)
        return threads

    def location(self, message: int, folders: Iterable[str]) -> tuple[str, int] | None:
        """Where the message is now (its folder and UID under the folder's current
        UIDVALIDITY), in the order of `folders` (the inbox first)."""
        order = list(folders)
        rows = self.store.db.execute(
            "SELECT location.folder, location.uid FROM message_location AS location "
            "JOIN folder_cursor AS cursor ON cursor.folder = location.folder "
            "AND cursor.uidvalidity = location.uidvalidity WHERE location.message = ?",
            (message,),
        ).fetchall()
        found = sorted(
            (order.index(folder) if folder in order else len(order), folder, uid)
            for folder, uid in rows
        )
        return (found[0][1], found[0][2]) if found else None

    # Marks ---------------------------------------------------------------------------------

    def marks(self) -> list[StoredMark]:
        rows = self.store.db.execute(
            "SELECT message, thread_id, folder, uid, keyword, flagged_by_us, label "
            "FROM thread_mark ORDER BY message"
        ).fetchall()
        return [StoredMark(m, t, f, u, k, bool(b), label) for m, t, f, u, k, b, label in rows]

    def save_mark(self, mark: StoredMark, state: QuietState) -> None:
        with self.store.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO thread_mark (message, thread_id, rule, since, folder, "
                "uid, keyword, flagged_by_us, label, set_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    mark.message, mark.thread_id, state.rule.value, _iso(state.since),
                    mark.folder, mark.uid, mark.keyword, int(mark.flagged_by_us), mark.label,
                    _iso(self.now()),
                ),
            )  # fmt: skip

    def drop_mark(self, message: int) -> None:
        with self.store.transaction() as db:
            db.execute("DELETE FROM thread_mark WHERE message = ?", (message,))

    def track_threads_at(self, folder: str, uids: Iterable[int]) -> int:
        """The threads of the messages at these UIDs (the user marked them with
        `quiet.track_keyword`) are about a job from now on; how many were not before."""
        wanted = list(uids)
        if not wanted:
            return 0
        marks = ", ".join("?" * len(wanted))
        with self.store.transaction() as db:
            cursor = db.execute(
                "UPDATE thread SET job = 1 WHERE job = 0 AND id IN (SELECT message.thread_id "
                "FROM message_location AS location JOIN message ON message.id = location.message "
                "JOIN folder_cursor AS cursor ON cursor.folder = location.folder "
                "AND cursor.uidvalidity = location.uidvalidity "
                f"WHERE location.folder = ? AND location.uid IN ({marks}))",
                (folder, *wanted),
            )
        return cursor.rowcount

    # Muted threads -------------------------------------------------------------------------

    def mute(self, thread_id: int) -> bool:
        """The user said MUTE: the thread is never quiet again. False when it is unknown."""
        with self.store.transaction() as db:
            cursor = db.execute("UPDATE thread SET muted = 1 WHERE id = ?", (thread_id,))
        return cursor.rowcount > 0

    def unmute(self, thread_id: int) -> bool:
        """The user takes MUTE back: the quiet rules see the thread again. False when unknown."""
        with self.store.transaction() as db:
            cursor = db.execute("UPDATE thread SET muted = 0 WHERE id = ?", (thread_id,))
        return cursor.rowcount > 0

    def is_muted(self, thread_id: int) -> bool:
        row = self.store.db.execute("SELECT muted FROM thread WHERE id = ?", (thread_id,))
        found = row.fetchone()
        return bool(found and found[0])

    def mute_senders(self, senders: Iterable[str]) -> int:
        """Mute every job thread with a message from one of these addresses or domains (the
        config's `quiet.mute` list); how many threads were newly muted."""
        wanted = [s.lower().lstrip("@") for s in senders if s.strip()]
        if not wanted:
            return 0
        clauses = " OR ".join(["lower(sender) = ? OR lower(sender) LIKE ?"] * len(wanted))
        values: list[str] = []
        for entry in wanted:
            values += [entry, f"%@{entry}"]
        with self.store.transaction() as db:
            cursor = db.execute(
                "UPDATE thread SET muted = 1 WHERE muted = 0 AND id IN "
                f"(SELECT thread_id FROM message WHERE {clauses})",
                values,
            )
        return cursor.rowcount

    # Digests -------------------------------------------------------------------------------

    def digest_sent_on(self, day: str) -> bool:
        row = self.store.db.execute("SELECT sent_at FROM digest WHERE day = ?", (day,)).fetchone()
        return row is not None and row[0] is not None

    def digest_for(self, day: str, message_id: str) -> tuple[str, bool]:
        """The Message-ID of the digest for `day` (a new one is recorded with `message_id`),
        and whether it was sent already: one digest a day, whatever restarts happen."""
        with self.store.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO digest (day, message_id, created_at) VALUES (?, ?, ?)",
                (day, message_id, _iso(self.now())),
            )
            row = db.execute(
                "SELECT message_id, sent_at FROM digest WHERE day = ?", (day,)
            ).fetchone()
        return str(row[0]), row[1] is not None

    def digest_sent(self, day: str) -> None:
        with self.store.transaction() as db:
            db.execute("UPDATE digest SET sent_at = ? WHERE day = ?", (_iso(self.now()), day))

    def last_digest(self) -> datetime | None:
        row = self.store.db.execute(
            "SELECT max(sent_at) FROM digest WHERE sent_at IS NOT NULL"
        ).fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    def is_digest(self, message_ids: Iterable[str]) -> bool:
        ids = [m.strip("<>") for m in message_ids]
        if not ids:
            return False
        marks = ", ".join("?" * len(ids))
        row = self.store.db.execute(
            f"SELECT 1 FROM digest WHERE message_id IN ({marks}) LIMIT 1", ids
        ).fetchone()
        return row is not None


def _message_view(row: tuple[object, ...], mine: set[str]) -> MessageView:
    row_id, date, from_me, recipients, sender, sender_name, automatic, list_mail, _ = row
    try:
        to = {str(a).lower() for a in json.loads(str(recipients))}
    except ValueError:
        to = set()
    return MessageView(
        id=int(str(row_id)),
        date=datetime.fromisoformat(str(date)),
        from_me=bool(from_me),
        to_me=bool(to & mine),
        sender=str(sender or ""),
        sender_name=str(sender_name or ""),
        automatic=bool(automatic),
        list_headers=bool(list_mail),
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")

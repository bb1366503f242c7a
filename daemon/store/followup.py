"""The follow-up records: drafts, approval requests, the outbox, handled replies and reminders.

Every method that changes state is one transaction; the outbox moves are compare-and-set, so
two runs (or a run and a restarted run) can never both act on one entry.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from daemon.approval import PendingApproval
from daemon.model import Person
from daemon.outbox import FINAL, OutboxEntry, Phase, State, allowed
from daemon.store import Store


@dataclass(frozen=True)
class StoredDraft:
    id: int
    interview_id: int
    step: str
    recipient_key: str
    version: int
    recipients: tuple[Person, ...]
    subject: str
    body: str
    notes: str
    message_id: str
    in_reply_to: str | None
    references: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True)
class Note:
    """A draft and where its outbox entry stands (for `afterview drafts`)."""

    draft: StoredDraft
    state: State
    message: bytes  # what goes out, as approved (or as drafted, until then)
    snoozed_until: datetime | None
    expires_at: datetime | None  # when the live request about this version expires
    detail: str


class FollowUpRecords:
    def __init__(self, store: Store, now: Callable[[], datetime] | None = None) -> None:
        self.store = store
        self.now = now or (lambda: datetime.now(UTC))  # the engine's clock (`--now`)

    # Drafts -------------------------------------------------------------------------------

    def drafts_of(self, interview_id: int) -> list[StoredDraft]:
        rows = self.store.db.execute(
            f"SELECT {_DRAFT_COLUMNS} FROM draft WHERE interview_id = ? ORDER BY id",
            (interview_id,),
        ).fetchall()
        return [_draft(row) for row in rows]

    def awaiting_answer(self) -> list[tuple[StoredDraft, datetime | None, datetime]]:
        """Drafts waiting for the user's answer, with when the live request went out and
        when it expires (for the digest)."""
        rows = self.store.db.execute(
            f"SELECT {_DRAFT_IN_JOIN}, approval.request_sent_at, "
            "approval.expires_at FROM draft JOIN outbox ON outbox.draft_id = draft.id "
            "JOIN approval ON approval.draft_id = draft.id AND approval.used_at IS NULL "
            "AND approval.draft_version = draft.version WHERE outbox.state = ? ORDER BY draft.id",
            (State.AWAITING_APPROVAL.value,),
        ).fetchall()
        return [
            (_draft(row[:-2]), _moment(row[-2]), datetime.fromisoformat(str(row[-1])))
            for row in rows
        ]

    def open_notes(self) -> list[Note]:
        """The notes not sent, skipped nor expired: waiting for the user, or to go out."""
        finished = [state.value for state in FINAL]
        return self._notes(f"outbox.state NOT IN ({','.join('?' * len(finished))})", finished)

    def note(self, draft_id: int) -> Note | None:
        found = self._notes("draft.id = ?", [draft_id])
        return found[0] if found else None

    def _notes(self, where: str, values: Sequence[object]) -> list[Note]:
        rows = self.store.db.execute(
            f"SELECT {_DRAFT_IN_JOIN}, outbox.state, outbox.message, outbox.snoozed_until, "
            "(SELECT MAX(a.expires_at) FROM approval a WHERE a.draft_id = draft.id "
            "AND a.used_at IS NULL AND a.draft_version = draft.version), outbox.detail "
            f"FROM draft JOIN outbox ON outbox.draft_id = draft.id WHERE {where} "
            "ORDER BY draft.id",
            values,
        ).fetchall()
        return [
            Note(_draft(row[:-5]), State(str(row[-5])), _blob(row[-4]), _moment(row[-3]),
                 _moment(row[-2]), str(row[-1]))
            for row in rows
        ]  # fmt: skip

    def sent_notes(self, since: datetime | None) -> list[tuple[datetime, StoredDraft]]:
        """The notes sent after `since` (all when None), oldest first."""
        rows = self.store.db.execute(
            f"SELECT outbox.sent_at, {_DRAFT_IN_JOIN} FROM outbox "
            "JOIN draft ON draft.id = outbox.draft_id WHERE outbox.state = ? "
            "AND outbox.sent_at IS NOT NULL AND outbox.sent_at > ? ORDER BY outbox.sent_at",
            (State.SENT.value, _iso(since) if since else ""),
        ).fetchall()
        return [(datetime.fromisoformat(str(row[0])), _draft(row[1:])) for row in rows]

    def draft(self, draft_id: int) -> StoredDraft | None:
        row = self.store.db.execute(
            f"SELECT {_DRAFT_COLUMNS} FROM draft WHERE id = ?", (draft_id,)
        ).fetchone()
        return _draft(row) if row else None

    def add_draft(
        self,
        *,
        interview_id: int,
        step: str,
        recipients: tuple[Person, ...],
        subject: str,
        body: str,
        message_id: str,
        in_reply_to: str | None,
        references: tuple[str, ...],
        sender: str,
        message: bytes,
        at: datetime,
    ) -> int | None:
        """A new draft and its outbox entry (`drafted`); None when this step and these
        recipients already have one (the plan proposes each note once)."""
        key = recipient_key(recipients)
        with self.store.transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO draft (interview_id, step, recipient_key, recipients, "
                "subject, body, message_id, in_reply_to, refs, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    interview_id, step, key, _people(recipients), subject, body, message_id,
                    in_reply_to, json.dumps(list(references)), _iso(at), _iso(at),
                ),
            )  # fmt: skip
            if cursor.rowcount == 0:
                return None
            draft_id = int(cursor.lastrowid or 0)
            db.execute(
                "INSERT INTO outbox (draft_id, state, send_id, sender, recipients, message, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    draft_id, State.DRAFTED.value, message_id, sender,
                    _addresses(recipients), message, _iso(at),
                ),
            )  # fmt: skip
        return draft_id

    def redraft(
        self, draft_id: int, *, body: str, notes: str, message: bytes, at: datetime
    ) -> None:
        """A new version of a draft (NOTES): older approval tokens no longer match it."""
        with self.store.transaction() as db:
            db.execute(
                "UPDATE draft SET body = ?, notes = ?, version = version + 1, updated_at = ? "
                "WHERE id = ?",
                (body, notes, _iso(at), draft_id),
            )
            db.execute(
                "UPDATE outbox SET message = ?, state = ?, updated_at = ? WHERE draft_id = ? "
                "AND state = ?",
                (message, State.DRAFTED.value, _iso(at), draft_id, State.AWAITING_APPROVAL.value),
            )

    # Approval requests --------------------------------------------------------------------

    def request_approval(
        self,
        draft_id: int,
        token_digest: str,
        request_message_id: str,
        expires_at: datetime,
        at: datetime,
    ) -> None:
        """Record a request before it is sent; earlier live tokens of the draft are retired."""
        version = self.draft(draft_id)
        if version is None:
            raise ValueError(f"no draft {draft_id}")
        with self.store.transaction() as db:
            db.execute(
                "UPDATE approval SET used_at = ? WHERE draft_id = ? AND used_at IS NULL",
                (_iso(at), draft_id),
            )
            db.execute(
                "INSERT INTO approval (token_digest, draft_id, draft_version, request_message_id, "
                "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                (token_digest, draft_id, version.version, request_message_id, _iso(at),
                 _iso(expires_at)),
            )  # fmt: skip
            db.execute(
                "UPDATE outbox SET state = ?, snoozed_until = NULL, updated_at = ? "
                "WHERE draft_id = ? AND state IN (?, ?)",
                (State.AWAITING_APPROVAL.value, _iso(at), draft_id, State.DRAFTED.value,
                 State.AWAITING_APPROVAL.value),
            )  # fmt: skip

    def request_sent(self, token_digest: str, at: datetime) -> None:
        with self.store.transaction() as db:
            db.execute(
                "UPDATE approval SET request_sent_at = ? WHERE token_digest = ?",
                (_iso(at), token_digest),
            )

    def expired_unanswered(self, now: datetime) -> list[int]:
        """Outbox entries waiting for an answer whose every request expired unused (a
        snoozed one used its token and waits for its time)."""
        rows = self.store.db.execute(
            "SELECT outbox.id FROM outbox JOIN approval ON approval.draft_id = outbox.draft_id "
            "WHERE outbox.state = ? GROUP BY outbox.id "
            "HAVING SUM(approval.used_at IS NULL AND approval.expires_at > ?) = 0 "
            "AND SUM(approval.used_at IS NULL AND approval.expires_at <= ?) > 0",
            (State.AWAITING_APPROVAL.value, _iso(now), _iso(now)),
        ).fetchall()
        return [int(row[0]) for row in rows]

    def unsent_requests(self) -> list[int]:
        """Drafts whose latest live request was recorded but never went out."""
        rows = self.store.db.execute(
            "SELECT draft_id FROM approval WHERE used_at IS NULL AND request_sent_at IS NULL"
        ).fetchall()
        return [row[0] for row in rows]

    def pending_approvals(self) -> list[PendingApproval]:
        """Every approval row (used or not): a reply naming a used one is told so."""
        rows = self.store.db.execute(
            "SELECT a.token_digest, a.draft_id, a.draft_version, d.version, a.expires_at, "
            "a.used_at, d.recipients FROM approval a JOIN draft d ON d.id = a.draft_id"
        ).fetchall()
        return [
            PendingApproval(row[0], row[1], row[2], row[3], datetime.fromisoformat(row[4]),
                            row[5] is not None,
                            addressed=any(p.get("email") for p in json.loads(str(row[6]))))
            for row in rows
        ]  # fmt: skip

    def use_token(
        self,
        token_digest: str,
        draft_id: int,
        target: State,
        at: datetime,
        *,
        message: bytes | None = None,
        snoozed_until: datetime | None = None,
        current: State = State.AWAITING_APPROVAL,
        recipients: tuple[Person, ...] | None = None,
    ) -> bool:
        """Consume the token and move the draft's entry from `current`, in one transaction
        (single use). `recipients`: the address the user gave with `SEND to` for a note that
        had none, written in the same transaction (an approved note never lacks them)."""
        with self.store.transaction() as db:
            used = db.execute(
                "UPDATE approval SET used_at = ? WHERE token_digest = ? AND used_at IS NULL",
                (_iso(at), token_digest),
            )
            if used.rowcount != 1:
                return False
            moved = db.execute(
                "UPDATE outbox SET state = ?, message = COALESCE(?, message), "
                "recipients = COALESCE(?, recipients), snoozed_until = ?, updated_at = ? "
                "WHERE draft_id = ? AND state = ?",
                (target.value, message, _addresses(recipients) if recipients is not None else None,
                 _iso(snoozed_until) if snoozed_until else None, _iso(at), draft_id,
                 current.value),
            )  # fmt: skip
            if moved.rowcount != 1:
                db.execute("UPDATE approval SET used_at = NULL WHERE token_digest = ?",
                           (token_digest,))  # fmt: skip
                return False
            if recipients is not None:
                db.execute("UPDATE draft SET recipients = ? WHERE id = ?",
                           (_people(recipients), draft_id))  # fmt: skip
        return True

    def open_request(self, draft_id: int) -> bool:
        """Whether the user holds a request about this draft that no reply has used yet."""
        row = self.store.db.execute(
            "SELECT 1 FROM approval WHERE draft_id = ? AND used_at IS NULL", (draft_id,)
        ).fetchone()
        return row is not None

    def snoozed_due(self, now: datetime) -> list[int]:
        rows = self.store.db.execute(
            "SELECT draft_id FROM outbox WHERE state = ? AND snoozed_until IS NOT NULL "
            "AND snoozed_until <= ?",
            (State.AWAITING_APPROVAL.value, _iso(now)),
        ).fetchall()
        return [row[0] for row in rows]

    # Replies ------------------------------------------------------------------------------

    def reply_handled(self, message_id: str, digest: str) -> bool:
        row = self.store.db.execute(
            "SELECT 1 FROM handled_reply WHERE message_id = ? OR digest = ?", (message_id, digest)
        ).fetchone()
        return row is not None

    def mark_reply(self, message_id: str, digest: str, verdict: str, at: datetime) -> bool:
        """Record a reply as handled; False when it already was (it acts at most once)."""
        with self.store.transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO handled_reply (message_id, digest, at, verdict) "
                "VALUES (?, ?, ?, ?)",
                (message_id, digest, _iso(at), verdict),
            )
            db.execute(
                "INSERT INTO audit_log (at, event, detail) VALUES (?, ?, ?)",
                (_iso(at), "reply", f"{message_id}: {verdict}"),
            )
        return cursor.rowcount == 1

    # The outbox (the `OutboxStore` port) ---------------------------------------------------

    def entries(self, states: Iterable[State]) -> list[OutboxEntry]:
        wanted = [s.value for s in states]
        marks = ",".join("?" * len(wanted))
        rows = self.store.db.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM outbox WHERE state IN ({marks}) ORDER BY id",
            wanted,
        ).fetchall()
        return [_entry(row) for row in rows]

    def entry_of(self, draft_id: int) -> OutboxEntry | None:
        row = self.store.db.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM outbox WHERE draft_id = ?",
            (draft_id,),
        ).fetchone()
        return _entry(row) if row else None

    def draft_of_entry(self, entry_id: int) -> int:
        row = self.store.db.execute("SELECT draft_id FROM outbox WHERE id = ?", (entry_id,))
        return int(row.fetchone()[0])

    def move(
        self,
        entry_id: int,
        current: State,
        target: State,
        *,
        phase: Phase | None = None,
        detail: str = "",
        not_before: datetime | None = None,
        attempts: int | None = None,
    ) -> bool:
        if not allowed(current, target):
            raise ValueError(f"the outbox does not move {current} -> {target}")
        now = _iso(self.now())
        with self.store.transaction() as db:
            cursor = db.execute(
                "UPDATE outbox SET state = ?, phase = ?, detail = ?, not_before = ?, "
                "attempts = COALESCE(?, attempts), updated_at = ?, "
                "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END "
                "WHERE id = ? AND state = ?",
                (target.value, phase.value if phase else None, detail,
                 _iso(not_before) if not_before else None, attempts, now, target.value, now,
                 entry_id, current.value),
            )  # fmt: skip
            if cursor.rowcount == 1:
                db.execute(
                    "INSERT INTO audit_log (at, event, detail) VALUES (?, ?, ?)",
                    (now, f"outbox {current}->{target}", f"entry {entry_id}: {detail}"[:500]),
                )
        return cursor.rowcount == 1

    def copy_filed(self, entry_id: int) -> None:
        with self.store.transaction() as db:
            db.execute(
                "UPDATE outbox SET copy_filed_at = ? WHERE id = ? AND copy_filed_at IS NULL",
                (_iso(self.now()), entry_id),
            )

    def copies_missing(self, since: datetime) -> list[OutboxEntry]:
        """Notes sent after `since` whose copy is not known to be in Sent."""
        rows = self.store.db.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM outbox WHERE state = ? AND copy_filed_at IS NULL "
            "AND sent_at >= ? ORDER BY id",
            (State.SENT.value, _iso(since)),
        ).fetchall()
        return [_entry(row) for row in rows]

    def set_phase(self, entry_id: int, phase: Phase) -> None:
        with self.store.transaction() as db:
            db.execute("UPDATE outbox SET phase = ? WHERE id = ?", (phase.value, entry_id))

    def done_steps(self, interview_id: int) -> dict[str, datetime]:
        """When each step of an interview was sent or skipped (the plan's `done`): a note, or
        a reminder to the user."""
        rows = self.store.db.execute(
            "SELECT d.step, COALESCE(o.sent_at, o.updated_at) FROM draft d "
            "JOIN outbox o ON o.draft_id = d.id WHERE d.interview_id = ? AND o.state IN (?, ?) "
            "UNION ALL SELECT step, sent_at FROM reminder "
            "WHERE interview_id = ? AND sent_at IS NOT NULL",
            (interview_id, State.SENT.value, State.SKIPPED.value, interview_id),
        ).fetchall()
        done: dict[str, datetime] = {}
        for step, at in rows:
            moment = datetime.fromisoformat(at)
            done[step] = max(done.get(step, moment), moment)
        return done

    def sent_since(self, since: datetime) -> int:
        row = self.store.db.execute(
            "SELECT COUNT(*) FROM outbox WHERE state = ? AND sent_at >= ?",
            (State.SENT.value, _iso(since)),
        ).fetchone()
        return int(row[0])

    # Reminders to the user -----------------------------------------------------------------

    def add_reminder(
        self, interview_id: int, step: str, message_id: str, at: datetime
    ) -> str | None:
        """Record a reminder before it is sent, with its Message-ID. Returns the Message-ID to
        send it with (the first one recorded, when an earlier attempt did not get through), or
        None once it went out: a reminder goes out once per interview and step."""
        with self.store.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO reminder (interview_id, step, message_id, created_at) "
                "VALUES (?, ?, ?, ?)",
                (interview_id, step, message_id, _iso(at)),
            )
            row = db.execute(
                "SELECT message_id, sent_at FROM reminder WHERE interview_id = ? AND step = ?",
                (interview_id, step),
            ).fetchone()
        return None if row[1] is not None else str(row[0])

    def reminder_sent(self, interview_id: int, step: str, at: datetime, detail: str) -> None:
        with self.store.transaction() as db:
            cursor = db.execute(
                "UPDATE reminder SET sent_at = ? WHERE interview_id = ? AND step = ? "
                "AND sent_at IS NULL",
                (_iso(at), interview_id, step),
            )
            if cursor.rowcount == 1:
                db.execute(
                    "INSERT INTO audit_log (at, event, detail) VALUES (?, ?, ?)",
                    (_iso(at), f"reminder {step}", f"interview {interview_id}: {detail}"[:500]),
                )


def notes_overview(store: Store) -> list[dict[str, object]]:
    """Every drafted note and where it stands, for `afterview status`."""
    rows = store.db.execute(
        "SELECT d.id, d.interview_id, d.step, d.recipients, o.state, o.updated_at, o.sent_at, "
        "o.detail FROM draft d JOIN outbox o ON o.draft_id = d.id ORDER BY d.id"
    ).fetchall()
    return [
        {
            "draft_id": row[0],
            "interview_id": row[1],
            "step": row[2],
            "recipients": [p.get("email") for p in json.loads(row[3])],
            "state": row[4],
            "updated_at": row[5],
            "sent_at": row[6],
            "detail": row[7],
        }
        for row in rows
    ]


def recipient_key(recipients: Iterable[Person]) -> str:
    return ",".join(sorted((p.email or "").lower() for p in recipients))


_DRAFT_COLUMNS = (
    "id, interview_id, step, recipient_key, version, recipients, subject, body, notes, "
    "message_id, in_reply_to, refs, created_at"
)
_DRAFT_IN_JOIN = ", ".join(f"draft.{column.strip()}" for column in _DRAFT_COLUMNS.split(","))


def _draft(row: tuple[object, ...]) -> StoredDraft:
    people = tuple(Person(p.get("name"), p.get("email")) for p in json.loads(str(row[5])))
    return StoredDraft(
        id=int(str(row[0])),
        interview_id=int(str(row[1])),
        step=str(row[2]),
        recipient_key=str(row[3]),
        version=int(str(row[4])),
        recipients=people,
        subject=str(row[6]),
        body=str(row[7]),
        notes=str(row[8]),
        message_id=str(row[9]),
        in_reply_to=str(row[10]) if row[10] is not None else None,
        references=tuple(json.loads(str(row[11]))),
        created_at=datetime.fromisoformat(str(row[12])),
    )


_ENTRY_COLUMNS = (
    "id, state, send_id, sender, recipients, message, phase, attempts, not_before, detail, draft_id"
)


def _entry(row: tuple[object, ...]) -> OutboxEntry:
    return OutboxEntry(
        id=int(str(row[0])),
        state=State(str(row[1])),
        send_id=str(row[2]),
        sender=str(row[3]),
        recipients=tuple(json.loads(str(row[4]))),
        message=_blob(row[5]),
        phase=Phase(str(row[6])) if row[6] else None,
        attempts=int(str(row[7])),
        not_before=datetime.fromisoformat(str(row[8])) if row[8] else None,
        detail=str(row[9]),
    )


def _blob(value: object) -> bytes:
    return bytes(value) if isinstance(value, (bytes, bytearray, memoryview)) else b""


def _people(people: Iterable[Person]) -> str:
    return json.dumps([p.to_json() for p in people])


def _addresses(people: Iterable[Person]) -> str:
    """The outbox's recipients: the addresses the note goes to."""
    return json.dumps([p.email for p in people if p.email])


def _moment(value: object) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")

"""The state database's schema: named migrations, applied once each, in order, each in its own
transaction. Append only: a released migration is never edited; a change is a new migration."""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass

from daemon.store.connection import StateError

log = logging.getLogger("daemon.store")


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
    Migration(
        "0005_thread_decision_by",
        """
        ALTER TABLE thread ADD COLUMN decision_by TEXT;
        """,
    ),
    Migration(
        "0006_reminders",
        """
        CREATE TABLE reminder (
            interview_id INTEGER NOT NULL REFERENCES interview (id),
            step         TEXT NOT NULL,
            message_id   TEXT NOT NULL UNIQUE,
            created_at   TEXT NOT NULL,
            sent_at      TEXT,
            PRIMARY KEY (interview_id, step)
        );
        """,
    ),
    Migration(
        "0007_calendar_entries",
        """
        CREATE TABLE calendar_entry (
            source TEXT NOT NULL,
            key    TEXT NOT NULL,
            href   TEXT,
            start  TEXT,
            PRIMARY KEY (source, key)
        );
        CREATE INDEX calendar_entry_by_href ON calendar_entry (source, href);
        """,
    ),
    Migration(
        "0008_quiet_threads_and_digests",
        """
        ALTER TABLE message ADD COLUMN list_mail INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE thread_mark (
            message       INTEGER PRIMARY KEY REFERENCES message (id),
            thread_id     INTEGER NOT NULL,
            rule          TEXT NOT NULL,
            since         TEXT NOT NULL,
            folder        TEXT NOT NULL,
            uid           INTEGER NOT NULL,
            keyword       TEXT,
            flagged_by_us INTEGER NOT NULL DEFAULT 0,
            label         TEXT,
            set_at        TEXT NOT NULL
        );
        CREATE TABLE digest (
            id         INTEGER PRIMARY KEY,
            day        TEXT NOT NULL UNIQUE,
            message_id TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            sent_at    TEXT
        );
        """,
    ),
    Migration(
        "0009_sent_copy_filed",
        """
        ALTER TABLE outbox ADD COLUMN copy_filed_at TEXT;
        UPDATE outbox SET copy_filed_at = sent_at WHERE state = 'sent';
        """,
    ),
    Migration(
        "0010_message_reply_to",
        """
        ALTER TABLE message ADD COLUMN reply_to TEXT NOT NULL DEFAULT '[]';
        """,
    ),
    Migration(
        "0011_no_plain_token_in_request_ids",
        """
        UPDATE approval SET request_message_id = '';
        """,
    ),
    Migration(
        "0012_pending_replies",
        """
        CREATE TABLE pending_reply (
            id      INTEGER PRIMARY KEY,
            raw     BLOB NOT NULL,
            seen_at TEXT NOT NULL
        );
        """,
    ),
    Migration(
        "0013_interview_corrections",
        """
        ALTER TABLE interview ADD COLUMN closed TEXT;
        ALTER TABLE interview ADD COLUMN closed_at TEXT;
        ALTER TABLE interview_source ADD COLUMN ignored INTEGER NOT NULL DEFAULT 0;
        """,
    ),
    Migration(
        "0014_interview_fields_set_by_hand",
        """
        ALTER TABLE interview ADD COLUMN corrected TEXT NOT NULL DEFAULT '[]';
        """,
    ),
)


def apply_migrations(
    db: sqlite3.Connection, migrations: tuple[Migration, ...] = MIGRATIONS
) -> list[str]:
    """Apply, each in its own transaction, the migrations not yet recorded; return their names."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migration "
        "(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, applied_at TEXT NOT NULL)"
    )
    done = {row[0] for row in db.execute("SELECT name FROM schema_migration")}
    refuse_newer(done, migrations)
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
            if db.in_transaction:  # after SQLITE_FULL or an I/O error SQLite rolled it back
                db.execute("ROLLBACK")
            raise StateError(f"migration {migration.name} failed: {exc}") from None
        log.info("state: applied migration %s", migration.name)
        applied.append(migration.name)
    return applied


def refuse_newer(done: set[str], migrations: tuple[Migration, ...] = MIGRATIONS) -> None:
    """StateError when the state has migrations this afterview does not know: a newer one
    wrote it, and this one would misread it (or, migrating, damage it)."""
    unknown = done - {m.name for m in migrations}
    if unknown:
        raise StateError(
            f"the state database was written by a newer afterview (migrations {sorted(unknown)}); "
            "upgrade afterview"
        )


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

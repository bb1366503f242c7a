"""SQLite state: the only module that writes SQL. WAL mode, named migrations, one writer.

The state directory is created 0700 and the database 0600: it holds who the user talks to.
A lock file held for the life of the process refuses a second daemon on the same state.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from daemon.errors import PermanentError

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
        return self.open()

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

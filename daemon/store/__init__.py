"""SQLite state: the only package that writes SQL. WAL mode, named migrations, one writer.

The state directory is created 0700 and the database 0600: it holds who the user talks to.
A lock file held for the life of the process refuses a second daemon on the same state.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
from pathlib import Path
from types import TracebackType

from daemon.errors import PermanentError
from daemon.store.connection import StateError, StateNotWritten
from daemon.store.mail import Cursor, MailRecords, StoredMessage
from daemon.store.records import InterviewRecords
from daemon.store.schema import MIGRATIONS, Migration, apply_migrations, refuse_newer

__all__ = [
    "MIGRATIONS",
    "AlreadyRunning",
    "Cursor",
    "Migration",
    "StateError",
    "StateNotWritten",
    "Store",
    "StoredMessage",
    "apply_migrations",
]

log = logging.getLogger(__name__)

DATABASE_NAME = "afterview.sqlite3"
LOCK_NAME = "afterview.lock"


class AlreadyRunning(PermanentError):
    """Another afterview process holds the state directory."""


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


class Store(MailRecords, InterviewRecords):
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
        try:
            refuse_newer(done)
            if missing:
                raise StateError(
                    f"the state in {self.state_dir} is from an older afterview: start the daemon "
                    "(or 'afterview run --once') once to upgrade it"
                )
        except StateError:
            self.close()
            raise
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
        db.execute("PRAGMA secure_delete=ON")  # a handled reply's bytes (its token) are zeroed
    except sqlite3.DatabaseError as exc:
        raise StateError(f"cannot open the state database {path}: {exc}") from None
    return db

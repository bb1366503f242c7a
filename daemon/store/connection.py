"""The open database and its transactions, shared by the store's record classes."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from daemon.errors import AfterviewError, PermanentError

# SQLite's primary result codes for a write the storage refused: the disk is full, an I/O
# error, the file became read-only. Anything else (a constraint, a missing table) is a bug.
_STORAGE_REFUSED = {
    sqlite3.SQLITE_FULL,
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_READONLY,
    sqlite3.SQLITE_CANTOPEN,
}


class StateError(PermanentError):
    """The state cannot be opened or migrated; the message says which file and why."""


class StateNotWritten(AfterviewError):
    """A write to the state failed because of the disk (full, I/O error, read-only). Its
    transaction was rolled back whole, so nothing half-done is kept; the next pass tries again."""


class Connected:
    """Holds the connection; every write goes through `transaction()`."""

    _db: sqlite3.Connection | None = None
    path: Path  # the database file, for messages

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise StateError("the state database is not open")
        return self._db

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception; StateNotWritten when the
        disk refused the write."""
        db = self.db
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                # After SQLITE_FULL or an I/O error SQLite may have rolled back already.
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF not in _STORAGE_REFUSED:
                raise
            raise StateNotWritten(f"cannot write the state database {self.path}: {exc}") from exc

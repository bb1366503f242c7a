"""The open database and its transactions, shared by the store's record classes."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator

from daemon.errors import PermanentError


class StateError(PermanentError):
    """The state cannot be opened or migrated; the message says which file and why."""


class Connected:
    """Holds the connection; every write goes through `transaction()`."""

    _db: sqlite3.Connection | None = None

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

"""The state store: private files, WAL, named migrations, and one writer per state directory."""

from __future__ import annotations

import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from daemon.store import (
    MIGRATIONS,
    AlreadyRunning,
    Migration,
    StateError,
    StateNotWritten,
    Store,
    apply_migrations,
)


def test_open_creates_private_state_in_wal_mode(tmp_path: Path) -> None:
    state = tmp_path / "state" / "afterview"
    with Store(state) as store:
        mode = store.db.execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"
        assert store.schema_version() == [m.name for m in MIGRATIONS]
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert stat.S_IMODE((state / "afterview.sqlite3").stat().st_mode) == 0o600
    assert stat.S_IMODE((state / "afterview.lock").stat().st_mode) == 0o600


def test_a_loose_existing_directory_is_made_private(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    with Store(state):
        pass
    assert stat.S_IMODE(state.stat().st_mode) == 0o700


def test_migrations_apply_once_and_in_order(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "m.sqlite3", isolation_level=None)
    first = (Migration("0001_a", "CREATE TABLE a (x INTEGER);"),)
    both = (*first, Migration("0002_b", "CREATE TABLE b (y TEXT); INSERT INTO b VALUES ('x;y');"))
    assert apply_migrations(db, first) == ["0001_a"]
    assert apply_migrations(db, both) == ["0002_b"]
    assert apply_migrations(db, both) == []
    assert db.execute("SELECT y FROM b").fetchall() == [("x;y",)]
    db.close()


def test_a_failing_migration_leaves_nothing_half_done(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "m.sqlite3", isolation_level=None)
    broken = (
        Migration("0001_broken", "CREATE TABLE ok (x INTEGER); CREATE TABLE ok (x INTEGER);"),
    )
    with pytest.raises(StateError, match="migration 0001_broken failed: table ok already exists"):
        apply_migrations(db, broken)
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "ok" not in tables
    assert db.execute("SELECT count(*) FROM schema_migration").fetchone()[0] == 0
    db.close()


def test_a_migration_the_disk_has_no_room_for_is_refused_with_that_reason(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "m.sqlite3", isolation_level=None)
    first = (Migration("0001_a", "CREATE TABLE a (x BLOB);"),)
    apply_migrations(db, first)
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full: the file cannot grow
    growing = (*first, Migration("0002_b", "INSERT INTO a VALUES (zeroblob(100000));"))
    with pytest.raises(StateError, match="migration 0002_b failed: database or disk is full"):
        apply_migrations(db, growing)
    assert [row[0] for row in db.execute("SELECT name FROM schema_migration")] == ["0001_a"]
    assert db.execute("SELECT count(*) FROM a").fetchone() == (0,)
    db.close()


def test_state_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "m.sqlite3", isolation_level=None)
    apply_migrations(db, (Migration("0001_a", "CREATE TABLE a (x INTEGER);"),))
    with pytest.raises(StateError, match="newer afterview"):
        apply_migrations(db, ())
    db.close()


def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        with pytest.raises(RuntimeError), store.transaction() as db:
            db.execute("INSERT INTO audit_log (at, event) VALUES ('now', 'lost')")
            raise RuntimeError("boom")
        store.audit("2026-11-25T10:00:00+00:00", "kept")
        events = [r[0] for r in store.db.execute("SELECT event FROM audit_log")]
    assert events == ["kept"]


def test_a_write_the_disk_has_no_room_for_says_so_and_leaves_the_state_usable(
    tmp_path: Path,
) -> None:
    with Store(tmp_path) as store:
        pages = store.db.execute("PRAGMA page_count").fetchone()[0]
        store.db.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full
        with pytest.raises(StateNotWritten, match=r"afterview.sqlite3: database or disk is full"):
            store.audit("2026-11-25T10:00:00+00:00", "lost", "x" * 100_000)
        assert not store.db.in_transaction  # rolled back whole (by SQLite itself)
        store.db.execute("PRAGMA max_page_count = 1073741823")  # room again
        store.audit("2026-11-25T10:01:00+00:00", "kept")
        events = [r[0] for r in store.db.execute("SELECT event FROM audit_log")]
    assert events == ["kept"]


def test_second_store_in_the_same_process_is_refused(tmp_path: Path) -> None:
    with Store(tmp_path), pytest.raises(AlreadyRunning, match=r"already running \(pid \d+\)"):
        Store(tmp_path).open()
    with Store(tmp_path):  # released on close
        pass


def test_second_daemon_is_told_the_pid_of_the_first(tmp_path: Path) -> None:
    holder = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from daemon.store import Store
        with Store(Path({str(tmp_path)!r})):
            print("ready", flush=True)
            sys.stdin.readline()
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", holder],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        with pytest.raises(AlreadyRunning) as caught:
            Store(tmp_path).open()
        assert f"already running (pid {child.pid})" in str(caught.value)
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=30)
        assert child.stdout is not None
        child.stdout.close()
    with Store(tmp_path):  # the lock went with the process
        pass

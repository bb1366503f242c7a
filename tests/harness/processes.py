"""Starting and reliably stopping server subprocesses and everything they fork."""

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

from tests.harness.errors import HarnessError

GRACEFUL_STOP_SECONDS = 5.0


def spawn(argv: list[str], log_file: Path, cwd: Path) -> subprocess.Popen[bytes]:
    """Start ``argv`` in its own session with stdout/stderr appended to ``log_file``.

    A new session gives the server its own process group, so stopping it can
    also reach children that outlive their parent (Dovecot's login processes
    keep the listening sockets open).
    """
    with log_file.open("ab") as log:
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            start_new_session=True,
        )


def _group_members_from_proc(pgid: int) -> list[str] | None:
    """States of the group's processes from /proc, or None where there is no /proc."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    states: list[str] = []
    for stat in proc.glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp ...": comm may hold spaces and parens.
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid:
            states.append(fields[0])
    return states


def group_alive(pgid: int) -> bool:
    """True while any process of the group still runs.

    Zombies do not count: children orphaned by a dead Dovecot master are
    reaped by PID 1, which in a container may never do it.
    """
    states = _group_members_from_proc(pgid)
    if states is not None:
        return any(state != "Z" for state in states)
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signum)


def stop_process_group(process: subprocess.Popen[bytes], *, kill: bool = False) -> None:
    """Stop the process and its whole group; return only once all are gone.

    A graceful stop sends SIGTERM to every process of the group at once:
    Dovecot's master would do the same to its children, but only after
    about two seconds of its own shutdown bookkeeping. It escalates to
    SIGKILL after ``GRACEFUL_STOP_SECONDS``. ``kill=True`` SIGKILLs the group
    at once, simulating a crash.
    """
    pgid = process.pid
    _signal_group(pgid, signal.SIGKILL if kill else signal.SIGTERM)
    deadline = time.monotonic() + GRACEFUL_STOP_SECONDS
    while time.monotonic() < deadline:
        process.poll()
        if process.returncode is not None and not group_alive(pgid):
            return
        time.sleep(0.01)
    _signal_group(pgid, signal.SIGKILL)
    try:
        process.wait(timeout=GRACEFUL_STOP_SECONDS)
    except subprocess.TimeoutExpired as error:
        raise HarnessError(f"process {process.args!r} survived SIGKILL") from error
    deadline = time.monotonic() + GRACEFUL_STOP_SECONDS
    while group_alive(pgid):
        if time.monotonic() > deadline:
            raise HarnessError(f"children of {process.args!r} survived SIGKILL")
        time.sleep(0.01)


def log_tail(log_file: Path, lines: int = 30) -> str:
    """The last lines of a server log, for error messages that explain a failed start."""
    try:
        text = log_file.read_text(errors="replace")
    except FileNotFoundError:
        return f"(no log at {log_file})"
    return "\n".join(text.splitlines()[-lines:]) or f"(log {log_file} is empty)"

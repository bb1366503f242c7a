"""afterview's first scan of one folder, alone in its own process so its peak memory is its own.

Usage: python child.py '<json settings>'. Prints one JSON line: the time the scan took (connect
to the last commit), what the sync reported, the process's peak RSS (VmHWM) and its CPU in
each half of the scan (a cost that grows with what is stored makes the second half dearer). With
"profile" set it also writes cProfile data to that path; with "now" (ISO 8601) the scan runs
at that moment instead of the clock's.
"""

from __future__ import annotations

import cProfile
import json
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from daemon.config import ImapConfig, ImapFolders, Security
from daemon.credentials import Secret
from daemon.detect.classify import classify_email
from daemon.mail.imap import FetchedHeaders, Mailbox, connect
from daemon.model import Detection
from daemon.store import Store
from daemon.sync import Detector, FolderRole, MailSync, WatchedFolder


def imap_config(settings: dict[str, str]) -> ImapConfig:
    return ImapConfig(
        host=settings["host"],
        port=int(settings["port"]),
        security=Security.SSL,
        username=settings["user"],
        secret=Secret("benchmark", settings["password"]),
        ca_file=Path(settings["ca"]),
        insecure=False,
        folders=ImapFolders(inbox="INBOX", sent=None, extra=()),
    )


def detector(
    me: frozenset[str], zone: ZoneInfo, clock: Clock | None = None, now: datetime | None = None
) -> Detector:
    """What the engine hands the sync: the real detector with the user's addresses and zone."""

    def classify(raw: bytes) -> Detection:
        return classify_email(raw, me=me, default_zone=zone, now=now or datetime.now(UTC))

    if clock is None:
        return classify

    def timed(raw: bytes) -> Detection:
        started = time.perf_counter()
        try:
            return classify(raw)
        finally:
            clock.detect += time.perf_counter() - started

    return timed


class Clock:
    """Where the scan's time went: the detector, and the two kinds of FETCH."""

    def __init__(self) -> None:
        self.detect = self.headers = self.bodies = 0.0
        self.body_bytes = 0


class TimedMailbox(Mailbox):
    """The real Mailbox, with the time spent in each kind of FETCH added up."""

    clock = Clock()

    def fetch_headers(self, uids: Sequence[int]) -> list[FetchedHeaders]:
        started = time.perf_counter()
        try:
            return super().fetch_headers(uids)
        finally:
            self.clock.headers += time.perf_counter() - started

    def fetch_bodies(self, uids: Sequence[int]) -> dict[int, bytes]:
        started = time.perf_counter()
        try:
            found = super().fetch_bodies(uids)
            self.clock.body_bytes += sum(len(body) for body in found.values())
            return found
        finally:
            self.clock.bodies += time.perf_counter() - started


def status_kib(field: str) -> int:
    """A size from /proc/self/status, in KiB: VmHWM (the peak RSS), VmRSS (the RSS now)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def peak_rss_kib() -> int:
    return status_kib("VmHWM")


def scan(settings: dict[str, str]) -> dict[str, object]:
    config = imap_config(settings)
    me = frozenset({settings["address"]})
    now = datetime.fromisoformat(settings["now"]) if settings.get("now") else None
    rss_before = peak_rss_kib()
    cpu_marks = [time.process_time()]  # after each batch: the CPU of the scan's halves

    def between_batches() -> bool:
        cpu_marks.append(time.process_time())
        return False

    started = time.perf_counter()
    clock = TimedMailbox.clock
    with Store(Path(settings["state"])) as store:
        mailbox = TimedMailbox(connect(config), config)
        sync = MailSync(
            store,
            me,
            detector(me, ZoneInfo(settings["zone"]), clock, now),
            now=lambda: now or datetime.now(UTC),
            backfill=None,
            between_batches=between_batches,
        )
        report = sync.sync_folder(mailbox, WatchedFolder("INBOX", FolderRole.INBOX))
        mailbox.close()
        seconds = time.perf_counter() - started
        cpu_marks.append(time.process_time())
        counts = store.counts()
    return {
        "seconds": seconds,
        "new": report.new,
        "read_whole": report.read_whole,
        "skipped": report.skipped,
        "interviews": counts["interviews"],
        "threads": counts["threads"],
        "job_threads": counts["job_threads"],
        "detect_seconds": clock.detect,
        "fetch_headers_seconds": clock.headers,
        "fetch_bodies_seconds": clock.bodies,
        "body_bytes": clock.body_bytes,
        "peak_rss_kib": peak_rss_kib(),
        "rss_before_scan_kib": rss_before,
        "cpu_first_half": cpu_marks[len(cpu_marks) // 2] - cpu_marks[0],
        "cpu_second_half": cpu_marks[-1] - cpu_marks[len(cpu_marks) // 2],
    }


def breakdown(scan: Mapping[str, float]) -> str:
    """Where the scan's time went (from what `scan` returned), as a line of a report."""
    rest = (
        scan["seconds"]
        - scan["detect_seconds"]
        - scan["fetch_headers_seconds"]
        - scan["fetch_bodies_seconds"]
    )
    return (
        f"  of which: detector {scan['detect_seconds']:.2f} s, header FETCH "
        f"{scan['fetch_headers_seconds']:.2f} s, body FETCH {scan['fetch_bodies_seconds']:.2f} s "
        f"({scan['body_bytes'] / 1e6:,.0f} MB), the rest (parsing, triage, store) {rest:.2f} s"
    )


def run_in_child(script: Path, settings: Mapping[str, str], log: Path | None = None) -> Any:
    """Run a benchmark's child (`script '<json settings>'`, as here) and return what the JSON
    line it printed last says; a failure raises with its stderr and the end of `log`."""
    result = subprocess.run(
        [sys.executable, str(script), json.dumps(settings)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        tail = log.read_text()[-4000:] if log is not None and log.exists() else ""
        raise RuntimeError(f"{script.name} failed:\n{result.stderr}\n{tail}".rstrip())
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    settings = json.loads(sys.argv[1])
    if settings.get("profile"):
        profiler = cProfile.Profile()
        result = profiler.runcall(scan, settings)
        profiler.dump_stats(settings["profile"])
    else:
        result = scan(settings)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

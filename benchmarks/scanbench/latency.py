"""After the scan: what an unchanged poll costs, and how long new mail takes to become an
interview, against the bare IDLE notification an imapclient client gets for the same delivery.

Dovecot tells IDLE clients about new mail about 500 ms after delivery (a compiled-in notify
delay), so the raw figure is that floor; afterview's figure adds the wake-up, the sync of the
new UID (STATUS, EXAMINE, header fetch, triage, body fetch), the detector and the commit.
"""

from __future__ import annotations

import contextlib
import queue
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

import imapclient

from daemon.config import ImapConfig
from daemon.mail.idle import IdleWatcher
from daemon.mail.imap import Mailbox, connect
from daemon.store import Store
from daemon.sync import FolderRole, MailSync, WatchedFolder
from scanbench.child import detector

INBOX = WatchedFolder("INBOX", FolderRole.INBOX)
WAIT_SECONDS = 15.0


def unchanged_polls(
    config: ImapConfig, state: Path, me: frozenset[str], rounds: int
) -> list[float]:
    """Seconds per `sync_folder` on the scanned, unchanged folder (one kept connection)."""
    times = []
    with Store(state) as store:
        mailbox = Mailbox(connect(config), config)
        sync = _sync(store, me)
        for _ in range(5):
            sync.sync_folder(mailbox, INBOX)
        for _ in range(rounds):
            started = time.perf_counter()
            report = sync.sync_folder(mailbox, INBOX)
            times.append(time.perf_counter() - started)
            if not report.unchanged:
                raise RuntimeError("the folder changed during the unchanged-poll measurement")
        mailbox.close()
    return times


@dataclass(frozen=True)
class IdleLatency:
    raw: list[float]  # delivery -> EXISTS seen by a bare IDLE client
    detected: list[float]  # delivery -> interview committed by IdleWatcher + MailSync

    @property
    def raw_median(self) -> float:
        return statistics.median(self.raw)

    @property
    def detected_median(self) -> float:
        return statistics.median(self.detected)


def idle_latency(
    config: ImapConfig,
    state: Path,
    me: frozenset[str],
    deliver: Callable[[bytes], None],
    raw_client: Callable[[], imapclient.IMAPClient],
    rounds: int,
) -> IdleLatency:
    stop = threading.Event()
    exists: queue.Queue[float] = queue.Queue()
    detected: queue.Queue[tuple[float, list[str]]] = queue.Queue()
    ready = threading.Barrier(3, timeout=WAIT_SECONDS)
    raw = threading.Thread(target=_raw_idle, args=(raw_client, exists, ready, stop))
    ours = threading.Thread(target=_afterview, args=(config, state, me, detected, ready, stop))
    raw.start()
    ours.start()
    try:
        ready.wait()
        time.sleep(1.0)  # the watcher connects and enters IDLE on its own thread
        raw_times, detected_times = [], []
        for index in range(rounds):
            message, _ = invitation(index)
            started = time.perf_counter()
            deliver(message)
            raw_times.append(exists.get(timeout=WAIT_SECONDS) - started)
            at, lines = detected.get(timeout=WAIT_SECONDS)
            detected_times.append(at - started)
            if not lines:
                raise RuntimeError("the delivered invitation was not recorded as an interview")
            time.sleep(0.2 + 0.05 * (index % 5))  # not in step with the server's notify timer
    finally:
        stop.set()
        raw.join(WAIT_SECONDS)
        ours.join(WAIT_SECONDS)
    return IdleLatency(raw_times, detected_times)


def _raw_idle(
    make_client: Callable[[], imapclient.IMAPClient],
    exists: queue.Queue[float],
    ready: threading.Barrier,
    stop: threading.Event,
) -> None:
    client = make_client()
    client.select_folder("INBOX", readonly=True)
    client.idle()
    ready.wait()
    try:
        while not stop.is_set():
            responses = client.idle_check(timeout=0.5)
            if any(isinstance(r, tuple) and len(r) > 1 and r[1] == b"EXISTS" for r in responses):
                exists.put(time.perf_counter())
    finally:
        with contextlib.suppress(Exception):
            client.idle_done()
            client.logout()


def _afterview(
    config: ImapConfig,
    state: Path,
    me: frozenset[str],
    detected: queue.Queue[tuple[float, list[str]]],
    ready: threading.Barrier,
    stop: threading.Event,
) -> None:
    """The engine's loop, cut down to mail: IDLE wakes it, one sync of the inbox follows."""
    wake = threading.Event()
    watcher = IdleWatcher(config, "INBOX", wake)
    with Store(state) as store:
        mailbox = Mailbox(connect(config), config)
        sync = _sync(store, me)
        sync.sync_folder(mailbox, INBOX)
        watcher.start()
        ready.wait()
        try:
            while not stop.is_set():
                if not wake.wait(0.2):
                    continue
                wake.clear()
                report = sync.sync_folder(mailbox, INBOX)
                if report.new:
                    detected.put((time.perf_counter(), report.interviews))
        finally:
            watcher.stop()
            mailbox.close()


def _sync(store: Store, me: frozenset[str]) -> MailSync:
    return MailSync(
        store,
        me,
        detector(me, ZoneInfo("Europe/Berlin")),
        now=lambda: datetime.now(UTC),
        backfill=None,
    )


def invitation(index: int) -> tuple[bytes, str]:
    """A recruiter's interview invitation with a calendar part, new each time."""
    now = datetime.now(UTC).replace(microsecond=0)
    start = (now + timedelta(days=3, hours=index)).replace(minute=0, second=0)
    stamp = "%Y%m%dT%H%M%SZ"
    uid = f"idle-{index}-{int(now.timestamp())}@talent.northwind.example"
    ics = "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//Northwind Talent//Scheduler//EN",
            "METHOD:REQUEST",
            "BEGIN:VEVENT",
            f"UID:{uid}",
            "SEQUENCE:0",
            "STATUS:CONFIRMED",
            f"DTSTAMP:{now.strftime(stamp)}",
            f"DTSTART:{start.strftime(stamp)}",
            f"DTEND:{(start + timedelta(hours=1)).strftime(stamp)}",
            f"SUMMARY:Interview {index}: Platform Engineer - Northwind Analytics",
            "LOCATION:https://zoom.us/j/5551234567",
            "ORGANIZER;CN=Priya Raman:mailto:priya.raman@northwind.example",
            "ATTENDEE;CN=Priya Raman;ROLE=REQ-PARTICIPANT:mailto:priya.raman@northwind.example",
            "ATTENDEE;CN=Alice Candidate;ROLE=REQ-PARTICIPANT:mailto:alice@example.test",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )
    message = EmailMessage()
    message["Subject"] = f"Interview: Platform Engineer - Northwind Analytics ({index})"
    message["From"] = "Priya Raman <priya.raman@northwind.example>"
    message["To"] = "Alice Candidate <alice@example.test>"
    message["Date"] = format_datetime(now)
    message_id = make_msgid(domain="northwind.example")
    message["Message-ID"] = message_id
    message.set_content(
        "Hi Alice,\n\nyour interview for the Platform Engineer role at Northwind Analytics is "
        "confirmed. The invitation is attached.\n\nPriya Raman\nRecruiter"
    )
    message.add_alternative(
        ics.encode(), maintype="text", subtype="calendar", params={"method": "REQUEST"}
    )
    return message.as_bytes(), message_id

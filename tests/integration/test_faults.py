"""Faults against the real servers (issue 9): after each, the daemon goes on, no approved note is
lost, none goes out twice, no message or interview is stored twice, and `\\Seen` is never set.

Where each fault of the issue is tested (`here` is this module):

IMAP link cut in the middle of a body FETCH (first scan)
    here: test_a_link_cut_mid_fetch_resumes_at_the_cursor_and_stores_nothing_twice
IMAP link cut while idling
    here: test_a_link_cut_during_idle_reconnects_and_sees_new_mail
Dovecot killed mid-IDLE
    test_sync: test_idle_sees_new_mail_and_survives_dovecot_killed_mid_idle
IMAP link cut mid APPEND of the Sent copy (half uploaded, or the answer lost)
    here: test_a_link_cut_during_the_sent_copy_keeps_the_note_sent_and_files_one_copy
Dovecot stopped for two minutes of real time, then back (the running service, no restart)
    test_service: test_dovecot_away_and_back_the_daemon_recovers_without_a_restart
Dovecot stopped for twenty minutes of passes with an approved note waiting
    here: test_dovecot_away_for_minutes_holds_the_approved_note_and_sends_it_once_when_back
A message the store cannot take (a bug): set aside, the others stored, later mail read
    here: test_a_message_the_store_cannot_take_is_set_aside_and_the_rest_go_on
Every hostile mail and calendar of tests/hostile through one real pass
    test_hostile_sync: test_the_hostile_corpus_through_a_real_pass_stops_nothing
SMTP 451 then success; 550
    test_followup_e2e: test_a_temporary_refusal_is_retried_and_sent_once,
    test_a_permanent_refusal_fails_and_asks_the_user
SMTP 421 and 452 at MAIL, RCPT and DATA, then success; 554 at DATA
    here: test_421_and_452_at_every_command_hold_the_note_until_the_server_takes_it_once,
    test_554_at_data_fails_the_note_asks_the_user_and_never_retries_by_itself
SMTP connection cut after the final dot
    test_followup_e2e: test_a_connection_cut_after_the_data_is_never_resent_and_the_user_is_asked
SIGKILL at every step of a send
    test_followup_e2e: test_sigkill_at_every_step_of_the_outbox_never_sends_twice
A TLS certificate the configured CA did not sign (refused, named, never accepted silently)
    test_tls_trust: test_a_certificate_the_configured_ca_did_not_sign_is_refused
Disk full while writing the state (a sync batch, a calendar, each commit of a send)
    here: test_a_full_disk_during_a_sync_keeps_the_state_whole_and_the_next_pass_stores_it_once,
    test_a_full_disk_at_a_send_s_commit_never_loses_the_note_nor_sends_it_twice
    (and test_smtp_send: test_a_data_phase_the_state_cannot_record_hangs_up_before_the_dot)
State from an older schema (migrated once); from a newer one (refused, untouched)
    here: test_state_from_an_older_schema_is_migrated_once_and_its_notes_go_out_once,
    test_state_from_a_newer_schema_is_refused_and_left_as_it_is

Carol is the job seeker, Bob her interviewer, as in test_followup_e2e. Her IMAP link goes through
the harness's cutting relay (TLS, verified against the test CA). Most passes run in this process:
an `Engine` per pass over her open state, as `afterview run --once` builds one, which keeps them
cheap and lets the disk-full tests reach the store's own connection; the schema tests run the
`afterview` command itself. Time moves with `now`.
"""

from __future__ import annotations

import email
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import imapclient
import pytest

from daemon import sync
from daemon.config import Config, load_config
from daemon.engine import Engine, PassReport
from daemon.store import MIGRATIONS, Migration, Store, apply_migrations
from tests.cli import afterview
from tests.harness import CertBundle, Cut, CuttingRelay, DovecotServer, SubmissionServer
from tests.integration import test_followup_e2e as e2e
from tests.integration import test_sync

pytestmark = pytest.mark.integration

CAROL, BOB, ALICE = e2e.CAROL, "bob@example.test", "alice@example.test"
NOW = e2e.NOW  # two hours after the interview: the thank-you is due
BEFORE = test_sync.NOW  # two weeks before it: nothing is due yet
WAIT_SECONDS = 30.0  # how long a test waits for the daemon thread before it fails (no bound)
BODY_FETCH = r"^UID FETCH \S+ \(BODY\.PEEK\[\]<"


class Daemon:
    """Carol's afterview in this process: one `Engine` per pass over her open state."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.store = Store(config.state_dir).open()

    def run(self, now: datetime, *, before_sending: Callable[[], None] | None = None) -> PassReport:
        """One pass; `before_sending` runs after the look at the mailbox that comes right
        before approved notes go out."""
        engine = Engine(self.config, self.store, now=lambda: now)
        if before_sending is not None:
            refresh = engine.followups.refresh

            def refresh_then() -> None:
                refresh()
                before_sending()

            engine.followups.refresh = refresh_then
        try:
            return engine.run_once()
        finally:
            engine.close()

    def close(self) -> None:
        self.store.close()

    def note(self) -> tuple[str, int, str]:
        """The one note's state, send attempts and last detail."""
        [row] = self.store.db.execute("SELECT state, attempts, detail FROM outbox").fetchall()
        return str(row[0]), int(row[1]), str(row[2])

    def counts(self) -> dict[str, int]:
        return self.store.counts()


@pytest.fixture
def config(
    tmp_path: Path,
    dovecot: DovecotServer,
    smtp_server: SubmissionServer,
    tls_certs: CertBundle,
    imap_cutter: CuttingRelay,
) -> Config:
    """Carol's config, her IMAP through the cutting relay; her and Bob's mailboxes emptied."""
    for user in ("carol", "bob"):
        dovecot.empty_mailboxes(user)
    path = e2e.carol_config(
        tmp_path, dovecot, smtp_server.starttls_port, tls_certs,
        extra="sync: {poll_interval: 1h, calendar_interval: 1h, idle: true}",
    )  # fmt: skip
    text = path.read_text().replace(f"port: {dovecot.imaps_port},", f"port: {imap_cutter.port},")
    path.write_text(text)
    return load_config(path)


@pytest.fixture
def carol(config: Config) -> Iterator[Daemon]:
    daemon = Daemon(config)
    yield daemon
    daemon.close()


# What holds after every fault ---------------------------------------------------------------


def inbox_flags(dovecot: DovecotServer, certs: CertBundle) -> dict[int, tuple[bytes, ...]]:
    """Carol's INBOX: each UID with its flags."""
    carol = e2e.client(dovecot, certs, "carol", e2e.CAROL_PW)
    try:
        carol.select_folder("INBOX", readonly=True)
        return dict(carol.get_flags(carol.search("ALL")))
    finally:
        carol.logout()


def inbox_uids(dovecot: DovecotServer, certs: CertBundle) -> list[int]:
    return sorted(inbox_flags(dovecot, certs))


def nothing_marked_read(dovecot: DovecotServer, certs: CertBundle) -> None:
    flags = inbox_flags(dovecot, certs)
    assert flags, "no mail in the INBOX: the check would prove nothing"
    assert not [uid for uid, found in flags.items() if imapclient.SEEN in found]


def copies(dovecot: DovecotServer, certs: CertBundle, smtp: SubmissionServer) -> tuple[int, ...]:
    """(notes Bob received, notes the SMTP server took for him, afterview's copies in Carol's
    Sent): each must end at 1 once the note is out, never above."""
    filed = [m for m in e2e.mails(dovecot, certs, "carol", "Sent") if m["X-Afterview-Send-Id"]]
    taken = [m.rcpt_tos for m in smtp.messages()].count((BOB,))
    return e2e.bob_notes(dovecot, certs), taken, len(filed)


def requests(dovecot: DovecotServer, certs: CertBundle) -> list[EmailMessage]:
    """The approval requests in Carol's INBOX, oldest first."""
    return [m for m in e2e.mails(dovecot, certs, "carol") if m["X-Afterview"] == "approval"]


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    return body.get_content() if isinstance(body, EmailMessage) else ""


def intact(store: Store) -> None:
    assert store.db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []


def approved(carol: Daemon, dovecot: DovecotServer, certs: CertBundle) -> None:
    """Up to Carol's SEND in her INBOX: the next pass sends the thank-you to Bob."""
    dovecot.deliver(CAROL, e2e.invitation())
    report = carol.run(NOW)
    assert not report.errors, report.errors
    request = e2e.request_of(dovecot, certs)
    dovecot.deliver(CAROL, e2e.reply_to(request, "SEND"), sender=CAROL)


# IMAP: the link cut in the middle of a command ----------------------------------------------


def invitations(count: int) -> list[bytes]:
    """Invitations to `count` different interviews (event UIDs), one day apart."""
    return [
        test_sync.invitation(
            uid=f"round-{n}@northwind.example",
            start=f"202612{n + 1:02d}T150000Z",
            end=f"202612{n + 1:02d}T160000Z",
        )
        for n in range(count)
    ]


def test_a_link_cut_mid_fetch_resumes_at_the_cursor_and_stores_nothing_twice(
    carol: Daemon,
    dovecot: DovecotServer,
    imap_cutter: CuttingRelay,
    tls_certs: CertBundle,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sync, "BATCH", 2)  # a first scan of three batches
    for raw in invitations(5):
        dovecot.deliver(CAROL, raw)
    # The UIDs the five got: emptied mailboxes keep counting, so earlier tests move them.
    uids = inbox_uids(dovecot, tls_certs)
    imap_cutter.cut(BODY_FETCH, Cut.MID_RESPONSE_LITERAL, skip=1)  # in the second batch
    first = carol.run(BEFORE)
    assert len(imap_cutter.cuts()) == 1
    [error] = first.errors
    assert f"imap: IMAP server 127.0.0.1:{imap_cutter.port}: FETCH bodies:" in error, error
    assert carol.counts()["messages"] == 2  # the first batch, and its cursor
    [inbox] = [c for c, _ in carol.store.cursors() if c.folder == "INBOX"]
    assert inbox.last_uid == uids[1]

    seen = len(imap_cutter.commands())
    second = carol.run(BEFORE + timedelta(minutes=1))
    assert not second.errors, second.errors
    fetched = [c for c in imap_cutter.commands()[seen:] if c.startswith("UID FETCH")]
    resumed = f"UID FETCH {uids[2]}:{uids[3]} "
    assert fetched[0].startswith(resumed), fetched  # resumed after the cursor
    counts = carol.counts()
    assert (counts["messages"], counts["interviews"]) == (5, 5)
    intact(carol.store)
    nothing_marked_read(dovecot, tls_certs)


def test_a_message_the_store_cannot_take_is_set_aside_and_the_rest_go_on(
    carol: Daemon,
    dovecot: DovecotServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bug that fails on one message (here made to happen on the third invitation) costs
    that message only: it is recorded as skipped with the reason, the batch's others are
    stored, and later mail is read; it never holds the cursor back pass after pass."""
    monkeypatch.setattr(sync, "BATCH", 4)
    for raw in invitations(5):
        dovecot.deliver(CAROL, raw)
    save = carol.store.save_interview

    def failing(db: sqlite3.Connection, interview: Any, at: str) -> int:
        if interview.start is not None and interview.start.day == 3:
            raise OverflowError("Python int too large to convert to SQLite INTEGER")
        return save(db, interview, at)

    monkeypatch.setattr(carol.store, "save_interview", failing)
    first = carol.run(BEFORE)
    assert not first.errors, first.errors
    counts = carol.counts()
    assert (counts["messages"], counts["interviews"], counts["skipped"]) == (4, 4, 1)
    [(_, _, why)] = carol.store.skipped_messages()
    assert "could not be stored (a bug): OverflowError" in why
    later = test_sync.invitation(
        uid="round-9@northwind.example", start="20261210T150000Z", end="20261210T160000Z"
    )
    dovecot.deliver(CAROL, later)
    carol.run(BEFORE + timedelta(minutes=1))
    assert carol.counts()["interviews"] == 5  # mail after it is read as ever
    intact(carol.store)


def test_a_link_cut_during_idle_reconnects_and_sees_new_mail(
    config: Config, dovecot: DovecotServer, imap_cutter: CuttingRelay, tls_certs: CertBundle
) -> None:
    imap_cutter.cut(r"^IDLE", Cut.AFTER_CONTINUATION)  # the first IDLE: the line dies idling
    with test_sync.engine_running(config, BEFORE):
        wait_for(lambda: imap_cutter.cuts() == ["IDLE"], "the IDLE link cut")
        first, second = invitations(2)
        dovecot.deliver(CAROL, first)  # while the IDLE link is down
        wait_for(lambda: idles(imap_cutter) == 2, "IDLE again on a new link")
        dovecot.deliver(CAROL, second)  # while idling on the new link
        wait_for(lambda: interviews(config) == 2, "both invitations stored")
    with Store(config.state_dir).open_read_only() as store:
        assert store.counts()["messages"] == 2
    nothing_marked_read(dovecot, tls_certs)


def idles(relay: CuttingRelay) -> int:
    return sum(command == "IDLE" for command in relay.commands())


def interviews(config: Config) -> int:
    with Store(config.state_dir).open_read_only() as store:
        return len(store.interviews())


def wait_for(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {WAIT_SECONDS} s")
        time.sleep(0.05)


@pytest.mark.parametrize(
    "cut", [Cut.MID_COMMAND_LITERAL, Cut.INSTEAD_OF_ANSWER], ids=["half-uploaded", "answer-lost"]
)
def test_a_link_cut_during_the_sent_copy_keeps_the_note_sent_and_files_one_copy(
    carol: Daemon,
    dovecot: DovecotServer,
    smtp_server: SubmissionServer,
    imap_cutter: CuttingRelay,
    tls_certs: CertBundle,
    caplog: pytest.LogCaptureFixture,
    cut: Cut,
) -> None:
    approved(carol, dovecot, tls_certs)
    imap_cutter.cut(r"^APPEND ", cut)
    caplog.set_level(logging.INFO)
    carol.run(NOW + timedelta(minutes=10))
    assert imap_cutter.cuts() and imap_cutter.cuts()[0].startswith("APPEND ")
    assert logged(caplog, f"sent: {BOB} (sent; the copy to Sent failed, retried later: "), (
        caplog.text
    )
    assert carol.note()[0] == "sent"  # a failed copy never makes a sent note anything else
    filed = 0 if cut is Cut.MID_COMMAND_LITERAL else 1  # half a message: the server kept none
    assert copies(dovecot, tls_certs, smtp_server) == (1, 1, filed)
    for minutes in (20, 30):  # the next pass files the copy if it is missing; then nothing
        report = carol.run(NOW + timedelta(minutes=minutes))
        assert not report.errors, report.errors
        assert copies(dovecot, tls_certs, smtp_server) == (1, 1, 1)
    [missing] = carol.store.db.execute("SELECT count(*) FROM outbox WHERE copy_filed_at IS NULL")
    assert missing == (0,)
    appends = [c for c in imap_cutter.commands() if c.startswith("APPEND ")]
    assert len(appends) == 2 - filed  # a copy the server kept is found, not filed again
    intact(carol.store)
    nothing_marked_read(dovecot, tls_certs)


# SMTP: the server says "not now", or "never" ------------------------------------------------

NOT_NOW = [  # (command, reply): each holds the note back, none takes it
    ("MAIL", "421 4.3.2 Service shutting down, closing channel"),
    ("MAIL", "452 4.3.1 Insufficient system storage"),
    ("RCPT", "421 4.3.2 Service shutting down, closing channel"),
    ("RCPT", "452 4.3.1 Insufficient system storage"),
    ("DATA", "421 4.3.2 Service shutting down, closing channel"),
    ("DATA", "452 4.3.1 Insufficient system storage"),
]


def refuse_next(smtp: SubmissionServer, command: str, reply: str) -> None:
    if command == "MAIL":
        smtp.sender_refusals.refuse(reply)
    elif command == "RCPT":
        smtp.refusals.refuse(BOB, reply, times=1)
    else:
        code, _, text = reply.partition(" ")
        smtp.faults.fail_next(int(code), text)


def test_421_and_452_at_every_command_hold_the_note_until_the_server_takes_it_once(
    carol: Daemon,
    dovecot: DovecotServer,
    smtp_server: SubmissionServer,
    tls_certs: CertBundle,
    caplog: pytest.LogCaptureFixture,
) -> None:
    approved(carol, dovecot, tls_certs)
    caplog.set_level(logging.INFO)
    at = NOW + timedelta(minutes=10)
    for attempt, (command, reply) in enumerate(NOT_NOW, start=1):
        refuse_next(smtp_server, command, reply)
        caplog.clear()
        carol.run(at)
        assert smtp_server.sender_refusals.pending() + smtp_server.faults.pending() == 0
        state, attempts, detail = carol.note()
        assert (state, attempts) == ("approved", attempt), detail  # held for the next try
        assert reply in detail, detail
        assert logged(caplog, f"approved: {BOB} (not sent, retrying in"), caplog.text
        assert logged(caplog, reply)  # the log says why
        assert copies(dovecot, tls_certs, smtp_server) == (0, 0, 0)
        at += timedelta(hours=3)  # past the retry's wait (two hours at most)
    for later in (timedelta(0), timedelta(hours=1)):
        report = carol.run(at + later)
        assert not report.errors, report.errors
        assert carol.note()[0] == "sent"
        assert copies(dovecot, tls_certs, smtp_server) == (1, 1, 1)
    # MAIL refused twice; RCPT TO Bob asked at the other four tries and at the one that worked
    assert smtp_server.refusals.asked().count(BOB) == len(NOT_NOW) - 2 + 1
    nothing_marked_read(dovecot, tls_certs)


def test_554_at_data_fails_the_note_asks_the_user_and_never_retries_by_itself(
    carol: Daemon,
    dovecot: DovecotServer,
    smtp_server: SubmissionServer,
    tls_certs: CertBundle,
    caplog: pytest.LogCaptureFixture,
) -> None:
    approved(carol, dovecot, tls_certs)
    smtp_server.faults.fail_next(554, "5.7.1 Message rejected as spam")
    caplog.set_level(logging.INFO)
    carol.run(NOW + timedelta(minutes=10))
    assert smtp_server.faults.pending() == 0
    assert logged(caplog, f"failed: {BOB} (data: 554 5.7.1 Message rejected as spam)")
    for later in (timedelta(hours=3), timedelta(days=1), timedelta(days=3)):
        carol.run(NOW + later)
        state, attempts, detail = carol.note()
        assert (state, attempts) == ("failed", 1), detail
        assert "554 5.7.1 Message rejected as spam" in detail
    assert smtp_server.refusals.asked().count(BOB) == 1  # tried once, never again by itself
    assert copies(dovecot, tls_certs, smtp_server) == (0, 0, 0)
    refused = [m for m in requests(dovecot, tls_certs) if "refused the note" in text_of(m)]
    assert len(refused) == 1  # asked once, not at every pass
    assert "554 5.7.1 Message rejected as spam" in text_of(refused[0])
    assert "RESEND" in text_of(refused[0])
    nothing_marked_read(dovecot, tls_certs)


def test_dovecot_away_for_minutes_holds_the_approved_note_and_sends_it_once_when_back(
    carol: Daemon,
    dovecot: DovecotServer,
    smtp_server: SubmissionServer,
    tls_certs: CertBundle,
) -> None:
    """Dovecot stopped while Carol's SEND waits in her INBOX, for twenty minutes of passes (the
    real-time minute away is in test_service.py): every pass fails cleanly and sends nothing;
    once Dovecot is back the note goes out once, and nothing is read or stored twice."""
    approved(carol, dovecot, tls_certs)
    dovecot.stop()
    try:
        for minutes in (1, 2, 5, 10, 15, 20):
            report = carol.run(NOW + timedelta(minutes=minutes))
            assert any(error.startswith("imap: ") for error in report.errors), report.errors
            assert carol.note()[0] == "awaiting_approval"
    finally:
        dovecot.start()
    assert copies(dovecot, tls_certs, smtp_server) == (0, 0, 0)
    back = carol.run(NOW + timedelta(minutes=25))
    assert not back.errors, back.errors
    assert carol.note()[0] == "sent"
    carol.run(NOW + timedelta(minutes=30))
    assert copies(dovecot, tls_certs, smtp_server) == (1, 1, 1)
    assert carol.counts()["interviews"] == 1
    intact(carol.store)
    nothing_marked_read(dovecot, tls_certs)


# The disk under the state fills up ---------------------------------------------------------


class FullDisk:
    """A full disk, as SQLite meets it, on the daemon's own connection (no root needed).

    `fill()` pins `PRAGMA max_page_count` to the database's size: a write that needs one more
    page fails with SQLITE_FULL ("database or disk is full") and SQLite rolls its whole
    transaction back, as when the disk is full. Which write first needs a page depends on how
    full the pages are; `at(table, when)` makes it a chosen one: a TEMP trigger (this connection
    only, never in the file) adds to that write a ballast row larger than all free pages, in
    the same transaction. `free()` makes room again.
    """

    def __init__(self, store: Store) -> None:
        self.db = store.db
        self.triggers: list[str] = []

    def fill(self) -> None:
        pages = self.db.execute("PRAGMA page_count").fetchone()[0]
        assert self.db.execute(f"PRAGMA max_page_count = {pages}").fetchone() == (pages,)

    def at(self, table: str, when: str) -> None:
        self.fill()
        free, size = (self.db.execute(f"PRAGMA {name}").fetchone()[0]
                      for name in ("freelist_count", "page_size"))  # fmt: skip
        name = f"full_disk_{len(self.triggers)}"
        self.db.execute(
            f"CREATE TEMP TRIGGER {name} AFTER UPDATE ON main.{table} WHEN {when} BEGIN "
            "INSERT INTO audit_log (at, event, detail) "
            f"VALUES ('', 'ballast', zeroblob({(free + 2) * size})); END"
        )
        self.triggers.append(name)

    def free(self) -> None:
        for name in self.triggers:
            self.db.execute(f"DROP TRIGGER temp.{name}")
        self.triggers.clear()
        self.db.execute("PRAGMA max_page_count = 1073741823")


def events(count: int) -> str:
    """A calendar (ICS) with `count` interviews, one day apart in January."""
    found = []
    for n in range(count):
        text = test_sync.event_text(
            uid=f"cal-{n}@northwind.example",
            start=f"202701{n + 1:02d}T150000Z",
            end=f"202701{n + 1:02d}T160000Z",
        )
        found.append(text[text.index("BEGIN:VEVENT") : text.index("END:VEVENT") + 10])
    return "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", *found,
                        "END:VCALENDAR", ""])  # fmt: skip


def test_a_full_disk_during_a_sync_keeps_the_state_whole_and_the_next_pass_stores_it_once(
    config: Config,
    dovecot: DovecotServer,
    tls_certs: CertBundle,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    calendar = tmp_path / "work.ics"
    calendar.write_text(events(0))
    config.path.write_text(
        config.path.read_text() + f"\ncalendars: [{{type: ics_file, path: {calendar}}}]\n"
    )
    carol = Daemon(load_config(config.path))
    try:
        first, *rest = invitations(12)
        dovecot.deliver(CAROL, first)
        assert not carol.run(BEFORE).errors
        disk = FullDisk(carol.store)
        disk.at("component_status", "1")  # what `status` says of each part finds no room either
        for raw in rest:  # a batch of mail, and a calendar, that need more room than is left
            dovecot.deliver(CAROL, raw)
        calendar.write_text(events(12))
        caplog.set_level(logging.INFO)
        for minutes in (1, 2):  # full, then still full: each pass fails alike and goes on
            report = carol.run(BEFORE + timedelta(minutes=minutes))
            failed = {e.split(":")[0] for e in report.errors if "database or disk is full" in e}
            assert failed == {"imap", f"calendar ics_file {calendar}"}, report.errors
            assert (carol.counts()["messages"], carol.counts()["interviews"]) == (1, 1)
            intact(carol.store)
        disk.free()
        report = carol.run(BEFORE + timedelta(minutes=3))
        assert not report.errors, report.errors
        assert (carol.counts()["messages"], carol.counts()["interviews"]) == (12, 24)
        intact(carol.store)
        for number in range(2, 25):  # said once, when it was kept, never for a rolled back one
            assert len(logged(caplog, f"interview {number} new: ")) == 1, number
    finally:
        carol.close()
    nothing_marked_read(dovecot, tls_certs)


SEND_COMMITS = [  # (the outbox write that finds the disk full, whether the note is out then)
    ("NEW.state = 'sending'", 0),  # approved -> sending: nothing handed over yet
    ("NEW.phase = 'data'", 0),  # the message written, the final dot next: not sent
    ("NEW.state = 'sent'", 1),  # the server has just taken it
]


@pytest.mark.parametrize(("write", "out"), SEND_COMMITS, ids=["to-sending", "to-data", "to-sent"])
def test_a_full_disk_at_a_send_s_commit_never_loses_the_note_nor_sends_it_twice(
    carol: Daemon,
    dovecot: DovecotServer,
    smtp_server: SubmissionServer,
    tls_certs: CertBundle,
    caplog: pytest.LogCaptureFixture,
    write: str,
    out: int,
) -> None:
    approved(carol, dovecot, tls_certs)
    disk = FullDisk(carol.store)
    caplog.set_level(logging.INFO)
    carol.run(NOW + timedelta(minutes=10), before_sending=lambda: disk.at("outbox", write))
    assert logged(caplog, "database or disk is full")
    assert copies(dovecot, tls_certs, smtp_server)[:2] == (out, out)
    intact(carol.store)
    disk.free()
    for minutes in (20, 30, 60):
        report = carol.run(NOW + timedelta(minutes=minutes))
        assert not report.errors, report.errors
        assert copies(dovecot, tls_certs, smtp_server) == (1, 1, 1)
    assert carol.note()[0] == "sent"
    assert not [m for m in requests(dovecot, tls_certs) if "RESEND" in text_of(m)]  # no doubt
    intact(carol.store)
    nothing_marked_read(dovecot, tls_certs)


def logged(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    """The log lines (any logger, INFO and up) that say `text`."""
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    return [line for line in lines if text in line]


# State written by another version ------------------------------------------------------------

OLD = MIGRATIONS[:8]  # up to 0008_quiet_threads_and_digests: before a sent note's copy was tracked
SENT_AT = NOW - timedelta(hours=1)


def note(to: str, subject: str, send_id: str, in_reply_to: str) -> bytes:
    """A thank-you as afterview wrote it into the outbox."""
    message = EmailMessage()
    message["From"] = f"Carol Candidate <{CAROL}>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(NOW - timedelta(minutes=30))
    message["Message-ID"] = f"<{send_id}>"
    message["In-Reply-To"] = f"<{in_reply_to}>"
    message["X-Afterview-Send-Id"] = send_id
    message.set_content("Hi,\n\nthank you for taking the time to talk with me today.\n\nCarol\n")
    return message.as_bytes()


def old_state(state_dir: Path, invitation_id: str) -> None:
    """Carol's state as an afterview at migration 0008 left it: the Lumen Labs interview (its
    invitation is in her INBOX) with a thank-you to Bob approved and not sent yet, and a
    Northwind interview whose thank-you to Alice went out an hour ago."""
    state_dir.mkdir(mode=0o700)
    db = sqlite3.connect(state_dir / "afterview.sqlite3", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    assert apply_migrations(db, OLD) == [m.name for m in OLD]
    at, sent = (moment.isoformat(timespec="seconds") for moment in (NOW, SENT_AT))
    threads = [
        (1, "Interview: Data Engineer - Lumen Labs", invitation_id, "bob@example.test"),
        (2, "Interview: Platform Engineer - Northwind", "old-1@northwind.example", ALICE),
    ]
    for thread, subject, message_id, sender in threads:
        db.execute(
            "INSERT INTO thread (id, subject, subject_key, job, first_at, last_at) "
            "VALUES (?, ?, ?, 1, ?, ?)",
            (thread, subject, subject.lower(), at, at),
        )
        db.execute("INSERT INTO thread_ref VALUES (?, ?)", (message_id, thread))
        db.execute(
            "INSERT INTO message (message_id, thread_id, date, sender, recipients, subject, kind) "
            "VALUES (?, ?, ?, ?, ?, ?, 'interview')",
            (message_id, thread, (NOW - timedelta(days=5)).isoformat(), sender,
             json.dumps([CAROL]), subject),
        )  # fmt: skip
    interviews = [  # id, company, role, start, interviewer, event UID
        (1, "Lumen Labs", "Data Engineer", e2e.INTERVIEW_END - timedelta(hours=1),
         ("Bob Interviewer", "bob@example.test"), "panel-42@lumen.example"),
        (2, "Northwind Analytics", "Platform Engineer", e2e.INTERVIEW_END - timedelta(hours=7),
         ("Alice Panel", ALICE), "round-1@northwind.example"),
    ]  # fmt: skip
    for number, company, role, start, (name, address), uid in interviews:
        db.execute(
            "INSERT INTO interview (id, status, company, role, start, end_at, interviewers, "
            "thread_id, uid, created_at, updated_at) VALUES (?, 'scheduled', ?, ?, ?, ?, ?, ?, ?, "
            "?, ?)",
            (number, company, role, start.isoformat(), (start + timedelta(hours=1)).isoformat(),
             json.dumps([{"name": name, "email": address}]), number, uid, at, at),
        )  # fmt: skip
        db.execute(
            "INSERT INTO interview_source VALUES (?, ?, 'interview', ?)",
            (f"mail:{threads[number - 1][2]}", number, at),
        )
        send_id = f"old-note-{number}@example.test"
        subject = f"Re: {threads[number - 1][1]}"
        db.execute(
            "INSERT INTO draft (id, interview_id, step, recipient_key, recipients, subject, body, "
            "message_id, in_reply_to, created_at, updated_at) VALUES (?, ?, 'thank_you', ?, ?, "
            "?, 'Thank you.', ?, ?, ?, ?)",
            (number, number, address, json.dumps([{"name": name, "email": address}]), subject,
             send_id, threads[number - 1][2], at, at),
        )  # fmt: skip
        db.execute(
            "INSERT INTO approval VALUES (?, ?, 1, ?, ?, ?, ?, ?)",
            (f"digest-{number}", number, f"av-plain-token-{number}@example.test", at,
             (NOW + timedelta(days=3)).isoformat(), at, at),
        )  # fmt: skip
        db.execute(
            "INSERT INTO outbox (draft_id, state, send_id, sender, recipients, message, "
            "attempts, updated_at, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (number, "approved" if number == 1 else "sent", send_id, CAROL,
             json.dumps([address]), note(address, subject, send_id, threads[number - 1][2]),
             number - 1, at, None if number == 1 else sent),
        )  # fmt: skip
    db.close()


def test_state_from_an_older_schema_is_migrated_once_and_its_notes_go_out_once(
    config: Config,
    dovecot: DovecotServer,
    smtp_server: SubmissionServer,
    tls_certs: CertBundle,
) -> None:
    dovecot.empty_mailboxes("alice")
    invite = e2e.invitation()
    dovecot.deliver(CAROL, invite)  # the state knows it: read again, it is no new interview
    old_state(config.state_dir, str(email.message_from_bytes(invite)["Message-ID"]).strip("<>"))
    args = ("--config", str(config.path))
    before = afterview(*args, "status", "--json")
    assert before.returncode == 1 and "is from an older afterview" in before.stderr, before.stderr

    ran = afterview(*args, "run", "--once", "--now", (NOW + timedelta(minutes=10)).isoformat())
    assert ran.returncode == 0, ran.stderr
    for migration in MIGRATIONS[len(OLD) :]:
        assert f"applied migration {migration.name}" in ran.stderr
    status = afterview(*args, "status", "--json", "--now", NOW.isoformat())
    assert status.returncode == 0, status.stderr
    document = json.loads(status.stdout)
    notes = {n["recipients"][0]: n["state"] for n in document["notes"]}
    assert notes == {"bob@example.test": "sent", ALICE: "sent"}
    past = document["interviews"]["past"]
    assert sorted(i["company"] for i in past) == ["Lumen Labs", "Northwind Analytics"]
    assert copies(dovecot, tls_certs, smtp_server) == (1, 1, 1)  # Bob's, once, filed once
    assert [m.rcpt_tos for m in smtp_server.messages()].count((ALICE,)) == 0  # never again

    with Store(config.state_dir) as store:  # opened again: nothing left to migrate
        assert store.schema_version() == [m.name for m in MIGRATIONS]
        applied = store.db.execute("SELECT name, applied_at FROM schema_migration").fetchall()
        assert apply_migrations(store.db) == []
        assert store.db.execute("SELECT name, applied_at FROM schema_migration").fetchall() == (
            applied
        )
        # Neither copy is filed again: the old sent one counts as filed (0009), the new one is.
        filed = store.db.execute("SELECT count(*) FROM outbox WHERE copy_filed_at IS NOT NULL")
        assert filed.fetchone() == (2,)
        tokens = store.db.execute("SELECT DISTINCT request_message_id FROM approval")
        assert tokens.fetchall() == [("",)]  # 0011 took the plain tokens out
        assert store.counts()["interviews"] == 2
        intact(store)
    nothing_marked_read(dovecot, tls_certs)


def test_state_from_a_newer_schema_is_refused_and_left_as_it_is(
    config: Config, smtp_server: SubmissionServer
) -> None:
    future = Migration("0099_from_a_newer_afterview", "ALTER TABLE interview ADD COLUMN x TEXT;")
    config.state_dir.mkdir(mode=0o700)
    path = config.state_dir / "afterview.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    apply_migrations(db, (*MIGRATIONS, future))
    db.close()
    written = path.read_bytes()
    args = ("--config", str(config.path))
    for command in (("run", "--once"), ("status",)):
        refused = afterview(*args, *command)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert (
            "afterview: the state database was written by a newer afterview "
            "(migrations ['0099_from_a_newer_afterview']); upgrade afterview"
        ) in refused.stderr, refused.stderr
    assert path.read_bytes() == written
    assert smtp_server.messages() == []

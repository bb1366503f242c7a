"""Mail sync against the real Dovecot: first scan, cheap polls, IDLE, UIDVALIDITY, restarts.

Each test works in carol's mailbox, emptied first. Messages are written here (invented people,
`.example` domains) and delivered over LMTP or appended over IMAP as a mail client would.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import imapclient
import imapclient.exceptions
import pytest
from caldav import DAVClient

from daemon.config import Config, load_config
from daemon.engine import Engine
from daemon.interviews import Status
from daemon.store import Store
from tests.cli import afterview
from tests.harness import CertBundle, DovecotServer, RadicaleServer

pytestmark = pytest.mark.integration

USER, PASSWORD, ADDRESS = "carol", "carol-Secret-3", "carol@example.test"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
WAIT_SECONDS = 30.0  # how long a test waits for the daemon before it fails (not a speed bound)


def event_text(
    uid: str = "ivw-7731@talent.northwind.example",
    *,
    sequence: int = 0,
    method: str = "REQUEST",
    start: str = "20261203T150000Z",
    end: str = "20261203T160000Z",
) -> str:
    status = "CANCELLED" if method == "CANCEL" else "CONFIRMED"
    return "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//Northwind Talent//Scheduler//EN",
            f"METHOD:{method}",
            "BEGIN:VEVENT",
            f"UID:{uid}",
            f"SEQUENCE:{sequence}",
            f"STATUS:{status}",
            "DTSTAMP:20261119T090000Z",
            f"DTSTART:{start}",
            f"DTEND:{end}",
            "SUMMARY:Interview: Platform Engineer - Northwind Analytics",
            "LOCATION:https://zoom.us/j/5551234567",
            "ORGANIZER;CN=Priya Raman:mailto:priya.raman@northwind.example",
            "ATTENDEE;CN=Priya Raman;ROLE=REQ-PARTICIPANT:mailto:priya.raman@northwind.example",
            "ATTENDEE;CN=Tomas Berg;ROLE=REQ-PARTICIPANT:mailto:tomas.berg@northwind.example",
            f"ATTENDEE;CN=Carol Candidate;ROLE=REQ-PARTICIPANT:mailto:{ADDRESS}",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )


def invitation(
    uid: str = "ivw-7731@talent.northwind.example",
    *,
    sequence: int = 0,
    method: str = "REQUEST",
    start: str = "20261203T150000Z",
    end: str = "20261203T160000Z",
    message_id: str | None = None,
) -> bytes:
    ics = event_text(uid, sequence=sequence, method=method, start=start, end=end)
    message = EmailMessage()
    word = {
        "REQUEST": "Interview" if sequence == 0 else "Updated: Interview",
        "CANCEL": "Cancelled",
    }
    message["Subject"] = f"{word[method]}: Platform Engineer - Northwind Analytics"
    message["From"] = "Priya Raman <priya.raman@northwind.example>"
    message["To"] = f"Carol Candidate <{ADDRESS}>"
    message["Date"] = format_datetime(NOW - timedelta(days=1))
    message["Message-ID"] = message_id or make_msgid(domain="northwind.example")
    text = {
        "REQUEST": "Hi Carol,\n\nyour interview for the Platform Engineer role at Northwind "
        "Analytics is confirmed. The invitation is attached.\n\nPriya Raman\nRecruiter",
        "CANCEL": "Hi Carol,\n\nwe have to cancel your interview for the Platform Engineer "
        "role at Northwind Analytics. Sorry for the short notice.\n\nPriya",
    }[method]
    message.set_content(text)
    message.add_alternative(
        ics.encode(), maintype="text", subtype="calendar", params={"method": method}
    )
    return message.as_bytes()


def plain(
    subject: str,
    sender: str,
    body: str,
    *,
    reply_to: str | None = None,
    date: datetime | None = None,
    newsletter: bool = False,
) -> bytes:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ADDRESS
    message["Date"] = format_datetime(date or NOW - timedelta(hours=3))
    message["Message-ID"] = make_msgid(domain="mail.example")
    if reply_to:
        message["In-Reply-To"] = reply_to
        message["References"] = reply_to
    if newsletter:
        message["List-Id"] = "Weekly digest <digest.news.example>"
        message["List-Unsubscribe"] = "<https://news.example/unsub>"
    message.set_content(body)
    return message.as_bytes()


@pytest.fixture
def mailbox(dovecot: DovecotServer, tls_certs: CertBundle) -> Iterator[imapclient.IMAPClient]:
    """Carol's mailbox, emptied, with a logged-in client for the test's own checks."""
    dovecot.empty_mailboxes(USER)
    client = imapclient.IMAPClient(
        "127.0.0.1", port=dovecot.imaps_port, ssl_context=tls_certs.client_context()
    )
    client.login(USER, PASSWORD)
    names = [str(name) for _, _, name in client.list_folders()]
    for name in sorted(names, key=len, reverse=True):  # children before their parents
        if name not in ("INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"):
            with contextlib.suppress(imapclient.exceptions.IMAPClientError):
                client.delete_folder(name)  # a \\Noselect parent may be gone already
    yield client
    try:
        client.logout()
    except (OSError, imapclient.exceptions.IMAPClientError):  # the test restarted Dovecot
        client.shutdown()


def config_text(
    tmp_path: Path,
    imap_port: int,
    ca_file: Path,
    *,
    port_text: str = "",
    extra: str = "",
    sync: str = "idle: true",
    more: str = "",
) -> str:
    """Carol's config for syncing only (SMTP points at port 1), her password in a file in
    `tmp_path` and her state under it: `extra` folders to watch, `sync` settings beside the
    hour-long intervals and `more` lines of YAML (e.g. calendars)."""
    secret = tmp_path / "imap.pw"
    secret.write_text(PASSWORD + "\n")
    secret.chmod(0o600)
    folders = f"\n  folders: {{extra: [{extra}]}}" if extra else ""
    return f"""\
account: {{email: {ADDRESS}, name: Carol Candidate, timezone: Europe/Berlin}}
imap:
  host: 127.0.0.1
  port: {port_text or imap_port}
  username: {USER}
  password_file: {secret}
  ca_file: {ca_file}{folders}
smtp: {{host: 127.0.0.1, port: 1, security: ssl, username: {USER}, password_file: {secret}}}
sync: {{poll_interval: 1h, calendar_interval: 1h, {sync}}}
{more}state_dir: {tmp_path / "state"}
"""


@pytest.fixture
def config_file(tmp_path: Path, dovecot: DovecotServer, tls_certs: CertBundle) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(config_text(tmp_path, dovecot.imaps_port, tls_certs.ca_pem))
    path.chmod(0o600)
    return path


def status_json(config_file: Path) -> dict[str, object]:
    result = afterview("--config", str(config_file), "status", "--json", "--now", NOW.isoformat())
    assert result.returncode == 0, result.stderr
    document: dict[str, object] = json.loads(result.stdout)
    return document


def deliver(dovecot: DovecotServer, raw: bytes) -> None:
    dovecot.deliver(ADDRESS, raw)


def test_first_pass_finds_the_interview_and_never_marks_mail_read(
    dovecot: DovecotServer, mailbox: imapclient.IMAPClient, config_file: Path
) -> None:
    deliver(dovecot, invitation())
    deliver(
        dovecot,
        plain(
            "Your weekly reading list",
            "News <news@news.example>",
            "Ten articles about interviewing.",
            newsletter=True,
        ),
    )
    first = plain("Coffee next week?", "Dana Lee <dana@lumen.example>", "Are you around?")
    deliver(dovecot, first)
    first_id = first.split(b"Message-ID: ")[1].split(b"\n")[0].decode().strip()
    deliver(
        dovecot,
        plain(
            "Re: Coffee next week?",
            "Dana Lee <dana@lumen.example>",
            "Thursday works.",
            reply_to=first_id,
        ),
    )

    result = afterview("--config", str(config_file), "run", "--once", "--now", NOW.isoformat())
    assert result.returncode == 0, result.stderr
    assert "interview 1 new: Northwind Analytics" in result.stdout, result.stderr

    document = status_json(config_file)
    interviews = document["interviews"]
    assert isinstance(interviews, dict)
    [upcoming] = interviews["upcoming"]
    assert upcoming["company"] == "Northwind Analytics"
    assert upcoming["start"] == "2026-12-03T15:00:00+00:00"
    emails = {p["email"] for p in upcoming["interviewers"]}
    assert emails == {"priya.raman@northwind.example", "tomas.berg@northwind.example"}
    assert document["messages"] == {"stored": 4, "skipped": 0}
    assert document["threads"] == {"total": 3, "job_related": 1}

    mailbox.select_folder("INBOX", readonly=True)
    flags = mailbox.get_flags(mailbox.search("ALL"))
    assert len(flags) == 4
    assert all(imapclient.SEEN not in f for f in flags.values())


def test_a_poll_with_nothing_new_fetches_nothing(
    dovecot: DovecotServer,
    mailbox: imapclient.IMAPClient,
    config_file: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    deliver(dovecot, invitation())
    config = load_config(config_file)
    with Store(config.state_dir) as store:
        engine = Engine(config, store, now=lambda: NOW)
        engine.sync_mail()
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="imapclient.imaplib"):
            engine.sync_mail()
        engine.close()
    sent = [r.getMessage() for r in caplog.records if r.name == "imapclient.imaplib"]
    commands = [line for line in sent if line.startswith("> ")]
    assert commands, "imapclient logged no commands; the check would prove nothing"
    assert all(" STATUS " in line for line in commands), commands
    assert len(commands) == 2  # INBOX and Sent, one STATUS each


def test_uidvalidity_change_rescans_without_duplicates(
    dovecot: DovecotServer, mailbox: imapclient.IMAPClient, config_file: Path
) -> None:
    mailbox.create_folder("Jobs")
    raws = [invitation(), plain("Re: your application", "hr@lumen.example", "We will call you.")]
    for raw in raws:
        mailbox.append("Jobs", raw)
    config_file.write_text(
        config_file.read_text().replace("  ca_file:", "  folders: {extra: [Jobs]}\n  ca_file:")
    )
    config = load_config(config_file)
    with Store(config.state_dir) as store:
        engine = Engine(config, store, now=lambda: NOW)
        engine.sync_mail()
        before = store.counts()
        # Delete and recreate the folder: the server gives it a new UIDVALIDITY.
        mailbox.delete_folder("Jobs")
        mailbox.create_folder("Jobs")
        for raw in raws:
            mailbox.append("Jobs", raw)
        report = engine.run_once()
        engine.close()
        after = store.counts()
    jobs = next(f for f in report.folders if f.folder == "Jobs")
    assert jobs.rescanned and jobs.duplicates == 2 and jobs.new == 0
    assert after == before
    assert before["interviews"] == 1


def test_reschedule_and_cancel_through_ics_keep_one_interview(
    dovecot: DovecotServer, mailbox: imapclient.IMAPClient, config_file: Path
) -> None:
    config = load_config(config_file)
    with Store(config.state_dir) as store:
        engine = Engine(config, store, now=lambda: NOW)
        deliver(dovecot, invitation())
        engine.sync_mail()
        deliver(dovecot, invitation(sequence=1, start="20261204T090000Z", end="20261204T100000Z"))
        engine.sync_mail()
        [moved] = store.interviews()
        assert moved.start == datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
        assert moved.status is Status.SCHEDULED
        # A stale copy of the first invitation (lower SEQUENCE) changes nothing.
        deliver(dovecot, invitation())
        engine.sync_mail()
        assert store.interviews() == [moved]
        deliver(
            dovecot,
            invitation(
                sequence=2, method="CANCEL", start="20261204T090000Z", end="20261204T100000Z"
            ),
        )
        engine.sync_mail()
        engine.close()
        [cancelled] = store.interviews()
    assert cancelled.id == moved.id
    assert cancelled.status is Status.CANCELLED
    assert cancelled.sequence == 2


@contextlib.contextmanager
def engine_running(config: Config, now: datetime) -> Iterator[None]:
    """The daemon's loop (`Engine.run`) in a thread of this process, from its first pass done
    to the end of the block; the thread owns its store, as in `afterview run`."""
    ready, engines = threading.Event(), []

    def run() -> None:
        with Store(config.state_dir) as store:
            engine = Engine(config, store, now=lambda: now)
            engines.append(engine)
            engine.run(on_ready=ready.set)

    runner = threading.Thread(target=run)
    runner.start()
    try:
        assert ready.wait(WAIT_SECONDS)
        yield
    finally:
        if engines:
            engines[0].stop()
        runner.join(WAIT_SECONDS)
    assert not runner.is_alive()


def test_idle_sees_new_mail_and_survives_dovecot_killed_mid_idle(
    dovecot: DovecotServer, mailbox: imapclient.IMAPClient, config_file: Path
) -> None:
    config = load_config(config_file)
    with engine_running(config, NOW):
        time.sleep(0.5)  # let the IDLE connection settle
        deliver(dovecot, invitation())
        assert _eventually(lambda: len(_interviews(config)) == 1)
        dovecot.stop(kill=True)  # a crash: every Dovecot process gets SIGKILL mid-IDLE
        time.sleep(1.0)  # the daemon notices while the server is away
        dovecot.start()
        deliver(
            dovecot,
            invitation(
                uid="second@northwind.example", start="20261210T150000Z", end="20261210T160000Z"
            ),
        )
        assert _eventually(lambda: len(_interviews(config)) == 2)


def test_backfill_reads_older_mail_only_when_asked(
    dovecot: DovecotServer, mailbox: imapclient.IMAPClient, config_file: Path
) -> None:
    old = NOW - timedelta(days=120)
    mailbox.append(
        "INBOX", invitation(start="20260801T150000Z", end="20260801T160000Z"), msg_time=old
    )
    mailbox.append("INBOX", invitation(uid="recent@northwind.example"), msg_time=NOW)
    args = ("--config", str(config_file), "run", "--once", "--now", NOW.isoformat())
    assert afterview(*args).returncode == 0
    assert status_json(config_file)["messages"] == {"stored": 1, "skipped": 0}
    assert afterview(*args, "--backfill", "1y").returncode == 0
    assert status_json(config_file)["messages"] == {"stored": 2, "skipped": 0}


def test_gmail_style_all_mail_folder_creates_no_duplicates(
    dovecot: DovecotServer, mailbox: imapclient.IMAPClient, config_file: Path
) -> None:
    mailbox.create_folder("[Gmail]/All Mail")
    raw = invitation()
    deliver(dovecot, raw)
    mailbox.append("[Gmail]/All Mail", raw)
    config_file.write_text(
        config_file.read_text().replace(
            "  ca_file:", "  folders: {extra: ['[Gmail]/All Mail']}\n  ca_file:"
        )
    )
    result = afterview("--config", str(config_file), "run", "--once", "--now", NOW.isoformat())
    assert result.returncode == 0, result.stderr
    document = status_json(config_file)
    assert document["messages"] == {"stored": 1, "skipped": 0}
    interviews = document["interviews"]
    assert isinstance(interviews, dict) and len(interviews["upcoming"]) == 1


def test_a_caldav_event_and_the_emailed_invite_for_it_are_one_interview(
    dovecot: DovecotServer,
    mailbox: imapclient.IMAPClient,
    config_file: Path,
    radicale: RadicaleServer,
) -> None:
    _interview_calendar(radicale, config_file)
    deliver(dovecot, invitation())
    result = afterview("--config", str(config_file), "run", "--once", "--now", NOW.isoformat())
    assert result.returncode == 0, result.stderr
    document = status_json(config_file)
    interviews = document["interviews"]
    assert isinstance(interviews, dict)
    upcoming = interviews["upcoming"]
    assert [i["start"] for i in upcoming] == [
        "2026-12-03T15:00:00+00:00",
        "2026-12-11T10:00:00+00:00",
    ]
    sources = sorted(s["source"].split(":")[0] for s in upcoming[0]["seen_in"])
    assert sources == ["calendar", "mail"]
    # A second pass: the calendar is unchanged (one request) and nothing is duplicated.
    assert (
        afterview(
            "--config", str(config_file), "run", "--once", "--now", NOW.isoformat()
        ).returncode
        == 0
    )
    assert len(status_json(config_file)["interviews"]["upcoming"]) == 2  # type: ignore[index]


def test_a_message_joining_two_threads_keeps_their_interview(
    dovecot: DovecotServer, mailbox: imapclient.IMAPClient, config_file: Path
) -> None:
    # 1: a note (thread A); 2: the invitation (thread B, with the interview); 3: a reply that
    # references both (A and B merge into A); 4: the update of the invitation, in the same pass.
    note = plain(
        "Platform role at Northwind",
        "Priya Raman <priya.raman@northwind.example>",
        "Great to talk earlier, invitation follows.",
    )
    note_id = note.split(b"Message-ID: ")[1].split(b"\n")[0].decode().strip()
    invite_id = make_msgid(domain="northwind.example")
    reply_id = make_msgid(domain="example.test")
    both = (
        plain(
            "Re: Platform role at Northwind",
            "Priya Raman <priya.raman@northwind.example>",
            "See the invitation.",
            reply_to=note_id,
        )
        .replace(f"References: {note_id}".encode(), f"References: {note_id} {invite_id}".encode())
        .replace(b"Message-ID: <", f"Message-ID: {reply_id}\nX-Old-Id: <".encode(), 1)
    )
    for raw in (
        note,
        invitation(message_id=invite_id),
        both,
        invitation(sequence=1, start="20261204T090000Z", end="20261204T100000Z"),
    ):
        mailbox.append("INBOX", raw)
    result = afterview("--config", str(config_file), "run", "--once", "--now", NOW.isoformat())
    assert result.returncode == 0, result.stderr
    document = status_json(config_file)
    [interview] = document["interviews"]["upcoming"]  # type: ignore[index]
    assert interview["start"] == "2026-12-04T09:00:00+00:00"
    # It follows its thread into the merge (thread 1, the note's), and does not end up in
    # whichever new thread next takes the merged-away id.
    assert interview["thread_id"] == 1
    assert document["threads"]["total"] == 2  # A+B merged; the update started its own  # type: ignore[index]


def test_a_decision_date_the_employer_names_is_kept_for_the_thread(
    dovecot: DovecotServer, mailbox: imapclient.IMAPClient, config_file: Path
) -> None:
    invite_id = make_msgid(domain="northwind.example")
    deliver(dovecot, invitation(message_id=invite_id))
    deliver(
        dovecot,
        plain(
            "Re: Interview: Platform Engineer - Northwind Analytics",
            "Priya Raman <priya.raman@northwind.example>",
            "Hi Carol,\n\nthank you for your time with the team. We'll be in touch by "
            "Wednesday with next steps.\n\nPriya",
            reply_to=invite_id,
        ),
    )
    # The candidate's own promise in another thread is no employer's decision date.
    deliver(
        dovecot,
        plain("Lunch", f"Carol Candidate <{ADDRESS}>", "I'll let you know by Monday."),
    )
    result = afterview("--config", str(config_file), "run", "--once", "--now", NOW.isoformat())
    assert result.returncode == 0, result.stderr
    config = load_config(config_file)
    with Store(config.state_dir).open_read_only() as store:
        [interview] = store.interviews()
        assert interview.thread_id is not None
        # Sent on Friday 20 November: "by Wednesday" is the 25th.
        assert store.thread_decision(interview.thread_id) == date(2026, 11, 25)
        assert store.db.execute(
            "SELECT count(*) FROM thread WHERE decision_by IS NOT NULL"
        ).fetchone() == (1,)


def test_a_deleted_calendar_event_cancels_an_interview_only_that_calendar_knew(
    dovecot: DovecotServer,
    mailbox: imapclient.IMAPClient,
    config_file: Path,
    radicale: RadicaleServer,
) -> None:
    url = _interview_calendar(radicale, config_file)
    deliver(dovecot, invitation())
    run = ("--config", str(config_file), "run", "--once", "--now", NOW.isoformat())
    assert afterview(*run).returncode == 0
    with DAVClient(
        url=radicale.base_url, username=radicale.username, password=radicale.password
    ) as client:
        client.delete(f"{url}ivw.ics")
        client.delete(f"{url}other.ics")
    result = afterview(*run)
    assert result.returncode == 0, result.stderr
    assert "cancelled" in result.stdout, result.stdout
    interviews = status_json(config_file)["interviews"]
    assert isinstance(interviews, dict)
    # The emailed invitation still stands: the user may have deleted the event, not the
    # employer the interview. The one only the calendar knew is called off.
    [kept] = interviews["upcoming"]
    assert kept["start"] == "2026-12-03T15:00:00+00:00" and kept["status"] == "scheduled"
    statuses = {i["start"]: i["status"] for i in _all_interviews(interviews)}
    assert statuses["2026-12-11T10:00:00+00:00"] == "cancelled"


def test_an_ics_file_that_comes_back_empty_cancels_nothing(
    mailbox: imapclient.IMAPClient, config_file: Path
) -> None:
    ics = config_file.parent / "work.ics"
    first = event_text("a@northwind.example", method="PUBLISH")
    second = event_text(
        "b@northwind.example", method="PUBLISH", start="20261211T100000Z", end="20261211T110000Z"
    )
    body = second.split("BEGIN:VEVENT", 1)[1].rsplit("END:VCALENDAR", 1)[0]
    ics.write_text(first.replace("END:VCALENDAR", "BEGIN:VEVENT" + body + "END:VCALENDAR"))
    config_file.write_text(
        config_file.read_text() + f"\ncalendars:\n  - {{type: ics_file, path: {ics}}}\n"
    )
    run = ("--config", str(config_file), "run", "--once", "--now", NOW.isoformat())
    assert afterview(*run).returncode == 0
    assert len(status_json(config_file)["interviews"]["upcoming"]) == 2  # type: ignore[index]
    ics.write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nEND:VCALENDAR\r\n")
    assert afterview(*run).returncode == 0
    assert len(status_json(config_file)["interviews"]["upcoming"]) == 2  # type: ignore[index]
    ics.write_text(first)  # one of the two events deleted
    result = afterview(*run)
    assert result.returncode == 0, result.stderr
    [left] = status_json(config_file)["interviews"]["upcoming"]  # type: ignore[index]
    assert left["start"] == "2026-12-03T15:00:00+00:00"


def _all_interviews(interviews: dict[str, object]) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    for group in interviews.values():
        if isinstance(group, list):
            found += group
    return found


def _interview_calendar(radicale: RadicaleServer, config_file: Path) -> str:
    """A new Radicale calendar holding the emailed interview's event (ivw.ics) and one only
    the calendar knows (other.ics, 11 December), added to the config; its URL."""
    headers = {"Content-Type": "text/calendar"}
    with DAVClient(
        url=radicale.base_url, username=radicale.username, password=radicale.password
    ) as client:
        name = f"cal{time.monotonic_ns()}"
        calendar = client.principal().make_calendar(name=name, cal_id=name)
        url = str(calendar.url)
        client.put(f"{url}ivw.ics", event_text(method="PUBLISH"), headers)
        other = event_text(
            "cal-only@northwind.example",
            method="PUBLISH",
            start="20261211T100000Z",
            end="20261211T110000Z",
        )
        client.put(f"{url}other.ics", other, headers)
    secret = config_file.parent / "dav.pw"
    secret.write_text(radicale.password + "\n")
    secret.chmod(0o600)
    config_file.write_text(
        config_file.read_text()
        + f"""
calendars:
  - {{type: caldav, url: "{url}", username: {radicale.username}, password_file: {secret}}}
"""
    )
    return url


def _interviews(config: Config) -> list[object]:
    with Store(config.state_dir).open_read_only() as store:
        return list(store.interviews())


def _eventually(check: object) -> bool:
    assert callable(check)
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False

"""`afterview run` as systemd runs it: a subprocess with `NOTIFY_SOCKET` on a real unix datagram
socket the test reads, `WATCHDOG_USEC` set, and signals sent to it, against the real Dovecot and
SMTP servers of the harness. Also `systemd-analyze verify` and `security` on the unit files.

Figures (detection latency, exit time, watchdog gaps, the security score) are printed (`-s`)
but only bounded by generous waits: a wait that runs out fails the test.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import imapclient
import imapclient.exceptions
import pytest

from daemon import service
from daemon import status as status_report
from daemon.interviews import Interview
from daemon.store import Store
from tests.cli import ROOT
from tests.harness import CertBundle, DovecotServer, SubmissionServer
from tests.harness.ports import distinct_free_ports
from tests.integration import test_followup_e2e as e2e
from tests.integration import test_sync
from tests.integration.test_sync import ADDRESS, NOW, config_text, invitation

pytestmark = pytest.mark.integration

WAIT_SECONDS = 30.0  # how long a test waits for the daemon before it fails (not a speed bound)
STOP_SECONDS = 10.0  # the issue's bound for SIGTERM to exit
WATCHDOG_USEC = 2_000_000  # pings every second
OUTAGE_SECONDS = 120.0  # how long Dovecot is away: "a minute" (issue 7), "minutes" (issue 9)
UNITS = ROOT / "systemd"


# The service manager's side --------------------------------------------------------------


class NotifyListener:
    """A unix datagram socket standing in for systemd's notify socket; keeps every message."""

    def __init__(self, address: str) -> None:
        self.address = address  # as in $NOTIFY_SOCKET: a path, or @name for an abstract one
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.bind(service.notify_address(address) or address)
        self._socket.settimeout(0.2)
        self.messages: list[tuple[float, list[str]]] = []
        self._changed = threading.Condition()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()

    def _receive(self) -> None:
        while not self._done.is_set():
            try:
                data = self._socket.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            with self._changed:
                self.messages.append((time.monotonic(), data.decode().split("\n")))
                self._changed.notify_all()

    def close(self) -> None:
        self._done.set()
        self._thread.join(2.0)
        self._socket.close()

    def mark(self) -> int:
        with self._changed:
            return len(self.messages)

    def fields(self, since: int = 0) -> list[str]:
        with self._changed:
            return [field for _, fields in self.messages[since:] for field in fields]

    def wait_for(self, field: str, since: int = 0, timeout: float = WAIT_SECONDS) -> list[str]:
        """The first message from index `since` on that has `field` (exactly, or as a prefix
        ending in '='); fails the test when none comes in time."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for _, fields in self.messages[since:]:
                    if any(
                        f == field or (field.endswith("=") and f.startswith(field)) for f in fields
                    ):
                        return fields
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {field!r} within {timeout} s; got {self.messages}")
                self._changed.wait(left)

    def wait_ready(self, since: int = 0) -> list[str]:
        """READY=1. Mail delivered from then on is found: by IDLE, or by the catch-up sync
        the IDLE connection asks for once it listens."""
        return self.wait_for("READY=1", since)

    def ping_times(self, since: int = 0) -> list[float]:
        with self._changed:
            return [at for at, fields in self.messages[since:] if "WATCHDOG=1" in fields]


@pytest.fixture
def listener() -> Iterator[NotifyListener]:
    notify = NotifyListener(f"@afterview-test-{uuid.uuid4().hex}")
    yield notify
    notify.close()


class Daemon:
    """`afterview run` in a subprocess, as systemd starts it (but without systemd)."""

    def __init__(self, config_file: Path, listener: NotifyListener, *extra: str) -> None:
        self.config_file = config_file
        self.log_file = config_file.parent / "daemon.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JOURNAL_", "WATCHDOG_"))}
        env |= {"NOTIFY_SOCKET": listener.address, "WATCHDOG_USEC": str(WATCHDOG_USEC)}
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "daemon", "--config", str(config_file), "run", *extra],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )

    def log(self) -> str:
        return self.log_file.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def terminate(self, listener: NotifyListener) -> float:
        """SIGTERM; asserts a clean exit 0 with STOPPING=1 in time; returns the seconds taken."""
        mark = listener.mark()
        began = time.monotonic()
        self.signal(signal.SIGTERM)
        try:
            code = self.process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            message = f"still running {STOP_SECONDS} s after SIGTERM:\n{self.log()}"
            raise AssertionError(message) from None
        took = time.monotonic() - began
        assert code == 0, self.log()
        listener.wait_for("STOPPING=1", since=mark, timeout=1.0)
        print(f"SIGTERM to exit 0: {took:.2f} s")
        return took

    def kill(self) -> None:
        if self.alive():
            self.process.kill()
            self.process.wait(WAIT_SECONDS)


@contextlib.contextmanager
def running(config_file: Path, listener: NotifyListener, *extra: str) -> Iterator[Daemon]:
    daemon = Daemon(config_file, listener, *extra)
    try:
        yield daemon
    finally:
        daemon.kill()  # only when the test failed before stopping it


def wait_until(check: Callable[[], bool], what: str, timeout: float = WAIT_SECONDS) -> float:
    """Poll `check` until true; returns the seconds it took, fails the test after `timeout`."""
    began = time.monotonic()
    while not check():
        if time.monotonic() - began > timeout:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.05)
    return time.monotonic() - began


# The mailbox and the state ---------------------------------------------------------------

mailbox = test_sync.mailbox  # Carol's mailbox, emptied, and a client to it


@pytest.fixture
def config_file(tmp_path: Path, dovecot: DovecotServer, tls_certs: CertBundle) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(config_text(tmp_path, dovecot.imaps_port, tls_certs.ca_pem))
    path.chmod(0o600)
    return path


def read_state(config_file: Path) -> Store:
    return Store(config_file.parent / "state").open_read_only()


def interviews(config_file: Path) -> list[Interview]:
    with read_state(config_file) as store:
        return store.interviews()


def has_interview(config_file: Path, uid: str) -> Callable[[], bool]:
    """Whether an interview with this ICS UID is recorded (a check for `wait_until`)."""

    def check() -> bool:
        return any(interview.uid == uid for interview in interviews(config_file))

    return check


def invite(uid: str, day: int) -> bytes:
    """An invitation with its own UID and day, so each one is its own interview."""
    start, end = f"202612{day:02d}T150000Z", f"202612{day:02d}T160000Z"
    return invitation(uid, start=start, end=end, message_id=f"<{uid}>")


def count_interviews(config_file: Path) -> int:
    return len(interviews(config_file))


def submit_over_smtp(smtp_server: SubmissionServer, raw: bytes) -> None:
    """Bob's mail client sends carol the invitation through the submission server."""
    with smtplib.SMTP("127.0.0.1", smtp_server.plain_port, timeout=10) as client:
        client.login("bob", e2e.BOB_PW)
        crlf = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")  # as on the wire
        client.sendmail("bob@example.test", [ADDRESS], crlf)


# Tests -----------------------------------------------------------------------------------


def test_notifications_reach_a_socket_path_and_an_abstract_socket() -> None:
    folder = tempfile.mkdtemp(prefix="avn-", dir="/tmp")  # socket paths allow 108 bytes
    try:
        for address in (f"{folder}/notify", f"@afterview-test-{uuid.uuid4().hex}"):
            listener = NotifyListener(address)
            try:
                notifier = service.Notifier.from_environ({"NOTIFY_SOCKET": address})
                assert notifier.send("READY=1", "STATUS=first line\nsecond line")
                assert listener.wait_for("READY=1", timeout=5.0) == [
                    "READY=1",
                    "STATUS=first line second line",
                ]
                notifier.close()
            finally:
                listener.close()
        gone = service.Notifier(f"{folder}/nobody-listens")
        assert gone.send("WATCHDOG=1") is False  # logged, never raised
        gone.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_ready_after_the_first_sync_then_watchdog_pings_and_idle_detection(
    dovecot: DovecotServer,
    smtp_server: SubmissionServer,
    mailbox: imapclient.IMAPClient,
    config_file: Path,
    listener: NotifyListener,
) -> None:
    dovecot.deliver(ADDRESS, invite("before-start@northwind.example", 3))
    with running(config_file, listener) as daemon:
        ready = listener.wait_ready()
        # The first sync had finished when READY=1 was sent.
        assert has_interview(config_file, "before-start@northwind.example")()
        assert "STATUS=watching INBOX for new mail (IDLE)" in ready, ready
        mark = listener.mark()
        submit_over_smtp(smtp_server, invite("over-smtp@northwind.example", 4))
        took = wait_until(
            has_interview(config_file, "over-smtp@northwind.example"), "the SMTP invitation"
        )
        print(f"invitation over SMTP detected {took:.2f} s after the send returned")
        assert "syncing mail" in " ".join(listener.fields(since=mark))  # STATUS while at it
        wait_until(lambda: len(listener.ping_times(mark)) >= 4, "four more WATCHDOG=1 pings")
        pings = listener.ping_times()
        gaps = [b - a for a, b in itertools.pairwise(pings)]
        print(f"{len(pings)} pings, largest gap {max(gaps):.2f} s (WATCHDOG_USEC 2 s)")
        assert count_interviews(config_file) == 2
        daemon.terminate(listener)


def test_sighup_keeps_the_old_config_when_the_new_one_is_invalid_and_takes_a_valid_one(
    dovecot: DovecotServer,
    mailbox: imapclient.IMAPClient,
    config_file: Path,
    listener: NotifyListener,
    tls_certs: CertBundle,
) -> None:
    mailbox.create_folder("Jobs")
    mailbox.append("Jobs", invite("in-jobs@northwind.example", 7))
    tmp = config_file.parent
    with running(config_file, listener) as daemon:
        listener.wait_for("READY=1")
        assert count_interviews(config_file) == 0  # Jobs is not watched yet

        config_file.write_text(
            config_text(tmp, dovecot.imaps_port, tls_certs.ca_pem, port_text="imap")
        )
        mark = listener.mark()
        daemon.signal(signal.SIGHUP)
        listener.wait_for("RELOADING=1", since=mark)
        listener.wait_for("READY=1", since=mark)
        log = daemon.log()
        assert f"{config_file}:4: imap.port: expected an integer" in log, log
        assert "still running on the one before" in log
        dovecot.deliver(ADDRESS, invite("after-bad-reload@northwind.example", 8))
        wait_until(
            has_interview(config_file, "after-bad-reload@northwind.example"),
            "mail after the refused reload (the old config still at work)",
        )
        assert daemon.alive()

        config_file.write_text(config_text(tmp, dovecot.imaps_port, tls_certs.ca_pem, extra="Jobs"))
        mark = listener.mark()
        daemon.signal(signal.SIGHUP)
        listener.wait_for("RELOADING=1", since=mark)
        listener.wait_for("READY=1", since=mark)
        wait_until(
            has_interview(config_file, "in-jobs@northwind.example"), "the Jobs folder, now watched"
        )
        assert "config reloaded" in daemon.log()
        assert count_interviews(config_file) == 2
        daemon.terminate(listener)


def test_sigterm_during_a_send_finishes_the_send_then_exits(
    dovecot: DovecotServer, tls_certs: CertBundle, tmp_path: Path, listener: NotifyListener
) -> None:
    """The thank-you is handed to an SMTP server that takes 3 s to answer the data; SIGTERM
    comes in those 3 s. The note goes out once, is recorded as sent, and the daemon exits 0."""
    for user in ("carol", "bob"):
        dovecot.empty_mailboxes(user)
    handing_over = threading.Event()

    def slow_delivery(recipient: str, raw: bytes, sender: str = "") -> None:
        if recipient.startswith("bob@"):
            handing_over.set()
            time.sleep(3.0)
        dovecot.deliver(recipient, raw, sender)

    slow = SubmissionServer(tls_certs, deliver=slow_delivery)
    slow.start()
    try:
        secret = tmp_path / "pw"
        secret.write_text(e2e.CAROL_PW + "\n")
        secret.chmod(0o600)
        config_file = tmp_path / "config.yaml"
        config_file.write_text(f"""\
account: {{email: {e2e.CAROL}, name: Carol Candidate, timezone: Europe/Berlin}}
imap: {{host: 127.0.0.1, port: {dovecot.imaps_port}, username: carol, password_file: {secret},
        ca_file: {tls_certs.ca_pem}}}
smtp: {{host: 127.0.0.1, port: {slow.starttls_port}, security: starttls, username: carol,
        password_file: {secret}, ca_file: {tls_certs.ca_pem}}}
sync: {{poll_interval: 1h, calendar_interval: 1h, idle: true}}
state_dir: {tmp_path / "state"}
""")
        config_file.chmod(0o600)
        dovecot.deliver(e2e.CAROL, e2e.invitation())
        with running(config_file, listener, "--now", e2e.NOW.isoformat()) as daemon:
            listener.wait_ready()  # the first pass asked carol to approve the thank-you
            [request] = [
                m
                for m in e2e.mails(dovecot, tls_certs, "carol")
                if str(m["Subject"]).startswith("[afterview] Send? Thank-you note")
            ]
            dovecot.deliver(e2e.CAROL, e2e.reply_to(request, "SEND"), sender=e2e.CAROL)
            assert handing_over.wait(WAIT_SECONDS), daemon.log()
            daemon.terminate(listener)
        assert e2e.bob_notes(dovecot, tls_certs) == 1
        with read_state(config_file) as store:
            [note] = status_report.collect(store, e2e.NOW)["notes"]
        assert note["state"] == "sent"
    finally:
        slow.stop()


def test_sigkill_then_restart_loses_nothing_and_duplicates_nothing(
    dovecot: DovecotServer,
    mailbox: imapclient.IMAPClient,
    config_file: Path,
    listener: NotifyListener,
) -> None:
    filler = []
    for number in range(800):
        message = EmailMessage()
        message["Subject"] = f"Weekly notes {number}"
        message["From"] = "Dana Lee <dana@lumen.example>"
        message["To"] = ADDRESS
        message["Date"] = format_datetime(NOW)
        message["Message-ID"] = make_msgid(domain="lumen.example")
        message.set_content(f"Notes number {number}.")
        filler.append(message.as_bytes())
    invites = [invite(f"kill-{day}@northwind.example", day) for day in (1, 2, 3)]
    mailbox.multiappend("INBOX", [*invites[:1], *filler[:400], invites[1], *filler[400:]])
    mailbox.append("INBOX", invites[2])
    state = config_file.parent / "state"

    def stored() -> int:
        if not (state / "afterview.sqlite3").exists():
            return 0
        with contextlib.suppress(Exception), read_state(config_file) as store:
            return store.counts()["messages"]
        return 0

    with running(config_file, listener) as daemon:
        wait_until(lambda: stored() > 0, "the first batch stored", timeout=WAIT_SECONDS)
        daemon.signal(signal.SIGKILL)
        daemon.process.wait(WAIT_SECONDS)
    at_kill = stored()
    print(f"SIGKILL with {at_kill} of 803 messages stored")
    later = [invite(f"while-dead-{day}@northwind.example", day) for day in (10, 11)]
    for raw in later:
        dovecot.deliver(ADDRESS, raw)

    with running(config_file, listener) as daemon:
        mark = listener.mark()
        listener.wait_for("READY=1", since=mark)
        mailbox.select_folder("INBOX", readonly=True)
        uids = set(mailbox.search("ALL"))
        status = mailbox.folder_status("INBOX", [b"UIDVALIDITY"])
        with read_state(config_file) as store:
            counts = store.counts()
            known = store.known_uids("INBOX", int(status[b"UIDVALIDITY"]))
            found = store.interviews()
        assert len(uids) == 805
        assert known == uids  # every message read, none missed
        assert counts["messages"] == 805  # each stored once
        assert len(found) == 5  # five invitations, five interviews
        assert len({i.id for i in found}) == 5
        daemon.terminate(listener)


def test_dovecot_away_and_back_the_daemon_recovers_without_a_restart(
    dovecot: DovecotServer,
    mailbox: imapclient.IMAPClient,
    config_file: Path,
    listener: NotifyListener,
) -> None:
    with running(config_file, listener) as daemon:
        listener.wait_ready()
        dovecot.deliver(ADDRESS, invite("before-outage@northwind.example", 14))
        wait_until(has_interview(config_file, "before-outage@northwind.example"), "first mail")
        dovecot.stop()
        away = time.monotonic()
        mark = listener.mark()
        time.sleep(OUTAGE_SECONDS)
        pings_while_away = len(listener.ping_times(mark))
        dovecot.start()
        dovecot.deliver(ADDRESS, invite("after-outage@northwind.example", 15))
        took = wait_until(
            has_interview(config_file, "after-outage@northwind.example"),
            "mail delivered after Dovecot came back",
            timeout=OUTAGE_SECONDS + 90.0,  # the retries back off; not a speed bound
        )
        print(
            f"Dovecot away {OUTAGE_SECONDS:.0f} s ({pings_while_away} watchdog pings meanwhile); "
            f"new mail detected {took:.1f} s after it was back ({time.monotonic() - away:.1f} s "
            "after it went away)"
        )
        assert pings_while_away >= OUTAGE_SECONDS / 2  # the loop never stalled
        assert daemon.alive()
        assert count_interviews(config_file) == 2
        daemon.terminate(listener)


def test_ready_with_the_network_down_says_what_it_waits_for(
    tmp_path: Path, tls_certs: CertBundle
) -> None:
    [closed_port] = distinct_free_ports(1)  # nothing listens there: connection refused
    config_file = tmp_path / "config.yaml"
    config_file.write_text(config_text(tmp_path, closed_port, tls_certs.ca_pem))
    config_file.chmod(0o600)
    folder = tempfile.mkdtemp(prefix="avn-", dir="/tmp")
    listener = NotifyListener(f"{folder}/notify")
    try:
        with running(config_file, listener) as daemon:
            ready = listener.wait_for("READY=1")
            [status] = [f for f in ready if f.startswith("STATUS=")]
            assert re.match(r"STATUS=waiting to retry imap \(.*connection refused\)", status), ready
            print(status)
            daemon.terminate(listener)
    finally:
        listener.close()
        shutil.rmtree(folder, ignore_errors=True)


# The unit files --------------------------------------------------------------------------


def unit_lines(name: str) -> list[str]:
    return [line.strip() for line in (UNITS / name).read_text().splitlines()]


@pytest.mark.parametrize("name", ["afterview.service", "afterview@.service"])
def test_unit_files_say_what_the_issue_asks(name: str) -> None:
    lines = unit_lines(name)
    for wanted in (
        "Type=notify",
        "Restart=on-failure",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
        "NoNewPrivileges=yes",
        "SystemCallFilter=@system-service",
    ):
        assert wanted in lines, wanted
    for key in ("WatchdogSec=", "StartLimitIntervalSec=", "StartLimitBurst=", "StateDirectory="):
        assert any(line.startswith(key) for line in lines), key
    if name == "afterview@.service":
        assert "ExecStart=/usr/local/bin/afterview --config /etc/afterview/%i.yaml run" in lines
        for wanted in (
            "StateDirectory=afterview/%i",
            "DynamicUser=yes",
            "ProtectSystem=strict",
            "ProtectHome=yes",
            "PrivateTmp=yes",
            "CapabilityBoundingSet=",
        ):
            assert wanted in lines, wanted


SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


@pytest.mark.skipif(
    SYSTEMD_ANALYZE is None,
    reason="systemd-analyze is not installed (Debian: apt-get install systemd)",
)
def test_systemd_analyze_verifies_the_units_and_rates_the_template_2_0_or_lower(
    tmp_path: Path,
) -> None:
    """`verify` checks that ExecStart's program exists: the copies run this checkout's."""
    assert SYSTEMD_ANALYZE is not None
    program = Path(sys.executable).parent / "afterview"
    assert program.exists(), "install afterview into the virtualenv: pip install -e ."
    for name, installed in (
        ("afterview.service", "%h/.local/bin/afterview"),
        ("afterview@.service", "/usr/local/bin/afterview"),
    ):
        text = (UNITS / name).read_text()
        assert installed in text
        (tmp_path / name).write_text(text.replace(installed, str(program)))
    runtime = tmp_path / "runtime"  # a user manager's runtime directory, for --user
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "SYSTEMD_LOG_LEVEL": "notice"}
    for args in (
        ["verify", str(tmp_path / "afterview@.service")],
        ["--user", "verify", str(tmp_path / "afterview.service")],
    ):
        result = subprocess.run(
            [SYSTEMD_ANALYZE, *args], capture_output=True, text=True, env=env, check=False
        )
        assert (result.returncode, result.stdout + result.stderr) == (0, ""), args
    result = subprocess.run(
        [SYSTEMD_ANALYZE, "security", "--offline=true", "--threshold=20", "--no-pager",
         str(tmp_path / "afterview@.service")],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d)", result.stdout)
    assert found, result.stdout + result.stderr
    print(f"systemd-analyze security: afterview@.service rates {found[1]}")
    assert float(found[1]) <= 2.0
    assert result.returncode == 0, result.stdout  # --threshold=20: fails above 2.0

"""The hostile corpus through the real daemon: every broken mail of `tests/hostile/mail` in a real
Dovecot INBOX and every broken calendar of `tests/hostile/calendar` as a calendar source, read by
`afterview run --once` as a user's daemon would read them.

The unit tests (`tests/unit/test_hostile_inputs.py`) hold each reader to its bounds one input at
a time; here the whole engine meets them together: the pass ends normally, every message is
accounted for (stored, a duplicate, or skipped with its reason), nothing is marked read, and a
second pass finds nothing new.
"""

from __future__ import annotations

import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import imapclient
import pytest

from tests.cli import afterview
from tests.harness import CertBundle, DovecotServer
from tests.integration.test_sync import ADDRESS, PASSWORD, USER, config_text

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
HOSTILE = Path(__file__).resolve().parents[1] / "hostile"


def client(dovecot: DovecotServer, tls_certs: CertBundle) -> imapclient.IMAPClient:
    found = imapclient.IMAPClient(
        "127.0.0.1", port=dovecot.imaps_port, ssl_context=tls_certs.client_context()
    )
    found.login(USER, PASSWORD)
    return found


def put_in_inbox(dovecot: DovecotServer, tls_certs: CertBundle, mails: list[Path]) -> int:
    """Each mail delivered over LMTP, else appended as a mail client would; how many got in
    (a server may refuse a few, e.g. bytes its protocol cannot carry)."""
    taken = 0
    imap = client(dovecot, tls_certs)
    try:
        for path in mails:
            raw = path.read_bytes()
            try:
                dovecot.deliver(ADDRESS, raw)
            except Exception:
                try:
                    imap.append("INBOX", raw)
                except Exception:
                    continue
            taken += 1
    finally:
        imap.logout()
    return taken


def write_config(tmp_path: Path, dovecot: DovecotServer, tls_certs: CertBundle) -> Path:
    calendars = "".join(
        f"  - {{type: ics_file, path: '{path}'}}\n"
        for path in sorted((HOSTILE / "calendar").glob("*.ics"))
    )
    path = tmp_path / "config.yaml"
    path.write_text(
        config_text(
            tmp_path,
            dovecot.imaps_port,
            tls_certs.ca_pem,
            sync="idle: false, backfill: 3650d",
            more=f"calendars:\n{calendars}",
        )
    )
    path.chmod(0o600)
    return path


def assert_only_calendars_failed(result: subprocess.CompletedProcess[str]) -> None:
    """The pass ran to its end: exit 0, or 1 because broken calendar files are failed sources
    (each named with its reason); never a traceback, never the mail sync."""
    log = result.stderr
    assert result.returncode in (0, 1), log[-3000:]
    assert "Traceback" not in log and "(a bug)" not in log, log[-3000:]
    errors = [line for line in log.splitlines() if line.startswith("error:")]
    assert all(line.startswith("error: calendar ics_file ") for line in errors), errors
    assert (result.returncode == 1) == bool(errors), log[-3000:]


def test_the_hostile_corpus_through_a_real_pass_stops_nothing(
    dovecot: DovecotServer, tls_certs: CertBundle, tmp_path: Path
) -> None:
    dovecot.empty_mailboxes(USER)
    mails = sorted((HOSTILE / "mail").glob("*.eml"))
    taken = put_in_inbox(dovecot, tls_certs, mails)
    assert taken >= len(mails) * 9 // 10, f"the server took only {taken} of {len(mails)}"
    config_file = write_config(tmp_path, dovecot, tls_certs)

    first = afterview("--config", str(config_file), "run", "--once", "--now", NOW.isoformat())
    assert_only_calendars_failed(first)

    imap = client(dovecot, tls_certs)
    try:
        imap.select_folder("INBOX", readonly=True)
        uids = imap.search("ALL")
        flags = imap.get_flags(uids)
    finally:
        imap.logout()
    assert len(uids) == taken
    assert not [uid for uid, found in flags.items() if imapclient.SEEN in found]

    state = sqlite3.connect(tmp_path / "state" / "afterview.sqlite3")
    try:
        located = state.execute(
            "SELECT COUNT(DISTINCT uid) FROM message_location WHERE folder = 'INBOX'"
        ).fetchone()[0]
        skipped = state.execute(
            "SELECT uid, skipped FROM message_location WHERE skipped IS NOT NULL"
        ).fetchall()
    finally:
        state.close()
    assert located == taken  # every message stored, a duplicate, or skipped with a reason
    assert all(reason for _, reason in skipped)

    status = afterview("--config", str(config_file), "status", "--json", "--now", NOW.isoformat())
    assert status.returncode == 0, status.stderr[-2000:]

    second = afterview("--config", str(config_file), "run", "--once", "--now", NOW.isoformat())
    assert_only_calendars_failed(second)

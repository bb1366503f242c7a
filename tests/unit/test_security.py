"""The security rules that hold outside the approval checks: a password command never meets a
shell, the state is private and keeps no reply once read, the log never shows the mail it
fetched, and certificate checks go off only by `insecure: true` (warned at every load)."""

from __future__ import annotations

import io
import json
import logging
import os
import shlex
import ssl
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon import credentials, logs
from daemon.config import ConfigError, load_config
from daemon.errors import CertificateRejected
from daemon.store import Store
from daemon.tls import client_context

ECHO_ARGS = "import sys; print(' '.join(sys.argv[1:]))"


def hostile(target: Path) -> str:
    """Shell syntax that would create `target` four ways, were a shell to read it."""
    return f"x; touch {target} && $(touch {target}) | `touch {target}` > {target}"


def test_password_command_runs_without_a_shell(tmp_path: Path) -> None:
    pwned = tmp_path / "pwned"
    value = credentials.from_command([sys.executable, "-c", ECHO_ARGS, hostile(pwned)])
    assert value == hostile(pwned)  # one argument, passed as written
    assert not pwned.exists()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def config_with(tmp_path: Path, imap: str, smtp: str = "", calendars: str = "") -> str:
    lines = [
        "account: {email: me@example.com, timezone: UTC}",
        f"imap: {{host: imap.example.com, {imap}}}",
        f"smtp: {{host: smtp.example.com, {smtp or 'password_env: AV_SEC_PW'}}}",
    ]
    return "\n".join([*lines, *([f"calendars: {calendars}"] if calendars else []), ""])


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AV_SEC_PW", "sec-Pw-1")


def test_a_configured_password_command_list_is_run_as_written(tmp_path: Path) -> None:
    pwned = tmp_path / "pwned"
    command = json.dumps([sys.executable, "-c", ECHO_ARGS, hostile(pwned)])
    config = load_config(write(tmp_path, config_with(tmp_path, f"password_command: {command}")))
    assert config.imap.secret.reveal() == hostile(pwned)
    assert not pwned.exists()


def test_a_password_command_string_is_split_into_words_never_read_by_a_shell(
    tmp_path: Path,
) -> None:
    """A string is split as a shell splits words (quotes group them), and that is all a shell
    does to it: `;`, `$(...)`, `|` and `>` arrive as plain arguments."""
    pwned = tmp_path / "pwned"
    command = f"{shlex.quote(sys.executable)} -c {shlex.quote(ECHO_ARGS)} {hostile(pwned)}"
    text = config_with(tmp_path, f"password_command: {json.dumps(command)}")
    config = load_config(write(tmp_path, text))
    assert config.imap.secret.reveal() == " ".join(shlex.split(hostile(pwned)))
    assert not pwned.exists()


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The loosest umask: the state's modes must not depend on the user's."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def test_every_state_file_is_private_whatever_the_umask(tmp_path: Path, open_umask: None) -> None:
    state = tmp_path / "state" / "afterview"
    with Store(state) as store, store.transaction() as db:
        store.keep_replies(db, [b"a reply"], "2026-12-03T18:00:00+00:00")
        files = {path.name: stat.S_IMODE(path.stat().st_mode) for path in state.iterdir()}
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    # The database, its WAL and shared-memory files, the lock: SQLite made the last ones.
    assert set(files) >= {"afterview.sqlite3", "afterview.sqlite3-wal", "afterview.sqlite3-shm"}
    assert all(mode == 0o600 for mode in files.values()), {n: oct(m) for n, m in files.items()}


def test_a_reply_once_read_leaves_no_trace_in_the_state(tmp_path: Path) -> None:
    token = b"[av:Xq7tQ-secret-token-4RkLm0pZ]"
    with Store(tmp_path) as store:
        assert store.db.execute("PRAGMA secure_delete").fetchone()[0] == 1
        with store.transaction() as db:
            store.keep_replies(db, [b"Subject: Re: " + token + b"\r\n\r\nSEND\r\n"], "now")
        [(reply_id, _)] = store.pending_replies()
        store.reply_read(reply_id)
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for path in tmp_path.iterdir():
            assert token not in path.read_bytes(), path.name


def test_the_log_never_shows_the_raw_imap_responses() -> None:
    """At debug, imaplib's lines would be whole messages (the approval tokens in them too)."""
    stream = io.StringIO()
    logs.setup("debug", stream)
    logging.getLogger("imapclient.imaplib").debug("* 1 FETCH (BODY[] {99} [av:token])")
    logging.getLogger("daemon.mail.imap").debug("afterview's own debug line")
    assert stream.getvalue().count("\n") == 1 and "[av:" not in stream.getvalue()


# -- Certificate checks -------------------------------------------------------------------------


def test_insecure_is_warned_about_for_every_server_and_calendar(tmp_path: Path) -> None:
    calendars = (
        "[{type: caldav, url: 'https://dav.example.com/', insecure: true}, "
        "{type: ics_url, url: 'https://cal.example.com/a.ics', insecure: true}, "
        "{type: ics_url, url: 'https://cal.example.com/b.ics'}]"
    )
    text = config_with(
        tmp_path,
        "password_env: AV_SEC_PW, insecure: true",
        "password_env: AV_SEC_PW, insecure: true",
        calendars,
    )
    path = write(tmp_path, text)
    warnings = load_config(path).warnings
    where = ["2: imap", "3: smtp", "4: calendars[0]", "4: calendars[1]"]
    assert [w.split(": TLS certificate checks are off")[0] for w in warnings] == [
        f"{path}:{line}.insecure" for line in where
    ]


@pytest.mark.parametrize("key", ["verify", "verify_certificate", "tls_verify", "check_hostname"])
def test_no_other_setting_turns_certificate_checks_off(tmp_path: Path, key: str) -> None:
    text = config_with(tmp_path, f"password_env: AV_SEC_PW, {key}: false")
    with pytest.raises(ConfigError) as found:
        load_config(write(tmp_path, text))
    assert found.value.lines() == [f"{tmp_path / 'config.yaml'}:2: imap.{key}: unknown key"]


@pytest.mark.parametrize("content", [b"", b"not a certificate\n"])
def test_an_unusable_ca_file_is_refused_not_ignored(tmp_path: Path, content: bytes) -> None:
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(content)
    with pytest.raises(CertificateRejected, match="cannot load the CA file"):
        client_context(ca_file)


def test_the_environment_cannot_turn_certificate_checks_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The variables that choose the system's CAs (or, for other programs, switch checks off)
    leave every context verifying the certificate and the host name."""
    empty = tmp_path / "empty.pem"
    empty.write_bytes(b"")
    monkeypatch.setenv("SSL_CERT_FILE", str(empty))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    monkeypatch.setenv("PYTHONHTTPSVERIFY", "0")
    monkeypatch.setenv("CURL_CA_BUNDLE", "")
    for context in (client_context(), client_context(None, insecure=False)):
        assert context.verify_mode is ssl.CERT_REQUIRED
        assert context.check_hostname is True

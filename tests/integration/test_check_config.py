"""`afterview check-config --connect` against the real servers, run as a user runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import afterview
from tests.harness import CertBundle, DovecotServer, RadicaleServer, SubmissionServer

pytestmark = pytest.mark.integration

ALICE_PASSWORD = "alice-Secret-1"


def write_config(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o600)
    return path


@pytest.fixture
def password_script(tmp_path: Path) -> Path:
    script = tmp_path / "imap-pass"
    script.write_text(f"#!/bin/sh\necho '{ALICE_PASSWORD}'\necho second-line-ignored\n")
    script.chmod(0o700)
    return script


@pytest.fixture
def full_config(
    tmp_path: Path,
    dovecot: DovecotServer,
    smtp_server: SubmissionServer,
    radicale: RadicaleServer,
    tls_certs: CertBundle,
    password_script: Path,
) -> Path:
    (tmp_path / "radicale.pw").write_text(radicale.password + "\n")
    (tmp_path / "radicale.pw").chmod(0o600)
    (tmp_path / "work.ics").write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:x1\r\n"
        "DTSTAMP:20261120T100000Z\r\nDTSTART:20261203T150000Z\r\nSUMMARY:Interview\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    return write_config(
        tmp_path / "config.yaml",
        f"""
account: {{email: alice@example.test, name: Alice Example, timezone: Europe/Berlin}}
imap:
  host: 127.0.0.1
  port: {dovecot.imaps_port}
  security: ssl
  username: alice
  password_command: [{password_script}]
  ca_file: {tls_certs.ca_pem}
smtp:
  host: localhost
  port: {smtp_server.starttls_port}
  security: starttls
  username: alice
  password_env: TEST_SMTP_SECRET
  ca_file: {tls_certs.ca_pem}
calendars:
  - type: caldav
    url: {radicale.base_url}
    username: {radicale.username}
    password_file: radicale.pw
  - type: ics_file
    path: work.ics
state_dir: {tmp_path / "state"}
""",
    )


def test_connect_reports_every_component_ok(full_config: Path, radicale: RadicaleServer) -> None:
    result = afterview(
        "--config",
        str(full_config),
        "--log-level",
        "debug",
        "check-config",
        "--connect",
        env={"TEST_SMTP_SECRET": ALICE_PASSWORD},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{full_config}: ok (account alice@example.test")
    status = {line.split()[0]: line.split()[1] for line in lines[1:]}
    assert status == {"imap": "ok", "smtp": "ok", "calendars[0]": "ok", "calendars[1]": "ok"}
    imap_line = next(line for line in lines if line.startswith("imap"))
    assert "Sent: 'Sent'" in imap_line
    assert "calendars[1]" in result.stdout and "1 events" in result.stdout
    # Debug logging is on, and still no secret shows anywhere.
    output = result.stdout + result.stderr
    assert ALICE_PASSWORD not in output
    assert radicale.password not in output


@pytest.mark.parametrize("security", ["starttls", "none"])
def test_imap_over_plain_port_with_and_without_starttls(
    tmp_path: Path,
    dovecot: DovecotServer,
    smtp_server: SubmissionServer,
    tls_certs: CertBundle,
    security: str,
) -> None:
    config = write_config(
        tmp_path / "config.yaml",
        f"""
account: {{email: alice@example.test}}
imap: {{host: 127.0.0.1, port: {dovecot.imap_port}, security: {security}, username: alice,
        password_env: PW, ca_file: {tls_certs.ca_pem}}}
smtp: {{host: 127.0.0.1, port: {smtp_server.tls_port}, security: ssl, username: alice,
        password_env: PW, ca_file: {tls_certs.ca_pem}}}
""",
    )
    result = afterview(
        "--config", str(config), "check-config", "--connect", env={"PW": ALICE_PASSWORD}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "imap  ok" in result.stdout and "smtp  ok" in result.stdout


def test_wrong_password_and_untrusted_certificate_fail_clearly(
    tmp_path: Path, dovecot: DovecotServer, smtp_server: SubmissionServer, tls_certs: CertBundle
) -> None:
    wrong = "not-the-Password-9"
    config = write_config(
        tmp_path / "config.yaml",
        f"""
account: {{email: alice@example.test}}
imap: {{host: 127.0.0.1, port: {dovecot.imaps_port}, username: alice, password_env: PW,
        ca_file: {tls_certs.ca_pem}}}
smtp: {{host: 127.0.0.1, port: {smtp_server.tls_port}, security: ssl, username: alice,
        password_env: PW}}
""",
    )
    result = afterview(
        "--config", str(config), "--log-level", "debug", "check-config", "--connect",
        env={"PW": wrong},
    )  # fmt: skip
    assert result.returncode == 1
    imap_line = next(line for line in result.stdout.splitlines() if line.startswith("imap"))
    smtp_line = next(line for line in result.stdout.splitlines() if line.startswith("smtp"))
    assert "FAIL" in imap_line and "refused the login for alice" in imap_line
    # No ca_file for SMTP: the generated certificate is not in the system's trust store.
    assert "FAIL" in smtp_line and "is not trusted" in smtp_line
    assert wrong not in result.stdout + result.stderr


def test_unreachable_servers_fail_without_hanging(tmp_path: Path, dovecot: DovecotServer) -> None:
    config = write_config(
        tmp_path / "config.yaml",
        """
account: {email: alice@example.test}
imap: {host: 127.0.0.1, port: 9, security: ssl, username: alice, password_env: PW}
smtp: {host: 127.0.0.1, port: 9, security: ssl, username: alice, password_env: PW}
calendars: [{type: ics_url, url: "http://127.0.0.1:9/cal.ics"}]
""",
    )
    result = afterview("--config", str(config), "check-config", "--connect", env={"PW": "x-y-z"})
    assert result.returncode == 1
    fails = [line for line in result.stdout.splitlines() if "FAIL" in line]
    assert len(fails) == 3, result.stdout
    assert all("refused" in line.lower() for line in fails), result.stdout


def test_imap_and_smtp_xoauth2_with_a_token_command(
    tmp_path: Path, dovecot: DovecotServer, smtp_server: SubmissionServer, tls_certs: CertBundle
) -> None:
    # The harness Dovecot accepts XOAUTH2 and checks the bearer token like a password.
    token = tmp_path / "token"
    token.write_text(f"#!/bin/sh\necho '{ALICE_PASSWORD}'\n")
    token.chmod(0o700)
    config = write_config(
        tmp_path / "config.yaml",
        f"""
account: {{email: alice@example.test}}
imap: {{host: 127.0.0.1, port: {dovecot.imaps_port}, username: alice,
        oauth2_token_command: [{token}], ca_file: {tls_certs.ca_pem}}}
smtp: {{host: 127.0.0.1, port: {smtp_server.tls_port}, security: ssl, username: alice,
        oauth2_token_command: [{token}], ca_file: {tls_certs.ca_pem}}}
""",
    )
    log_before = dovecot.layout.log_file.read_text(errors="replace")
    result = afterview(
        "--config", str(config), "--log-level", "debug", "check-config", "--connect",
        env={"PW": ALICE_PASSWORD},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "imap  ok" in result.stdout and "smtp  ok" in result.stdout
    logins = dovecot.layout.log_file.read_text(errors="replace")[len(log_before) :]
    assert "method=XOAUTH2" in logins
    assert ALICE_PASSWORD not in result.stdout + result.stderr

    token.write_text("#!/bin/sh\necho 'token endpoint unreachable' >&2\nexit 3\n")
    result = afterview("--config", str(config), "check-config", "--connect", env={"PW": "x"})
    for name in ("imap", "smtp"):
        line = next(line for line in result.stdout.splitlines() if line.startswith(name))
        assert "FAIL" in line and "no OAuth2 token" in line
        assert "exited with status 3: token endpoint unreachable" in line

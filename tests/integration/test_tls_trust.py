"""Certificate checks against the real servers: a certificate that the configured CA did not sign
is refused with a message naming the host, whatever the environment says, and only
`insecure: true` lets it through, with a warning at every start."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli import afterview
from tests.harness import CertBundle, DovecotServer, SubmissionServer, create_cert_bundle

pytestmark = pytest.mark.integration

ALICE_PASSWORD = "alice-Secret-1"
ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nEND:VCALENDAR\r\n"


class _Calendar(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/calendar")
        self.send_header("Content-Length", str(len(ICS)))
        self.end_headers()
        self.wfile.write(ICS)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def calendar_url(tls_certs: CertBundle) -> Iterator[str]:
    """An ICS calendar over HTTPS, with the harness's certificate."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Calendar)
    server.daemon_threads = True
    server.socket = tls_certs.server_context().wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://localhost:{server.server_port}/cal.ics"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA that signed nothing the servers present."""
    return create_cert_bundle(tmp_path_factory.mktemp("other-ca")).ca_pem


def config(
    tmp_path: Path,
    dovecot: DovecotServer,
    smtp: SubmissionServer,
    calendar_url: str,
    trust: str,
) -> Path:
    """Alice's config; `trust` is added to the imap, smtp and calendar settings alike."""
    path = tmp_path / "config.yaml"
    path.write_text(f"""
account: {{email: alice@example.test}}
imap: {{host: 127.0.0.1, port: {dovecot.imaps_port}, username: alice, password_env: PW,
        {trust}}}
smtp: {{host: 127.0.0.1, port: {smtp.starttls_port}, security: starttls, username: alice,
        password_env: PW, {trust}}}
calendars: [{{type: ics_url, url: "{calendar_url}", {trust}}}]
state_dir: {tmp_path / "state"}
digest: {{enabled: false}}
""")  # fmt: skip
    path.chmod(0o600)
    return path


def test_a_certificate_the_configured_ca_did_not_sign_is_refused(
    tmp_path: Path,
    dovecot: DovecotServer,
    smtp_server: SubmissionServer,
    tls_certs: CertBundle,
    calendar_url: str,
    other_ca: Path,
) -> None:
    path = config(tmp_path, dovecot, smtp_server, calendar_url, f"ca_file: {other_ca}")
    # The environment names the CA that did sign them: an explicit ca_file is all that counts.
    env = {"PW": ALICE_PASSWORD, "SSL_CERT_FILE": str(tls_certs.ca_pem),
           "REQUESTS_CA_BUNDLE": str(tls_certs.ca_pem), "CURL_CA_BUNDLE": ""}  # fmt: skip
    checked = afterview("--config", str(path), "check-config", "--connect", env=env)
    assert checked.returncode == 1
    lines = {line.split()[0]: line for line in checked.stdout.splitlines()}
    hosts = {
        "imap": f"127.0.0.1:{dovecot.imaps_port}",
        "smtp": f"127.0.0.1:{smtp_server.starttls_port}",
        "calendars[0]": "localhost",
    }
    for name, host in hosts.items():
        assert "FAIL" in lines[name], checked.stdout
        assert f"the TLS certificate of {host} is not trusted" in lines[name], lines[name]

    ran = afterview("--config", str(path), "run", "--once", env=env)
    assert ran.returncode == 1
    assert f"certificate of 127.0.0.1:{dovecot.imaps_port} is not trusted" in ran.stderr
    assert "certificate of localhost is not trusted" in ran.stderr
    assert smtp_server.messages() == []
    assert ALICE_PASSWORD not in checked.stdout + checked.stderr + ran.stderr


def test_insecure_lets_it_through_and_is_warned_about_at_every_start(
    tmp_path: Path,
    dovecot: DovecotServer,
    smtp_server: SubmissionServer,
    calendar_url: str,
    other_ca: Path,
) -> None:
    path = config(tmp_path, dovecot, smtp_server, calendar_url,
                  f"ca_file: {other_ca}, insecure: true")  # fmt: skip
    env = {"PW": ALICE_PASSWORD}
    starts = [
        afterview("--config", str(path), "check-config", "--connect", env=env),
        afterview("--config", str(path), "run", "--once", env=env),
        afterview("--config", str(path), "run", "--once", env=env),
    ]
    for started in starts:
        assert started.returncode == 0, started.stdout + started.stderr
        warnings = [line for line in started.stderr.splitlines() if "WARNING" in line]
        for key in ("imap.insecure", "smtp.insecure", "calendars[0].insecure"):
            assert [w for w in warnings if f"{key}: TLS certificate checks are off" in w], key

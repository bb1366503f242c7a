"""A private Dovecot 2.3 instance (IMAP, IMAPS, LMTP) on loopback for one test session."""

import os
import shutil
import subprocess
from pathlib import Path

from tests.harness.certs import CertBundle
from tests.harness.dovecot_config import (
    DovecotAccounts,
    DovecotLayout,
    DovecotPorts,
    ImapcUpstream,
    dovecot_conf_text,
    passwd_file_text,
)
from tests.harness.errors import HarnessError
from tests.harness.lmtp import deliver_over_lmtp
from tests.harness.ports import LOOPBACK, distinct_free_ports, wait_until_listening
from tests.harness.processes import log_tail, spawn, stop_process_group
from tests.harness.users import MAIL_USERS, MailUser, user_named

START_TIMEOUT_SECONDS = 15.0
START_ATTEMPTS = 3
SBIN_DIRS = ("/usr/sbin", "/usr/local/sbin", "/sbin")
INSTALL_HINT = (
    "run scripts/ensure-test-servers (as root it installs the Debian packages "
    "dovecot-imapd dovecot-lmtpd; otherwise: sudo apt-get install dovecot-imapd dovecot-lmtpd)"
)


def find_dovecot_binary(name: str) -> Path:
    """``dovecot`` or ``doveadm``; sbin directories are searched too (not on every PATH)."""
    search_path = os.pathsep.join([os.environ.get("PATH", ""), *SBIN_DIRS])
    found = shutil.which(name, path=search_path)
    if found is None:
        raise HarnessError(f"{name} is not installed: {INSTALL_HINT}")
    return Path(found)


class DovecotServer:
    """Dovecot with IMAP+STARTTLS (``imap_port``), IMAPS (``imaps_port``), LMTP (``lmtp_port``).

    All on 127.0.0.1 with the harness certificate; users are ``MAIL_USERS``
    (login ``alice`` / password from ``users.py``, mail to
    ``alice@example.test``). ``stop()``, ``start()`` and ``restart()`` keep
    ports and mail, so clients can reconnect to the same place.

    With ``upstream`` the mail is not here but on another IMAP server, which
    this Dovecot reaches as each user through its ``imapc`` storage (see
    ``KeywordRefusingDovecot``); deliver to the upstream server then.
    """

    host = LOOPBACK

    def __init__(
        self,
        root: Path,
        certs: CertBundle,
        users: tuple[MailUser, ...] = MAIL_USERS,
        *,
        upstream: ImapcUpstream | None = None,
    ) -> None:
        self.layout = DovecotLayout(root)
        self.users = users
        self.upstream = upstream
        self._certs = certs
        self._accounts = DovecotAccounts.for_this_process()
        self._binary = find_dovecot_binary("dovecot")
        self._ports = self._pick_ports()
        self._process: subprocess.Popen[bytes] | None = None
        self._started_once = False

    @property
    def imap_port(self) -> int:
        """Clear-text IMAP offering STARTTLS; plaintext LOGIN is allowed."""
        return self._ports.imap

    @property
    def imaps_port(self) -> int:
        """Implicit-TLS IMAP."""
        return self._ports.imaps

    @property
    def lmtp_port(self) -> int:
        """LMTP over TCP for direct delivery."""
        return self._ports.lmtp

    @property
    def running(self) -> bool:
        """True while the master process is alive."""
        return self._process is not None and self._process.poll() is None

    def user(self, name: str) -> MailUser:
        """A configured test user by login name."""
        return user_named(name)

    def start(self) -> None:
        """Start the instance and wait until all three ports accept connections.

        The first start retries on fresh ports, in case another process took
        one of the ports between choosing and binding it.
        """
        if self.running:
            raise HarnessError("Dovecot is already running")
        if self._started_once:
            self._start_once()
            return
        self._prepare_files()
        for attempt in range(1, START_ATTEMPTS + 1):
            try:
                self._start_once()
            except HarnessError:
                if attempt == START_ATTEMPTS or "in use" not in self._log_tails():
                    raise
                self._ports = self._pick_ports()
                self._write_config()
            else:
                break
        self._started_once = True

    def stop(self, *, kill: bool = False) -> None:
        """Stop Dovecot and all its processes; ``kill=True`` simulates a crash (SIGKILL)."""
        process, self._process = self._process, None
        if process is not None:
            stop_process_group(process, kill=kill)

    def restart(self) -> None:
        """Stop gracefully and start again on the same ports with the same mail."""
        self.stop()
        self.start()

    def deliver(self, recipient: str, raw_message: bytes, sender: str = "") -> None:
        """Deliver ``raw_message`` to one recipient over LMTP, now.

        Raises ``LmtpRefused`` (with the LMTP code) for an unknown user. An
        empty ``sender`` is the null reverse path ``<>``.
        """
        deliver_over_lmtp(self.host, self.lmtp_port, sender, recipient, raw_message)

    def doveadm(self, *args: str) -> str:
        """Run ``doveadm`` against this instance and return its stdout.

        E.g. ``doveadm("expunge", "-u", "alice", "mailbox", "*", "all")``.
        """
        argv = [str(find_dovecot_binary("doveadm")), "-c", str(self.layout.config_file), *args]
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise HarnessError(f"{' '.join(argv)} failed ({result.returncode}): {result.stderr}")
        return result.stdout

    def empty_mailboxes(self, name: str) -> None:
        """Expunge every message of user ``name`` in all folders (folders stay)."""
        self.doveadm("expunge", "-u", name, "mailbox", "*", "all")

    def _pick_ports(self) -> DovecotPorts:
        imap, imaps, lmtp = distinct_free_ports(3)
        return DovecotPorts(imap=imap, imaps=imaps, lmtp=lmtp)

    def _prepare_files(self) -> None:
        layout = self.layout
        for directory in (layout.root, layout.state_dir, layout.homes):
            directory.mkdir(parents=True, exist_ok=True)
            # Dovecot's unprivileged processes must traverse into the tree.
            directory.chmod(0o755)
        forward = self.upstream is not None
        layout.passwd_file.write_text(passwd_file_text(self.users, forward_password=forward))
        layout.passwd_file.chmod(0o644)
        for user in self.users:
            home = layout.homes / user.name
            home.mkdir(mode=0o700, exist_ok=True)
            if not self._accounts.rootless:
                os.chown(home, self._accounts.mail_uid, self._accounts.mail_gid)
        self._write_config()

    def _write_config(self) -> None:
        text = dovecot_conf_text(
            self.layout,
            self._ports,
            self._accounts,
            self._certs.cert_pem,
            self._certs.key_pem,
            instance_name=f"afterview-test-{os.getpid()}",
            upstream=self.upstream,
        )
        self.layout.config_file.write_text(text)

    def _start_once(self) -> None:
        argv = [str(self._binary), "-F", "-c", str(self.layout.config_file)]
        process = spawn(argv, self.layout.console_file, cwd=self.layout.root)
        self._process = process
        ports = (self.imap_port, self.imaps_port, self.lmtp_port)
        silent = wait_until_listening(
            self.host, ports, START_TIMEOUT_SECONDS, lambda: process.poll() is None
        )
        if silent:
            self.stop()
            raise HarnessError(
                f"Dovecot did not start listening on 127.0.0.1 ports {silent} "
                f"(exit code {process.returncode}).\n{self._log_tails()}"
            )

    def _log_tails(self) -> str:
        return (
            f"--- {self.layout.console_file} ---\n{log_tail(self.layout.console_file)}\n"
            f"--- {self.layout.log_file} ---\n{log_tail(self.layout.log_file)}"
        )

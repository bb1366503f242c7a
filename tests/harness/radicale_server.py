"""A private Radicale 3 CalDAV server with one user and one calendar."""

import base64
import http.client
import subprocess
import sys
from pathlib import Path

from tests.harness.errors import HarnessError
from tests.harness.ports import LOOPBACK, free_port, wait_until_listening
from tests.harness.processes import log_tail, spawn, stop_process_group

START_TIMEOUT_SECONDS = 20.0
START_ATTEMPTS = 3
MKCALENDAR_BODY = b"""<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop><D:displayname>Interviews</D:displayname></D:prop></D:set>
</C:mkcalendar>
"""


class RadicaleServer:
    """Radicale on 127.0.0.1 with htpasswd (plain) auth and filesystem storage.

    After ``start()``: ``base_url`` (``http://127.0.0.1:PORT/``), ``username``,
    ``password`` and ``calendar_url`` of an empty calendar collection owned by
    that user. Plain HTTP: CalDAV's TLS is not what the tests exercise.
    """

    host = LOOPBACK
    username = "alice"
    password = "alice-Calendar-1"
    calendar_name = "interviews"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    @property
    def calendar_url(self) -> str:
        return f"{self.base_url}{self.username}/{self.calendar_name}/"

    @property
    def log_file(self) -> Path:
        return self.root / "radicale.log"

    def start(self) -> None:
        """Start Radicale on a free port and create the calendar collection."""
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "users").write_text(f"{self.username}:{self.password}\n")
        for attempt in range(1, START_ATTEMPTS + 1):
            self.port = free_port()
            if self._start_once() or attempt == START_ATTEMPTS:
                break
        if not self.running:
            raise HarnessError(
                f"Radicale did not start on 127.0.0.1:{self.port}.\n{log_tail(self.log_file)}"
            )
        self._make_calendar()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        """Stop the Radicale process."""
        process, self._process = self._process, None
        if process is not None:
            stop_process_group(process)

    def _write_config(self) -> Path:
        config = self.root / "radicale.conf"
        config.write_text(
            f"""[server]
hosts = {self.host}:{self.port}

[auth]
type = htpasswd
htpasswd_filename = {self.root / "users"}
htpasswd_encryption = plain
# Tests try wrong passwords; Radicale's default 1 s penalty would slow them.
delay = 0

[rights]
type = owner_only

[storage]
filesystem_folder = {self.root / "collections"}

[logging]
level = warning
"""
        )
        return config

    def _start_once(self) -> bool:
        config = self._write_config()
        argv = [sys.executable, "-m", "radicale", "--config", str(config)]
        process = spawn(argv, self.log_file, cwd=self.root)
        self._process = process
        silent = wait_until_listening(
            self.host, [self.port], START_TIMEOUT_SECONDS, lambda: process.poll() is None
        )
        if silent:
            self.stop()
            return False
        return True

    def _make_calendar(self) -> None:
        credentials = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            connection.request(
                "MKCALENDAR",
                f"/{self.username}/{self.calendar_name}/",
                body=MKCALENDAR_BODY,
                headers={
                    "Authorization": f"Basic {credentials}",
                    "Content-Type": "application/xml; charset=utf-8",
                },
            )
            response = connection.getresponse()
            body = response.read().decode(errors="replace")
        finally:
            connection.close()
        if response.status != 201:
            raise HarnessError(
                f"MKCALENDAR {self.calendar_url} answered {response.status}: {body}\n"
                f"{log_tail(self.log_file)}"
            )

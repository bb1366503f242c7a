"""IMAP IDLE on its own connection: wakes the engine when mail arrives, and nothing else.

The watcher never reads mail; it only sets an event. IDLE is re-issued every few minutes (servers
and NAT boxes drop quiet links, Office 365 sooner than most), and after any error it reconnects
with exponential backoff and jitter (at most 30 s while the server is away, 5 minutes after a
refused login), then wakes the engine so the sync catches up by UID.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable

import imapclient
from imapclient.exceptions import IMAPClientError

from daemon.config import ImapConfig
from daemon.errors import AfterviewError, ServerUnavailable, TransientError, network_reason
from daemon.mail import imap

log = logging.getLogger(__name__)
RENEW_SECONDS = 5 * 60.0  # re-issue IDLE well inside the 29 minutes RFC 2177 allows
CHECK_SECONDS = 1.0  # how often the thread looks at its stop flag
MAX_BACKOFF_SECONDS = 300.0  # a refused login or a broken server: retried at most this often
# A server that is away (refused, reset, timed out) is tried again at least this often: a
# reconnect attempt costs nothing, and new mail is seen soon after the server is back.
MAX_AWAY_BACKOFF_SECONDS = 30.0
EMPTY_WAKEUPS_MEAN_CLOSED = 3
_NEW_MAIL = (b"EXISTS", b"RECENT")


class IdleWatcher:
    def __init__(
        self,
        config: ImapConfig,
        folder: str,
        wake: threading.Event,
        on_secret: Callable[[str], None] | None = None,
    ) -> None:
        self.config = config
        self.on_secret = on_secret
        self.folder = folder
        self.wake = wake
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="imap-idle", daemon=True)
        self.supported = True

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            client: imapclient.IMAPClient | None = None
            try:
                client = imap.connect(self.config, on_secret=self.on_secret)
                if b"IDLE" not in {bytes(c).upper() for c in client.capabilities()}:
                    log.info("the IMAP server has no IDLE: new mail is seen at each poll")
                    self.supported = False
                    return
                client.select_folder(self.folder, readonly=True)
                if failures:
                    log.info("IDLE connection back after %d failed attempts", failures)
                failures = 0
                self._idle(client)
            except (AfterviewError, OSError, IMAPClientError) as exc:
                failures += 1
                away = isinstance(exc, (TransientError, OSError))
                cap = MAX_AWAY_BACKOFF_SECONDS if away else MAX_BACKOFF_SECONDS
                delay = min(cap, 2.0 * 2 ** min(failures - 1, 10))
                delay *= random.uniform(0.8, 1.2)
                reason = exc if isinstance(exc, AfterviewError) else network_reason(exc)
                level = logging.WARNING if failures == 1 else logging.DEBUG
                log.log(level, "IDLE connection lost: %s; reconnecting in %.0f s", reason, delay)
                self._stop.wait(delay)
            finally:
                if client is not None:
                    imap.discard(client)

    def _idle(self, client: imapclient.IMAPClient) -> None:
        listening = False
        while not self._stop.is_set():
            client.idle()
            if not listening:
                # Listening now: one catch-up sync finds what arrived before (since the last
                # sync, or while this connection was down); IDLE reports what comes after.
                listening = True
                self.wake.set()
            renew_at = time.monotonic() + RENEW_SECONDS
            empty_wakeups = 0
            try:
                while not self._stop.is_set() and time.monotonic() < renew_at:
                    began = time.monotonic()
                    responses = client.idle_check(timeout=CHECK_SECONDS)
                    if any(_is_new_mail(r) for r in responses):
                        log.debug("IDLE: new mail in %s", self.folder)
                        self.wake.set()
                    # imapclient swallows EOF in idle_check: a socket that keeps waking us
                    # with nothing to read has been closed by the server.
                    woke_early = time.monotonic() - began < CHECK_SECONDS / 2
                    empty_wakeups = empty_wakeups + 1 if woke_early and not responses else 0
                    if empty_wakeups >= EMPTY_WAKEUPS_MEAN_CLOSED:
                        raise ServerUnavailable("the server closed the IDLE connection")
            finally:
                with contextlib.suppress(OSError, IMAPClientError):
                    client.idle_done()


def _is_new_mail(response: object) -> bool:
    return isinstance(response, tuple) and len(response) >= 2 and response[1] in _NEW_MAIL

"""The IDLE watcher's reconnect pacing: a server that is away is tried again often, a refused
login rarely (providers lock accounts that fail logins again and again)."""

from __future__ import annotations

import threading

import pytest

from daemon.config import ImapConfig, ImapFolders, Security
from daemon.credentials import Secret
from daemon.errors import AfterviewError, AuthenticationFailed, ServerUnavailable
from daemon.mail import idle
from daemon.mail.idle import MAX_AWAY_BACKOFF_SECONDS, MAX_BACKOFF_SECONDS, IdleWatcher

CONFIG = ImapConfig(
    host="imap.example.test",
    port=993,
    security=Security.SSL,
    username="carol",
    secret=Secret("test", "x"),
    ca_file=None,
    insecure=False,
    folders=ImapFolders(inbox="INBOX", sent=None, extra=()),
)


def waits_after(
    failure: AfterviewError, attempts: int, monkeypatch: pytest.MonkeyPatch
) -> list[float]:
    """The delays the watcher waits between `attempts` failed connections."""
    watcher = IdleWatcher(CONFIG, "INBOX", threading.Event())
    waited: list[float] = []

    def connect(*_: object, **__: object) -> None:
        raise failure

    def wait(delay: float) -> bool:
        waited.append(delay)
        if len(waited) >= attempts:
            watcher._stop.set()
        return watcher._stop.is_set()

    monkeypatch.setattr(idle.imap, "connect", connect)
    monkeypatch.setattr(watcher._stop, "wait", wait)
    watcher._run()
    return waited


def test_a_server_away_is_tried_again_at_least_every_half_minute(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waits = waits_after(ServerUnavailable("connection refused"), 12, monkeypatch)
    assert waits[0] <= 2.0 * 1.2
    assert max(waits) <= MAX_AWAY_BACKOFF_SECONDS * 1.2
    assert waits[-1] >= MAX_AWAY_BACKOFF_SECONDS * 0.8  # it did back off to the cap


def test_a_refused_login_backs_off_to_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    waits = waits_after(AuthenticationFailed("login refused"), 12, monkeypatch)
    assert waits[-1] >= MAX_BACKOFF_SECONDS * 0.8
    assert max(waits) <= MAX_BACKOFF_SECONDS * 1.2

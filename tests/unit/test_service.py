"""The service layer without systemd: sd_notify messages, the watchdog's pace, where the state
goes under StateDirectory=, the lifecycle (ready, reload, stop) around a stand-in engine, the
engine loop's hooks, and journald priorities.

Signals are real (sent to this process); nothing here opens a socket.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from daemon import logs, service
from daemon.config import Config, default_state_dir, load_config
from daemon.engine import Engine
from daemon.store import Store

CONFIG = """\
account: {email: me@example.com, timezone: UTC}
imap: {host: imap.example.com, password_env: AV_TEST_IMAP_PW}
smtp: {host: smtp.example.com, password_env: AV_TEST_SMTP_PW}
"""


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.setenv("AV_TEST_IMAP_PW", "imap-secret")
    monkeypatch.setenv("AV_TEST_SMTP_PW", "smtp-secret")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG)
    return load_config(path)


class Recorder:
    """Stands in for the notify socket: every message, as its list of fields."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, ...]] = []

    def send(self, *fields: str) -> bool:
        self.messages.append(fields)
        return True

    def close(self) -> None:
        pass

    def fields(self) -> list[str]:
        return [field for message in self.messages for field in message]


# sd_notify ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "address"),
    [
        ("/run/systemd/notify", "/run/systemd/notify"),
        ("@/org/freedesktop/systemd1/notify/42", "\0/org/freedesktop/systemd1/notify/42"),
        ("", None),
        (None, None),
        ("vsock:2:1234", None),
        ("relative/path", None),
    ],
)
def test_notify_socket_addresses(value: str | None, address: str | None) -> None:
    assert service.notify_address(value) == address


def test_without_notify_socket_nothing_is_sent() -> None:
    notifier = service.Notifier.from_environ({})
    assert notifier.address is None
    assert notifier.send("READY=1") is False


def test_a_status_is_one_line_and_bounded() -> None:
    assert service._one_line("STATUS=imap: connection\nrefused\r\n  now") == (
        "STATUS=imap: connection refused now"
    )
    long = service._one_line("STATUS=" + "x" * 1000)
    assert len(long) == len("STATUS=") + service.MAX_STATUS_CHARS
    assert long.endswith("…")


# The watchdog ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "interval"),
    [
        ({"WATCHDOG_USEC": "120000000"}, 60.0),
        ({"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "4242"}, 1.0),
        ({"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "4243"}, None),  # another process's
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "soon"}, None),
        ({}, None),
    ],
)
def test_watchdog_interval_is_half_of_watchdog_usec_for_this_process(
    environ: dict[str, str], interval: float | None
) -> None:
    assert service.watchdog_interval(environ, pid=4242) == interval


def test_watchdog_pings_once_per_interval_however_often_it_is_ticked() -> None:
    clock = [100.0]
    recorder = Recorder()
    watchdog = service.Watchdog(recorder, 1.0, clock=lambda: clock[0])
    for _ in range(25):  # ticks every 0.2 s for 5 s
        watchdog.tick()
        clock[0] += 0.2
    assert len(recorder.messages) == 5
    assert set(recorder.fields()) == {"WATCHDOG=1"}


def test_no_watchdog_no_pings() -> None:
    recorder = Recorder()
    service.Watchdog(recorder, None).tick()
    assert recorder.messages == []


# Where the state goes ----------------------------------------------------------------------


def test_state_directory_from_systemd_when_the_config_names_none(config: Config) -> None:
    assert config.state_dir == default_state_dir()
    environ = {"STATE_DIRECTORY": "/var/lib/afterview/alice:/var/lib/other"}
    moved = service.with_state_directory(config, environ)
    assert moved.state_dir == Path("/var/lib/afterview/alice")
    assert service.with_state_directory(config, {}) is config


def test_a_state_dir_in_the_config_wins(config: Config, tmp_path: Path) -> None:
    chosen = replace(config, state_dir=tmp_path / "mine")
    kept = service.with_state_directory(chosen, {"STATE_DIRECTORY": "/var/lib/afterview/a"})
    assert kept.state_dir == tmp_path / "mine"


def test_status_says_what_it_waits_for() -> None:
    assert service.status_line("syncing mail", []) == "syncing mail"
    line = service.status_line(
        "watching INBOX for new mail (IDLE)", [("imap", "imap.example.com: connection refused")]
    )
    assert line == (
        "waiting to retry imap (imap.example.com: connection refused); "
        "watching INBOX for new mail (IDLE)"
    )


# The lifecycle around a stand-in engine ----------------------------------------------------


class FakeEngine:
    """Runs like `Engine.run`: a first pass, READY, then ticks until stopped."""

    def __init__(self, config: Config, first: bool, script: Callable[[FakeEngine], None]) -> None:
        self.config = config
        self.first = first
        self.activity = "starting"
        self.stopping = threading.Event()
        self.ticks = 0
        self.jobs_done = 0
        self.problems: list[tuple[str, str]] = []
        self._script = script

    def run(
        self,
        on_ready: Callable[[], None] | None = None,
        on_tick: Callable[[], None] | None = None,
        tick_seconds: float = 1.0,
    ) -> None:
        assert on_ready is not None and on_tick is not None
        self.activity = "idle"
        on_ready()
        while not self.stopping.is_set():
            self.ticks += 1
            on_tick()
            self._script(self)
            self.stopping.wait(0.01)

    def stop(self) -> None:
        self.stopping.set()

    def waiting_for(self) -> list[tuple[str, str]]:
        return self.problems


class Harness:
    def __init__(self, config: Config, script: Callable[[FakeEngine], None]) -> None:
        self.recorder = Recorder()
        self.engines: list[FakeEngine] = []
        self.next_config: Config | None = None
        self.script = script
        self.service = service.Service(
            config,
            self.engine_for,
            lambda: self.next_config,
            notifier=self.recorder,
            environ={"WATCHDOG_USEC": "200000"},
        )

    def engine_for(self, config: Config, first: bool) -> FakeEngine:
        engine = FakeEngine(config, first, self.script)
        self.engines.append(engine)
        return engine

    def serve(self) -> int:
        done: list[int] = []
        timer = threading.Timer(10.0, self.service.stop)  # a failing test still ends
        timer.start()
        try:
            done.append(self.service.serve())
        finally:
            timer.cancel()
        return done[0]


@pytest.fixture
def restore_signals() -> Iterator[None]:
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    yield
    for signum, handler in before.items():
        assert signal.getsignal(signum) is handler, "serve() left its signal handlers behind"


def test_sigterm_stops_after_the_job_in_flight(config: Config, restore_signals: None) -> None:
    def script(engine: FakeEngine) -> None:
        if engine.ticks == 3:
            os.kill(os.getpid(), signal.SIGTERM)
            # A job in flight: the stop waits for it, the loop sees it afterwards.
            assert engine.stopping.wait(5.0)
            engine.jobs_done += 1

    harness = Harness(config, script)
    assert harness.serve() == 0
    [engine] = harness.engines
    assert engine.jobs_done == 1
    fields = harness.recorder.fields()
    assert fields.index("READY=1") < fields.index("STOPPING=1")
    assert "WATCHDOG=1" in fields


def test_sighup_with_an_invalid_config_keeps_the_running_one(
    config: Config, restore_signals: None
) -> None:
    def script(engine: FakeEngine) -> None:
        if engine.ticks == 2:
            os.kill(os.getpid(), signal.SIGHUP)  # harness.next_config is None: invalid
        if engine.ticks == 60:
            harness.service.stop()

    harness = Harness(config, script)
    assert harness.serve() == 0
    assert len(harness.engines) == 1  # never replaced
    fields = harness.recorder.fields()
    assert fields.count("READY=1") == 2  # the start's, and after the refused reload
    assert fields.index("RELOADING=1") < len(fields) - fields[::-1].index("READY=1")
    assert any(f.startswith("MONOTONIC_USEC=") for f in fields)


def test_sighup_with_a_valid_config_starts_the_loop_on_it(
    config: Config, restore_signals: None, tmp_path: Path
) -> None:
    def script(engine: FakeEngine) -> None:
        if engine.first and engine.ticks == 2:
            os.kill(os.getpid(), signal.SIGHUP)
        if not engine.first and engine.ticks == 2:
            harness.service.stop()

    harness = Harness(config, script)
    harness.next_config = replace(config, log_level="debug", state_dir=tmp_path / "elsewhere")
    assert harness.serve() == 0
    old, new = harness.engines
    assert (old.first, new.first) == (True, False)
    assert old.config.log_level == "info" and new.config.log_level == "debug"
    assert new.config.state_dir == config.state_dir  # a new state_dir takes a restart
    assert harness.recorder.fields().count("READY=1") == 2


def test_ready_status_says_the_network_is_awaited(config: Config, restore_signals: None) -> None:
    def script(engine: FakeEngine) -> None:
        harness.service.stop()

    harness = Harness(config, script)
    original = harness.engine_for

    def failing(config: Config, first: bool) -> FakeEngine:
        engine = original(config, first)
        engine.problems = [("imap", "imap.example.com:993: name or service not known")]
        return engine

    harness.service._engine_for = failing
    assert harness.serve() == 0
    [ready] = [m for m in harness.recorder.messages if "READY=1" in m]
    assert ready[1].startswith("STATUS=waiting to retry imap (imap.example.com:993: name")


def test_a_stop_before_the_first_engine_starts_none(config: Config, restore_signals: None) -> None:
    harness = Harness(config, lambda engine: None)
    harness.service.stop()
    assert harness.serve() == 0
    assert harness.engines[0].ticks == 0


# The engine loop's hooks -------------------------------------------------------------------


def test_a_job_that_fails_with_a_bug_never_stops_the_others(
    config: Config,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The first pass with every step patched out: the mail step raises, the others still run,
    READY comes, and the loop ticks until it is stopped."""
    config = replace(config, state_dir=tmp_path / "state")
    ran: list[str] = []
    with Store(config.state_dir) as store:
        engine = Engine(replace(config, sync=replace(config.sync, idle=False)), store)

        def broken(report: object = None) -> None:
            ran.append("mail")
            raise RuntimeError("a bug")

        monkeypatch.setattr(engine, "sync_mail", broken)
        monkeypatch.setattr(engine, "sync_calendars", lambda report=None: ran.append("calendars"))
        monkeypatch.setattr(engine, "follow_up", lambda report=None: ran.append("follow-ups"))
        activities: list[str] = []

        def tick() -> None:
            activities.append(engine.activity)
            if len(activities) > 12:
                engine.stop()

        engine.run(on_ready=lambda: ran.append("ready"), on_tick=tick, tick_seconds=0.01)
    assert ran == ["mail", "calendars", "follow-ups", "ready"]
    assert "first sync: mail failed (a bug); the other jobs go on" in caplog.text
    assert "first sync: calendars" in activities
    assert activities[-1] == "checking for new mail every 5m"


def test_log_lines_get_journal_priorities_only_on_the_journal_stream(tmp_path: Path) -> None:
    with (tmp_path / "stderr").open("w") as stream:
        info = os.fstat(stream.fileno())
        ours = f"{info.st_dev}:{info.st_ino}"
        assert logs.writes_to_journal(stream, {"JOURNAL_STREAM": ours})
        # A child of a service inherits the variable with its stderr sent elsewhere:
        assert not logs.writes_to_journal(stream, {"JOURNAL_STREAM": f"{info.st_dev}:1"})
        assert not logs.writes_to_journal(stream, {})

"""systemd integration: sd_notify (READY, STATUS, WATCHDOG, RELOADING, STOPPING), SIGTERM, SIGHUP.

`Service.serve` owns the daemon's lifecycle: it runs the engine, says what it does on
`$NOTIFY_SOCKET`, feeds the watchdog from the engine loop, stops after the job in flight on
SIGTERM and reloads the config on SIGHUP (an invalid one is logged and the old one kept).
Without systemd nothing is sent, and the signals work the same.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Protocol

from daemon.config import Config, default_state_dir

log = logging.getLogger(__name__)
_SignalHandler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None
MAX_STATUS_CHARS = 300
SEND_TIMEOUT_SECONDS = 1.0
MAX_TICK_SECONDS = 1.0


def notify_address(value: str | None) -> str | None:
    """The socket address in `$NOTIFY_SOCKET`: a path, or `@name` for an abstract socket
    (returned with its leading NUL); None when unset or of a kind not supported here."""
    if not value:
        return None
    if value.startswith("@"):
        return "\0" + value[1:]
    if value.startswith("/"):
        return value
    return None


class Notifier:
    """sd_notify(3), written out: each message is one datagram of `KEY=value` lines.

    Sending never raises: a service manager that went away must not stop the daemon.
    """

    def __init__(self, address: str | None) -> None:
        self.address = address
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()  # the signal thread sends STOPPING=1 too
        self._warned = False

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> Notifier:
        value = environ.get("NOTIFY_SOCKET")
        address = notify_address(value)
        if value and address is None:
            log.warning("NOTIFY_SOCKET=%s is no socket path: systemd is told nothing", value)
        return cls(address)

    def send(self, *fields: str) -> bool:
        """Send `KEY=value` fields in one message; True if it went out."""
        if self.address is None:
            return False
        data = "\n".join(_one_line(field) for field in fields).encode("utf-8", "replace")
        with self._lock:
            try:
                if self._socket is None:
                    self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                    self._socket.settimeout(SEND_TIMEOUT_SECONDS)
                self._socket.sendto(data, self.address)
            except OSError as exc:
                level = logging.DEBUG if self._warned else logging.WARNING
                log.log(level, "cannot notify systemd at %r: %s", self.address, exc)
                self._warned = True
                return False
        return True

    def close(self) -> None:
        with self._lock:
            if self._socket is not None:
                self._socket.close()
                self._socket = None


def watchdog_interval(environ: Mapping[str, str], pid: int) -> float | None:
    """Seconds between WATCHDOG=1 pings (half of `$WATCHDOG_USEC`), or None when the watchdog
    is off or meant for another process (`$WATCHDOG_PID`)."""
    owner = environ.get("WATCHDOG_PID")
    if owner and owner.strip() != str(pid):
        return None
    try:
        usec = int(environ.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    return usec / 2e6 if usec > 0 else None


class Watchdog:
    """Pings at most every `interval` seconds, when `tick` is called (from the engine loop)."""

    def __init__(
        self,
        notifier: Notify,
        interval: float | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.notifier = notifier
        self.interval = interval
        self._clock = clock
        self._last: float | None = None

    def tick(self) -> None:
        if self.interval is None:
            return
        now = self._clock()
        if self._last is None or now - self._last >= self.interval:
            self._last = now
            self.notifier.send("WATCHDOG=1")


def with_state_directory(config: Config, environ: Mapping[str, str] = os.environ) -> Config:
    """Under systemd with `StateDirectory=`, a config that names no `state_dir` keeps its state
    where systemd prepared it (`$STATE_DIRECTORY`, the first one if several)."""
    given = environ.get("STATE_DIRECTORY", "").split(":")[0]
    if not given or config.state_dir != default_state_dir():
        return config
    return replace(config, state_dir=Path(given))


def status_line(activity: str, waiting: Sequence[tuple[str, str]]) -> str:
    """The STATUS= text: what the loop does, after what failed and waits for its retry."""
    if not waiting:
        return activity
    what = ", ".join(f"{component} ({error})" for component, error in waiting)
    return f"waiting to retry {what}; {activity}"


class Notify(Protocol):
    def send(self, *fields: str) -> bool: ...

    def close(self) -> None: ...


class Loop(Protocol):
    """What the service needs of the engine (`daemon.engine.Engine`)."""

    activity: str

    def run(
        self,
        on_ready: Callable[[], None] | None = None,
        on_tick: Callable[[], None] | None = None,
        tick_seconds: float = 1.0,
    ) -> None: ...

    def stop(self) -> None: ...

    def waiting_for(self) -> list[tuple[str, str]]: ...


class Service:
    """One daemon's life: engines built from the config (a new one after each reload),
    systemd told about it, signals turned into stops and reloads.

    `engine_for(config, first)` builds an engine (`first` only for the start's);
    `reload()` reads the config again, logs its problems and returns None when invalid.
    """

    def __init__(
        self,
        config: Config,
        engine_for: Callable[[Config, bool], Loop],
        reload: Callable[[], Config | None],
        *,
        notifier: Notify | None = None,
        environ: Mapping[str, str] = os.environ,
    ) -> None:
        self.config = config
        self._engine_for = engine_for
        self._load = reload
        self._owns_notifier = notifier is None
        self.notifier: Notify = notifier or Notifier.from_environ(environ)
        interval = watchdog_interval(environ, os.getpid())
        self.watchdog = Watchdog(self.notifier, interval)
        self.tick_seconds = min(MAX_TICK_SECONDS, interval / 2) if interval else MAX_TICK_SECONDS
        self._lock = threading.Lock()
        self._engine: Loop | None = None
        self._stopping = False
        self._reload_asked = threading.Event()
        self._next: Config | None = None
        self._status = ""

    def serve(self) -> int:
        """Run until SIGTERM or SIGINT; returns the exit code. Call from the main thread."""
        actions: dict[int, Callable[[], None]] = {
            signal.SIGTERM: self.stop,
            signal.SIGINT: self.stop,
            signal.SIGHUP: self.request_reload,
        }
        try:
            with SignalInbox(actions):
                self._show("starting: first sync of mail and calendars")
                first = True
                while True:
                    engine = self._engine_for(self.config, first)
                    with self._lock:
                        if self._stopping:
                            break
                        self._engine = engine
                    engine.run(
                        on_ready=self._ready, on_tick=self._tick, tick_seconds=self.tick_seconds
                    )
                    with self._lock:
                        config, self._next = self._next, None
                        if self._stopping or config is None:
                            break
                    self.config, first = config, False
        finally:
            if self._owns_notifier:
                self.notifier.close()
        log.info("stopped")
        return 0

    def stop(self) -> None:
        """SIGTERM: the engine stops after the job in flight (a send in flight finishes)."""
        with self._lock:
            if self._stopping:
                return
            self._stopping = True
            engine = self._engine
        log.info("stopping: finishing the work in flight")
        self.notifier.send("STOPPING=1", "STATUS=stopping: finishing the work in flight")
        if engine is not None:
            engine.stop()

    def request_reload(self) -> None:
        """SIGHUP: the loop reloads at its next tick (within a second, or after the job)."""
        self._reload_asked.set()

    # Called by the engine, from its loop ---------------------------------------------------

    def _ready(self) -> None:
        engine = self._engine
        text = status_line(engine.activity, engine.waiting_for()) if engine else "running"
        self._status = text
        self.notifier.send("READY=1", f"STATUS={text}")
        log.info("ready: %s", text)

    def _tick(self) -> None:
        self.watchdog.tick()
        if self._stopping:
            return  # STATUS says so already
        if self._reload_asked.is_set():
            self._reload_asked.clear()
            self._reload()
        engine = self._engine
        if engine is not None:
            self._show(status_line(engine.activity, engine.waiting_for()))

    def _show(self, text: str) -> None:
        if text != self._status:
            self._status = text
            self.notifier.send(f"STATUS={text}")

    def _reload(self) -> None:
        with self._lock:
            if self._stopping:
                return
        self.notifier.send(
            "RELOADING=1",
            f"MONOTONIC_USEC={time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000}",
            "STATUS=reloading the config",
        )
        log.info("reloading the config %s", self.config.path)
        try:
            config = self._load()
        except Exception:  # a bug in reading must not end a daemon that runs fine
            log.exception("reading the config failed")
            config = None
        if config is None:
            log.error("the new config is not valid (see above): still running on the one before")
            self._status = ""  # shown again with READY below
            self._ready()
            return
        if config.state_dir != self.config.state_dir:
            log.warning(
                "state_dir changed to %s: that takes a restart; the state stays in %s",
                config.state_dir,
                self.config.state_dir,
            )
            config = replace(config, state_dir=self.config.state_dir)
        with self._lock:
            self._next = config
            engine = self._engine
        log.info("config reloaded: restarting the loop with it")
        if engine is not None:
            engine.stop()  # `serve` starts the next engine, which says READY=1 again


class SignalInbox:
    """Signals arrive as bytes on a pipe (`signal.set_wakeup_fd`) and one thread acts on them.

    A Python signal handler runs between two bytecodes of the main thread, maybe while that
    thread holds a lock the handler would need (setting a `threading.Event` takes one); this
    thread holds none, so it may stop the engine and notify systemd. Use in the main thread.
    """

    def __init__(self, actions: Mapping[int, Callable[[], None]]) -> None:
        self.actions = dict(actions)
        self._read_fd = -1
        self._write_fd = -1
        self._previous: dict[int, _SignalHandler] = {}
        self._previous_fd = -1
        self._thread = threading.Thread(target=self._read, name="signals", daemon=True)

    def __enter__(self) -> SignalInbox:
        self._read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._write_fd, False)
        self._previous_fd = signal.set_wakeup_fd(self._write_fd, warn_on_full_buffer=False)
        for signum in self.actions:  # after the pipe is set, so no signal is lost
            self._previous[signum] = signal.signal(signum, _noted)
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        signal.set_wakeup_fd(self._previous_fd)
        os.close(self._write_fd)  # the thread reads the end of the pipe and returns
        self._thread.join(timeout=5.0)
        os.close(self._read_fd)

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self._read_fd, 64)
            except OSError:
                return
            if not data:
                return
            for signum in data:
                action = self.actions.get(signum)
                if action is None:
                    continue
                try:
                    action()
                except Exception:
                    log.exception("acting on signal %d failed", signum)


def _noted(signum: int, frame: FrameType | None) -> None:
    """The Python-level handler: nothing; the wakeup pipe carries the signal to `_read`."""


def _one_line(field: str) -> str:
    key, _, value = field.partition("=")
    value = " ".join(value.split())
    if len(value) > MAX_STATUS_CHARS:
        value = value[: MAX_STATUS_CHARS - 1] + "…"
    return f"{key}={value}"

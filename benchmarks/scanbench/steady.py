"""The load benchmark's child: afterview's first scan, then an hour of the daemon's jobs in
simulated time, in one process as the daemon would run them, with the CPU and memory they take.

Usage: python steady.py '<json settings>'. Prints one JSON line; with "hour_profile" set, it
writes cProfile data of the simulated hour to that path.

The hour is driven the way `Engine.run` schedules it (a poll every `sync.poll_interval`, the
calendars every `sync.calendar_interval`, the follow-up job every minute, a sync whenever the
real IDLE watcher wakes the engine), with the engine's clock stepped instead of waited for. CPU
is counted around the jobs only (delivering the hour's mail is the benchmark's work); the cost
of waiting between jobs is measured apart, on the real service loop for a few seconds.
"""

from __future__ import annotations

import cProfile
import email
import json
import ssl
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import default
from email.utils import format_datetime, make_msgid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]  # run as a script: find daemon and tests

import imapclient  # noqa: E402

from daemon import logs  # noqa: E402
from daemon.config import Config, load_config  # noqa: E402
from daemon.engine import FOLLOW_UP_SECONDS, Engine, PassReport  # noqa: E402
from daemon.mail.idle import IdleWatcher  # noqa: E402
from daemon.service import Service  # noqa: E402
from daemon.store import Store  # noqa: E402
from scanbench.child import peak_rss_kib, scan, status_kib  # noqa: E402
from scanbench.mailgen import ME_NAME  # noqa: E402
from scanbench.scenario import APPROVE_MINUTE, HOUR_MINUTES, read_arrivals  # noqa: E402
from tests.harness.lmtp import deliver_over_lmtp  # noqa: E402

WAKE_SECONDS = 15.0  # how long a delivery may take to wake the engine (a failure, not a bound)
QUIET_SECONDS = 2.0  # no IDLE wake-up for this long: the mail the engine sent has been synced


class Clock:
    """The engine's `now`, moved by the driver."""

    def __init__(self, start: datetime) -> None:
        self.start = self.at = start

    def __call__(self) -> datetime:
        return self.at

    def minute(self, minute: float) -> None:
        self.at = self.start + timedelta(minutes=minute)


@dataclass
class Costs:
    """The CPU seconds of each job, by kind, and what the jobs did."""

    cpu: dict[str, list[float]] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)

    def timed(self, kind: str, work: Callable[[], PassReport]) -> PassReport:
        started = time.process_time()
        report = work()
        self.cpu.setdefault(kind, []).append(time.process_time() - started)
        return report

    def total_cpu(self) -> float:
        return sum(sum(values) for values in self.cpu.values())


def filled(step: Callable[[PassReport], None]) -> PassReport:
    """One of the engine's jobs (`follow_up`, `sync_calendars`), with the report it filled."""
    report = PassReport()
    step(report)
    return report


def mail_job(engine: Engine) -> PassReport:
    """What the loop runs when a poll is due or IDLE woke it (`Engine._mail_job`)."""
    report = filled(engine.sync_mail)
    if report.approval_replies:
        engine.follow_up(report)  # a SEND acts within seconds, not at the next minute
    return report


def mailed_the_user(report: PassReport) -> bool:
    notes = report.followups
    return bool(notes.proposed or notes.replies or notes.sent or report.digest.startswith("sent"))


def note(costs: Costs, minute: float, report: PassReport) -> None:
    notes = report.followups
    for line in (
        *report.interviews,
        *notes.proposed,
        *notes.replies,
        *notes.sent,
        *notes.problems,
        *report.errors,
    ):
        costs.events.append(f"{minute:4.1f} {line}")
    if report.digest.startswith("sent"):
        costs.events.append(f"{minute:4.1f} digest {report.digest}")


def catch_up(engine: Engine, costs: Costs, kind: str, clock: Clock, wait: float) -> None:
    """Sync after each IDLE wake-up, until none comes for `wait` seconds (the loop's reaction
    to mail the engine itself sent to the user: approval requests, the digest, notices)."""
    while engine.wake.wait(wait):
        engine.wake.clear()
        report = costs.timed(kind, lambda: mail_job(engine))
        note(costs, (clock.at - clock.start).total_seconds() / 60, report)
        wait = QUIET_SECONDS


def first_pass(engine: Engine, config: Config, clock: Clock) -> tuple[Costs, IdleWatcher]:
    """The rest of the daemon's first pass after its first scan, and the IDLE watcher started
    as `Engine.run` starts it (its first wake-up is a catch-up sync)."""
    costs = Costs()
    note(costs, 0, costs.timed("first pass", lambda: mail_job(engine)))
    note(costs, 0, costs.timed("first pass", lambda: filled(engine.sync_calendars)))
    note(costs, 0, costs.timed("first pass", lambda: filled(engine.follow_up)))
    watcher = IdleWatcher(config.imap, config.imap.folders.inbox, engine.wake)
    watcher.start()
    catch_up(engine, costs, "first pass", clock, WAKE_SECONDS)
    return costs, watcher


def simulated_hour(engine: Engine, config: Config, clock: Clock, settings: dict[str, str]) -> Costs:
    costs = Costs()
    arrivals = {a.minute: a for a in read_arrivals(Path(settings["arrivals"]))}
    poll = max(1, round(config.sync.poll_interval.total_seconds() / 60))
    calendars = max(1, round(config.sync.calendar_interval.total_seconds() / 60))
    every = max(1, FOLLOW_UP_SECONDS // 60)
    for minute in range(1, HOUR_MINUTES + 1):
        clock.minute(minute)
        if minute % poll == 0:
            note(costs, minute, costs.timed("poll", lambda: mail_job(engine)))
        if minute % calendars == 0:
            note(costs, minute, costs.timed("calendars", lambda: filled(engine.sync_calendars)))
        if minute % every == 0:
            report = costs.timed("follow-up", lambda: filled(engine.follow_up))
            note(costs, minute, report)
            if mailed_the_user(report):
                catch_up(engine, costs, "new mail", clock, WAKE_SECONDS)
        raw = None
        if minute in arrivals:
            raw = arrivals[minute].path.read_bytes()
        elif minute == APPROVE_MINUTE:
            raw = approve(settings, clock)
        if raw is not None:
            clock.minute(minute + 0.5)
            sender = settings["address"] if minute == APPROVE_MINUTE else ""
            deliver_over_lmtp(
                settings["host"], int(settings["lmtp_port"]), sender, settings["address"], raw
            )
            if not engine.wake.wait(WAKE_SECONDS):
                raise RuntimeError(f"minute {minute}: IDLE did not wake the engine")
            catch_up(engine, costs, "new mail", clock, 0)
    return costs


def approve(settings: dict[str, str], clock: Clock) -> bytes:
    """The user's reply SEND to the newest approval request, as a mail client writes it."""
    imap = bare_client(settings)
    imap.select_folder("INBOX", readonly=True)
    uids = imap.search(["HEADER", "X-Afterview", "approval"])
    if not uids:
        raise RuntimeError("no approval request arrived to answer")
    raw = imap.fetch([max(uids)], ["BODY.PEEK[]"])[max(uids)][b"BODY[]"]
    imap.logout()
    request = email.message_from_bytes(raw, policy=default)
    body = request.get_body(("plain",))
    quoted = "".join(f"> {line}\n" for line in body.get_content().splitlines()) if body else ""
    reply = EmailMessage()
    reply["From"] = f"{ME_NAME} <{settings['address']}>"
    reply["To"] = request["From"]
    reply["Subject"] = f"Re: {request['Subject']}"
    reply["Date"] = format_datetime(clock())
    reply["Message-ID"] = make_msgid(domain="example.test")
    reply["In-Reply-To"] = request["Message-ID"]
    reply["References"] = request["Message-ID"]
    reply.set_content(f"SEND\n\nOn Monday, afterview wrote:\n{quoted}")
    return reply.as_bytes()


def bare_client(settings: dict[str, str]) -> imapclient.IMAPClient:
    context = ssl.create_default_context(cafile=settings["ca"])
    imap = imapclient.IMAPClient(settings["host"], port=int(settings["port"]), ssl_context=context)
    imap.login(settings["user"], settings["password"])
    return imap


def bare_poller(settings: dict[str, str], config: Config) -> float:
    """The baseline: CPU of the thinnest client at the same cadence, over one kept connection:
    STATUS of each watched folder at every poll, a NOOP every minute."""
    imap = bare_client(settings)
    folders = ["INBOX", "Sent"]
    poll = max(1, round(config.sync.poll_interval.total_seconds() / 60))
    cpu = time.process_time()
    for minute in range(1, HOUR_MINUTES + 1):
        if minute % poll == 0:
            for folder in folders:
                imap.folder_status(folder, ["UIDVALIDITY", "UIDNEXT", "HIGHESTMODSEQ"])
        imap.noop()
    spent = time.process_time() - cpu
    imap.logout()
    return spent


class ReadyNotice:
    """A service manager that only listens for READY=1 (the `Notify` port)."""

    def __init__(self) -> None:
        self.ready = threading.Event()

    def send(self, *fields: str) -> bool:
        if "READY=1" in fields:
            self.ready.set()
        return True

    def close(self) -> None:
        pass


def waiting(config: Config, store: Store, clock: Clock, windows: int, seconds: float) -> float:
    """CPU per second of the real service loop between jobs (its one-second tick, the IDLE
    connection's), after READY and the IDLE catch-up, while no job falls due: the least of
    `windows` windows of `seconds` each (on a shared machine, the others' load only adds)."""
    notice = ReadyNotice()
    service = Service(
        config,
        lambda config, first: Engine(config, store, now=clock),
        lambda: None,  # no reload
        notifier=notice,
        environ={},  # no watchdog: the tick is the loop's own second
    )
    measured: list[float] = []

    def measure() -> None:
        try:
            if notice.ready.wait(600):
                time.sleep(3.0)  # the watcher connects; its first wake-up syncs once
                for _ in range(windows):
                    cpu = time.process_time()
                    time.sleep(seconds)
                    measured.append((time.process_time() - cpu) / seconds)
        finally:
            service.stop()

    thread = threading.Thread(target=measure)
    thread.start()
    service.serve()
    thread.join()
    if not measured:
        raise RuntimeError("the service never said READY")
    return min(measured)


def main() -> int:
    settings = json.loads(sys.argv[1])
    scanned = scan(settings)
    logs.setup("info", open(settings["log"], "a"))  # noqa: SIM115 - the log lives as long as we do
    config = load_config(Path(settings["config"]))
    clock = Clock(datetime.fromisoformat(settings["now"]))
    with Store(config.state_dir) as store:
        engine = Engine(config, store, now=clock)
        first, watcher = first_pass(engine, config, clock)
        started = time.perf_counter()
        profiler = cProfile.Profile() if settings.get("hour_profile") else None
        try:
            if profiler is None:
                hour = simulated_hour(engine, config, clock, settings)
            else:
                hour = profiler.runcall(simulated_hour, engine, config, clock, settings)
                profiler.dump_stats(settings["hour_profile"])
        finally:
            watcher.stop()
            engine.close()
        hour_wall = time.perf_counter() - started
        rss_after_hour = status_kib("VmRSS")
        counts = store.counts()
        windows = int(settings["waiting_windows"]), float(settings["waiting_seconds"])
        per_second = waiting(config, store, clock, *windows)
    baseline = bare_poller(settings, config)
    result = {
        "scan": scanned,
        "first_pass_cpu": first.total_cpu(),
        "first_pass_events": first.events,
        "hour_cpu": {kind: sum(values) for kind, values in hour.cpu.items()},
        "hour_runs": {kind: len(values) for kind, values in hour.cpu.items()},
        "hour_median_cpu": {kind: statistics.median(v) for kind, v in hour.cpu.items()},
        "hour_events": hour.events,
        "hour_wall": hour_wall,
        "waiting_cpu_per_second": per_second,
        "baseline_cpu": baseline,
        "rss_after_hour_kib": rss_after_hour,
        "peak_rss_kib": peak_rss_kib(),
        "counts_after_hour": counts,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The engine: wires the mailbox, the calendars and the store to the pure core, and runs the loop.

`run_once` is one full pass (what `afterview run --once` does). `Engine.run` keeps going:
`schedule` runs the periodic jobs, the IDLE watcher wakes the loop early when mail arrives, and
a failing job is logged, backed off and retried without stopping the others.
"""

from __future__ import annotations

import contextlib
import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import schedule

from daemon import calendars
from daemon.checkpoints import checkpoint
from daemon.config import Config
from daemon.detect.classify import classify_calendar, classify_email
from daemon.errors import AfterviewError, PermanentError, ServerUnavailable
from daemon.followup import FollowUpReport, FollowUps, SentCopies
from daemon.interviews import CalendarEntry, Interview, Sighting, Status, removed_events
from daemon.mail import imap, smtp
from daemon.mail.idle import IdleWatcher
from daemon.model import Detection, Kind
from daemon.outbox import SEND_ID_HEADER
from daemon.store import StateNotWritten, Store
from daemon.store.quiet import QuietRecords
from daemon.sync import (
    FolderReport,
    FolderRole,
    MailSync,
    WatchedFolder,
    apply_sighting,
    describe,
)
from daemon.tracking import DailyDigest, QuietReport, QuietWatch

log = logging.getLogger(__name__)
CALENDAR_WINDOW_PAST = timedelta(days=30)
CALENDAR_WINDOW_AHEAD = timedelta(days=365)
MAX_BACKOFF = timedelta(minutes=15)
FOLLOW_UP_SECONDS = 60  # due notes are checked every minute


@dataclass
class PassReport:
    folders: list[FolderReport] = field(default_factory=list)
    calendar_items: int = 0
    interviews: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    approval_replies: list[bytes] = field(default_factory=list)
    followups: FollowUpReport = field(default_factory=FollowUpReport)
    quiet: QuietReport = field(default_factory=QuietReport)
    digest: str = ""


@dataclass
class Backoff:
    """Exponential backoff with jitter for one component; reset by a success."""

    failures: int = 0
    not_before: float = 0.0

    def failed(self, clock: float) -> float:
        self.failures += 1
        delay = min(MAX_BACKOFF.total_seconds(), 5.0 * 2 ** min(self.failures - 1, 10))
        delay *= random.uniform(0.8, 1.2)
        self.not_before = clock + delay
        return float(delay)

    def succeeded(self) -> None:
        self.failures = 0
        self.not_before = 0.0


class Engine:
    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        now: Callable[[], datetime] | None = None,
        dry_run: bool = False,
        backfill: timedelta | None = None,
        reach_back: bool = False,
        on_secret: Callable[[str], None] | None = None,
    ) -> None:
        self.config = config
        self.on_secret = on_secret  # told every secret learnt at run time (OAuth2 tokens)
        self.store = store
        self.now = now or (lambda: datetime.now(UTC))
        self.dry_run = dry_run
        self.me = config.my_addresses()
        backfill = config.sync.backfill if backfill is None else backfill
        self.mail = MailSync(
            store,
            self.me,
            self._classify,
            now=self.now,
            backfill=None if backfill == timedelta(0) else backfill,
            dry_run=dry_run,
            reach_back=reach_back,
            between_batches=self._between_batches,
        )
        self._mailbox: imap.Mailbox | None = None
        self._folders: list[WatchedFolder] | None = None  # looked up once per connection
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self._backoff: dict[str, Backoff] = {}
        self._mail_pending = False
        self.followups = FollowUps(
            config,
            store,
            now=self.now,
            sent=SentCopies(self._append_sent, self._sent_holds),
            dry_run=dry_run,
            token=self._smtp_token,
            refresh=self.sync_mail,
            stopping=lambda: self.stopping.is_set(),
        )
        self.quiet = QuietWatch(
            config,
            self.me,
            QuietRecords(store, self.now),
            self._connected,
            self._folder_names,
            self.now,
            dry_run=dry_run,
        )
        self.digest = DailyDigest(config, store, self.quiet, self.followups, self.now)

    # One pass ------------------------------------------------------------------------------

    def run_once(self) -> PassReport:
        report = PassReport()
        self.sync_mail(report)
        checkpoint("mail-synced")  # the crash tests: replies stored, not acted on yet
        self.sync_calendars(report)
        self.follow_up(report)
        return report

    def follow_up(self, report: PassReport | None = None) -> None:
        """Act on approval replies, propose due notes, send approved ones (in that order)."""
        report = report if report is not None else PassReport()
        found = FollowUpReport()
        try:
            if self.dry_run:  # nothing was kept: the replies of this pass, as read
                for raw in report.approval_replies:
                    self.followups.handle_reply(raw, found)
            for reply_id, raw in [] if self.dry_run else self.store.pending_replies():
                self.followups.handle_reply(raw, found)
                self.store.reply_read(reply_id)
            self.followups.propose(found)
            self.followups.send_approved(found)
        except AfterviewError as exc:
            self._failed("follow-ups", exc, report)
        report.followups = found
        for line in found.proposed + found.replies + found.sent + found.problems:
            log.info("follow-up: %s", line)
        self.track(report)

    def track(self, report: PassReport) -> None:
        """Mark the quiet threads, and send the day's digest when it is due."""
        if not self._due("quiet threads"):
            return
        try:
            report.quiet = self.quiet.check()
            if not self.dry_run:
                report.digest = self.digest.send()
        except AfterviewError as exc:
            self._drop_mailbox()
            self._failed("quiet threads", exc, report)
            return
        for problem in report.quiet.problems:
            log.warning("%s", problem)
        if report.digest.startswith("sent"):
            log.info("digest %s", report.digest)
        self._ok("quiet threads")

    def _folder_names(self) -> list[str]:
        """The watched folders, the inbox first: where a quiet thread's message is marked."""
        if self._folders is None:
            self._folders = self.mail.folders(self._connected())
        return [folder.name for folder in self._folders]

    def sync_mail(self, report: PassReport | None = None) -> None:
        report = report if report is not None else PassReport()
        reused = self._mailbox is not None
        try:
            try:
                self._sync_folders(report)
            except ServerUnavailable:
                if not reused:
                    raise
                # The kept connection may have died quietly (a server restart): one fresh try.
                self._drop_mailbox()
                self._sync_folders(report)
        except AfterviewError as exc:
            self._drop_mailbox()
            self._failed("imap", exc, report)
            return
        self._ok("imap")

    def _sync_folders(self, report: PassReport) -> None:
        mailbox = self._connected()
        if self._folders is None:
            self._folders = self.mail.folders(mailbox)
        for folder in self._folders:
            result = self.mail.sync_folder(mailbox, folder)
            report.folders.append(result)
            report.interviews += result.interviews
            report.approval_replies += result.approval_replies
            if not result.unchanged:
                log.info(
                    "%s: %d new (%d read whole, %d skipped, %d already known)",
                    folder.name,
                    result.new,
                    result.read_whole,
                    result.skipped,
                    result.duplicates,
                )

    def sync_calendars(self, report: PassReport | None = None) -> None:
        report = report if report is not None else PassReport()
        now = self.now()
        for source in self.config.calendars:
            name = calendars.describe(source)
            try:
                read = calendars.read(
                    source,
                    window_start=now - CALENDAR_WINDOW_PAST,
                    window_end=now + CALENDAR_WINDOW_AHEAD,
                    validators=self.store.calendar_validators(name),
                )
            except AfterviewError as exc:
                self._failed(f"calendar {name}", exc, report)
                continue
            for problem in read.problems:
                log.warning("%s: %s", name, problem)
            if not read.unchanged:
                try:
                    self._take_calendar(name, read, report)
                except StateNotWritten as exc:
                    self._failed(f"calendar {name}", exc, report)
                    continue
                except Exception as exc:  # a bug must cost this source's pass, never the daemon
                    log.debug("calendar %s: the events could not be taken", name, exc_info=True)
                    why = f"its events could not be taken (a bug): {type(exc).__name__}: {exc}"
                    self._failed(f"calendar {name}", AfterviewError(why), report)
                    continue
            self._ok(f"calendar {name}")

    def _take_calendar(self, name: str, read: calendars.CalendarRead, report: PassReport) -> None:
        report.calendar_items += len(read.items)
        if self.dry_run:
            for item in read.items:
                for detection in classify_calendar(item.data, me=self.me):
                    if detection.kind is not Kind.NONE:
                        report.interviews.append(f"would record: {detection.kind.value} {item.uid}")
            return
        at = _iso(self.now())
        lines: list[str] = []  # said once committed: a rolled back change is no news
        read_items = [
            (
                item,
                classify_calendar(item.data, me=self.me, default_zone=self.config.account.timezone),
            )
            for item in read.items
        ]
        firsts = _first_occurrences(name, read_items, self.store.sources_starting)
        with self.store.transaction() as db:
            known = self.store.interviews()
            entries = []
            for item, detections in read_items:
                key = _calendar_key(name, item)
                for detection in detections if id(item) in firsts else ():
                    if detection.error:
                        log.info("%s: event %s: %s", name, item.uid, detection.error)
                    sequence = max(item.sequence, detection.sequence)
                    sighting = Sighting(detection, key, None, sequence)
                    line = apply_sighting(self.store, db, known, sighting, at)
                    if line:
                        lines.append(line)
                start = next((d.start for d in detections if d.start), None)
                entries.append(CalendarEntry(key, item.href, start))
            # A full read that comes back empty keeps what the source held before: a feed
            # that serves an empty calendar once must not cancel every interview in it.
            if not read.unchanged and (entries or read.changed_hrefs is not None):
                self._take_removals(db, name, read, entries, known, lines, at)
                self.store.save_calendar_entries(db, name, entries, read.changed_hrefs)
            self.store.save_calendar_validators(db, name, read.validators, at)
        for line in lines:
            log.info("%s", line)
        report.interviews += lines

    def _take_removals(
        self,
        db: sqlite3.Connection,
        name: str,
        read: calendars.CalendarRead,
        entries: list[CalendarEntry],
        known: list[Interview],
        lines: list[str],
        at: str,
    ) -> None:
        """An interview only this calendar knew, whose event is gone before it took place,
        is cancelled; one also seen in mail stays as the mail says (the user may have
        deleted the event, not the employer the interview)."""
        gone = removed_events(
            self.store.calendar_entries(name),
            [entry.key for entry in entries],
            read.changed_hrefs,
            self.now(),
            _window_end(read.validators),
        )
        for entry in gone:
            interview_id = self.store.interview_seen_at(entry.key)
            if interview_id is None:
                continue
            at_index = next((k for k, i in enumerate(known) if i.id == interview_id), None)
            if at_index is None or known[at_index].status is Status.CANCELLED:
                continue
            sources = {source for source, _, _ in self.store.interview_sources(interview_id)}
            if any(not source.startswith(f"calendar:{name}|") for source in sources):
                log.info("%s: the event of interview %d was removed; it stays, as seen elsewhere",
                         name, interview_id)  # fmt: skip
                continue
            # That very record, not a merge by UID: a recurring event's occurrences share one.
            cancelled = replace(known[at_index], status=Status.CANCELLED)
            self.store.save_interview(db, cancelled, at)
            self.store.add_interview_source(db, f"{entry.key}#removed", interview_id,
                                            Kind.CANCELLED.value, at)  # fmt: skip
            known[at_index] = cancelled
            line = f"interview {interview_id} cancelled: {describe(cancelled)} (event removed)"
            lines.append(line)

    def _smtp_token(self) -> str | None:
        token = smtp.oauth2_token(self.config.smtp)
        if token is not None and self.on_secret is not None:
            self.on_secret(token)
        return token

    def _sent_folder(self) -> str:
        mailbox = self._connected()
        if self._folders is None:
            self._folders = self.mail.folders(mailbox)
        for folder in self._folders:
            if folder.role is FolderRole.SENT:
                return folder.name
        raise PermanentError("no Sent folder: set imap.folders.sent")

    def _append_sent(self, message: bytes) -> None:
        self._connected().append(self._sent_folder(), message)

    def _sent_holds(self, send_id: str) -> bool:
        return self._connected().holds(self._sent_folder(), SEND_ID_HEADER, send_id)

    def _classify(self, raw: bytes) -> Detection:
        return classify_email(
            raw, me=self.me, default_zone=self.config.account.timezone, now=self.now()
        )

    # Connections and health ----------------------------------------------------------------

    def _connected(self) -> imap.Mailbox:
        if self._mailbox is None:
            self._mailbox = imap.Mailbox(
                imap.connect(self.config.imap, on_secret=self.on_secret), self.config.imap
            )
        return self._mailbox

    def _drop_mailbox(self) -> None:
        if self._mailbox is not None:
            imap.discard(self._mailbox.client)
            self._mailbox = None
            self._folders = None

    def close(self) -> None:
        if self._mailbox is not None:
            self._mailbox.close()
            self._mailbox = None

    def _failed(self, component: str, exc: AfterviewError, report: PassReport) -> None:
        backoff = self._backoff.setdefault(component, Backoff())
        first = backoff.failures == 0
        delay = backoff.failed(time.monotonic())
        kind = "will retry" if not isinstance(exc, PermanentError) else "check the config; retrying"
        message = f"{component}: {exc}"
        report.errors.append(message)
        # One clear line per incident; repeats of the same outage stay at debug level.
        level = logging.WARNING if first else logging.DEBUG
        log.log(level, "%s (%s in %.0f s)", message, kind, delay)
        with contextlib.suppress(StateNotWritten):  # the line above is the record that counts
            self.store.record_error(component, str(exc), _iso(self.now()))

    def _ok(self, component: str) -> None:
        backoff = self._backoff.get(component)
        if backoff is not None and backoff.failures:
            log.info("%s: working again after %d failed attempts", component, backoff.failures)
            backoff.succeeded()
        if not self.dry_run:
            with contextlib.suppress(StateNotWritten):  # for `status`; the next write says it
                self.store.record_ok(component, _iso(self.now()))

    def _due(self, component: str) -> bool:
        backoff = self._backoff.get(component)
        return backoff is None or time.monotonic() >= backoff.not_before

    # The loop ------------------------------------------------------------------------------

    activity = "starting"  # what the loop does now, in words (the service's STATUS line)
    _on_tick: Callable[[], None] | None = None

    def run(
        self,
        on_ready: Callable[[], None] | None = None,
        on_tick: Callable[[], None] | None = None,
        tick_seconds: float = 1.0,
    ) -> None:
        """Run until `stopping` is set: first a full pass, then jobs on their intervals.

        `on_ready` is called once the first pass is done, whether the servers answered or not.
        `on_tick` is called from this thread around every job and at least every
        `tick_seconds` while waiting, so a watchdog fed there notices a stuck loop. A stop is
        seen between two jobs (and between the steps of the first pass): the job in flight,
        a send included, always finishes.
        """
        self._on_tick = on_tick
        watcher = None
        try:
            # The steps of `run_once`, with a chance to stop between them.
            report = PassReport()
            self._job("first sync: mail", lambda: self.sync_mail(report))
            self._job("first sync: calendars", lambda: self.sync_calendars(report))
            self._job("first sync: follow-ups", lambda: self.follow_up(report))
            if self.stopping.is_set():
                return
            jobs = schedule.Scheduler()
            poll_seconds = max(1, int(self.config.sync.poll_interval.total_seconds()))
            jobs.every(poll_seconds).seconds.do(self._job, "syncing mail", self._mail_job)
            calendar_seconds = max(1, int(self.config.sync.calendar_interval.total_seconds()))
            jobs.every(calendar_seconds).seconds.do(
                self._job, "refreshing calendars", self.sync_calendars
            )
            jobs.every(FOLLOW_UP_SECONDS).seconds.do(self._job, "following up", self.follow_up)
            if self.config.sync.idle:
                watcher = IdleWatcher(
                    self.config.imap, self.config.imap.folders.inbox, self.wake, self.on_secret
                )
                watcher.start()
            self.activity = _waiting_words(self.config, watcher is not None)
            if on_ready is not None:
                on_ready()
            while not self.stopping.is_set():
                idle = watcher is not None and watcher.supported
                self.activity = _waiting_words(self.config, idle)
                self._tick()
                jobs.run_pending()
                if self.wake.is_set():
                    self.wake.clear()
                    self._mail_pending = True
                    # Only a live IDLE connection wakes us: the server answers again, so a
                    # sync waiting out its backoff after an outage may go now.
                    self._backoff.get("imap", Backoff()).not_before = 0.0
                if self._mail_pending and self._due("imap") and not self.stopping.is_set():
                    self._job("syncing mail", self._mail_job)
                wait = jobs.idle_seconds
                self.wake.wait(timeout=min(max(wait or tick_seconds, 0.05), tick_seconds))
        finally:
            if watcher is not None:
                watcher.stop()
            self.close()

    def _job(self, activity: str, work: Callable[[], object]) -> None:
        """One job, unless a stop was asked for; a bug in it is logged and the others go on."""
        if self.stopping.is_set():
            return
        waiting, self.activity = self.activity, activity
        self._tick()
        try:
            work()
        except Exception:
            log.exception("%s failed (a bug); the other jobs go on", activity)
        finally:
            self.activity = waiting
            self._tick()

    def _tick(self) -> None:
        if self._on_tick is not None:
            self._on_tick()

    def _between_batches(self) -> bool:
        """Between two batches of a long sync: the watchdog fed, and whether to stop."""
        self._tick()
        return self.stopping.is_set()

    def waiting_for(self) -> list[tuple[str, str]]:
        """The components whose last attempt failed, with that error: they wait for a retry."""
        failing = {name for name, backoff in self._backoff.items() if backoff.failures}
        if not failing:
            return []
        errors = {name: error for name, _, error, _ in self.store.component_status()}
        return [(name, errors.get(name) or "failed") for name in sorted(failing)]

    def _mail_job(self) -> None:
        """Sync now, or as soon as the backoff after a failure allows (a wake-up is kept)."""
        if not self._due("imap"):
            self._mail_pending = True
            return
        self._mail_pending = False
        report = PassReport()
        self.sync_mail(report)
        if self._backoff.get("imap", Backoff()).failures:
            self._mail_pending = True
        elif report.approval_replies:
            self.follow_up(report)  # a SEND acts within seconds, not at the next minute

    def stop(self) -> None:
        """Ask the loop to end after the job in flight; safe from any thread."""
        self.stopping.set()
        self.wake.set()


def _waiting_words(config: Config, idle: bool) -> str:
    if idle:
        return f"watching {config.imap.folders.inbox} for new mail (IDLE)"
    return f"checking for new mail every {_duration_words(config.sync.poll_interval)}"


def _duration_words(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _window_end(validators: Mapping[str, str]) -> datetime | None:
    """The end of the window a calendar read covered ("start/end" in its validators)."""
    try:
        return datetime.fromisoformat(validators["window"].split("/")[1])
    except (KeyError, IndexError, ValueError):
        return None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _first_occurrences(
    name: str,
    read: list[tuple[calendars.CalendarItem, list[Detection]]],
    sources_starting: Callable[[str], set[str]],
) -> set[int]:
    """The items whose sightings count (by `id`): every single event, and of a recurring one
    the occurrence its interview was first seen as, else its earliest one in the window. A
    series ("Interview", daily for three days) is one interview at its first time, as its
    emailed invitation says, not one moved to each later occurrence in turn."""
    counted: set[int] = set()
    series: dict[str, list[tuple[calendars.CalendarItem, datetime]]] = {}
    for item, detections in read:
        start = next((d.start for d in detections if d.start), None)
        if not item.recurrence_id or start is None:
            counted.add(id(item))
        else:
            series.setdefault(item.uid, []).append((item, start))
    for uid, occurrences in series.items():
        taken = sources_starting(f"calendar:{name}|{uid}|")
        if taken:  # the occurrences it was seen as; none once they left the window
            counted.update(
                id(item) for item, _ in occurrences if _calendar_key(name, item) in taken
            )
        else:
            counted.add(id(min(occurrences, key=lambda pair: pair[1])[0]))
    return counted


def _calendar_key(name: str, item: calendars.CalendarItem) -> str:
    """The source key of one calendar item: its calendar, UID and occurrence."""
    return f"calendar:{name}|{item.uid}|{item.recurrence_id or ''}"

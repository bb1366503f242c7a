"""The engine: wires the mailbox, the calendars and the store to the pure core, and runs the loop.

`run_once` is one full pass (what `afterview run --once` does). `Engine.run` keeps going:
`schedule` runs the periodic jobs, the IDLE watcher wakes the loop early when mail arrives, and
a failing job is logged, backed off and retried without stopping the others.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import schedule

from daemon import calendars
from daemon.config import Config
from daemon.detect.classify import classify_calendar, classify_email
from daemon.errors import AfterviewError, PermanentError, ServerUnavailable
from daemon.followup import FollowUpReport, FollowUps, SentCopies
from daemon.interviews import Sighting
from daemon.mail import imap, smtp
from daemon.mail.idle import IdleWatcher
from daemon.model import Detection, Kind
from daemon.outbox import SEND_ID_HEADER
from daemon.store import Store
from daemon.sync import FolderReport, FolderRole, MailSync, WatchedFolder, apply_sighting

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
        self.me = frozenset(
            a.lower() for a in (config.account.email, config.imap.username) if "@" in a
        )
        backfill = config.sync.backfill if backfill is None else backfill
        self.mail = MailSync(
            store,
            self.me,
            self._classify,
            now=self.now,
            backfill=None if backfill == timedelta(0) else backfill,
            dry_run=dry_run,
            reach_back=reach_back,
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
        )

    # One pass ------------------------------------------------------------------------------

    def run_once(self) -> PassReport:
        report = PassReport()
        self.sync_mail(report)
        self.sync_calendars(report)
        self.follow_up(report)
        return report

    def follow_up(self, report: PassReport | None = None) -> None:
        """Act on approval replies, propose due notes, send approved ones (in that order)."""
        report = report if report is not None else PassReport()
        found = FollowUpReport()
        try:
            for raw in report.approval_replies:
                self.followups.handle_reply(raw, found)
            self.followups.propose(found)
            self.followups.send_approved(found)
        except AfterviewError as exc:
            self._failed("follow-ups", exc, report)
        report.followups = found
        for line in found.proposed + found.replies + found.sent + found.problems:
            log.info("follow-up: %s", line)

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
                self._take_calendar(name, read, report)
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
        with self.store.transaction() as db:
            known = self.store.interviews()
            for item in read.items:
                detections = classify_calendar(
                    item.data, me=self.me, default_zone=self.config.account.timezone
                )
                for detection in detections:
                    if detection.error:
                        log.info("%s: event %s: %s", name, item.uid, detection.error)
                    key = f"calendar:{name}|{item.uid}|{item.recurrence_id or ''}"
                    sequence = max(item.sequence, detection.sequence)
                    sighting = Sighting(detection, key, None, sequence)
                    line = apply_sighting(self.store, db, known, sighting, at)
                    if line:
                        report.interviews.append(line)
            self.store.save_calendar_validators(db, name, read.validators, at)

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
        self.store.record_error(component, str(exc), _iso(self.now()))

    def _ok(self, component: str) -> None:
        backoff = self._backoff.get(component)
        if backoff is not None and backoff.failures:
            log.info("%s: working again after %d failed attempts", component, backoff.failures)
            backoff.succeeded()
        if not self.dry_run:
            self.store.record_ok(component, _iso(self.now()))

    def _due(self, component: str) -> bool:
        backoff = self._backoff.get(component)
        return backoff is None or time.monotonic() >= backoff.not_before

    # The loop ------------------------------------------------------------------------------

    def run(self, on_ready: Callable[[], None] | None = None) -> None:
        """Run until `stopping` is set: first a full pass, then jobs on their intervals."""
        self.run_once()
        if on_ready is not None:
            on_ready()
        jobs = schedule.Scheduler()
        poll_seconds = max(1, int(self.config.sync.poll_interval.total_seconds()))
        jobs.every(poll_seconds).seconds.do(self._mail_job)
        calendar_seconds = max(1, int(self.config.sync.calendar_interval.total_seconds()))
        jobs.every(calendar_seconds).seconds.do(self.sync_calendars)
        jobs.every(FOLLOW_UP_SECONDS).seconds.do(self.follow_up)
        watcher = None
        if self.config.sync.idle:
            watcher = IdleWatcher(
                self.config.imap, self.config.imap.folders.inbox, self.wake, self.on_secret
            )
            watcher.start()
        try:
            while not self.stopping.is_set():
                jobs.run_pending()
                if self.wake.is_set():
                    self.wake.clear()
                    self._mail_pending = True
                if self._mail_pending:
                    self._mail_job()
                wait = jobs.idle_seconds
                self.wake.wait(timeout=min(max(wait or 1.0, 0.05), 1.0))
        finally:
            if watcher is not None:
                watcher.stop()
            self.close()

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
        self.stopping.set()
        self.wake.set()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")

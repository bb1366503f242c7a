"""Mail sync: new messages in the watched folders become stored threads and interviews.

Per folder the sync keeps UIDVALIDITY and the highest UID seen. A poll is one STATUS; new UIDs
are fetched in batches, headers first, the whole message only when the headers say it may be
about a job (`triage`). Each batch, with the cursor that covers it, is one transaction, so a kill
at any point resumes from the last batch and never stores a message twice (Message-ID and
Gmail's X-GM-MSGID are unique in the store).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from daemon import interviews as merging
from daemon import threads
from daemon.envelope import Envelope, parse_headers
from daemon.interviews import Interview, Sighting
from daemon.mail.imap import FetchedHeaders, FolderStatus, Mailbox
from daemon.model import Detection, Kind
from daemon.store import Cursor, Store, StoredMessage
from daemon.triage import triage

log = logging.getLogger(__name__)
BATCH = 250
PROGRESS_EVERY_SECONDS = 5.0

Detector = Callable[[bytes], Detection]


class FolderRole(StrEnum):
    INBOX = "inbox"
    SENT = "sent"
    EXTRA = "extra"


@dataclass(frozen=True)
class WatchedFolder:
    name: str
    role: FolderRole


@dataclass
class FolderReport:
    folder: str
    unchanged: bool = False
    new: int = 0
    duplicates: int = 0
    read_whole: int = 0
    skipped: int = 0
    interviews: list[str] = field(default_factory=list)
    rescanned: bool = False


class MailSync:
    """Sync passes over one mailbox into one store; `now` and the detector are passed in."""

    def __init__(
        self,
        store: Store,
        me: frozenset[str],
        detector: Detector,
        *,
        now: Callable[[], datetime],
        backfill: timedelta | None,
        dry_run: bool = False,
        reach_back: bool = False,
    ) -> None:
        self.store = store
        self.me = me
        self.detect = detector
        self.now = now
        self.backfill = backfill  # None: the whole folder
        self.dry_run = dry_run
        self.reach_back = reach_back  # read mail older than the first scan did, up to `backfill`

    def folders(self, mailbox: Mailbox) -> list[WatchedFolder]:
        config = mailbox.config.folders
        found = [WatchedFolder(config.inbox, FolderRole.INBOX)]
        sent = mailbox.sent_folder()
        if sent is None:
            log.warning("no Sent folder found: set imap.folders.sent; replies you sent are unseen")
        elif sent != config.inbox:
            found.append(WatchedFolder(sent, FolderRole.SENT))
        for name in config.extra:
            if name not in {f.name for f in found}:
                found.append(WatchedFolder(name, FolderRole.EXTRA))
        return found

    def sync_folder(self, mailbox: Mailbox, folder: WatchedFolder) -> FolderReport:
        report = FolderReport(folder.name)
        status = mailbox.status(folder.name)
        cursor = self.store.cursor(folder.name)
        unchanged = cursor and cursor.uidvalidity == status.uidvalidity
        if unchanged and cursor and cursor.uidnext == status.uidnext and not self.reach_back:
            report.unchanged = True
            return report
        mailbox.examine(folder.name)
        if cursor is None or cursor.uidvalidity != status.uidvalidity:
            if cursor is not None:
                log.warning(
                    "%s: UIDVALIDITY changed (%d -> %d); rescanning it, known messages are kept",
                    folder.name,
                    cursor.uidvalidity,
                    status.uidvalidity,
                )
                report.rescanned = True
            since = self.now() - self.backfill if self.backfill is not None else None
            uids = mailbox.uids_since(since.date() if since else None)
            cursor = Cursor(folder.name, status.uidvalidity, 0, None, None)
            if not self.dry_run:
                with self.store.transaction() as db:
                    self.store.forget_folder_locations(db, folder.name)
        else:
            uids = mailbox.uids_above(cursor.last_uid)
            if self.reach_back:
                uids = self._older_unread(mailbox, folder, status) + uids
        self._read(mailbox, folder, uids, cursor, status, report)
        mailbox.unselect()  # STATUS on a selected folder is discouraged (RFC 3501 6.3.10)
        return report

    def _older_unread(
        self, mailbox: Mailbox, folder: WatchedFolder, status: FolderStatus
    ) -> list[int]:
        """Asked to reach further back than before: the older UIDs not read yet."""
        since = self.now() - self.backfill if self.backfill is not None else None
        known = self.store.known_uids(folder.name, status.uidvalidity)
        return [
            uid for uid in mailbox.uids_since(since.date() if since else None) if uid not in known
        ]

    def _read(
        self,
        mailbox: Mailbox,
        folder: WatchedFolder,
        uids: Sequence[int],
        cursor: Cursor,
        status: FolderStatus,
        report: FolderReport,
    ) -> None:
        first_scan = cursor.last_uid == 0 and len(uids) > BATCH
        if first_scan:
            log.info("%s: reading %d messages for the first time", folder.name, len(uids))
        shown = time.monotonic()
        interviews = self.store.interviews()
        last_uid = cursor.last_uid
        for start in range(0, len(uids), BATCH):
            batch = uids[start : start + BATCH]
            fetched = list(mailbox.fetch_headers(batch))
            envelopes = {f.uid: parse_headers(f.headers, f"{folder.name}/{f.uid}") for f in fetched}
            wanted = self._bodies_wanted(folder, fetched, envelopes)
            bodies = mailbox.fetch_bodies(sorted(wanted))
            last_uid = max(last_uid, *batch)
            if self.dry_run:
                self._count_dry(fetched, envelopes, bodies, report)
            else:
                with self.store.transaction() as db:
                    for item in fetched:
                        self._store_one(
                            db,
                            folder,
                            status,
                            item,
                            envelopes[item.uid],
                            bodies.get(item.uid),
                            interviews,
                            report,
                        )
                    self.store.save_cursor(
                        db,
                        Cursor(
                            folder.name, status.uidvalidity, last_uid, status.highestmodseq, None
                        ),
                        _iso(self.now()),
                    )
            if first_scan and time.monotonic() - shown >= PROGRESS_EVERY_SECONDS:
                shown = time.monotonic()
                log.info("%s: %d of %d messages read", folder.name, start + len(batch), len(uids))
        if not self.dry_run:
            with self.store.transaction() as db:
                self.store.save_cursor(
                    db,
                    Cursor(
                        folder.name,
                        status.uidvalidity,
                        last_uid,
                        status.highestmodseq,
                        status.uidnext,
                    ),
                    _iso(self.now()),
                )

    def _bodies_wanted(
        self,
        folder: WatchedFolder,
        fetched: list[FetchedHeaders],
        envelopes: dict[int, Envelope],
    ) -> set[int]:
        wanted = set()
        for item in fetched:
            envelope = envelopes[item.uid]
            if self.store.message_row(envelope.message_id, item.gm_msgid) is not None:
                continue
            threads_known = self.store.threads_referenced(envelope.references)
            decision = triage(
                envelope,
                from_me=self._from_me(envelope, folder),
                in_job_thread=any(self.store.is_job_thread(t) for t in threads_known),
            )
            log.debug("%s uid %d: %s", folder.name, item.uid, decision.reason)
            if decision.fetch_body:
                wanted.add(item.uid)
        return wanted

    def _from_me(self, envelope: Envelope, folder: WatchedFolder) -> bool:
        sender = envelope.sender.email if envelope.sender else ""
        return sender in self.me or (folder.role is FolderRole.SENT and not sender)

    def _store_one(
        self,
        db: sqlite3.Connection,
        folder: WatchedFolder,
        status: FolderStatus,
        item: FetchedHeaders,
        envelope: Envelope,
        body: bytes | None,
        interviews: list[Interview],
        report: FolderReport,
    ) -> None:
        known = self.store.message_row(envelope.message_id, item.gm_msgid)
        if known is not None:
            self.store.add_location(db, folder.name, status.uidvalidity, item.uid, known[0])
            report.duplicates += 1
            return
        if not item.headers.strip():
            reason = "the server returned no headers for it"
            self.store.add_location(db, folder.name, status.uidvalidity, item.uid, None, reason)
            log.warning("%s uid %d skipped: %s", folder.name, item.uid, reason)
            report.skipped += 1
            return
        detection = self._detect(body, folder, item) if body is not None else None
        thread_id = self._thread_for(db, envelope, item)
        from_me = self._from_me(envelope, folder)
        recipients = frozenset(a.email for a in (*envelope.to, *envelope.cc))
        row = self.store.add_message(
            db,
            StoredMessage(
                message_id=envelope.message_id,
                gm_msgid=item.gm_msgid,
                thread_id=thread_id,
                date=_iso(envelope.date) if envelope.date else None,
                sender=envelope.sender.email if envelope.sender else None,
                sender_name=envelope.sender.name if envelope.sender else "",
                recipients=recipients,
                subject=envelope.subject,
                from_me=from_me,
                automatic=envelope.automatic,
                kind=detection.kind.value if detection else None,
                note=(detection.error or "") if detection else "",
                references=envelope.references,
            ),
        )
        self.store.add_location(db, folder.name, status.uidvalidity, item.uid, row)
        report.new += 1
        if body is not None:
            report.read_whole += 1
        if detection is not None and detection.kind is not Kind.NONE:
            self.store.mark_job_thread(db, thread_id)
            sighting = Sighting(
                detection, f"mail:{envelope.message_id}", thread_id, detection.sequence
            )
            what = apply_sighting(self.store, db, interviews, sighting, _iso(self.now()))
            if what:
                report.interviews.append(what)

    def _detect(self, body: bytes, folder: WatchedFolder, item: FetchedHeaders) -> Detection:
        detection = self.detect(body)
        if detection.error:
            log.info("%s uid %d: %s", folder.name, item.uid, detection.error)
        return detection

    def _thread_for(self, db: sqlite3.Connection, envelope: Envelope, item: FetchedHeaders) -> int:
        linked = self.store.threads_referenced((envelope.message_id, *envelope.references))
        if item.gm_thrid:
            gmail = self.store.thread_by_gmail_id(item.gm_thrid)
            if gmail is not None and gmail not in linked:
                linked.append(gmail)
        if linked:
            keep = min(linked)
            self.store.merge_threads(db, keep, linked)
            return keep
        key = threads.subject_key(envelope.subject)
        if threads.subject_can_join(envelope) and envelope.date is not None:
            since = _iso(envelope.date - threads.SUBJECT_FALLBACK_WINDOW)
            others = threads.others(envelope, self.me)
            for thread_id, people in self.store.threads_by_subject(key, since):
                if others & people:
                    return thread_id
        return self.store.new_thread(db, envelope.subject, key, item.gm_thrid)

    def _count_dry(
        self,
        fetched: list[FetchedHeaders],
        envelopes: dict[int, Envelope],
        bodies: dict[int, bytes],
        report: FolderReport,
    ) -> None:
        for item in fetched:
            report.new += 1
            body = bodies.get(item.uid)
            if body is None:
                continue
            report.read_whole += 1
            detection = self.detect(body)
            if detection.kind is not Kind.NONE:
                subject = envelopes[item.uid].subject
                report.interviews.append(f"would record: {detection.kind.value}: {subject}")


def apply_sighting(
    store: Store, db: sqlite3.Connection, known: list[Interview], sighting: Sighting, at: str
) -> str | None:
    """Merge one sighting into the interviews (updating `known` in place); a log line or None."""
    change = merging.merge(known, sighting)
    if change is None:
        return None
    if change.what in ("unchanged", "stale"):
        if change.interview.id is not None:
            store.add_interview_source(
                db, sighting.source, change.interview.id, sighting.detection.kind.value, at
            )
        return None
    interview_id = store.save_interview(db, change.interview, at)
    store.add_interview_source(db, sighting.source, interview_id, sighting.detection.kind.value, at)
    saved = replace(change.interview, id=interview_id)
    for index, interview in enumerate(known):
        if interview.id == interview_id:
            known[index] = saved
            break
    else:
        known.append(saved)
    line = f"interview {interview_id} {change.what}: {describe(saved)}"
    log.info("%s", line)
    return line


def describe(interview: Interview) -> str:
    when = interview.start.isoformat(timespec="minutes") if interview.start else "no time yet"
    who = interview.company or "unknown company"
    role = f" ({interview.role})" if interview.role else ""
    return f"{who}{role}, {when}, {interview.status.value}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")

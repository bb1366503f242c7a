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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum

from daemon import interviews as merging
from daemon import threads
from daemon.by_hand import local_text
from daemon.envelope import Envelope, parse_headers
from daemon.interviews import Interview, Sighting
from daemon.mail.imap import MAX_BODY_BYTES, FetchedHeaders, FolderStatus, Mailbox
from daemon.model import Detection, Kind
from daemon.store import Cursor, StateNotWritten, Store, StoredMessage
from daemon.store.mail import MAX_LOOKUP
from daemon.triage import about_a_job, is_approval_reply, triage

log = logging.getLogger(__name__)
BATCH = 250
BODY_BYTES_PER_FETCH = 8 << 20
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
    approval_replies: list[bytes] = field(default_factory=list)  # for the follow-up engine


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
        between_batches: Callable[[], bool] = lambda: False,
    ) -> None:
        self.store = store
        self.me = me
        self.detect = detector
        self.now = now
        self.backfill = backfill  # None: the whole folder
        self.dry_run = dry_run
        self.reach_back = reach_back  # read mail older than the first scan did, up to `backfill`
        # Called after every batch (a long first scan keeps the service's watchdog fed); True
        # stops the pass there: the stored cursor resumes it at the next one.
        self.between_batches = between_batches

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
            if start and self.between_batches():
                log.info("%s: stopped after %d of %d messages", folder.name, start, len(uids))
                return  # the cursor keeps no UIDNEXT: the next poll goes on from here
            batch = uids[start : start + BATCH]
            fetched = mailbox.fetch_headers(batch)
            envelopes = {f.uid: parse_headers(f.headers, f"{folder.name}/{f.uid}") for f in fetched}
            state = _Batch(self.store, fetched, envelopes)
            wanted = self._bodies_wanted(folder, fetched, envelopes, state)
            detections = self._read_bodies(
                mailbox, folder, fetched, envelopes, wanted, report, state
            )
            last_uid = max(last_uid, *batch)
            if self.dry_run:
                self._count_dry(fetched, envelopes, detections, report)
            else:
                # Storing only counts and adds interview lines: the counters (a shallow copy,
                # the lists shared) and the lines told are what a set-aside rolls back.
                told = len(report.interviews)
                before = replace(report)
                set_aside: dict[int, str] = {}
                while True:
                    try:
                        self._store_batch(
                            folder, status, last_uid, fetched, envelopes, detections,
                            interviews, state, report, set_aside,
                        )  # fmt: skip
                        break
                    except _Unstorable as exc:
                        # One message the store cannot take (a bug) must not hold back every
                        # message after it: the batch is stored again without it.
                        set_aside[exc.uid] = exc.reason
                        log.warning("%s uid %d skipped: %s", folder.name, exc.uid, exc.reason)
                        vars(report).update(vars(before))
                        del report.interviews[told:]
                        replies = state.replies
                        state = _Batch(self.store, fetched, envelopes)
                        state.replies = replies
                        interviews[:] = self.store.interviews()
                for line in report.interviews[told:]:  # kept now, so said now
                    log.info("%s", line)
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

    def _store_batch(
        self,
        folder: WatchedFolder,
        status: FolderStatus,
        last_uid: int,
        fetched: list[FetchedHeaders],
        envelopes: dict[int, Envelope],
        detections: dict[int, Detection],
        interviews: list[Interview],
        state: _Batch,
        report: FolderReport,
        set_aside: dict[int, str],
    ) -> None:
        """One batch and the cursor that covers it, in one transaction; `set_aside`: messages
        recorded as skipped with the reason instead of stored."""
        with self.store.transaction() as db:
            for item in fetched:
                if item.uid in set_aside:
                    state.locations.append((item.uid, None, set_aside[item.uid]))
                    report.skipped += 1
                    continue
                try:
                    self._store_one(
                        db, folder, item, envelopes[item.uid], detections.get(item.uid),
                        interviews, state, report,
                    )  # fmt: skip
                except (StateNotWritten, sqlite3.OperationalError):
                    raise  # the state cannot be written now: the whole batch waits
                except Exception as exc:
                    why = f"could not be stored (a bug): {type(exc).__name__}: {exc}"
                    raise _Unstorable(item.uid, why[:300]) from exc
            self.store.add_locations(
                db,
                [
                    (folder.name, status.uidvalidity, uid, row, skipped)
                    for uid, row, skipped in state.locations
                ],
            )
            self.store.keep_replies(db, state.replies, _iso(self.now()))
            self.store.save_cursor(
                db,
                Cursor(folder.name, status.uidvalidity, last_uid, status.highestmodseq, None),
                _iso(self.now()),
            )

    def _bodies_wanted(
        self,
        folder: WatchedFolder,
        fetched: list[FetchedHeaders],
        envelopes: dict[int, Envelope],
        state: _Batch,
    ) -> set[int]:
        wanted = set()
        for item in fetched:
            envelope = envelopes[item.uid]
            if state.message_row(envelope.message_id, item.gm_msgid) is not None:
                continue
            threads_known = state.threads_referenced(envelope.references)
            decision = triage(
                envelope,
                from_me=self._from_me(envelope, folder),
                in_job_thread=any(t in state.job_threads for t in threads_known),
            )
            log.debug("%s uid %d: %s", folder.name, item.uid, decision.reason)
            if decision.fetch_body:
                wanted.add(item.uid)
        return wanted

    def _read_bodies(
        self,
        mailbox: Mailbox,
        folder: WatchedFolder,
        fetched: list[FetchedHeaders],
        envelopes: dict[int, Envelope],
        wanted: set[int],
        report: FolderReport,
        state: _Batch,
    ) -> dict[int, Detection]:
        """Fetch the wanted messages whole, a few MB per FETCH, and read each as it comes:
        a batch keeps its detections, never all its bodies at once. A later copy of a message
        in the same batch is stored as a duplicate, so it is not read (a dry run reads all)."""
        order: list[FetchedHeaders] = []
        seen: set[tuple[str, str]] = set()
        for item in fetched:
            ids = {("message-id", envelopes[item.uid].message_id)}
            if item.gm_msgid is not None:
                ids.add(("x-gm-msgid", item.gm_msgid))
            if item.uid in wanted and (self.dry_run or not ids & seen):
                order.append(item)
            if item.headers.strip():
                seen |= ids
        detections = {}
        for chunk in _by_size(order, BODY_BYTES_PER_FETCH):
            for uid, body in mailbox.fetch_bodies(chunk).items():
                if is_approval_reply(envelopes[uid]):
                    report.approval_replies.append(body)  # the follow-up engine reads it
                    state.replies.append(body)  # and it is kept until it has
                    continue
                detections[uid] = (
                    self.detect(body) if self.dry_run else self._detect(body, folder, uid)
                )
        return detections

    def _from_me(self, envelope: Envelope, folder: WatchedFolder) -> bool:
        sender = envelope.sender.email if envelope.sender else ""
        return sender in self.me or (folder.role is FolderRole.SENT and not sender)

    def _store_one(
        self,
        db: sqlite3.Connection,
        folder: WatchedFolder,
        item: FetchedHeaders,
        envelope: Envelope,
        detection: Detection | None,
        interviews: list[Interview],
        state: _Batch,
        report: FolderReport,
    ) -> None:
        """Store one message; `detection` is the detector's reading when it was read whole."""
        row = state.message_row(envelope.message_id, item.gm_msgid)
        if row is not None:
            state.locations.append((item.uid, row, None))
            report.duplicates += 1
            return
        if not item.headers.strip():
            reason = "the server returned no headers for it"
            state.locations.append((item.uid, None, reason))
            log.warning("%s uid %d skipped: %s", folder.name, item.uid, reason)
            report.skipped += 1
            return
        thread_id = self._thread_for(db, envelope, item, state, interviews)
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
                list_mail=envelope.mailing_list,
                reply_to=tuple((a.name, a.email) for a in envelope.reply_to),
            ),
        )
        state.added(envelope, item.gm_msgid, row, thread_id)
        state.locations.append((item.uid, row, None))
        report.new += 1
        if detection is not None:
            report.read_whole += 1
        outcome = _outcome(detection) if detection is not None and not from_me else None
        if outcome is not None and self.store.is_job_thread(thread_id):
            self.store.set_thread_outcome(db, thread_id, outcome)
        decided = detection.decision_by if detection is not None and not from_me else None
        if decided is not None and self.store.is_job_thread(thread_id):
            self.store.set_thread_decision(db, thread_id, decided)
        if about_a_job(envelope):
            self.store.mark_job_thread(db, thread_id)
            state.job_threads.add(thread_id)
        if detection is not None and detection.kind is not Kind.NONE:
            self.store.mark_job_thread(db, thread_id)
            sighting = Sighting(
                detection, f"mail:{envelope.message_id}", thread_id, detection.sequence
            )
            what = apply_sighting(self.store, db, interviews, sighting, _iso(self.now()))
            if what:
                report.interviews.append(what)

    def _detect(self, body: bytes, folder: WatchedFolder, uid: int) -> Detection:
        detection = self.detect(body)
        if detection.error:
            log.info("%s uid %d: %s", folder.name, uid, detection.error)
        return detection

    def _thread_for(
        self,
        db: sqlite3.Connection,
        envelope: Envelope,
        item: FetchedHeaders,
        state: _Batch,
        interviews: list[Interview],
    ) -> int:
        linked = state.threads_referenced((envelope.message_id, *envelope.references))
        if item.gm_thrid:
            gmail = self.store.thread_by_gmail_id(item.gm_thrid)
            if gmail is not None and gmail not in linked:
                linked.append(gmail)
        if linked:
            keep = min(linked)
            if len(linked) > 1:
                self.store.merge_threads(db, keep, linked)
                state.merged(keep, linked)
                # The interviews read before this batch follow their thread, as the store's did.
                for index, interview in enumerate(interviews):
                    if interview.thread_id in linked and interview.thread_id != keep:
                        interviews[index] = replace(interview, thread_id=keep)
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
        detections: dict[int, Detection],
        report: FolderReport,
    ) -> None:
        for item in fetched:
            report.new += 1
            detection = detections.get(item.uid)
            if detection is None:
                continue
            report.read_whole += 1
            if detection.kind is not Kind.NONE:
                subject = envelopes[item.uid].subject
                report.interviews.append(f"would record: {detection.kind.value}: {subject}")


def _by_size(items: list[FetchedHeaders], limit: int) -> Iterator[list[int]]:
    """UIDs in runs whose sizes add up to at most `limit` (a larger message alone)."""
    run: list[int] = []
    total = 0
    for item in items:
        size = min(item.size, MAX_BODY_BYTES)
        if run and total + size > limit:
            yield run
            run, total = [], 0
        run.append(item.uid)
        total += size
    if run:
        yield run


class _Unstorable(Exception):
    """A message the store could not take; the batch is stored again without it."""

    def __init__(self, uid: int, reason: str) -> None:
        super().__init__(reason)
        self.uid = uid
        self.reason = reason


class _Batch:
    """One batch of messages being stored. What the store knew of them before the batch, kept
    current while the batch is stored, so each message costs no lookups (two queries per
    batch): which are stored, and which thread holds each Message-ID the batch mentions, with
    the thread's job flag as it was before the batch (what the body triage reads). And the
    locations to write when the batch ends."""

    def __init__(
        self, store: Store, fetched: list[FetchedHeaders], envelopes: dict[int, Envelope]
    ) -> None:
        ids = [e.message_id for e in envelopes.values()]
        self.rows, self.gmail_rows = store.messages_known(
            ids, [f.gm_msgid for f in fetched if f.gm_msgid is not None]
        )
        mentioned = [*ids, *(ref for e in envelopes.values() for ref in e.references)]
        found = store.threads_of(mentioned)
        self.thread_of = {message_id: thread for message_id, (thread, _) in found.items()}
        self.job_threads = {thread for thread, job in found.values() if job}
        self.locations: list[tuple[int, int | None, str | None]] = []  # uid, row, why skipped
        self.replies: list[bytes] = []  # replies to afterview's requests, kept with the batch

    def message_row(self, message_id: str, gm_msgid: str | None) -> int | None:
        row = self.rows.get(message_id)
        if row is None and gm_msgid is not None:
            row = self.gmail_rows.get(gm_msgid)
        return row

    def threads_referenced(self, ids: Iterable[str]) -> list[int]:
        """As `Store.threads_referenced`, for the ids this batch mentions."""
        wanted = list(dict.fromkeys(ids))[:MAX_LOOKUP]
        return sorted({self.thread_of[i] for i in wanted if i in self.thread_of})

    def added(self, envelope: Envelope, gm_msgid: str | None, row: int, thread: int) -> None:
        self.rows[envelope.message_id] = row
        if gm_msgid is not None:
            self.gmail_rows[gm_msgid] = row
        for ref in (envelope.message_id, *envelope.references):
            self.thread_of.setdefault(ref, thread)  # the store keeps the first thread told

    def merged(self, keep: int, threads: Iterable[int]) -> None:
        gone = set(threads) - {keep}
        for message_id, thread in self.thread_of.items():
            if thread in gone:
                self.thread_of[message_id] = keep


def apply_sighting(
    store: Store, db: sqlite3.Connection, known: list[Interview], sighting: Sighting, at: str
) -> str | None:
    """Merge one sighting into the interviews (updating `known` in place); a line for the log,
    which the caller writes once `db` has committed (a rolled back change is no news), or None."""
    if store.source_ignored(sighting.source):
        return None  # the user said it is not an interview
    change = merging.merge(known, sighting)
    if change is None:
        return None
    if change.interview.id is not None and store.interview_closed(change.interview.id) == "ignored":
        store.ignore_source(
            db, sighting.source, change.interview.id, sighting.detection.kind.value, at
        )
        return None
    if change.kept:  # said once per source: a calendar read again says it again
        level = logging.DEBUG if store.source_seen(sighting.source) else logging.INFO
        log.log(level, "interview %s: a sighting says otherwise about the %s you set by "
                "hand; yours is kept", change.interview.id, " and ".join(change.kept))  # fmt: skip
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
    return f"interview {interview_id} {change.what}: {describe(saved)}"


_OUTCOMES = {"a rejection": "rejection", "an offer": "offer"}


def _outcome(detection: Detection) -> str | None:
    """The detector said why a mail is not an interview: a rejection or an offer ends plans."""
    for reason in detection.reasons:
        if reason in _OUTCOMES:
            return _OUTCOMES[reason]
    return None


def describe(interview: Interview, zone: tzinfo | None = None) -> str:
    """Company (role), time (in `zone` when given, else as stored), status: for a log line."""
    when = "no time yet"
    if interview.start is not None and zone is not None:
        when = local_text(interview.start, zone)
    elif interview.start is not None:
        when = interview.start.isoformat(timespec="minutes")
    who = interview.company or "unknown company"
    role = f" ({interview.role})" if interview.role else ""
    return f"{who}{role}, {when}, {interview.status.value}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")

"""Quiet threads and the daily digest, wired to the store and the mailbox.

`QuietWatch` applies the rules of `quiet.py` to what the store knows and brings the marks up
to date through a `Marker` (the IMAP adapter), recording them so that afterview only ever
removes what it set itself. `DailyDigest` gathers the day's digest and sends it to the user.
"""

from __future__ import annotations

import logging
import secrets
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from daemon.config import Config
from daemon.digest import (
    Digest,
    DigestData,
    OpenInvitation,
    PendingDraft,
    SentNote,
    UpcomingInterview,
    render,
)
from daemon.errors import AfterviewError
from daemon.followup import FollowUps, step_title
from daemon.interviews import Status
from daemon.mail.imap import MarkResult
from daemon.model import Person
from daemon.plan import Calendar
from daemon.quiet import QuietState, mark_changes, quiet_threads
from daemon.store import Store
from daemon.store.followup import FollowUpRecords
from daemon.store.quiet import QuietRecords, StoredMark
from daemon.triage import DIGEST_ID_PREFIX

log = logging.getLogger(__name__)


class Marker(Protocol):
    """The mailbox, as the quiet check uses it."""

    def keyword_uids(self, folder: str, keyword: str) -> list[int]: ...

    def mark(
        self,
        folder: str,
        add: Sequence[int],
        remove: Sequence[int],
        *,
        keyword: str,
        flag: bool,
        label: str | None,
        flagged_by_us: Collection[int] = (),
    ) -> MarkResult: ...


@dataclass
class QuietReport:
    states: list[QuietState] = field(default_factory=list)
    marked: int = 0
    cleared: int = 0
    problems: list[str] = field(default_factory=list)


class QuietWatch:
    """One check: which job threads are quiet now, and their marks brought up to date."""

    def __init__(
        self,
        config: Config,
        me: frozenset[str],
        records: QuietRecords,
        marker: Callable[[], Marker],
        folders: Callable[[], list[str]],
        now: Callable[[], datetime],
        *,
        dry_run: bool = False,
    ) -> None:
        self.config = config
        self.me = me
        self.records = records
        self.marker = marker  # connects on first use: a check with nothing to change needs no IMAP
        self.folders = folders  # the watched folders, the inbox first
        self.now = now
        self.dry_run = dry_run
        self._warned_fallback = False

    def states(self) -> list[QuietState]:
        """The quiet threads now, marks left as they are."""
        followup = self.config.followup
        calendar = Calendar(self.config.account.timezone, followup.weekend, followup.holidays)
        threads = self.records.job_threads(self.me)
        return quiet_threads(threads, self.config.quiet, calendar, self.now())

    def check(self) -> QuietReport:
        report = QuietReport()
        policy = self.config.quiet
        if not self.dry_run and policy.mute:
            muted = self.records.mute_senders(policy.mute)
            if muted:
                log.info("quiet threads: %d thread(s) muted by quiet.mute", muted)
        if not self.dry_run and policy.track_keyword:
            self._track_marked(policy.track_keyword, report)
        report.states = self.states()
        if self.dry_run:
            return report
        stored = {mark.message: mark for mark in self.records.marks()}
        changes = mark_changes({m.thread_id: m.message for m in stored.values()}, report.states)
        states = {state.mark_message: state for state in report.states}
        if not changes.add and not changes.remove:
            return report
        by_folder: dict[str, tuple[list[int], list[StoredMark]]] = defaultdict(lambda: ([], []))
        where: dict[tuple[str, int], int] = {}  # (folder, uid) -> message row, for the adds
        for mark in changes.remove:
            found = stored[mark.message_id]
            by_folder[found.folder][1].append(found)
        folders = self.folders()
        for mark in changes.add:
            location = self.records.location(mark.message_id, folders)
            if location is None:
                continue  # not in a watched folder (yet): marked at a later check
            by_folder[location[0]][0].append(location[1])
            where[location] = mark.message_id
        for folder, (adds, removes) in sorted(by_folder.items()):
            try:
                result = self.marker().mark(
                    folder,
                    adds,
                    [m.uid for m in removes],
                    keyword=policy.keyword,
                    flag=policy.flag,
                    label=policy.label,
                    flagged_by_us=[m.uid for m in removes if m.flagged_by_us],
                )
            except AfterviewError as exc:
                report.problems.append(f"marking quiet threads in {folder}: {exc}")
                continue
            self._warn_once(result, folder)
            for found in removes:
                self.records.drop_mark(found.message)
                report.cleared += 1
            for uid in adds:
                message = where[(folder, uid)]
                state = states[message]
                stored_mark = StoredMark(message, state.thread_id, folder, uid,
                                         result.keyword_used, uid in result.flagged_by_us,
                                         policy.label)  # fmt: skip
                self.records.save_mark(stored_mark, state)
                report.marked += 1
                log.info("thread %d is quiet: %s", state.thread_id, state.reason)
        return report

    def _track_marked(self, keyword: str, report: QuietReport) -> None:
        """Threads the user marked with `quiet.track_keyword` are tracked from then on."""
        for folder in self.folders():
            try:
                uids = self.marker().keyword_uids(folder, keyword)
            except AfterviewError as exc:
                report.problems.append(f"looking for {keyword} in {folder}: {exc}")
                continue
            added = self.records.track_threads_at(folder, uids)
            if added:
                log.info("quiet threads: %d thread(s) in %s tracked for %s", added, folder, keyword)

    def _warn_once(self, result: MarkResult, folder: str) -> None:
        if result.fell_back and not self._warned_fallback:
            self._warned_fallback = True
            log.warning(
                "the IMAP server does not keep new keywords in %s: quiet threads are marked "
                "with \\Flagged instead of %s",
                folder,
                self.config.quiet.keyword,
            )


class DailyDigest:
    """The one email a day: gathered from the store, rendered by `digest.render`, sent to
    the user once per local day at `digest.at` (a restart the same day sends nothing again)."""

    def __init__(
        self,
        config: Config,
        store: Store,
        watch: QuietWatch,
        followups: FollowUps | None,
        now: Callable[[], datetime],
    ) -> None:
        """`followups` sends the digest; without it (a preview) it is only rendered."""
        self.config = config
        self.store = store
        self.watch = watch
        self.followups = followups
        self.notes = followups.records if followups else FollowUpRecords(store, now)
        self.records = QuietRecords(store, now)
        self.now = now
        self.domain = config.account.email.rsplit("@", 1)[-1]

    def due(self) -> bool:
        policy = self.config.digest
        local = self.now().astimezone(self.config.account.timezone)
        if not policy.enabled or local.time() < policy.at:
            return False
        return not self.records.digest_sent_on(local.date().isoformat())  # a read, each minute

    def render(self) -> Digest | None:
        """The digest as it would go out now (`afterview digest --preview`)."""
        return render(
            self._data(),
            user_name=(self.config.account.name.split() or [""])[0],  # "Hi Carol,"
            zone=self.config.account.timezone,
            now=self.now(),
            send_when_empty=self.config.digest.send_when_empty,
        )

    def send(self) -> str:
        """Send today's digest if it is due; a line for the log."""
        if not self.due():
            return "not due"
        local = self.now().astimezone(self.config.account.timezone)
        day = local.date().isoformat()
        message_id, _ = self.records.digest_for(day, _digest_id(local, self.domain))
        digest = self.render()
        if digest is None:
            self.records.digest_sent(day)  # nothing to say today: no mail, and no retry
            return "nothing to say today"
        if self.followups is None or not self.followups.tell_user(
            digest.subject, digest.text, html=digest.html, message_id=message_id, kind="digest"
        ):
            return "not sent; will retry"
        self.records.digest_sent(day)
        return f"sent: {digest.subject}"

    def _data(self) -> DigestData:
        now = self.now()
        records = self.notes
        interviews = [
            UpcomingInterview(
                i.start, i.end, i.company, i.role, i.interviewers, i.meeting_url, i.location, i.id
            )
            for i in self.store.interviews()
            if i.status is Status.SCHEDULED and i.start is not None and i.start > now
        ]
        drafts = [
            PendingDraft(step_title(draft.step), draft.subject, draft.recipients, asked, expires)
            for draft, asked, expires in records.awaiting_answer()
        ]
        last = self.records.last_digest()
        sent = [
            SentNote(at, draft.subject, draft.recipients) for at, draft in records.sent_notes(last)
        ]
        return DigestData(
            interviews=tuple(interviews),
            drafts=tuple(drafts),
            quiet=tuple(self.watch.states()),
            sent=tuple(sent),
            invitations=tuple(self._open_invitations()),
            last_digest=last,
        )

    def _open_invitations(self) -> list[OpenInvitation]:
        found = []
        for interview in self.store.interviews():
            if interview.status is not Status.INVITED or interview.id is None:
                continue
            arrived = self.store.first_seen(interview.id)
            if arrived is None or interview.thread_id is None:
                continue
            answered = self.store.thread_message_times(interview.thread_id, from_me=True)
            if any(moment > arrived for moment in answered):
                continue
            senders = self.store.thread_senders(interview.thread_id)
            sender = Person(senders[0][1] or None, senders[0][0]) if senders else None
            context = self.store.thread_context(interview.thread_id)
            subject = context[0] if context else ""
            found.append(
                OpenInvitation(
                    arrived, interview.company, interview.role, sender, subject, interview.id
                )
            )
        return found


def _digest_id(local: datetime, domain: str) -> str:
    """The digest's Message-ID (without brackets): replies to it are recognised by it."""
    return f"{DIGEST_ID_PREFIX}{local.date().isoformat()}.{secrets.token_hex(8)}@{domain}"


def preview(config: Config, store: Store, now: datetime) -> Digest | None:
    """The digest as it would go out at `now`, read from the state; nothing is sent or marked."""
    clock = lambda: now  # noqa: E731 - the one clock every part reads
    watch = QuietWatch(config, config.my_addresses(), QuietRecords(store, clock), _no_marker,
                       list, clock, dry_run=True)  # fmt: skip
    return DailyDigest(config, store, watch, None, clock).render()


def _no_marker() -> Marker:
    raise AfterviewError("a preview marks nothing")

"""Follow-ups in the engine: due steps become drafts and approval requests (or, for an
unanswered invitation, a reminder to the user); replies act on them; approved notes go out
through the outbox.

The pure parts decide (plan, drafts, approval, outbox); this module reads the facts from the
store, sends the approval requests, reminders and notices to the user, and hands approved
entries to the outbox. Mail to the user goes out directly: it reaches no one else. A note to
anyone else leaves only through `outbox.send_approved`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, make_msgid

from daemon import approval, outbox
from daemon.approval import Action
from daemon.config import Config
from daemon.detect.people import is_robot
from daemon.digest import DigestAnswer, digest_answers
from daemon.drafts import (
    Draft,
    DraftInput,
    Templates,
    ThreadContext,
    mailboxes,
    make_draft,
    one_line,
    read_note,
    reminder_text,
    writable_address,
)
from daemon.errors import AfterviewError
from daemon.interviews import Interview, Status
from daemon.mail import smtp
from daemon.mail.smtp import SendResult
from daemon.model import Person
from daemon.outbox import OutboxEntry, State
from daemon.plan import FollowUpPlan, StepKind, ThreadFacts, plan
from daemon.quiet import no_reply
from daemon.store import Store
from daemon.store.followup import FollowUpRecords, StoredDraft
from daemon.store.quiet import QuietRecords

log = logging.getLogger(__name__)
LOOP_VALUE = "approval"
NOTICE_EVERY = timedelta(minutes=10)  # help and refusal notices are rate-limited
COPY_RETRY_FOR = timedelta(days=7)  # a sent note's missing Sent copy is filed within a week
# Where a note may be skipped from: waiting for an answer, or perhaps not gone out.
_ANSWERABLE = (State.AWAITING_APPROVAL, State.UNKNOWN, State.FAILED)


@dataclass
class FollowUpReport:
    proposed: list[str] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class SentCopies:
    """The Sent folder as the outbox sees it (the `SentFolder` port), over IMAP."""

    def __init__(self, append: Callable[[bytes], None], holds: Callable[[str], bool]) -> None:
        self._append, self._holds = append, holds

    def append(self, message: bytes) -> None:
        self._append(message)

    def holds(self, send_id: str) -> bool:
        return self._holds(send_id)


class FollowUps:
    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        now: Callable[[], datetime],
        sent: SentCopies,
        dry_run: bool = False,
        token: Callable[[], str | None] = lambda: None,
        refresh: Callable[[], None] = lambda: None,
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        self.config = config
        self.store = store
        self.records = FollowUpRecords(store, now)
        self.quiet = QuietRecords(store, now)
        self.now = now
        self.sent = sent
        self.dry_run = dry_run
        self.templates = Templates(config.followup.templates_dir)
        self.user = Person(config.account.name or None, config.account.email)
        self.domain = config.account.email.rsplit("@", 1)[-1]
        self._me = config.my_addresses() | {a.lower() for a in config.approval.approvers}
        self._token = token  # an SMTP XOAUTH2 token, when the config uses one
        self.refresh = refresh  # syncs the mailbox: right before notes go out, it is read again
        self.stopping = stopping  # a stop was asked for: no further note is started
        self._last_notice: datetime | None = None

    # Proposing ----------------------------------------------------------------------------

    def plan_for(self, interview: Interview) -> FollowUpPlan:
        """The interview's plan now, as `propose` reads it (for `afterview status`)."""
        if interview.thread_id is not None and self.quiet.is_muted(interview.thread_id):
            return FollowUpPlan((), stopped="you said MUTE for its thread")
        if interview.id is not None and self.store.interview_closed(interview.id) == "done":
            return FollowUpPlan((), stopped="you marked it done")
        facts = self._facts(interview)
        return plan(interview, facts, self.config.followup, self.config.account.timezone,
                    self.now())  # fmt: skip

    def propose(self, report: FollowUpReport) -> None:
        """Draft every due step that has no draft yet, and ask the user about it."""
        now = self.now()
        for interview in self.store.interviews():
            if interview.id is None or interview.status is Status.CANCELLED:
                continue
            if self.store.interview_closed(interview.id) is not None:
                continue  # the user marked it done (or not an interview)
            if interview.thread_id is not None and self.quiet.is_muted(interview.thread_id):
                continue  # the user said MUTE for this thread
            facts = self._facts(interview)
            found = plan(interview, facts, self.config.followup, self.config.account.timezone, now)
            for step in found.due():
                if step.kind is StepKind.INVITATION_REMINDER:
                    self._remind(interview, report)  # to the user: the employer gets nothing
                    continue
                for recipients in self._recipients(interview):
                    self._propose_one(interview, step.kind, recipients, report)
        for draft_id in self.records.unsent_requests() + self.records.snoozed_due(now):
            self._ask(draft_id, report, why="asking again")
        if not self.dry_run:
            for entry_id in self.records.expired_unanswered(now):
                if self.records.move(entry_id, State.AWAITING_APPROVAL, State.EXPIRED,
                                     detail="the approval request expired unanswered"):  # fmt: skip
                    report.proposed.append(f"note {entry_id} expired unanswered")

    def _propose_one(
        self,
        interview: Interview,
        kind: StepKind,
        recipients: tuple[Person, ...],
        report: FollowUpReport,
    ) -> None:
        assert interview.id is not None
        draft = self._draft(interview, kind, recipients)
        if self.dry_run:
            report.proposed.append(f"would draft {kind.value} to {_names(recipients)}")
            return
        draft_id = self.records.add_draft(
            interview_id=interview.id,
            step=kind.value,
            recipients=recipients,
            subject=draft.subject,
            body=draft.body,
            message_id=draft.message_id,
            in_reply_to=draft.in_reply_to,
            references=draft.references,
            sender=self.config.account.email,
            message=self._message(draft),
            at=self.now(),
        )
        if draft_id is None:
            return  # proposed before
        report.proposed.append(f"drafted {kind.value} to {_names(recipients)}")
        self._ask(draft_id, report, why=_why(kind, interview))

    def _remind(self, interview: Interview, report: FollowUpReport) -> None:
        """One reminder to the user about an invitation they have not answered. It is recorded
        with its Message-ID before it is sent and marked sent after: a restart in between sends
        it again (same Message-ID) only when it has not reached the user's INBOX."""
        assert interview.id is not None
        step, company = StepKind.INVITATION_REMINDER.value, interview.company or "an employer"
        if self.dry_run:
            report.proposed.append(f"would remind you to answer the invitation from {company}")
            return
        fresh = make_msgid(idstring="afterview.remind", domain=self.domain).strip("<>")
        message_id = self.records.add_reminder(interview.id, step, fresh, self.now())
        if message_id is None:
            return  # it went out before
        if self.store.message_row(message_id) is not None:
            self.records.reminder_sent(interview.id, step, self.now(), "found in the mailbox")
            return
        subject, sender = None, None
        if interview.thread_id is not None:
            found = self.store.thread_context(interview.thread_id)
            subject = found[0] if found is not None else None
            senders = self.store.thread_senders(interview.thread_id)  # the newest first
            sender = Person(senders[-1][1] or None, senders[-1][0]) if senders else None
        invited_at = self.store.first_seen(interview.id)
        text = reminder_text(
            company=interview.company,
            role=interview.role,
            sender=sender,
            thread_subject=subject,
            arrived=_local(invited_at, self.config) if invited_at else "unknown",
        )
        if self.tell_user(text.subject, text.body, message_id=message_id):
            self.records.reminder_sent(interview.id, step, self.now(), "sent")
            report.proposed.append(f"reminded you to answer the invitation from {company}")
        else:
            report.problems.append(f"reminder about {company}'s invitation not sent; will retry")

    def _ask(self, draft_id: int, report: FollowUpReport, why: str) -> None:
        """Send an approval request for the draft's current version, with a fresh token."""
        stored = self.records.draft(draft_id)
        if stored is None:
            return
        if self.dry_run:  # a request recorded but never sent would retire the live one
            report.proposed.append(f"would ask you about draft {draft_id}: {why}")
            return
        token = approval.new_token()
        request_id = approval.request_message_id(token.value, self.domain)
        expires = self.now() + self.config.approval.token_ttl
        # The request's Message-ID carries the token: only its digest is kept.
        kept_id = hashlib.sha256(request_id.encode()).hexdigest()
        self.records.request_approval(draft_id, token.digest, kept_id, expires, self.now())
        text = approval.request_text(
            token=token.value,
            what=f"{step_title(stored.step)} to {_names(stored.recipients)}",
            why=why,
            recipients=[_shown(p) for p in stored.recipients if p.email],
            note_subject=stored.subject,
            note_body=stored.body,
            expires=_local(expires, self.config),
        )
        sent = self.tell_user(text.subject, text.body, message_id=request_id)
        if sent:
            self.records.request_sent(token.digest, self.now())
        else:
            report.problems.append(f"approval request for draft {draft_id} not sent; will retry")

    # Replies -------------------------------------------------------------------------------

    def handle_reply(self, raw: bytes, report: FollowUpReport) -> None:
        reply = approval.read_reply(raw)
        key = reply.message_id or reply.digest
        if self.records.reply_handled(key, reply.digest):
            return  # the same message acts at most once (also its copy in Sent)
        if self.dry_run:  # a dry run records nothing: the reply acts at the next real run
            report.replies.append(f"would read a reply: {reply.command.action.value}")
            return
        if self.quiet.is_digest(reply.references):
            self._digest_reply(reply, key, report)
            return
        pending = approval.find_approval(reply, self.records.pending_approvals())
        verdict = approval.check(
            reply,
            pending,
            approvers=self.config.approval.approvers,
            trusted_authserv_id=self.config.approval.trusted_authserv_id,
            now=self.now(),
        )
        if not self.records.mark_reply(key, reply.digest, verdict.reason, self.now()):
            return
        report.replies.append(f"{reply.command.action.value}: {verdict.reason}")
        if not verdict.accepted or verdict.approval is None:
            log.info("reply not acted on: %s", verdict.reason)
            from_approver = (
                bool(reply.senders) and reply.senders[0] in self.config.approval.approvers
            )
            if from_approver and reply.automatic is None and not reply.own_mail:
                self._notice(verdict.reason, pending.draft_id if pending else None)
            return
        command = reply.command
        if command.action is Action.SEND:  # less what the user's mail program added
            own = approval.without_signature(
                command.text, self.config.account.name, self.config.account.signature
            )
            command = replace(command, text=own)
        why = self.act(command, verdict.approval, report)
        if why:
            self._notice(why, verdict.approval.draft_id)

    def refusal(self, command: approval.Command, draft: StoredDraft) -> str | None:
        """Why this answer cannot act on the draft whatever its token (a reason to tell the
        user), or None."""
        if command.action is Action.SEND:
            if command.send_to and draft.recipients:
                return "SEND to (--to at the terminal) is only for a note with no address"
            if not command.send_to and not any(p.email for p in draft.recipients):
                return ("this note has no address yet: reply SEND to someone@company.com (at "
                        f"the terminal: afterview drafts approve {draft.id} --to ...)")  # fmt: skip
        elif command.action is Action.RESEND:
            entry = self.records.entry_of(draft.id)
            if entry is None or entry.state not in (State.UNKNOWN, State.FAILED):
                return "RESEND is only for a note that may not have gone out"
        elif command.action in (Action.SKIP, Action.MUTE, Action.IGNORE):
            # A RESEND request's token stays live after the note turned out to be in Sent:
            # a SKIP then must not rewrite a sent note (nor lower the day's send count).
            entry = self.records.entry_of(draft.id)
            if entry is not None and entry.state not in _ANSWERABLE:
                return (
                    f"that note is {entry.state.value}, so there is nothing to skip "
                    "(afterview thread mute and afterview interview ignore still work)"
                )
        return None

    def _digest_reply(self, reply: approval.Reply, key: str, report: FollowUpReport) -> None:
        """A reply to the digest: `MUTE 12` lines at its top silence those threads, `IGNORE 7`
        lines drop those interviews and their plans. The sender rules of approvals hold; no
        token is needed, as nothing is sent to anyone."""
        refused = approval.sender_refused(
            reply,
            approvers=self.config.approval.approvers,
            trusted_authserv_id=self.config.approval.trusted_authserv_id,
        )
        asked = digest_answers(reply.text) if refused is None else DigestAnswer()
        wanted = asked.mute or asked.ignore
        verdict = refused or ("accepted" if wanted else "no MUTE or IGNORE line at the top")
        if not self.records.mark_reply(key, reply.digest, verdict, self.now()):
            return
        report.replies.append(f"digest reply: {verdict}")
        if refused is not None:
            log.info("digest reply not acted on: %s", refused)
            return
        if not wanted:
            self._notice(
                "to stop tracking a thread, reply with a line like MUTE 12; to drop an "
                "interview that is none, a line like IGNORE 7",
                None,
            )
            return
        muted = [n for n in asked.mute if self.quiet.mute(n)]
        for number in muted:
            report.replies.append(f"muted thread {number}")
        at = self.now().astimezone(UTC).isoformat(timespec="seconds")
        ignored = [n for n in asked.ignore if self.store.ignore_interview(n, at)]
        for number in ignored:
            report.replies.append(f"interview {number} ignored")
        if self.dry_run or not (muted or ignored):
            return
        said, subject = [], []
        if muted:
            listed = ", ".join(f"#{n}" for n in muted)
            said.append(f"afterview will not track {listed} any more.")
            subject.append(f"Muted {listed}")
        if ignored:
            listed = ", ".join(str(n) for n in ignored)
            said.append(f"Interview {listed}: not an interview; no note will follow for it.")
            subject.append(f"Ignored interview {listed}")
        self.tell_user(f"[afterview] {', '.join(subject)}", "\n".join(said) + "\n")

    def act(
        self, command: approval.Command, pending: approval.PendingApproval, report: FollowUpReport
    ) -> str | None:
        """Act on an accepted answer about a draft (a reply, or typed at the terminal), using
        its token. None once it acted; else why not: a reason to tell the user, or "" when the
        note moved on meanwhile. A SEND's text is taken as it is: the note's new body."""
        draft = self.records.draft(pending.draft_id)
        if draft is None:
            return ""
        refused = self.refusal(command, draft)
        if refused is not None:
            return refused
        digest, now = pending.token_digest, self.now()
        action = command.action
        done = False
        if action is Action.SEND:
            recipients = (Person(None, command.send_to),) if command.send_to else draft.recipients
            own = command.text.strip()
            body = own + "\n" if own else draft.body
            message = self._message(_as_draft(draft, body=body, recipients=recipients))
            given = recipients if command.send_to else None
            done = self.records.use_token(
                digest, draft.id, State.APPROVED, now, message=message, recipients=given
            )
            if done:
                report.replies.append(f"approved draft {draft.id}")
        elif action in (Action.SKIP, Action.MUTE, Action.IGNORE):  # the note is skipped
            entry = self.records.entry_of(draft.id)
            current = entry.state if entry is not None else State.AWAITING_APPROVAL
            done = self.records.use_token(digest, draft.id, State.SKIPPED, now, current=current)
            if done and action is Action.MUTE:  # and its thread silenced for good
                interview = self.store.interview(draft.interview_id)
                if interview is not None and interview.thread_id is not None:
                    self.quiet.mute(interview.thread_id)
                    report.replies.append(f"muted thread {interview.thread_id}")
            elif done and action is Action.IGNORE:  # "NOT AN INTERVIEW": the interview goes too
                at = now.astimezone(UTC).isoformat(timespec="seconds")
                self.store.ignore_interview(draft.interview_id, at)
                report.replies.append(f"interview {draft.interview_id} ignored")
        elif action is Action.SNOOZE and command.snooze is not None:
            done = self.records.use_token(
                digest, draft.id, State.AWAITING_APPROVAL, now, snoozed_until=now + command.snooze
            )
        elif action is Action.NOTES:
            self._redraft(draft, command.text, report)
            done = True
        elif action is Action.RESEND:
            entry = self.records.entry_of(draft.id)
            assert entry is not None  # `refusal` saw it
            if entry.state is State.UNKNOWN and self.sent.holds(entry.send_id):
                # It went out after all (a provider files it in Sent on its own): never twice.
                self.records.move(entry.id, State.UNKNOWN, State.SENT, detail="found in Sent")
                self.records.copy_filed(entry.id)
                return "that note is in your Sent folder: it went out, so it is not sent again"
            done = self.records.use_token(digest, draft.id, State.APPROVED, now,
                                          current=entry.state)  # fmt: skip
            if done:
                report.replies.append(f"resend approved for draft {draft.id}")
        return None if done else ""

    def _redraft(self, draft: StoredDraft, notes: str, report: FollowUpReport) -> None:
        interview = self.store.interview(draft.interview_id)
        if interview is None:
            return
        new = self._draft(interview, StepKind(draft.step), draft.recipients, notes)
        message = self._message(_as_draft(draft, body=new.body, recipients=draft.recipients))
        self.records.redraft(draft.id, body=new.body, notes=notes, message=message, at=self.now())
        self._ask(draft.id, report, why="redrafted with your notes")

    # Sending -------------------------------------------------------------------------------

    def send_approved(self, report: FollowUpReport) -> None:
        now = self.now()
        if self.dry_run:
            for entry in self.records.entries([State.SENDING, State.UNKNOWN]):
                report.sent.append(f"would settle {entry.state.value} note {entry.send_id}")
        else:
            self._recover(report)
        cap = self.config.followup.daily_send_cap
        approved = self.records.entries([State.APPROVED])
        if approved and not self.dry_run:
            self.refresh()  # what the employer wrote a minute ago holds the note (below)
            approved = self.records.entries([State.APPROVED])
        for entry in approved:
            if self.stopping():
                return  # the note in flight finished; the rest go after the restart
            if self.records.sent_since(now - timedelta(days=1)) >= cap:
                report.problems.append(f"daily send cap of {cap} reached; the rest wait")
                return
            if self.dry_run:
                report.sent.append(f"would send {entry.send_id} to {', '.join(entry.recipients)}")
                continue
            draft_id = self.records.draft_of_entry(entry.id)
            if self._employer_wrote_since_draft(draft_id):
                if self.records.move(entry.id, State.APPROVED, State.AWAITING_APPROVAL,
                                     detail="the employer wrote after the draft"):  # fmt: skip
                    self._ask(draft_id, report, why="They wrote after this was drafted: check "
                              "it still fits before it goes out.")  # fmt: skip
                continue
            attempt = outbox.send_approved(
                entry, self.records, _Transport(self), self.sent, now,
                append_copy=not self.config.smtp.saves_sent_copy,
            )  # fmt: skip
            # With the why: a refusal, a wait before the retry, a copy to Sent that failed.
            to = ", ".join(entry.recipients)
            report.sent.append(f"{attempt.state.value}: {to} ({attempt.detail})")
            if attempt.state is State.UNKNOWN:  # before asking, a look in Sent
                found = outbox.recover(replace(entry, state=State.UNKNOWN), self.records, self.sent)
                attempt = found if found.state is State.SENT else attempt
            if attempt.state is State.SENT:
                self._confirm(entry, attempt)
            elif attempt.state in (State.FAILED, State.UNKNOWN):
                self._ask_resend(draft_id, entry, attempt.state, attempt.detail, report)

    def _recover(self, report: FollowUpReport) -> None:
        """Settle what a crash left in `sending`, then make sure the user was asked about every
        note that may have gone out or was refused: a crash can come between that state's
        commit and the question, and the question is never lost."""
        for entry in self.records.entries([State.SENDING, State.UNKNOWN]):
            outbox.recover(entry, self.records, self.sent)
        if not self.config.smtp.saves_sent_copy:
            for entry in self.records.copies_missing(self.now() - COPY_RETRY_FOR):
                if outbox.file_copy(entry, self.records, self.sent):
                    report.sent.append(f"copy of {entry.send_id} filed in Sent")
        for entry in self.records.entries([State.UNKNOWN, State.FAILED]):
            draft_id = self.records.draft_of_entry(entry.id)
            if not self.records.open_request(draft_id):
                self._ask_resend(draft_id, entry, entry.state, entry.detail, report)

    def _ask_resend(
        self,
        draft_id: int,
        entry: OutboxEntry,
        state: State,
        detail: str,
        report: FollowUpReport,
    ) -> None:
        """A note that failed, or may or may not have arrived: the user decides (RESEND/SKIP)."""
        to = ", ".join(entry.recipients)
        if state is State.UNKNOWN:
            why = (
                f"The note to {to} may have been delivered: the connection broke after it "
                f"was handed over ({detail}), and it is not in your Sent folder. Check with "
                "the recipient or your provider; reply RESEND to send it again, or SKIP."
            )
        else:
            why = (
                f"The mail server refused the note to {to} ({detail}). Reply RESEND to "
                "try again (after fixing the address, for example), or SKIP."
            )
        self._ask(draft_id, report, why=why)

    def _employer_wrote_since_draft(self, draft_id: int) -> bool:
        draft = self.records.draft(draft_id)
        if draft is None:
            return False
        interview = self.store.interview(draft.interview_id)
        if interview is None or interview.thread_id is None:
            return False
        return any(
            at > draft.created_at
            for at in self.store.thread_message_times(interview.thread_id, from_me=False)
        )

    def _confirm(self, entry: OutboxEntry, attempt: outbox.Attempt) -> None:
        """Tell the user what went out: to whom, when, and the final text; and whom the server
        refused, who never got it."""
        at = _local(self.now(), self.config)
        subject, text = read_note(entry.message)
        to = ", ".join(r for r in entry.recipients if r not in attempt.refused)
        refused = "".join(
            f"Not sent to {r}: the mail server refused it ({why}).\n"
            for r, why in attempt.refused.items()
        )
        body = f"Sent to {to} at {at} ({attempt.detail}).\n{refused}\nSubject: {subject}\n\n{text}"
        not_to = f" (refused: {', '.join(attempt.refused)})" if attempt.refused else ""
        self.tell_user(f"[afterview] Sent: note to {to}{not_to}", body)

    def _notice(self, reason: str, draft_id: int | None) -> None:
        """Tell the user why a reply did nothing; at most one notice per NOTICE_EVERY."""
        now = self.now()
        if self._last_notice is not None and now - self._last_notice < NOTICE_EVERY:
            log.info("notice not sent (one went out recently): %s", reason)
            return
        self._last_notice = now
        which = f" (draft {draft_id})" if draft_id is not None else ""
        body = (
            f"afterview did not act on your reply{which}: {reason}.\n\n"
            "Reply to the approval request itself, with SEND, SKIP, SNOOZE 2d or NOTES ... "
            "on the first line.\n"
        )
        self.tell_user("[afterview] Your reply was not acted on", body)

    # Mail to the user ----------------------------------------------------------------------

    def tell_user(
        self,
        subject: str,
        body: str,
        *,
        html: str | None = None,
        message_id: str | None = None,
        kind: str = LOOP_VALUE,
    ) -> bool:
        """Mail to the user (the approvers) only, with afterview's loop header (`kind` its
        value: "approval", "digest"); True once the server took it (or in a dry run, which
        sends nothing)."""
        if self.dry_run:
            return True
        message = EmailMessage(policy=SMTP)
        message["From"] = mailboxes([Person(self.user.name, self.config.account.email)])
        message["To"] = ", ".join(self.config.approval.approvers)
        message["Subject"] = one_line(subject)
        message["Date"] = format_datetime(self.now())
        message["Message-ID"] = f"<{message_id}>" if message_id else make_msgid(domain=self.domain)
        message[approval.LOOP_HEADER] = kind
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(body, charset="utf-8", cte="quoted-printable")
        if html is not None:
            message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
        result = self._smtp(
            self.config.account.email, list(self.config.approval.approvers), message.as_bytes()
        )
        return result.outcome is smtp.Outcome.SENT

    def _smtp(
        self,
        sender: str,
        recipients: list[str],
        message: bytes,
        before_data: Callable[[], None] = lambda: None,
    ) -> SendResult:
        try:
            token = self._token()
            return asyncio.run(smtp.send(self.config.smtp, sender, recipients, message,
                                         before_data=before_data, token=token))  # fmt: skip
        except AfterviewError as exc:
            return SendResult(smtp.Outcome.RETRY, str(exc))

    # Facts ---------------------------------------------------------------------------------

    def _facts(self, interview: Interview) -> ThreadFacts:
        assert interview.id is not None
        done = {StepKind(k): v for k, v in self.records.done_steps(interview.id).items()}
        employer: tuple[datetime, ...] = ()
        user: tuple[datetime, ...] = ()
        if interview.thread_id is not None:
            employer = tuple(self.store.thread_message_times(interview.thread_id, from_me=False))
            user = tuple(self.store.thread_message_times(interview.thread_id, from_me=True))
        outcome, decision_by = None, None
        if interview.thread_id is not None:
            outcome = self.store.thread_outcome(interview.thread_id)
            decision_by = self.store.thread_decision(interview.thread_id)
        return ThreadFacts(employer_wrote=employer, user_wrote=user, done=done, outcome=outcome,
                           decision_by=decision_by,
                           invited_at=self.store.first_seen(interview.id))  # fmt: skip

    def _recipients(self, interview: Interview) -> list[tuple[Person, ...]]:
        # Only addresses a header can carry as themselves: a hostile one ('"=?...?="@x') is no one.
        people = [
            p
            for p in interview.interviewers
            if p.email and writable_address(p.email) and not is_robot(p.email)
        ]
        if not people and interview.thread_id is not None:
            # Nobody named to meet: the human behind the thread (an ATS's Reply-To, the
            # sender, someone copied in), never a robot or a no-reply sender, never the user.
            people = [
                Person(name or None, address)
                for address, name in self.store.thread_people(interview.thread_id)
                if address not in self._me
                and writable_address(address)
                and not is_robot(address)
                and not no_reply(address)
            ][:1]
        if not people:
            return [()]
        if self.config.followup.thank_you_to == "all":
            return [tuple(people)]
        return [(person,) for person in people]

    def _draft(
        self, interview: Interview, kind: StepKind, recipients: tuple[Person, ...], notes: str = ""
    ) -> Draft:
        """The note for this step of this interview, as the templates write it now."""
        found = DraftInput(
            kind=kind,
            recipients=recipients,
            company=interview.company,
            role=interview.role,
            interview_start=interview.start,
            user=self.user,
            signature=self.config.account.signature,
            notes=notes,
            thread=self._thread(interview),
        )
        return make_draft(found, self.templates, self.config.account.timezone, self.now())

    def _thread(self, interview: Interview) -> ThreadContext | None:
        if interview.thread_id is None:
            return None
        found = self.store.thread_context(interview.thread_id)
        if found is None:
            return None
        subject, last, references = found
        return ThreadContext(subject, last, references)

    def _message(self, draft: Draft) -> bytes:
        headers = [(outbox.SEND_ID_HEADER, draft.message_id), ("Date", format_datetime(self.now()))]
        return draft.message(Person(self.user.name, self.config.account.email), headers).as_bytes()


class _Transport:
    """The outbox's `Transport` port over the SMTP adapter."""

    def __init__(self, followups: FollowUps) -> None:
        self.followups = followups

    def send(self, entry: OutboxEntry, before_data: Callable[[], None]) -> SendResult:
        return self.followups._smtp(entry.sender, list(entry.recipients), entry.message,
                                    before_data)  # fmt: skip


def _as_draft(stored: StoredDraft, *, body: str, recipients: tuple[Person, ...]) -> Draft:
    return Draft(
        kind=StepKind(stored.step),
        recipients=recipients,
        subject=stored.subject,
        body=body,
        message_id=stored.message_id,
        in_reply_to=stored.in_reply_to,
        references=stored.references,
    )


def _names(people: tuple[Person, ...]) -> str:
    return ", ".join(p.name or p.email or "?" for p in people) or "nobody yet"


def _shown(person: Person) -> str:
    return formataddr((person.name or "", person.email or ""))


def step_title(step: str) -> str:
    return {
        "thank_you": "Thank-you note",
        "check_in": "Check-in",
        "second_check_in": "Second check-in",
    }.get(step, step)


def _why(kind: StepKind, interview: Interview) -> str:
    company = interview.company or "the company"
    if kind is StepKind.THANK_YOU:
        return f"Your interview with {company} is over; a thank-you within a day leaves a mark."
    if kind is StepKind.CHECK_IN:
        return f"Nobody at {company} has written since your thank-you."
    return f"Still no answer from {company} since your check-in."


def _local(moment: datetime, config: Config) -> str:
    local = moment.astimezone(config.account.timezone)
    return f"{local:%a %d %b %Y, %H:%M} ({local.tzname()})"


def plans(config: Config, store: Store, now: datetime) -> Callable[[Interview], FollowUpPlan]:
    """Each interview's plan at `now`, read from the state alone (nothing is sent or kept)."""
    return offline(config, store, now).plan_for


def offline(config: Config, store: Store, now: datetime, *, dry_run: bool = True) -> FollowUps:
    """Follow-ups for a command at the terminal: no mail server is reached from them (a send
    or a look in a folder is refused). Without `dry_run`, what they decide is kept."""
    return FollowUps(config, store, now=lambda: now, sent=SentCopies(_nothing, _nowhere),
                     dry_run=dry_run)  # fmt: skip


def _nothing(message: bytes) -> None:
    raise AfterviewError("reading plans sends and files nothing")


def _nowhere(send_id: str) -> bool:
    raise AfterviewError("reading plans looks in no folder")

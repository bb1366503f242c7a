"""Quiet threads: which job conversations have gone silent, on whose side, and since when. Pure.

A thread is looked at only when it is about a job and not muted. About a job: an interview in
it, the detector's or the rules' `job` mark, a message from an applicant-tracking system's mail
host (`detect.cues.is_ats_domain`), or a message carrying the user's `track_keyword`. Then its
last *human* message decides:
- waiting on them: the user wrote it, and `quiet_after` (default 5 business days) has passed;
- waiting on you: someone else wrote it to the user (To or Cc), and `owe_reply_after`
  (default 2 days of clock time) has passed.
Both waits are counted with `plan.Calendar` from that message's date, so business days skip
the weekend and holidays at the same local time, across a DST change. The state holds at the
threshold itself (`now == since + wait`), as the follow-up plan's steps do.

Machines never move a conversation: a message is *automatic* when the adapter says so
(Auto-Submitted, Precedence bulk/list/junk, an autoresponder header, an out-of-office or bounce
subject), when it came through a list (List-Id, List-Unsubscribe), or when its sender is a
no-reply or notification address. An automatic message is neither "the employer answered" nor
"you answered", so an out-of-office after the user's note leaves the thread waiting on them, and
the user's own vacation responder does not settle what they owe. A new human message clears
the state (or turns it round); an automatic one does not. afterview's own mail to the user
(approval requests, digests) is left out entirely.

A thread never counts when only machines stand on the other side and at least one of them is a
list, a newsletter or a no-reply sender: answering a newsletter or an ATS robot is not waiting on
anyone. An out-of-office from a person's address is not such a machine, so a thread where the
user wrote and got only an autoreply still counts.

The keyword goes on the thread's latest message of any kind (what a threaded client shows on
top); `mark_changes` turns the previous marks and the new states into what the adapter must add
and remove.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from daemon.config import QuietPolicy
from daemon.detect.cues import is_ats_domain
from daemon.durations import Duration, format_timedelta
from daemon.model import Person
from daemon.plan import Calendar

# Senders that read nothing: their mail is a notification, an answer to them reaches no one.
_NO_REPLY = re.compile(
    r"^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer-daemon|postmaster|bounces?|"
    r"notifications?|notify)(?:[+._-].*)?$"
    r"|(?:^|[+._-])(?:no[-_]?reply|do[-_]?not[-_]?reply)(?:[+._-]|$)",
    re.IGNORECASE,
)


class Rule(StrEnum):
    WAITING_ON_THEM = "waiting_on_them"  # the user wrote last; nobody has answered
    WAITING_ON_YOU = "waiting_on_you"  # they wrote to the user last; the user has not answered


@dataclass(frozen=True)
class MessageView:
    """One message of a thread, as the quiet rules see it (headers only, no body)."""

    id: int  # the store's message row; the adapter finds its IMAP copies from it
    date: datetime  # aware: the Date header, or when the message was first seen without one
    from_me: bool  # sent by the user (from one of the account's addresses)
    to_me: bool = False  # the user is in To or Cc (a Bcc or a list copy is not "to the user")
    sender: str = ""  # the From address, as written
    sender_name: str = ""
    automatic: bool = False  # Auto-Submitted, Precedence bulk, autoresponder, out-of-office
    list_headers: bool = False  # List-Id or List-Unsubscribe: a list or a newsletter
    afterview: bool = False  # X-Afterview: afterview's own mail to the user, left out entirely
    keywords: frozenset[str] = frozenset()  # IMAP keywords or Gmail labels seen on it

    @property
    def machine(self) -> bool:
        """Written by a machine, or sent to many: never an answer, never a debt."""
        return self.automatic or self.list_headers or no_reply(self.sender)


@dataclass(frozen=True)
class ThreadView:
    """One conversation and what is known about it; `messages` in any order."""

    id: int
    subject: str
    messages: tuple[MessageView, ...]
    job: bool = False  # the detector or the simple rules said it is about an application
    has_interview: bool = False
    muted: bool = False  # the user said MUTE for it (or listed it): never quiet again
    company: str | None = None  # when known, for the digest


@dataclass(frozen=True)
class QuietState:
    thread_id: int
    rule: Rule
    since: datetime  # the last human message, the one still waiting for an answer
    quiet_at: datetime  # `since` plus the policy's wait: when the thread went quiet
    mark_message: int  # the thread's latest message: the one that carries the keyword
    subject: str
    with_whom: Person | None  # the other side's last human sender, when there is one
    company: str | None
    reason: str  # one line, for the log and `afterview status`


@dataclass(frozen=True)
class Mark:
    thread_id: int
    message_id: int  # a store message row


@dataclass(frozen=True)
class MarkChanges:
    """What the adapter sets and clears; applying both is safe in either order."""

    add: tuple[Mark, ...] = ()
    remove: tuple[Mark, ...] = ()


def no_reply(address: str) -> bool:
    """A sender that reads nothing: no-reply@, notifications@, mailer-daemon@."""
    local = address.strip().lower().rsplit("@", 1)[0] if "@" in address else ""
    return bool(local) and bool(_NO_REPLY.search(local))


def excluded(thread: ThreadView, policy: QuietPolicy) -> str | None:
    """Why this thread is never quiet, or None when the rules apply to it."""
    if thread.muted:
        return "muted"
    if not (thread.job or thread.has_interview or _ats(thread) or _tracked(thread, policy)):
        return "not about a job"
    others = [m for m in thread.messages if not m.from_me and not m.afterview]
    if others and all(m.machine for m in others):
        if any(m.list_headers for m in others):
            return "a mailing list or newsletter"
        if any(no_reply(m.sender) for m in others):
            return "only automated senders on the other side"
    return None


def quiet_state(
    thread: ThreadView, policy: QuietPolicy, calendar: Calendar, now: datetime
) -> QuietState | None:
    """The thread's quiet state at `now`, or None while the conversation is moving."""
    if excluded(thread, policy) is not None:
        return None
    # Stable: messages with the same date keep the order the store gave them.
    messages = sorted((m for m in thread.messages if not m.afterview), key=lambda m: m.date)
    human = [m for m in messages if not m.machine]
    if not human:
        return None
    last = human[-1]
    if last.from_me:
        rule, wait = Rule.WAITING_ON_THEM, policy.quiet_after
    elif last.to_me:
        rule, wait = Rule.WAITING_ON_YOU, policy.owe_reply_after
    else:
        return None  # they wrote to others (the user in Bcc, or forwarded): nothing owed
    # In UTC, so a clock wait is elapsed time whatever tzinfo the date came with (aware
    # arithmetic within one ZoneInfo is wall-clock); business days go by `calendar.zone`.
    quiet_at = calendar.add(last.date.astimezone(UTC), wait)
    if now < quiet_at:
        return None
    theirs = [m for m in human if not m.from_me]
    with_whom = _person(theirs[-1]) if theirs else None
    return QuietState(
        thread_id=thread.id,
        rule=rule,
        since=last.date,
        quiet_at=quiet_at,
        mark_message=messages[-1].id,
        subject=thread.subject,
        with_whom=with_whom,
        company=thread.company,
        reason=_reason(rule, wait, with_whom),
    )


def quiet_threads(
    threads: Iterable[ThreadView], policy: QuietPolicy, calendar: Calendar, now: datetime
) -> list[QuietState]:
    """Every quiet thread: waiting on you first, then waiting on them, the longest wait first."""
    found = [s for t in threads if (s := quiet_state(t, policy, calendar, now)) is not None]
    return sorted(found, key=lambda s: (s.rule is not Rule.WAITING_ON_YOU, s.since, s.thread_id))


def marks(states: Iterable[QuietState]) -> dict[int, int]:
    """Thread id -> the message that carries the keyword: what the adapter records once the
    changes are applied."""
    return {s.thread_id: s.mark_message for s in states}


def mark_changes(previous: Mapping[int, int], states: Iterable[QuietState]) -> MarkChanges:
    """What to set and clear, given the marks recorded last time (thread id -> message id).

    Decided per message: a message that keeps the keyword under a new thread id (two threads
    merged) is neither removed nor added, so removing and adding never fight over one message.
    """
    wanted = marks(states)
    wanted_messages = set(wanted.values())
    had_messages = set(previous.values())
    add = [Mark(t, m) for t, m in sorted(wanted.items()) if m not in had_messages]
    remove: dict[int, Mark] = {}  # by message: one recorded under two threads is cleared once
    for thread_id, message_id in sorted(previous.items()):
        if message_id not in wanted_messages and message_id not in remove:
            remove[message_id] = Mark(thread_id, message_id)
    return MarkChanges(add=tuple(add), remove=tuple(remove.values()))


def _ats(thread: ThreadView) -> bool:
    return any(
        not m.from_me and "@" in m.sender and is_ats_domain(m.sender.rsplit("@", 1)[1].strip())
        for m in thread.messages
    )


def _tracked(thread: ThreadView, policy: QuietPolicy) -> bool:
    if not policy.track_keyword:
        return False
    wanted = policy.track_keyword.casefold()  # IMAP keywords match without regard to case
    return any(wanted in {k.casefold() for k in m.keywords} for m in thread.messages)


def _person(message: MessageView) -> Person:
    return Person(name=message.sender_name or None, email=message.sender or None)


def _reason(rule: Rule, wait: Duration, with_whom: Person | None) -> str:
    span = _span(wait)
    if rule is Rule.WAITING_ON_THEM:
        return f"you wrote last and nobody has answered in {span}"
    who = (with_whom.name or with_whom.email) if with_whom is not None else None
    return f"{who or 'they'} wrote to you and you have not answered in {span}"


def _span(wait: Duration) -> str:
    """The wait as a person says it: "5 business days", "2 days", "36 hours"."""
    if wait.business_days:
        return str(wait)
    seconds = int(wait.clock.total_seconds())
    if seconds and seconds % 86400 == 0:
        days = seconds // 86400
        return "1 day" if days == 1 else f"{days} days"
    if seconds and seconds % 3600 == 0:
        hours = seconds // 3600
        return "1 hour" if hours == 1 else f"{hours} hours"
    return format_timedelta(wait.clock)

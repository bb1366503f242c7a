"""The outbox: the exactly-once send state machine, the only code that sends to anyone but the user.

    drafted -> awaiting_approval -> approved -> sending -> sent
                     |    ^             |          |  \\-> unknown -> sent (found in Sent)
                     v    |             v          |          \\---> approved (the user: RESEND)
               skipped, expired      (held)        \\-> approved (not sent: retry) / failed

Every transition is one committed compare-and-set in the store *before* the side effect that
follows it. Inside `sending`, the store also records the phase: `envelope` until the message has
been written and only the final dot is left, then `data` (a server keeps nothing before the
dot). After a crash, an entry in `sending`/`envelope` was never handed over and goes back to
`approved`; one in `sending`/`data` may have been delivered, so it becomes `unknown`, is looked
for in Sent by its X-Afterview-Send-Id, and is never resent blindly. Around every commit and
side effect sits a named `checkpoint`, where the crash tests kill the process.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from daemon.checkpoints import checkpoint
from daemon.mail.smtp import Outcome, SendResult

SEND_ID_HEADER = "X-Afterview-Send-Id"
RETRY_BASE = timedelta(minutes=2)
RETRY_MAX = timedelta(hours=2)
MAX_ATTEMPTS = 12


class State(StrEnum):
    DRAFTED = "drafted"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    SENDING = "sending"
    SENT = "sent"
    UNKNOWN = "unknown"
    SKIPPED = "skipped"
    EXPIRED = "expired"
    FAILED = "failed"


class Phase(StrEnum):
    ENVELOPE = "envelope"  # connecting, logging in, MAIL FROM, RCPT TO: nothing handed over
    DATA = "data"  # the message data is going out: it may arrive


ALLOWED: dict[State, frozenset[State]] = {
    State.DRAFTED: frozenset({State.AWAITING_APPROVAL, State.SKIPPED, State.EXPIRED}),
    State.AWAITING_APPROVAL: frozenset(
        {State.APPROVED, State.SKIPPED, State.EXPIRED, State.DRAFTED}
    ),
    State.APPROVED: frozenset({State.SENDING, State.AWAITING_APPROVAL, State.SKIPPED}),
    State.SENDING: frozenset({State.SENT, State.APPROVED, State.FAILED, State.UNKNOWN}),
    State.UNKNOWN: frozenset({State.SENT, State.APPROVED, State.SKIPPED}),
    State.SENT: frozenset(),
    State.SKIPPED: frozenset(),
    State.EXPIRED: frozenset(),
    State.FAILED: frozenset({State.APPROVED, State.SKIPPED}),  # RESEND or SKIP by the user
}
FINAL = frozenset({State.SENT, State.SKIPPED, State.EXPIRED})


class IllegalTransition(Exception):
    """A bug: the state machine forbids this move."""


def allowed(current: State, target: State) -> bool:
    return target in ALLOWED[current]


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    state: State
    send_id: str  # the Message-ID fixed at drafting, also in X-Afterview-Send-Id
    sender: str
    recipients: tuple[str, ...]
    message: bytes  # exactly what goes out, headers included
    phase: Phase | None = None
    attempts: int = 0
    not_before: datetime | None = None
    detail: str = ""


class OutboxStore(Protocol):
    """The store's side of the outbox: each call is one committed transaction."""

    def move(
        self,
        entry_id: int,
        current: State,
        target: State,
        *,
        phase: Phase | None = None,
        detail: str = "",
        not_before: datetime | None = None,
        attempts: int | None = None,
    ) -> bool:
        """Compare-and-set: move from `current` to `target` if it is still `current`."""
        ...

    def set_phase(self, entry_id: int, phase: Phase) -> None: ...

    def copy_filed(self, entry_id: int) -> None:
        """The sent note's copy is in the Sent folder (or the provider files it)."""
        ...


class Transport(Protocol):
    def send(self, entry: OutboxEntry, before_data: Callable[[], None]) -> SendResult: ...


class SentFolder(Protocol):
    def append(self, message: bytes) -> None: ...

    def holds(self, send_id: str) -> bool: ...


@dataclass(frozen=True)
class Attempt:
    state: State
    detail: str
    refused: dict[str, str] = field(default_factory=dict)  # sent, but not to these (the reply)


def send_approved(
    entry: OutboxEntry,
    store: OutboxStore,
    transport: Transport,
    sent: SentFolder,
    now: datetime,
    *,
    append_copy: bool = True,
) -> Attempt:
    """Send one approved entry once; `append_copy` is False when the provider files sent mail
    itself (Gmail)."""
    if entry.state is not State.APPROVED:
        raise IllegalTransition(f"entry {entry.id} is {entry.state}, not approved")
    if entry.not_before is not None and now < entry.not_before:
        return Attempt(State.APPROVED, "waiting to retry")
    checkpoint("approved-before-commit")
    if not store.move(entry.id, State.APPROVED, State.SENDING, phase=Phase.ENVELOPE):
        return Attempt(entry.state, "another run took it")  # never two senders for one entry
    checkpoint("sending-committed")

    def before_data() -> None:  # the message is written; the final dot is next
        checkpoint("message-written")
        store.set_phase(entry.id, Phase.DATA)
        checkpoint("data-phase-committed")

    result = transport.send(entry, before_data)
    checkpoint("smtp-answered")
    attempts = entry.attempts + 1
    if result.outcome is Outcome.SENT:
        checkpoint("sent-before-commit")
        try:
            store.move(entry.id, State.SENDING, State.SENT, detail=result.detail, attempts=attempts)
        except Exception:
            # It went out, but the state could not say so (a full disk): the copy in Sent says
            # it, and the recovery, finding it there, records `sent` instead of asking the user.
            if append_copy:
                with contextlib.suppress(Exception):
                    sent.append(entry.message)
            raise
        checkpoint("sent-committed")
        if append_copy:
            checkpoint("sent-copy-appending")
            try:
                sent.append(entry.message)
            except Exception as exc:  # a failed APPEND never makes a sent message a failure
                copy = f"sent; the copy to Sent failed, retried later: {exc}"
                return Attempt(State.SENT, copy, result.refused)
            checkpoint("sent-copy-appended")
        store.copy_filed(entry.id)
        return Attempt(State.SENT, result.detail, result.refused)
    if result.outcome is Outcome.UNKNOWN:
        store.move(entry.id, State.SENDING, State.UNKNOWN, detail=result.detail, attempts=attempts)
        return Attempt(State.UNKNOWN, result.detail)
    if result.outcome is Outcome.RETRY and attempts < MAX_ATTEMPTS:
        wait = min(RETRY_MAX, RETRY_BASE * 2 ** (attempts - 1))
        store.move(
            entry.id,
            State.SENDING,
            State.APPROVED,
            detail=result.detail,
            not_before=now + wait,
            attempts=attempts,
        )
        return Attempt(State.APPROVED, f"not sent, retrying in {wait}: {result.detail}")
    store.move(entry.id, State.SENDING, State.FAILED, detail=result.detail, attempts=attempts)
    return Attempt(State.FAILED, result.detail)


def recover(entry: OutboxEntry, store: OutboxStore, sent: SentFolder) -> Attempt:
    """After a restart: settle an entry left in `sending` (or still `unknown`)."""
    if entry.state is State.SENDING and entry.phase is not Phase.DATA:
        store.move(entry.id, State.SENDING, State.APPROVED, detail="interrupted before the data")
        return Attempt(State.APPROVED, "interrupted before the data went out; will send")
    if entry.state is State.SENDING:
        store.move(entry.id, State.SENDING, State.UNKNOWN, detail="interrupted while sending")
        checkpoint("recover-unknown-committed")
        entry = replace(entry, state=State.UNKNOWN)
    if entry.state is not State.UNKNOWN:
        return Attempt(entry.state, "nothing to recover")
    if sent.holds(entry.send_id):
        store.move(entry.id, State.UNKNOWN, State.SENT, detail="found in Sent")
        store.copy_filed(entry.id)
        return Attempt(State.SENT, "found in Sent")
    return Attempt(State.UNKNOWN, "maybe sent: ask the user (reply RESEND to send it again)")


def file_copy(entry: OutboxEntry, store: OutboxStore, sent: SentFolder) -> bool:
    """A sent note whose copy never reached Sent (a crash right after the send, or a failed
    APPEND): filed now, once; True when it is there. The Sent folder is looked at first, so a
    copy that made it before the crash is not filed twice."""
    try:
        if not sent.holds(entry.send_id):
            sent.append(entry.message)
    except Exception:  # the next pass tries again
        return False
    store.copy_filed(entry.id)
    return True

"""The outbox state machine with in-memory ports: every outcome, every recovery path.

The real store, SMTP server and Sent folder are exercised by the integration tests; here the
ports are plain objects that record what happened, so each rule of the machine has its test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest

from daemon import outbox
from daemon.mail.smtp import Outcome, SendResult
from daemon.outbox import (
    ALLOWED,
    MAX_ATTEMPTS,
    IllegalTransition,
    OutboxEntry,
    Phase,
    State,
    file_copy,
    recover,
    send_approved,
)

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
ENTRY = OutboxEntry(
    1,
    State.APPROVED,
    "s1@example.test",
    "carol@example.test",
    ("dana@lumen.example",),
    b"Subject: hi\r\n\r\nhi\r\n",
)


@dataclass
class Store:
    state: State = State.APPROVED
    phase: Phase | None = None
    log: list[str] = field(default_factory=list)
    fields: dict[str, object] = field(default_factory=dict)

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
        assert target in ALLOWED[current], f"{current} -> {target}"
        if self.state is not current:
            return False
        self.state, self.phase = target, phase
        self.fields = {"not_before": not_before, "attempts": attempts, "detail": detail}
        self.log.append(f"{current}->{target}")
        return True

    def set_phase(self, entry_id: int, phase: Phase) -> None:
        self.phase = phase
        self.log.append(f"phase {phase}")

    def copy_filed(self, entry_id: int) -> None:
        self.log.append("copy filed")


@dataclass
class Transport:
    result: SendResult
    data_reached: bool = True
    sent: list[bytes] = field(default_factory=list)

    def send(self, entry: OutboxEntry, before_data: Callable[[], None]) -> SendResult:
        if self.data_reached:
            before_data()
        if self.result.outcome in (Outcome.SENT, Outcome.UNKNOWN):
            self.sent.append(entry.message)
        return self.result


@dataclass
class Sent:
    copies: list[bytes] = field(default_factory=list)
    fail: bool = False
    known: set[str] = field(default_factory=set)

    def append(self, message: bytes) -> None:
        if self.fail:
            raise OSError("APPEND failed")
        self.copies.append(message)

    def holds(self, send_id: str) -> bool:
        return send_id in self.known


def test_a_send_commits_sending_then_the_data_phase_then_sent_then_copies_to_sent() -> None:
    store, sent = Store(), Sent()
    attempt = send_approved(ENTRY, store, Transport(SendResult(Outcome.SENT, "250 ok")), sent, NOW)
    assert attempt.state is State.SENT
    assert store.log == ["approved->sending", "phase data", "sending->sent", "copy filed"]
    assert sent.copies == [ENTRY.message]


def test_the_provider_s_own_sent_copy_is_not_doubled() -> None:
    sent = Sent()
    send_approved(
        ENTRY, Store(), Transport(SendResult(Outcome.SENT, "250")), sent, NOW, append_copy=False
    )
    assert sent.copies == []


def test_a_failed_append_never_makes_a_sent_message_a_failure() -> None:
    store = Store()
    attempt = send_approved(
        ENTRY, store, Transport(SendResult(Outcome.SENT, "250")), Sent(fail=True), NOW
    )
    assert attempt.state is State.SENT and store.state is State.SENT
    assert "copy to Sent failed" in attempt.detail
    assert "copy filed" not in store.log  # so a later pass files it


@pytest.mark.parametrize("append_fails", [False, True])
def test_recipients_the_server_refused_are_recorded_and_handed_on(append_fails: bool) -> None:
    refused = {"eve@lumen.example": "550 5.1.1 no such user"}
    result = SendResult(Outcome.SENT, "250 ok; refused: eve@lumen.example (550 5.1.1 ...)",
                        ("dana@lumen.example",), refused)  # fmt: skip
    store = Store()
    attempt = send_approved(ENTRY, store, Transport(result), Sent(fail=append_fails), NOW)
    assert attempt.state is State.SENT and attempt.refused == refused  # for the confirmation
    assert store.fields["detail"] == result.detail  # in the state, with the server's reply


def test_a_missing_copy_is_filed_once_and_never_doubled() -> None:
    store, sent = Store(), Sent()
    assert file_copy(ENTRY, store, sent) and sent.copies == [ENTRY.message]
    store_again, already = Store(), Sent(known={ENTRY.send_id})
    assert file_copy(ENTRY, store_again, already) and already.copies == []  # it made it before
    assert store.log == store_again.log == ["copy filed"]
    assert not file_copy(ENTRY, Store(), Sent(fail=True))  # the next pass tries again


def test_a_temporary_failure_is_retried_later_with_backoff() -> None:
    store = Store()
    attempt = send_approved(
        ENTRY, store, Transport(SendResult(Outcome.RETRY, "451"), False), Sent(), NOW
    )
    assert attempt.state is State.APPROVED and store.state is State.APPROVED
    assert store.fields["not_before"] == NOW + timedelta(minutes=2)
    again = replace(ENTRY, attempts=3, not_before=NOW + timedelta(minutes=8))
    waiting = send_approved(again, Store(), Transport(SendResult(Outcome.SENT, "250")), Sent(), NOW)
    assert waiting.detail == "waiting to retry"


def test_retries_end_in_failed() -> None:
    store = Store()
    last = replace(ENTRY, attempts=MAX_ATTEMPTS - 1)
    attempt = send_approved(last, store, Transport(SendResult(Outcome.RETRY, "451")), Sent(), NOW)
    assert attempt.state is State.FAILED


def test_a_permanent_refusal_is_failed_and_never_retried() -> None:
    store = Store()
    attempt = send_approved(ENTRY, store, Transport(SendResult(Outcome.FAILED, "550")), Sent(), NOW)
    assert attempt.state is State.FAILED and store.state is State.FAILED
    assert State.SENDING not in ALLOWED[State.FAILED]


def test_a_lost_answer_after_the_data_is_unknown_and_not_retried() -> None:
    store = Store()
    attempt = send_approved(
        ENTRY, store, Transport(SendResult(Outcome.UNKNOWN, "eof")), Sent(), NOW
    )
    assert attempt.state is State.UNKNOWN
    assert State.SENDING not in ALLOWED[State.UNKNOWN]


def test_two_runs_never_send_the_same_entry() -> None:
    store = Store(state=State.SENDING)  # another run moved it first
    transport = Transport(SendResult(Outcome.SENT, "250"))
    attempt = send_approved(ENTRY, store, transport, Sent(), NOW)
    assert attempt.detail == "another run took it" and transport.sent == []


def test_only_approved_entries_are_sent() -> None:
    with pytest.raises(IllegalTransition):
        send_approved(
            replace(ENTRY, state=State.AWAITING_APPROVAL),
            Store(),
            Transport(SendResult(Outcome.SENT, "")),
            Sent(),
            NOW,
        )


def test_recovery_before_the_data_sends_again() -> None:
    store = Store(state=State.SENDING, phase=Phase.ENVELOPE)
    entry = replace(ENTRY, state=State.SENDING, phase=Phase.ENVELOPE)
    assert recover(entry, store, Sent()).state is State.APPROVED


def test_recovery_after_the_data_looks_in_sent_first() -> None:
    entry = replace(ENTRY, state=State.SENDING, phase=Phase.DATA)
    found = recover(entry, Store(state=State.SENDING), Sent(known={ENTRY.send_id}))
    assert found.state is State.SENT
    missing = recover(entry, Store(state=State.SENDING), Sent())
    assert missing.state is State.UNKNOWN and "RESEND" in missing.detail


def test_nothing_leaves_a_final_state() -> None:
    for final in (State.SENT, State.SKIPPED, State.EXPIRED):
        assert ALLOWED[final] == frozenset()


def test_the_crash_tests_can_stop_a_send_before_and_after_every_commit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    passed: list[str] = []
    monkeypatch.setattr(outbox, "checkpoint", passed.append)
    send_approved(ENTRY, Store(), Transport(SendResult(Outcome.SENT, "250")), Sent(), NOW)
    assert passed == [
        "approved-before-commit",
        "sending-committed",
        "message-written",  # inside the SMTP session, after the smtp-* steps of daemon.mail.smtp
        "data-phase-committed",
        "smtp-answered",
        "sent-before-commit",
        "sent-committed",
        "sent-copy-appending",
        "sent-copy-appended",
    ]
    passed.clear()
    entry = replace(ENTRY, state=State.SENDING, phase=Phase.DATA)
    recover(entry, Store(state=State.SENDING), Sent())
    assert passed == ["recover-unknown-committed"]

"""Follow-ups over a real store with SMTP replaced: the reminder about an unanswered invitation
goes to the user once (also across restarts), the decision date reaches the plan, and a note
left `unknown` by a crash is never left without a question to the user."""

from __future__ import annotations

import email
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.policy import default
from pathlib import Path
from typing import Any

import pytest

from daemon.config import Config, load_config
from daemon.followup import FollowUpReport, FollowUps, SentCopies
from daemon.interviews import Interview, Status
from daemon.mail.smtp import Outcome, SendResult
from daemon.model import Person
from daemon.outbox import Phase, State
from daemon.store import Store, StoredMessage
from daemon.store.followup import FollowUpRecords
from daemon.store.quiet import QuietRecords

CAROL, BOB = "carol@example.test", "bob@lumen.example"
ARRIVED = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # Monday, 10:00 in Berlin
DUE = ARRIVED + timedelta(hours=25)


@dataclass
class Outgoing:
    """Stands in for the SMTP server: what was sent, and whether it is reachable."""

    mails: list[tuple[list[str], email.message.EmailMessage]] = field(default_factory=list)
    down: bool = False


class Recorded(FollowUps):
    outgoing: Outgoing

    def _smtp(self, sender: str, recipients: list[str], message: bytes, *_: Any) -> SendResult:
        if self.outgoing.down:
            return SendResult(Outcome.RETRY, "connect: refused")
        parsed = email.message_from_bytes(message, policy=default)
        assert isinstance(parsed, email.message.EmailMessage)
        self.outgoing.mails.append((recipients, parsed))
        return SendResult(Outcome.SENT, "250 ok")


@pytest.fixture
def config(tmp_path: Path) -> Config:
    secret = tmp_path / "pw"
    secret.write_text("pw\n")
    secret.chmod(0o600)
    path = tmp_path / "config.yaml"
    path.write_text(f"""
account: {{email: {CAROL}, name: Carol Candidate, timezone: Europe/Berlin}}
imap: {{host: imap.example.test, password_file: {secret}}}
smtp: {{host: smtp.example.test, password_file: {secret}}}
state_dir: {tmp_path / "state"}
""")  # fmt: skip
    path.chmod(0o600)
    return load_config(path)


@pytest.fixture
def store(config: Config) -> Any:
    with Store(config.state_dir) as opened:
        yield opened


def followups(
    config: Config, store: Store, outgoing: Outgoing, now: datetime, dry_run: bool = False
) -> Recorded:
    found = Recorded(
        config,
        store,
        now=lambda: now,
        sent=SentCopies(lambda _: None, lambda _: False),
        dry_run=dry_run,
    )
    found.outgoing = outgoing
    return found


def message(message_id: str, thread: int, at: datetime, **extra: Any) -> StoredMessage:
    fields: dict[str, Any] = {
        "message_id": message_id,
        "gm_msgid": None,
        "thread_id": thread,
        "date": at.isoformat(),
        "sender": BOB,
        "sender_name": "Bob Interviewer",
        "recipients": frozenset({CAROL}),
        "subject": "Interview for the Data Engineer role",
        "from_me": False,
        "automatic": False,
        "kind": "invitation",
        "note": "",
        "references": (),
    }
    fields.update(extra)
    return StoredMessage(**fields)


def invited(store: Store) -> tuple[int, int]:
    """An invitation without a time from Bob, as the sync records it: (interview, thread)."""
    at = ARRIVED.isoformat()
    with store.transaction() as db:
        thread = store.new_thread(db, "Interview for the Data Engineer role", "interview", None)
        store.add_message(db, message("inv@lumen.example", thread, ARRIVED))
        interview = Interview(None, Status.INVITED, "Lumen Labs", "Data Engineer", thread_id=thread)
        interview_id = store.save_interview(db, interview, at)
        store.add_interview_source(db, "mail:inv@lumen.example", interview_id, "invitation", at)
    return interview_id, thread


def test_an_unanswered_invitation_reminds_the_user_once(config: Config, store: Store) -> None:
    interview_id, _ = invited(store)
    outgoing = Outgoing()
    followups(config, store, outgoing, ARRIVED + timedelta(hours=23)).propose(FollowUpReport())
    assert outgoing.mails == []  # not yet
    report = FollowUpReport()
    followups(config, store, outgoing, DUE).propose(report)
    [(recipients, reminder)] = outgoing.mails
    assert recipients == [CAROL]  # the approver, never Bob
    assert reminder["X-Afterview"] == "approval" and reminder["Auto-Submitted"]
    assert "answer the interview invitation from Lumen Labs" in str(reminder["Subject"])
    body = reminder.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Subject:  Interview for the Data Engineer role" in body
    assert "Arrived:  Mon 30 Nov 2026, 10:00 (CET)" in body
    assert "Bob Interviewer <bob@lumen.example>" in body
    assert report.proposed == ["reminded you to answer the invitation from Lumen Labs"]
    # Later passes, and a restarted daemon, send nothing more.
    followups(config, store, outgoing, DUE + timedelta(minutes=1)).propose(FollowUpReport())
    followups(config, store, outgoing, DUE + timedelta(days=1)).propose(FollowUpReport())
    assert len(outgoing.mails) == 1
    assert "invitation_reminder" in FollowUpRecords(store).done_steps(interview_id)


def test_a_reminder_that_did_not_go_out_is_retried_with_its_message_id(
    config: Config, store: Store
) -> None:
    invited(store)
    outgoing = Outgoing(down=True)
    report = FollowUpReport()
    followups(config, store, outgoing, DUE).propose(report)
    assert outgoing.mails == [] and "not sent; will retry" in report.problems[0]
    first_id = store.db.execute("SELECT message_id FROM reminder").fetchone()[0]
    outgoing.down = False
    followups(config, store, outgoing, DUE + timedelta(minutes=1)).propose(FollowUpReport())
    followups(config, store, outgoing, DUE + timedelta(minutes=2)).propose(FollowUpReport())
    [(_, reminder)] = outgoing.mails
    assert reminder["Message-ID"].strip() == f"<{first_id}>"


def test_a_reminder_already_in_the_inbox_is_not_sent_again(config: Config, store: Store) -> None:
    """A crash after the reminder went out and before it was marked sent: the sync found it."""
    interview_id, _ = invited(store)
    records = FollowUpRecords(store)
    sent_id = records.add_reminder(interview_id, "invitation_reminder", "r1@example.test", DUE)
    assert sent_id == "r1@example.test"
    with store.transaction() as db:
        inbox = store.new_thread(db, "[afterview] Reminder", "reminder", None)
        store.add_message(
            db, message(sent_id, inbox, DUE, sender=CAROL, from_me=True, automatic=True)
        )
    outgoing = Outgoing()
    followups(config, store, outgoing, DUE + timedelta(minutes=1)).propose(FollowUpReport())
    assert outgoing.mails == []
    assert "invitation_reminder" in records.done_steps(interview_id)
    assert records.add_reminder(interview_id, "invitation_reminder", "r2@x", DUE) is None


def test_no_reminder_once_the_user_answered(config: Config, store: Store) -> None:
    _, thread = invited(store)
    with store.transaction() as db:
        answer = message("ans@example.test", thread, ARRIVED + timedelta(hours=3),
                         sender=CAROL, from_me=True)  # fmt: skip
        store.add_message(db, answer)
    outgoing = Outgoing()
    followups(config, store, outgoing, DUE).propose(FollowUpReport())
    assert outgoing.mails == []


def test_a_dry_run_reminds_nobody_and_records_nothing(config: Config, store: Store) -> None:
    interview_id, _ = invited(store)
    outgoing, report = Outgoing(), FollowUpReport()
    followups(config, store, outgoing, DUE, dry_run=True).propose(report)
    assert outgoing.mails == []
    assert report.proposed == ["would remind you to answer the invitation from Lumen Labs"]
    assert store.db.execute("SELECT COUNT(*) FROM reminder").fetchone()[0] == 0
    assert FollowUpRecords(store).done_steps(interview_id) == {}


def test_the_thread_s_decision_date_reaches_the_plan(config: Config, store: Store) -> None:
    interview_id, thread = invited(store)
    found = followups(config, store, Outgoing(), DUE)
    interview = store.interview(interview_id)
    assert interview is not None
    assert found._facts(interview).decision_by is None
    with store.transaction() as db:
        store.set_thread_decision(db, thread, date(2026, 12, 11))
    assert found._facts(interview).decision_by == date(2026, 12, 11)


def test_a_note_left_unknown_by_a_crash_before_the_question_is_asked_about(
    config: Config, store: Store
) -> None:
    """The entry became `unknown` and the process died before asking: the next pass asks,
    once."""
    interview_id, _ = invited(store)
    records = FollowUpRecords(store, lambda: DUE)
    draft_id = records.add_draft(
        interview_id=interview_id, step="thank_you", recipients=(Person("Bob", BOB),),
        subject="Thank you", body="Thanks!\n", message_id="n1@example.test", in_reply_to=None,
        references=(), sender=CAROL, message=b"Subject: Thank you\r\n\r\nThanks!\r\n", at=DUE,
    )  # fmt: skip
    assert draft_id is not None
    records.request_approval(draft_id, "digest", "req@example.test", DUE + timedelta(days=3), DUE)
    assert records.use_token("digest", draft_id, State.APPROVED, DUE)
    [entry] = records.entries([State.APPROVED])
    assert records.move(entry.id, State.APPROVED, State.SENDING, phase=Phase.DATA)
    assert records.move(entry.id, State.SENDING, State.UNKNOWN, detail="interrupted")
    outgoing = Outgoing()
    followups(config, store, outgoing, DUE + timedelta(minutes=5)).send_approved(FollowUpReport())
    followups(config, store, outgoing, DUE + timedelta(hours=1)).send_approved(FollowUpReport())
    [(recipients, ask)] = outgoing.mails
    assert recipients == [CAROL]
    assert "RESEND" in ask.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert records.open_request(draft_id)


def test_a_note_with_nobody_named_goes_to_the_ats_mail_s_reply_to(
    config: Config, store: Store
) -> None:
    at = ARRIVED.isoformat()
    with store.transaction() as db:
        thread = store.new_thread(db, "Interview confirmed", "interview confirmed", None)
        dana = (("Dana Lee", "dana.lee@lumen.example"),)
        store.add_message(db, message("ats@x", thread, ARRIVED, sender="no-reply@greenhouse.io",
                                      sender_name="Lumen Labs", reply_to=dana))  # fmt: skip
        interview = Interview(None, Status.SCHEDULED, "Lumen Labs", thread_id=thread,
                              start=ARRIVED + timedelta(days=1))  # fmt: skip
        interview_id = store.save_interview(db, interview, at)
    found = followups(config, store, Outgoing(), DUE)
    saved = store.interview(interview_id)
    assert saved is not None
    assert found._recipients(saved) == [(Person("Dana Lee", "dana.lee@lumen.example"),)]


def test_a_dry_run_reads_a_reply_but_records_and_acts_on_nothing(
    config: Config, store: Store
) -> None:
    raw = (
        f"From: {CAROL}\r\nTo: {CAROL}\r\nSubject: Re: [afterview] Send? [av:{'x' * 32}]\r\n"
        "Message-ID: <reply-1@example.test>\r\n\r\nSEND\r\n"
    ).encode()
    report = FollowUpReport()
    followups(config, store, Outgoing(), DUE, dry_run=True).handle_reply(raw, report)
    assert report.replies == ["would read a reply: send"]
    assert not FollowUpRecords(store).reply_handled("reply-1@example.test", "")


def test_resend_of_a_note_found_in_sent_sends_nothing(config: Config, store: Store) -> None:
    # A note left `unknown` that the provider filed in Sent on its own: RESEND must not
    # send it a second time.
    from daemon import approval as approvals

    interview_id, _ = invited(store)
    records = FollowUpRecords(store)
    draft_id = records.add_draft(
        interview_id=interview_id, step="thank_you", recipients=(Person("Bob", BOB),),
        subject="Thank you", body="Thanks", message_id="note-1@example.test", in_reply_to=None,
        references=(), sender=CAROL, message=b"Message-ID: <note-1@example.test>\r\n\r\nx",
        at=ARRIVED,
    )  # fmt: skip
    assert draft_id is not None
    entry = records.entry_of(draft_id)
    assert entry is not None
    for target in (State.AWAITING_APPROVAL, State.APPROVED, State.SENDING, State.UNKNOWN):
        assert records.move(entry.id, records.entry_of(draft_id).state, target)  # type: ignore[union-attr]
    token = approvals.new_token()
    records.request_approval(draft_id, token.digest, "x", DUE + timedelta(days=3), DUE)
    outgoing = Outgoing()
    found = followups(config, store, outgoing, DUE)
    found.sent = SentCopies(lambda _: None, lambda send_id: send_id == "note-1@example.test")
    raw = (
        f"From: {CAROL}\r\nTo: {CAROL}\r\nSubject: Re: x [av:{token.value}]\r\n"
        "Message-ID: <resend-1@example.test>\r\n\r\nRESEND\r\n"
    ).encode()
    found.handle_reply(raw, FollowUpReport())
    after = records.entry_of(draft_id)
    assert after is not None and after.state is State.SENT
    found.send_approved(FollowUpReport())
    assert not any(BOB in recipients for recipients, _ in outgoing.mails)
    # The RESEND request's token is still live: a SKIP with it leaves the sent note sent.
    for command, number in (("SKIP", 2), ("MUTE", 3), ("NOT AN INTERVIEW", 4)):
        answer = raw.replace(b"RESEND", command.encode()).replace(b"resend-1", b"skip-%d" % number)
        found.handle_reply(answer, FollowUpReport())
        settled = records.entry_of(draft_id)
        assert settled is not None and settled.state is State.SENT, command


ALICE = "alice@lumen.example"
PANEL_END = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)  # Thursday, 17:00 in Berlin


def panel(store: Store) -> int:
    """An interview Bob and Alice held with Carol, in its thread; the interview's id."""
    at, start = ARRIVED.isoformat(), PANEL_END - timedelta(hours=1)
    with store.transaction() as db:
        thread = store.new_thread(db, "Interview: Data Engineer", "interview", None)
        store.add_message(db, message("panel@lumen.example", thread, ARRIVED, kind="scheduled"))
        interview = Interview(
            None, Status.SCHEDULED, "Lumen Labs", "Data Engineer", start=start,
            end=start + timedelta(hours=1), thread_id=thread,
            interviewers=(Person("Bob Interviewer", BOB), Person("Alice Panel", ALICE)),
        )  # fmt: skip
        return store.save_interview(db, interview, at)


def drafted_notes(store: Store) -> list[tuple[str, ...]]:
    """The recipients of each note waiting for the user's approval."""
    return [entry.recipients for entry in FollowUpRecords(store).entries([State.AWAITING_APPROVAL])]


def test_by_default_each_interviewer_gets_a_thank_you_of_their_own(
    config: Config, store: Store
) -> None:
    assert config.followup.thank_you_to == "each"
    panel(store)
    outgoing = Outgoing()
    followups(config, store, outgoing, PANEL_END + timedelta(hours=2)).propose(FollowUpReport())
    assert sorted(drafted_notes(store)) == [(ALICE,), (BOB,)]
    # One approval request per note, each to Carol only.
    assert [recipients for recipients, _ in outgoing.mails] == [[CAROL], [CAROL]]
    subjects = sorted(str(request["Subject"]) for _, request in outgoing.mails)
    assert "Thank-you note to Alice Panel [av:" in subjects[0]
    assert "Thank-you note to Bob Interviewer [av:" in subjects[1]


def test_thank_you_to_all_gives_one_note_to_every_interviewer(
    tmp_path: Path, config: Config, store: Store
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(path.read_text() + "followup: {thank_you_to: all}\n")
    to_all = load_config(path)
    assert to_all.state_dir == config.state_dir
    panel(store)
    outgoing = Outgoing()
    followups(to_all, store, outgoing, PANEL_END + timedelta(hours=2)).propose(FollowUpReport())
    [recipients] = drafted_notes(store)
    assert sorted(recipients) == [ALICE, BOB]
    [(to, request)] = outgoing.mails
    assert to == [CAROL]
    assert "Thank-you note to Bob Interviewer, Alice Panel [av:" in str(request["Subject"])
    [entry] = FollowUpRecords(store).entries([State.AWAITING_APPROVAL])
    note = email.message_from_bytes(entry.message, policy=default)
    assert sorted(a.addr_spec for a in note["To"].addresses) == [ALICE, BOB]


def request_token(request: email.message.EmailMessage) -> str:
    found = re.search(r"\[av:([\w-]+)\]", str(request["Subject"]))
    assert found is not None
    return found.group(1)


def answer_by_mail(token: str, text: str) -> bytes:
    return (
        f"From: {CAROL}\r\nTo: {CAROL}\r\nSubject: Re: [av:{token}]\r\n"
        f"Message-ID: <answer-{token[:8]}@example.test>\r\n\r\n{text}\r\n"
    ).encode()


def test_send_by_mail_with_own_text_leaves_out_the_signature_under_it(
    config: Config, store: Store
) -> None:
    panel(store)
    outgoing = Outgoing()
    found = followups(config, store, outgoing, PANEL_END + timedelta(hours=2))
    found.propose(FollowUpReport())
    token = request_token(outgoing.mails[0][1])
    found.handle_reply(answer_by_mail(token, "SEND\nThanks Bob, great talk.\n\nCarol Candidate"),
                       FollowUpReport())  # fmt: skip
    [entry] = FollowUpRecords(store).entries([State.APPROVED])
    note = email.message_from_bytes(entry.message, policy=default)
    text = note.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text.splitlines() == ["Thanks Bob, great talk."]  # the name under it left out


def asked_about_a_note_with_no_address(config: Config, store: Store) -> tuple[FollowUps, Outgoing]:
    """An interview with nobody known, its thank-you proposed: the engine and its mail."""
    with store.transaction() as db:
        store.save_interview(db, Interview(None, Status.SCHEDULED, "Acme", start=ARRIVED),
                             ARRIVED.isoformat())  # fmt: skip
    outgoing = Outgoing()
    found = followups(config, store, outgoing, ARRIVED + timedelta(hours=2))
    found.propose(FollowUpReport())
    return found, outgoing


def test_send_by_mail_for_a_note_with_no_address_is_told_how(config: Config, store: Store) -> None:
    found, outgoing = asked_about_a_note_with_no_address(config, store)
    found.handle_reply(answer_by_mail(request_token(outgoing.mails[0][1]), "SEND"),
                       FollowUpReport())  # fmt: skip
    [(to, notice)] = outgoing.mails[1:]
    assert to == [CAROL] and "not acted on" in str(notice["Subject"])
    assert "this note has no address yet" in notice.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert FollowUpRecords(store).entries([State.APPROVED]) == []


def test_send_to_writes_the_address_with_the_approval(config: Config, store: Store) -> None:
    """`SEND to` approves and gives the address in one transaction: no approved note is ever
    left without a recipient, whatever instant a crash comes at."""
    found, outgoing = asked_about_a_note_with_no_address(config, store)
    token = request_token(outgoing.mails[0][1])
    records = FollowUpRecords(store)
    calls: list[tuple[Person, ...] | None] = []
    use_token = records.use_token

    def spy(*args: Any, **kwargs: Any) -> bool:
        calls.append(kwargs.get("recipients"))
        return use_token(*args, **kwargs)

    found.records.use_token = spy  # type: ignore[method-assign]
    found.handle_reply(answer_by_mail(token, "SEND to dana@acme.example"), FollowUpReport())
    assert calls == [(Person(None, "dana@acme.example"),)]
    [entry] = records.entries([State.APPROVED])
    assert entry.recipients == ("dana@acme.example",)


def digest_reply(store: Store, text: str, sender: str = CAROL) -> bytes:
    """A reply to today's digest (recorded as sent), with `text` at its top."""
    digest_id = "digest.2026-12-01.abc@example.test"
    QuietRecords(store, lambda: DUE).digest_for("2026-12-01", digest_id)
    return (
        f"From: {sender}\r\nTo: {CAROL}\r\nSubject: Re: [afterview] Digest\r\n"
        f"Message-ID: <digest-answer-{abs(hash(text))}@example.test>\r\n"
        f"In-Reply-To: <{digest_id}>\r\nReferences: <{digest_id}>\r\n\r\n{text}\r\n"
    ).encode()


def test_ignore_in_reply_to_the_digest_drops_the_interview_and_its_plan(
    config: Config, store: Store
) -> None:
    interview_id, _ = invited(store)
    outgoing = Outgoing()
    found = followups(config, store, outgoing, DUE)
    report = FollowUpReport()
    found.handle_reply(digest_reply(store, f"IGNORE {interview_id}\n\n> the digest"), report)
    assert f"interview {interview_id} ignored" in report.replies
    assert store.interview_closed(interview_id) == "ignored"
    [(to, told)] = outgoing.mails
    assert to == [CAROL] and f"Ignored interview {interview_id}" in str(told["Subject"])
    found.propose(FollowUpReport())  # no reminder, no note: its plan is gone
    assert len(outgoing.mails) == 1


def test_ignore_in_reply_to_the_digest_from_a_stranger_does_nothing(
    config: Config, store: Store
) -> None:
    interview_id, _ = invited(store)
    found = followups(config, store, Outgoing(), DUE)
    raw = digest_reply(store, f"IGNORE {interview_id}", sender="mallory@evil.example")
    found.handle_reply(raw, FollowUpReport())
    assert store.interview_closed(interview_id) is None


def test_an_interviewer_whose_address_a_header_cannot_carry_gets_no_note(
    config: Config, store: Store
) -> None:
    # As an address is read from a From line '"=?utf-8?q?...?="@evil.example': lower-cased.
    evil = "=?utf-8?q?=0d=0abcc=3a_mallory=40evil.example?=@evil.example"
    at, start = ARRIVED.isoformat(), PANEL_END - timedelta(hours=1)
    with store.transaction() as db:
        thread = store.new_thread(db, "Interview: Data Engineer", "interview", None)
        store.add_message(db, message("evil@lumen.example", thread, ARRIVED, kind="scheduled"))
        interview = Interview(
            None, Status.SCHEDULED, "Lumen Labs", start=start, end=start + timedelta(hours=1),
            thread_id=thread, interviewers=(Person("Mallory", evil), Person("Bob", BOB)),
        )  # fmt: skip
        store.save_interview(db, interview, at)
    outgoing = Outgoing()
    followups(config, store, outgoing, PANEL_END + timedelta(hours=2)).propose(FollowUpReport())
    assert drafted_notes(store) == [(BOB,)]
    [entry] = FollowUpRecords(store).entries([State.AWAITING_APPROVAL])
    assert b"\nBcc" not in entry.message.split(b"\r\n\r\n")[0]


def test_a_user_name_with_line_breaks_stays_in_the_from_line(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "config.yaml"
    text = path.read_text().replace(
        "name: Carol Candidate", 'name: "Carol\\r\\nBcc: x@evil.example"'
    )
    path.write_text(text)
    outgoing = Outgoing()
    assert followups(load_config(path), store, outgoing, DUE).tell_user("[afterview] hi", "hi\n")
    [(to, mail)] = outgoing.mails
    assert to == [CAROL] and mail["Bcc"] is None
    assert [a.addr_spec for a in mail["From"].addresses] == [CAROL]

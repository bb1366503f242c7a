"""End to end through the real servers: an interview, a drafted thank-you, the approval email in
the user's INBOX, a reply written as a mail client writes it, and exactly one note delivered.

Carol is the job seeker (her mailbox, her SMTP login); Bob interviewed her (his mailbox shows
what arrives). Time moves with `--now`.
"""

from __future__ import annotations

import email
import json
import re
import secrets
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import imapclient
import pytest

from tests.cli import afterview
from tests.cli import run_once as run
from tests.harness import MAIL_USERS, CertBundle, DovecotServer, SubmissionServer

pytestmark = pytest.mark.integration

CAROL, CAROL_PW = "carol@example.test", "carol-Secret-3"
BOB_PW = "bob-Secret-2"
INTERVIEW_END = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
NOW = INTERVIEW_END + timedelta(hours=2)


def invitation(*extra_attendees: str) -> bytes:
    ics = "\r\n".join([
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Lumen//Hiring//EN", "METHOD:REQUEST",
        "BEGIN:VEVENT", "UID:panel-42@lumen.example", "SEQUENCE:0", "DTSTAMP:20261125T090000Z",
        "DTSTART:20261203T150000Z", "DTEND:20261203T160000Z",
        "SUMMARY:Interview: Data Engineer - Lumen Labs",
        "LOCATION:https://meet.google.com/abc-defg-hij",
        "ORGANIZER;CN=Bob Interviewer:mailto:bob@example.test",
        "ATTENDEE;CN=Bob Interviewer;ROLE=REQ-PARTICIPANT:mailto:bob@example.test",
        *extra_attendees,
        f"ATTENDEE;CN=Carol Candidate;ROLE=REQ-PARTICIPANT:mailto:{CAROL}",
        "END:VEVENT", "END:VCALENDAR", "",
    ])  # fmt: skip
    message = EmailMessage()
    message["Subject"] = "Interview: Data Engineer - Lumen Labs"
    message["From"] = "Bob Interviewer <bob@example.test>"
    message["To"] = f"Carol Candidate <{CAROL}>"
    message["Date"] = format_datetime(INTERVIEW_END - timedelta(days=5))
    message["Message-ID"] = make_msgid(domain="lumen.example")
    message.set_content("Hi Carol,\n\nlooking forward to our interview for the Data Engineer "
                        "role at Lumen Labs.\n\nBob")  # fmt: skip
    message.add_alternative(ics.encode(), maintype="text", subtype="calendar",
                            params={"method": "REQUEST"})  # fmt: skip
    return message.as_bytes()


def bob_writes(subject: str, body: str, at: datetime, in_reply_to: str) -> bytes:
    """Bob, the interviewer, answering in the thread of `in_reply_to`."""
    message = EmailMessage()
    message["From"] = "Bob Interviewer <bob@example.test>"
    message["To"] = CAROL
    message["Subject"] = subject
    message["Date"] = format_datetime(at)
    message["Message-ID"] = make_msgid(domain="lumen.example")
    message["In-Reply-To"] = in_reply_to
    message["References"] = in_reply_to
    message.set_content(body)
    return message.as_bytes()


def client(dovecot: DovecotServer, certs: CertBundle, user: str, pw: str) -> imapclient.IMAPClient:
    c = imapclient.IMAPClient("127.0.0.1", port=dovecot.imaps_port,
                              ssl_context=certs.client_context())  # fmt: skip
    c.login(user, pw)
    return c


def messages(c: imapclient.IMAPClient, folder: str) -> list[email.message.EmailMessage]:
    c.select_folder(folder, readonly=True)
    found = c.fetch(c.search("ALL"), ["BODY.PEEK[]"])
    return [
        email.message_from_bytes(data[b"BODY[]"], policy=default)  # type: ignore[misc]
        for _, data in sorted(found.items())
    ]


def mails(
    dovecot: DovecotServer, certs: CertBundle, user: str, folder: str = "INBOX"
) -> list[email.message.EmailMessage]:
    """What `user`'s `folder` holds now, read in a session of its own."""
    password = next(u.password for u in MAIL_USERS if u.name == user)
    c = client(dovecot, certs, user, password)
    try:
        return messages(c, folder)
    finally:
        c.logout()


def carol_answers(
    original: email.message.Message, text: str, at: datetime, prefix: str = "Re: "
) -> EmailMessage:
    """Carol's mail in the thread of `original`: to its sender, threaded, `text` as body."""
    answer = EmailMessage()
    answer["From"] = f"Carol Candidate <{CAROL}>"
    answer["To"] = original["From"]
    answer["Subject"] = prefix + str(original["Subject"])
    answer["Date"] = format_datetime(at)
    answer["Message-ID"] = make_msgid(domain="example.test")
    answer["In-Reply-To"] = original["Message-ID"]
    answer["References"] = original["Message-ID"]
    answer.set_content(text)
    return answer


def reply_to(request: email.message.EmailMessage, text: str) -> bytes:
    """A reply as Thunderbird writes it: To the sender, threaded, the request quoted below."""
    body = request.get_body(("plain",))
    assert body is not None
    quoted = "".join(f"> {line}\n" for line in body.get_content().splitlines())
    quoting = f"{text}\n\nOn Thu, Dec 3, 2026, afterview wrote:\n{quoted}"
    return carol_answers(request, quoting, NOW + timedelta(minutes=5)).as_bytes()


def carol_config(
    directory: Path, dovecot: DovecotServer, smtp_port: int, certs: CertBundle, extra: str = ""
) -> Path:
    """Carol's config in `directory`, her password in a file beside it and her state in
    `state/` under it; `extra` adds lines of YAML."""
    secret = directory / "pw"
    secret.write_text(CAROL_PW + "\n")
    secret.chmod(0o600)
    path = directory / "config.yaml"
    path.write_text(f"""
account: {{email: {CAROL}, name: Carol Candidate, timezone: Europe/Berlin,
           signature: "Carol Candidate"}}
imap: {{host: 127.0.0.1, port: {dovecot.imaps_port}, username: carol, password_file: {secret},
        ca_file: {certs.ca_pem}}}
smtp: {{host: 127.0.0.1, port: {smtp_port}, security: starttls, username: carol,
        password_file: {secret}, ca_file: {certs.ca_pem}}}
digest: {{enabled: false}}
state_dir: {directory / "state"}
{extra}""")  # fmt: skip
    path.chmod(0o600)
    return path


@pytest.fixture
def config_file(
    tmp_path: Path, dovecot: DovecotServer, smtp_server: SubmissionServer, tls_certs: CertBundle
) -> Path:
    for user in ("carol", "bob"):
        dovecot.empty_mailboxes(user)
    return carol_config(tmp_path, dovecot, smtp_server.starttls_port, tls_certs)


def test_invitation_to_approved_thank_you_delivered_exactly_once(
    dovecot: DovecotServer,
    smtp_server: SubmissionServer,
    tls_certs: CertBundle,
    config_file: Path,
) -> None:
    dovecot.deliver(CAROL, invitation())
    run(config_file, NOW)
    carol = client(dovecot, tls_certs, "carol", CAROL_PW)
    bob = client(dovecot, tls_certs, "bob", BOB_PW)
    try:
        inbox = messages(carol, "INBOX")
        [request] = [m for m in inbox if m["X-Afterview"] == "approval"]
        assert "Send? Thank-you note to Bob Interviewer" in str(request["Subject"])
        text = request.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "To:      Bob Interviewer <bob@example.test>" in text
        assert messages(bob, "INBOX") == []  # nothing reaches Bob before Carol says so

        # A reply that only says thanks does nothing; SEND does, once.
        dovecot.deliver(CAROL, reply_to(request, "Thanks, looks fine"), sender=CAROL)
        run(config_file, NOW + timedelta(minutes=10))
        assert messages(bob, "INBOX") == []
        dovecot.deliver(CAROL, reply_to(request, "SEND"), sender=CAROL)
        run(config_file, NOW + timedelta(minutes=15))
        run(config_file, NOW + timedelta(minutes=20))  # a second pass sends nothing more

        [note] = messages(bob, "INBOX")
        assert note["From"].addresses[0].addr_spec == CAROL
        assert str(note["Subject"]) == "Re: Interview: Data Engineer - Lumen Labs"
        assert note["In-Reply-To"] is not None
        assert "Thank you for taking the time" in note.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert note["X-Afterview-Send-Id"] is not None
        sent = [m for m in messages(carol, "Sent") if m["Message-ID"] == note["Message-ID"]]
        assert len(sent) == 1
        confirmations = [m for m in messages(carol, "INBOX") if "Sent: note" in str(m["Subject"])]
        assert len(confirmations) == 1
        assert [m.rcpt_tos for m in smtp_server.messages()].count(("bob@example.test",)) == 1
        status = afterview("--config", str(config_file), "status", "--json")
        [entry] = json.loads(status.stdout)["notes"]
        assert (entry["step"], entry["state"]) == ("thank_you", "sent")
        assert entry["recipients"] == ["bob@example.test"]
        # The approval token is in the request's subject and Message-ID, never in the state.
        token = re.search(r"\[av:([A-Za-z0-9_-]+)\]", str(request["Subject"]))
        assert token is not None
        for state_file in (config_file.parent / "state").iterdir():
            assert token.group(1).encode() not in state_file.read_bytes(), state_file
    finally:
        carol.logout()
        bob.logout()


def test_a_forged_sender_never_sends(
    dovecot: DovecotServer, tls_certs: CertBundle, config_file: Path
) -> None:
    dovecot.deliver(CAROL, invitation())
    run(config_file, NOW)
    carol = client(dovecot, tls_certs, "carol", CAROL_PW)
    bob = client(dovecot, tls_certs, "bob", BOB_PW)
    try:
        [request] = [m for m in messages(carol, "INBOX") if m["X-Afterview"] == "approval"]
        forged = reply_to(request, "SEND").replace(
            f"From: Carol Candidate <{CAROL}>".encode(), b"From: Mallory <mallory@evil.example>"
        )
        dovecot.deliver(CAROL, forged, sender="mallory@evil.example")
        stderr = run(config_file, NOW + timedelta(minutes=10))
        assert re.search(r"mallory@evil.example is not an approver", stderr)
        assert messages(bob, "INBOX") == []
    finally:
        carol.logout()
        bob.logout()


def approve(dovecot: DovecotServer, certs: CertBundle, config_file: Path) -> None:
    """Up to the moment the thank-you is approved (the next run sends it)."""
    dovecot.deliver(CAROL, invitation())
    run(config_file, NOW)
    [request] = [m for m in mails(dovecot, certs, "carol") if m["X-Afterview"] == "approval"]
    dovecot.deliver(CAROL, reply_to(request, "SEND"), sender=CAROL)


def bob_notes(dovecot: DovecotServer, certs: CertBundle) -> int:
    return len(mails(dovecot, certs, "bob"))


def test_a_temporary_refusal_is_retried_and_sent_once(
    dovecot: DovecotServer,
    smtp_server: SubmissionServer,
    tls_certs: CertBundle,
    config_file: Path,
) -> None:
    smtp_server.faults.fail_next(451)
    approve(dovecot, tls_certs, config_file)
    smtp_server.faults.fail_next(451)  # the first went to the approval request (asked again)
    run(config_file, NOW + timedelta(minutes=10))
    assert bob_notes(dovecot, tls_certs) == 0
    run(config_file, NOW + timedelta(minutes=11))  # too early: the backoff holds it
    assert bob_notes(dovecot, tls_certs) == 0
    run(config_file, NOW + timedelta(minutes=13))
    run(config_file, NOW + timedelta(minutes=30))
    assert bob_notes(dovecot, tls_certs) == 1


def test_a_connection_cut_after_the_data_is_never_resent_and_the_user_is_asked(
    dovecot: DovecotServer,
    smtp_server: SubmissionServer,
    tls_certs: CertBundle,
    config_file: Path,
) -> None:
    approve(dovecot, tls_certs, config_file)
    smtp_server.faults.drop_next(deliver=True)  # delivered, but the answer is lost
    run(config_file, NOW + timedelta(minutes=10))
    run(config_file, NOW + timedelta(minutes=30))
    run(config_file, NOW + timedelta(hours=5))
    assert bob_notes(dovecot, tls_certs) == 1
    asks = [m for m in mails(dovecot, tls_certs, "carol") if m["X-Afterview"] == "approval"]
    text = asks[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "may have been delivered" in text and "RESEND" in text


def test_a_permanent_refusal_fails_and_asks_the_user(
    dovecot: DovecotServer,
    smtp_server: SubmissionServer,
    tls_certs: CertBundle,
    config_file: Path,
) -> None:
    approve(dovecot, tls_certs, config_file)
    smtp_server.faults.fail_next(550)
    run(config_file, NOW + timedelta(minutes=10))
    run(config_file, NOW + timedelta(hours=3))
    assert bob_notes(dovecot, tls_certs) == 0
    asks = [m for m in mails(dovecot, tls_certs, "carol") if m["X-Afterview"] == "approval"]
    assert "refused the note" in asks[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]


def request_of(dovecot: DovecotServer, certs: CertBundle) -> email.message.EmailMessage:
    return [m for m in mails(dovecot, certs, "carol") if m["X-Afterview"] == "approval"][-1]


def bob_bodies(dovecot: DovecotServer, certs: CertBundle) -> list[str]:
    found = [m.get_body(("plain",)) for m in mails(dovecot, certs, "bob")]
    return [part.get_content().replace("\r\n", "\n") for part in found if part is not None]


def test_send_with_the_user_s_own_text_sends_that_text(
    dovecot: DovecotServer, tls_certs: CertBundle, config_file: Path
) -> None:
    dovecot.deliver(CAROL, invitation())
    run(config_file, NOW)
    edited = "SEND\nHi Bob,\n\nthank you for today, I loved the pipeline design part.\n\nCarol"
    dovecot.deliver(CAROL, reply_to(request_of(dovecot, tls_certs), edited), sender=CAROL)
    run(config_file, NOW + timedelta(minutes=10))
    [body] = bob_bodies(dovecot, tls_certs)
    assert body.startswith("Hi Bob,\n\nthank you for today, I loved the pipeline design part.")
    assert "On Thu, Dec 3" not in body and "reply above this line" not in body


def test_skip_and_snooze(dovecot: DovecotServer, tls_certs: CertBundle, config_file: Path) -> None:
    dovecot.deliver(CAROL, invitation())
    run(config_file, NOW)
    first = request_of(dovecot, tls_certs)
    dovecot.deliver(CAROL, reply_to(first, "SNOOZE 4h"), sender=CAROL)
    run(config_file, NOW + timedelta(minutes=10))
    assert request_of(dovecot, tls_certs)["Message-ID"] == first["Message-ID"]  # not yet
    run(config_file, NOW + timedelta(hours=4, minutes=11))
    again = request_of(dovecot, tls_certs)
    assert again["Message-ID"] != first["Message-ID"]
    # The first token was used by SNOOZE: SEND on it does nothing.
    dovecot.deliver(CAROL, reply_to(first, "SEND"), sender=CAROL)
    run(config_file, NOW + timedelta(hours=4, minutes=20))
    assert bob_bodies(dovecot, tls_certs) == []
    dovecot.deliver(CAROL, reply_to(again, "SKIP"), sender=CAROL)
    run(config_file, NOW + timedelta(hours=4, minutes=30))
    run(config_file, NOW + timedelta(days=2))
    assert bob_bodies(dovecot, tls_certs) == []


def test_notes_redraft_and_the_old_request_is_dead(
    dovecot: DovecotServer, tls_certs: CertBundle, config_file: Path
) -> None:
    dovecot.deliver(CAROL, invitation())
    run(config_file, NOW)
    first = request_of(dovecot, tls_certs)
    dovecot.deliver(CAROL, reply_to(first, "NOTES mention the streaming benchmark"), sender=CAROL)
    run(config_file, NOW + timedelta(minutes=10))
    second = request_of(dovecot, tls_certs)
    text = second.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "mention the streaming benchmark" in " ".join(text.split())
    dovecot.deliver(CAROL, reply_to(first, "SEND"), sender=CAROL)  # the token of version 1
    run(config_file, NOW + timedelta(minutes=15))
    assert bob_bodies(dovecot, tls_certs) == []
    dovecot.deliver(CAROL, reply_to(second, "SEND"), sender=CAROL)
    run(config_file, NOW + timedelta(minutes=20))
    [body] = bob_bodies(dovecot, tls_certs)
    assert "mention the streaming benchmark" in " ".join(body.split())


def test_an_employer_mail_between_approval_and_send_holds_the_note(
    dovecot: DovecotServer, tls_certs: CertBundle, config_file: Path
) -> None:
    dovecot.deliver(CAROL, invitation())
    run(config_file, NOW)
    request = request_of(dovecot, tls_certs)
    dovecot.deliver(CAROL, reply_to(request, "SEND"), sender=CAROL)
    # Bob writes in the thread before afterview's next pass sends the note.
    [invite] = [m for m in mails(dovecot, tls_certs, "carol") if "Lumen" in str(m["Subject"])][:1]
    news = bob_writes(
        "Re: Interview: Data Engineer - Lumen Labs",
        "Carol, thanks again - we would like you to meet the team next week.",
        NOW + timedelta(minutes=1),
        invite["Message-ID"],
    )
    dovecot.deliver(CAROL, news, sender="bob@example.test")
    run(config_file, NOW + timedelta(minutes=10))
    assert bob_bodies(dovecot, tls_certs) == []
    held = request_of(dovecot, tls_certs)
    assert held["Message-ID"] != request["Message-ID"]
    assert "They wrote after this was drafted" in held.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_a_send_reply_read_just_before_a_crash_still_sends_once(
    dovecot: DovecotServer, tls_certs: CertBundle, config_file: Path
) -> None:
    dovecot.deliver(CAROL, invitation())
    run(config_file, NOW)
    [request] = [m for m in mails(dovecot, tls_certs, "carol") if m["X-Afterview"] == "approval"]
    dovecot.deliver(CAROL, reply_to(request, "SEND"), sender=CAROL)
    killed = afterview(
        "--config", str(config_file), "run", "--once", "--now",
        (NOW + timedelta(minutes=10)).isoformat(),
        env={"AFTERVIEW_TEST_KILL_AT": "mail-synced"},
    )  # fmt: skip
    assert killed.returncode == -9, killed.stderr  # the reply is stored, not acted on
    run(config_file, NOW + timedelta(minutes=15))  # the reply is not new mail any more
    run(config_file, NOW + timedelta(minutes=20))
    assert bob_notes(dovecot, tls_certs) == 1


# Every step of a send where the process can die, in order: before and after each commit,
# each SMTP phase (daemon.mail.smtp) and the Sent APPEND. After the kill, afterview restarts.
# (step, copies Bob ends with, the note's final state, copies in Carol's Sent, state at the kill)
KILL_POINTS = [
    # Nothing handed over yet: the restart sends it, once.
    ("approved-before-commit", 1, "sent", 1, "approved"),
    ("sending-committed", 1, "sent", 1, "sending"),
    ("smtp-connected", 1, "sent", 1, "sending"),
    ("smtp-authenticated", 1, "sent", 1, "sending"),
    ("smtp-mail-from", 1, "sent", 1, "sending"),
    ("smtp-rcpt-to", 1, "sent", 1, "sending"),
    ("smtp-data-accepted", 1, "sent", 1, "sending"),
    ("message-written", 1, "sent", 1, "sending"),  # written, but no final dot: nothing kept
    # The "data" phase is committed: it may have arrived, so it is never resent blindly.
    ("data-phase-committed", 0, "unknown", 0, "sending"),  # the instant before the dot
    ("smtp-answered", 1, "unknown", 0, "sending"),  # delivered, not recorded, not in Sent
    ("sent-before-commit", 1, "unknown", 0, "sending"),
    # Recorded as sent, the copy not yet in Sent: the restart files it, once.
    ("sent-committed", 1, "sent", 1, "sent"),
    ("sent-copy-appending", 1, "sent", 1, "sent"),
    ("sent-copy-appended", 1, "sent", 1, "sent"),
]
KILL_STEPS = [point[0] for point in KILL_POINTS]
HANDED_OVER_FROM = KILL_STEPS.index("data-phase-committed")


@pytest.mark.parametrize(
    ("kill_at", "copies", "final", "in_sent", "at_the_kill"), KILL_POINTS, ids=KILL_STEPS
)
def test_sigkill_at_every_step_of_the_outbox_never_sends_twice(
    dovecot: DovecotServer,
    tls_certs: CertBundle,
    config_file: Path,
    kill_at: str,
    copies: int,
    final: str,
    in_sent: int,
    at_the_kill: str,
) -> None:
    approve(dovecot, tls_certs, config_file)
    killed = afterview(
        "--config", str(config_file), "run", "--once",
        "--now", (NOW + timedelta(minutes=10)).isoformat(),
        env={"AFTERVIEW_TEST_KILL_AT": kill_at},
    )  # fmt: skip
    assert killed.returncode == -9, killed.stderr  # SIGKILL, mid-send
    assert _note_state(config_file) == at_the_kill  # it died in the note's send, at that step
    _never_two_copies(dovecot, tls_certs)
    for minutes in (20, 60, 300):  # restarted, it settles; later passes change nothing
        run(config_file, NOW + timedelta(minutes=minutes))
        _never_two_copies(dovecot, tls_certs)
    assert bob_notes(dovecot, tls_certs) == copies
    if KILL_STEPS.index(kill_at) < HANDED_OVER_FROM:
        assert (copies, final) == (1, "sent")  # every kill before the data: exactly one copy
    assert _note_state(config_file) == final
    assert _carol_sent_notes(dovecot, tls_certs) == in_sent
    assert _asked_to_resend(dovecot, tls_certs) is (final == "unknown")


@pytest.mark.parametrize("delivered", [False, True], ids=["not-delivered", "filed-by-provider"])
def test_sigkill_during_recovery_still_settles_the_note(
    dovecot: DovecotServer, tls_certs: CertBundle, config_file: Path, delivered: bool
) -> None:
    """Killed mid-send, then killed again while recovering (the entry just became `unknown`,
    before the Sent lookup): the next start looks in Sent, and asks the user if it is not there."""
    if delivered:  # the provider files sent mail itself (Gmail): the copy is its
        text = config_file.read_text().replace("smtp: {", "smtp: {saves_sent_copy: true, ")
        config_file.write_text(text)
    approve(dovecot, tls_certs, config_file)
    first = "smtp-answered" if delivered else "data-phase-committed"
    for step, minutes in ((first, 10), ("recover-unknown-committed", 20)):
        killed = afterview(
            "--config", str(config_file), "run", "--once",
            "--now", (NOW + timedelta(minutes=minutes)).isoformat(),
            env={"AFTERVIEW_TEST_KILL_AT": step},
        )  # fmt: skip
        assert killed.returncode == -9, killed.stderr
        if delivered and step == first:
            _provider_files_the_note(dovecot, tls_certs)
    assert _note_state(config_file) == "unknown"
    for minutes in (30, 60, 300):
        run(config_file, NOW + timedelta(minutes=minutes))
        _never_two_copies(dovecot, tls_certs)
    assert bob_notes(dovecot, tls_certs) == (1 if delivered else 0)
    assert _note_state(config_file) == ("sent" if delivered else "unknown")
    assert _asked_to_resend(dovecot, tls_certs) is not delivered


def _never_two_copies(dovecot: DovecotServer, certs: CertBundle) -> None:
    assert bob_notes(dovecot, certs) <= 1
    assert _carol_sent_notes(dovecot, certs) <= 1


def _note_state(config_file: Path) -> str:
    status = afterview("--config", str(config_file), "status", "--json")
    [note] = json.loads(status.stdout)["notes"]
    return str(note["state"])


def _carol_sent_notes(dovecot: DovecotServer, certs: CertBundle) -> int:
    return len([m for m in mails(dovecot, certs, "carol", "Sent") if m["X-Afterview-Send-Id"]])


def _asked_to_resend(dovecot: DovecotServer, certs: CertBundle) -> bool:
    """Whether the newest approval request asks the user RESEND or SKIP (the note may be out)."""
    asks = [m for m in _carol_inbox(dovecot, certs) if "Send?" in str(m["Subject"])]
    return "RESEND" in asks[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]


def _provider_files_the_note(dovecot: DovecotServer, certs: CertBundle) -> None:
    """What Gmail does with a message sent through it: a copy in the sender's Sent folder."""
    bob = client(dovecot, certs, "bob", BOB_PW)
    carol = client(dovecot, certs, "carol", CAROL_PW)
    try:
        [note] = messages(bob, "INBOX")
        carol.append("Sent", note.as_bytes(), flags=[b"\\Seen"])
    finally:
        bob.logout()
        carol.logout()


def _carol_inbox(dovecot: DovecotServer, certs: CertBundle) -> list[email.message.EmailMessage]:
    return mails(dovecot, certs, "carol")


def test_a_rejection_in_the_thread_stops_the_plan(
    dovecot: DovecotServer, tls_certs: CertBundle, config_file: Path
) -> None:
    invite = invitation()
    dovecot.deliver(CAROL, invite)
    invite_id = email.message_from_bytes(invite)["Message-ID"]
    rejection = bob_writes(
        "Re: Interview: Data Engineer - Lumen Labs",
        "Hi Carol,\n\nthank you for interviewing with us today. After careful consideration we "
        "have decided not to move forward with your application for the Data Engineer role.\n\n"
        "We wish you the best in your search.\nBob",
        INTERVIEW_END + timedelta(minutes=30),
        invite_id,
    )
    dovecot.deliver(CAROL, rejection, sender="bob@example.test")
    run(config_file, NOW)
    assert [m for m in _carol_inbox(dovecot, tls_certs) if m["X-Afterview"]] == []


def test_a_note_with_no_known_address_is_sent_where_the_user_says(
    dovecot: DovecotServer, tls_certs: CertBundle, config_file: Path
) -> None:
    confirmation = EmailMessage()
    confirmation["Subject"] = "Interview confirmed: Data Engineer at Lumen Labs"
    confirmation["From"] = "Lumen Labs Careers <no-reply@lumen.example>"
    confirmation["To"] = CAROL
    confirmation["Date"] = format_datetime(INTERVIEW_END - timedelta(days=5))
    confirmation["Message-ID"] = make_msgid(domain="lumen.example")
    confirmation.set_content(
        "Hi Carol,\n\nyour interview for the Data Engineer role at Lumen Labs is confirmed for "
        "Thursday, December 3, 2026 at 15:00-16:00 UTC.\nJoin: https://meet.google.com/abc-defg-hij"
        "\n\nLumen Labs Recruiting"
    )
    dovecot.deliver(CAROL, confirmation.as_bytes(), sender="no-reply@lumen.example")
    run(config_file, NOW)
    request = request_of(dovecot, tls_certs)
    text = request.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "NOBODY YET" in text and "SEND to someone@company.com" in text
    dovecot.deliver(CAROL, reply_to(request, "SEND"), sender=CAROL)  # no address: not sent
    run(config_file, NOW + timedelta(minutes=10))
    assert bob_notes(dovecot, tls_certs) == 0
    dovecot.deliver(CAROL, reply_to(request, "SEND to bob@example.test"), sender=CAROL)
    run(config_file, NOW + timedelta(minutes=20))
    assert bob_notes(dovecot, tls_certs) == 1


@pytest.mark.parametrize("bob_answers", [False, True])
def test_a_check_in_follows_silence_and_an_answer_stops_it(
    dovecot: DovecotServer, tls_certs: CertBundle, config_file: Path, bob_answers: bool
) -> None:
    approve(dovecot, tls_certs, config_file)
    run(config_file, NOW + timedelta(minutes=10))
    assert bob_notes(dovecot, tls_certs) == 1
    if bob_answers:
        [thanks] = mails(dovecot, tls_certs, "bob")
        answer = bob_writes(
            "Re: " + str(thanks["Subject"]),
            "Thanks Carol! We will be in touch soon.",
            NOW + timedelta(days=1),
            thanks["Message-ID"],
        )
        dovecot.deliver(CAROL, answer, sender="bob@example.test")
    run(config_file, NOW + timedelta(days=1, hours=1))
    run(config_file, NOW + timedelta(days=8))  # five business days after the thank-you
    subjects = [str(m["Subject"]) for m in _carol_inbox(dovecot, tls_certs) if m["X-Afterview"]]
    check_ins = [s for s in subjects if "Check-in" in s]
    assert len(check_ins) == (0 if bob_answers else 1)
    plan = _interview_plan(config_file, NOW + timedelta(days=8))
    if bob_answers:
        assert plan["stopped"] is not None and plan["next"] is None
    else:  # the check-in is drafted and waits for Carol's answer: it is the next step
        assert plan["stopped"] is None and plan["next"]["step"] == "check_in"


def _interview_plan(config_file: Path, now: datetime) -> dict[str, Any]:
    status = afterview("--config", str(config_file), "status", "--json", "--now", now.isoformat())
    assert status.returncode == 0, status.stderr
    interviews = json.loads(status.stdout)["interviews"]
    [interview] = interviews["upcoming"] + interviews["past"]
    plan: dict[str, Any] = interview["plan"]
    return plan


def updated_invitation(method: str, start: str, end: str) -> bytes:
    raw = invitation().decode()
    raw = raw.replace("Interview: Data Engineer", "Updated: Interview: Data Engineer", 1)
    message = email.message_from_string(raw, policy=default)
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    ics = part.get_content()
    ics = ics.replace("METHOD:REQUEST", f"METHOD:{method}").replace("SEQUENCE:0", "SEQUENCE:1")
    ics = ics.replace("DTSTART:20261203T150000Z", f"DTSTART:{start}")
    ics = ics.replace("DTEND:20261203T160000Z", f"DTEND:{end}")
    part.set_content(ics.encode(), maintype="text", subtype="calendar", params={"method": method})
    del message["Message-ID"]
    message["Message-ID"] = make_msgid(domain="lumen.example")
    return message.as_bytes()


def test_a_reschedule_moves_the_thank_you_and_a_cancellation_stops_it(
    dovecot: DovecotServer, tls_certs: CertBundle, config_file: Path
) -> None:
    dovecot.deliver(CAROL, invitation())
    dovecot.deliver(CAROL, updated_invitation("REQUEST", "20261210T150000Z", "20261210T160000Z"))
    run(config_file, NOW)  # the old slot has passed, the new one has not: nothing to thank for
    assert [m for m in _carol_inbox(dovecot, tls_certs) if m["X-Afterview"]] == []
    run(config_file, datetime(2026, 12, 10, 17, 30, tzinfo=UTC))
    asks = [m for m in _carol_inbox(dovecot, tls_certs) if m["X-Afterview"]]
    assert len(asks) == 1 and "Thank-you" in str(asks[0]["Subject"])


def test_a_cancelled_interview_gets_no_thank_you(
    dovecot: DovecotServer, tls_certs: CertBundle, config_file: Path
) -> None:
    dovecot.deliver(CAROL, invitation())
    dovecot.deliver(CAROL, updated_invitation("CANCEL", "20261203T150000Z", "20261203T160000Z"))
    run(config_file, NOW)
    run(config_file, NOW + timedelta(days=2))
    assert [m for m in _carol_inbox(dovecot, tls_certs) if m["X-Afterview"]] == []


def test_a_reply_failed_by_the_trusted_server_s_dmarc_sends_nothing(
    dovecot: DovecotServer, tls_certs: CertBundle, config_file: Path
) -> None:
    config_file.write_text(
        config_file.read_text() + "approval: {trusted_authserv_id: mx.example.test}\n"
    )
    dovecot.deliver(CAROL, invitation())
    run(config_file, NOW)
    reply = reply_to(request_of(dovecot, tls_certs), "SEND")
    failed = (
        b"Authentication-Results: mx.example.test; spf=fail smtp.mailfrom=example.test;\r\n"
        b" dkim=fail header.d=example.test; dmarc=fail header.from=example.test\r\n"
        b"Authentication-Results: mx.example.test; dmarc=pass\r\n"  # forged, below the real one
    )
    dovecot.deliver(CAROL, failed + reply, sender=CAROL)
    stderr = run(config_file, NOW + timedelta(minutes=10))
    assert "DMARC failed for example.test" in stderr
    assert bob_notes(dovecot, tls_certs) == 0


def test_the_daily_send_cap_holds_the_rest(
    dovecot: DovecotServer, tls_certs: CertBundle, config_file: Path
) -> None:
    dovecot.empty_mailboxes("alice")
    config_file.write_text(config_file.read_text() + "followup: {daily_send_cap: 1}\n")
    two = invitation("ATTENDEE;CN=Alice Panel;ROLE=REQ-PARTICIPANT:mailto:alice@example.test")
    dovecot.deliver(CAROL, two)
    run(config_file, NOW)
    for request in [m for m in _carol_inbox(dovecot, tls_certs) if m["X-Afterview"]]:
        dovecot.deliver(CAROL, reply_to(request, "SEND"), sender=CAROL)
    stderr = run(config_file, NOW + timedelta(minutes=10))
    assert "daily send cap of 1 reached" in stderr
    run(config_file, NOW + timedelta(hours=2))
    assert bob_notes(dovecot, tls_certs) + _alice_notes(dovecot, tls_certs) == 1
    run(config_file, NOW + timedelta(days=1, hours=1))
    assert bob_notes(dovecot, tls_certs) + _alice_notes(dovecot, tls_certs) == 2


def _alice_notes(dovecot: DovecotServer, certs: CertBundle) -> int:
    return len([m for m in mails(dovecot, certs, "alice") if m["X-Afterview-Send-Id"]])


PANEL = "ATTENDEE;CN=Alice Panel;ROLE=REQ-PARTICIPANT:mailto:alice@example.test"


def approve_one_note_to_bob_and_alice(
    dovecot: DovecotServer, certs: CertBundle, config_file: Path
) -> None:
    """Up to the moment one thank-you addressed to both interviewers is approved."""
    dovecot.empty_mailboxes("alice")
    config_file.write_text(config_file.read_text() + "followup: {thank_you_to: all}\n")
    dovecot.deliver(CAROL, invitation(PANEL))
    run(config_file, NOW)
    dovecot.deliver(CAROL, reply_to(request_of(dovecot, certs), "SEND"), sender=CAROL)


def _confirmations(dovecot: DovecotServer, certs: CertBundle) -> list[str]:
    return [
        m.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        for m in _afterview_mails(dovecot, certs)
        if "Sent: note" in str(m["Subject"])
    ]


def test_a_recipient_refused_for_good_is_told_and_the_other_gets_the_note_once(
    dovecot: DovecotServer,
    smtp_server: SubmissionServer,
    tls_certs: CertBundle,
    config_file: Path,
) -> None:
    no_such_user = "550 5.1.1 <alice@example.test>: no such user"
    smtp_server.refusals.refuse("alice@example.test", no_such_user)
    approve_one_note_to_bob_and_alice(dovecot, tls_certs, config_file)
    for minutes in (10, 30):  # the send, then a later pass (each run is a restart)
        run(config_file, NOW + timedelta(minutes=minutes))
    assert (bob_notes(dovecot, tls_certs), _alice_notes(dovecot, tls_certs)) == (1, 0)
    to_bob = [m.rcpt_tos for m in smtp_server.messages() if "bob@example.test" in m.rcpt_tos]
    assert to_bob == [("bob@example.test",)]
    assert smtp_server.refusals.given() == [("alice@example.test", no_such_user)]  # never again
    [note] = json.loads(afterview("--config", str(config_file), "status", "--json").stdout)["notes"]
    assert note["state"] == "sent"
    assert sorted(note["recipients"]) == ["alice@example.test", "bob@example.test"]
    assert f"refused: alice@example.test ({no_such_user})" in note["detail"]
    [confirmation] = _confirmations(dovecot, tls_certs)
    assert confirmation.startswith("Sent to bob@example.test at ")  # Alice is not said to have it
    assert f"Not sent to alice@example.test: the mail server refused it ({no_such_user})" in (
        " ".join(confirmation.split())
    )


def test_a_recipient_refused_for_now_holds_the_note_and_each_gets_it_once(
    dovecot: DovecotServer,
    smtp_server: SubmissionServer,
    tls_certs: CertBundle,
    config_file: Path,
) -> None:
    try_later = "450 4.2.1 try later"
    smtp_server.refusals.refuse("alice@example.test", try_later, times=1)
    approve_one_note_to_bob_and_alice(dovecot, tls_certs, config_file)
    run(config_file, NOW + timedelta(minutes=10))
    assert smtp_server.refusals.given() == [("alice@example.test", try_later)]
    assert (bob_notes(dovecot, tls_certs), _alice_notes(dovecot, tls_certs)) == (0, 0)
    assert _notes(config_file) == [("thank_you", "approved")]  # retried after the backoff
    for minutes in (13, 30):  # after the backoff, then a later pass
        run(config_file, NOW + timedelta(minutes=minutes))
    assert (bob_notes(dovecot, tls_certs), _alice_notes(dovecot, tls_certs)) == (1, 1)
    notes = [m.rcpt_tos for m in smtp_server.messages() if "bob@example.test" in m.rcpt_tos]
    assert [sorted(to) for to in notes] == [["alice@example.test", "bob@example.test"]]
    assert _notes(config_file) == [("thank_you", "sent")]
    [confirmation] = _confirmations(dovecot, tls_certs)
    assert "refused" not in confirmation


def test_a_dry_run_reads_and_detects_but_stores_and_sends_nothing(
    dovecot: DovecotServer,
    smtp_server: SubmissionServer,
    tls_certs: CertBundle,
    config_file: Path,
) -> None:
    dovecot.deliver(CAROL, invitation())
    result = afterview("--config", str(config_file), "run", "--once", "--dry-run",
                       "--now", NOW.isoformat())  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "would record: scheduled: Interview: Data Engineer - Lumen Labs" in result.stdout
    assert smtp_server.messages() == []
    status = afterview("--config", str(config_file), "status", "--json")
    document = json.loads(status.stdout)
    assert document["messages"]["stored"] == 0 and document["notes"] == []


INVITED_AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # Monday, 10:00 in Berlin


def availability_request() -> bytes:
    """Bob invites Carol to interview, with no time yet: he asks for her availability."""
    message = EmailMessage()
    message["Subject"] = "Interview for the Data Engineer role at Lumen Labs"
    message["From"] = "Bob Interviewer <bob@example.test>"
    message["To"] = f"Carol Candidate <{CAROL}>"
    message["Date"] = format_datetime(INVITED_AT)
    message["Message-ID"] = make_msgid(domain="lumen.example")
    message.set_content(
        "Hi Carol,\n\nthank you for applying for the Data Engineer role at Lumen Labs. We would "
        "like to invite you to a first interview with our team. Could you send us your "
        "availability for next week?\n\nBest,\nBob Interviewer\nLumen Labs"
    )
    return message.as_bytes()


def _reminders(dovecot: DovecotServer, certs: CertBundle) -> list[email.message.EmailMessage]:
    return [m for m in _carol_inbox(dovecot, certs) if "Reminder" in str(m["Subject"])]


def test_an_unanswered_invitation_becomes_one_reminder_to_the_user_only(
    dovecot: DovecotServer,
    smtp_server: SubmissionServer,
    tls_certs: CertBundle,
    config_file: Path,
) -> None:
    dovecot.deliver(CAROL, availability_request(), sender="bob@example.test")
    run(config_file, INVITED_AT + timedelta(hours=1))
    assert [m for m in _carol_inbox(dovecot, tls_certs) if m["X-Afterview"]] == []  # not yet
    dry = afterview("--config", str(config_file), "run", "--once", "--dry-run",
                    "--now", (INVITED_AT + timedelta(hours=25)).isoformat())  # fmt: skip
    assert dry.returncode == 0, dry.stderr
    assert "would remind you to answer the invitation from Lumen Labs" in dry.stderr
    assert smtp_server.messages() == [] and _reminders(dovecot, tls_certs) == []

    run(config_file, INVITED_AT + timedelta(hours=25))
    [reminder] = _reminders(dovecot, tls_certs)
    assert reminder["X-Afterview"] is not None  # afterview's loop header: its own mail
    assert [m.rcpt_tos for m in smtp_server.messages()] == [(CAROL,)]  # Carol only
    assert "answer the interview invitation from Lumen Labs (Data Engineer)" in str(
        reminder["Subject"]
    )
    text = reminder.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Subject:  Interview for the Data Engineer role at Lumen Labs" in text
    assert "Arrived:  Mon 30 Nov 2026, 10:00 (CET)" in text
    assert "times you are available" in " ".join(text.split())
    for hours in (26, 72):  # later passes (each a restart) send nothing more
        run(config_file, INVITED_AT + timedelta(hours=hours))
    assert len(_reminders(dovecot, tls_certs)) == 1
    assert bob_notes(dovecot, tls_certs) == 0  # nothing ever reaches the employer
    assert len(smtp_server.messages()) == 1


def test_an_invitation_the_user_answered_gets_no_reminder(
    dovecot: DovecotServer,
    smtp_server: SubmissionServer,
    tls_certs: CertBundle,
    config_file: Path,
) -> None:
    invite = availability_request()
    dovecot.deliver(CAROL, invite, sender="bob@example.test")
    run(config_file, INVITED_AT + timedelta(hours=1))
    # Carol answers from her mail client: the reply is filed in her Sent folder.
    answer = carol_answers(
        email.message_from_bytes(invite),
        "Hi Bob,\n\nTuesday or Wednesday afternoon would suit me.\n\nCarol",
        INVITED_AT + timedelta(hours=2),
    )
    carol = client(dovecot, tls_certs, "carol", CAROL_PW)
    try:
        carol.append("Sent", answer.as_bytes(), flags=[b"\\Seen"])
    finally:
        carol.logout()
    run(config_file, INVITED_AT + timedelta(hours=25))
    run(config_file, INVITED_AT + timedelta(hours=48))
    assert _reminders(dovecot, tls_certs) == []
    assert smtp_server.messages() == []


def _notes(config_file: Path) -> list[tuple[str, str]]:
    """Every drafted note as `afterview status --json` lists it: (step, state)."""
    status = afterview("--config", str(config_file), "status", "--json")
    assert status.returncode == 0, status.stderr
    return [(note["step"], note["state"]) for note in json.loads(status.stdout)["notes"]]


def _afterview_mails(dovecot: DovecotServer, certs: CertBundle) -> list[email.message.EmailMessage]:
    """What afterview sent Carol (its loop header is on each): requests, notices, confirmations."""
    return [m for m in _carol_inbox(dovecot, certs) if m["X-Afterview"]]


def _notices(dovecot: DovecotServer, certs: CertBundle) -> list[str]:
    """The texts of the notices telling Carol a reply of hers was not acted on."""
    return [
        m.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        for m in _afterview_mails(dovecot, certs)
        if "not acted on" in str(m["Subject"])
    ]


def test_a_send_reply_with_a_token_never_issued_sends_nothing_and_says_why(
    dovecot: DovecotServer,
    smtp_server: SubmissionServer,
    tls_certs: CertBundle,
    config_file: Path,
) -> None:
    dovecot.deliver(CAROL, invitation())
    run(config_file, NOW)
    request = request_of(dovecot, tls_certs)
    issued = re.search(r"\[av:([A-Za-z0-9_-]+)\]", str(request["Subject"]))
    assert issued is not None
    guess = secrets.token_urlsafe(24)  # looks like an issued token, was never issued
    assert len(guess) == len(issued.group(1)) and guess != issued.group(1)
    # The real token is gone from the subject tag, In-Reply-To and References alike.
    wrong = reply_to(request, "SEND").replace(issued.group(1).encode(), guess.encode())
    assert issued.group(1).encode() not in wrong and f"[av:{guess}]".encode() in wrong
    dovecot.deliver(CAROL, wrong, sender=CAROL)
    stderr = run(config_file, NOW + timedelta(minutes=10))
    run(config_file, NOW + timedelta(minutes=20))
    assert "no live approval token in the reply" in stderr
    assert bob_notes(dovecot, tls_certs) == 0
    assert not [m for m in smtp_server.messages() if "bob@example.test" in m.rcpt_tos]
    [notice] = _notices(dovecot, tls_certs)
    assert "did not act on your reply: no live approval token in the reply" in notice
    assert _notes(config_file) == [("thank_you", "awaiting_approval")]


def test_a_send_reply_after_the_request_expired_sends_nothing_and_says_why(
    dovecot: DovecotServer,
    smtp_server: SubmissionServer,
    tls_certs: CertBundle,
    config_file: Path,
) -> None:
    dovecot.deliver(CAROL, invitation())
    run(config_file, NOW)
    dovecot.deliver(CAROL, reply_to(request_of(dovecot, tls_certs), "SEND"), sender=CAROL)
    late = NOW + timedelta(hours=72, minutes=1)  # approval.token_ttl is 72 h by default
    stderr = run(config_file, late)
    run(config_file, late + timedelta(minutes=20))
    assert "the approval request has expired" in stderr
    assert bob_notes(dovecot, tls_certs) == 0
    assert not [m for m in smtp_server.messages() if "bob@example.test" in m.rcpt_tos]
    [notice] = _notices(dovecot, tls_certs)
    assert "the approval request has expired" in notice
    assert _notes(config_file) == [("thank_you", "expired")]  # unanswered in time: closed


def test_an_out_of_office_reply_to_the_request_sends_nothing_and_gets_no_notice(
    dovecot: DovecotServer,
    smtp_server: SubmissionServer,
    tls_certs: CertBundle,
    config_file: Path,
) -> None:
    dovecot.deliver(CAROL, invitation())
    run(config_file, NOW)
    request = request_of(dovecot, tls_certs)
    # Carol's own autoresponder answers the request: from her address, threaded, "SEND" inside.
    away = carol_answers(request, "SEND", NOW + timedelta(minutes=1), prefix="Out of Office: ")
    away["Auto-Submitted"] = "auto-replied"
    dovecot.deliver(CAROL, away.as_bytes(), sender=CAROL)
    stderr = run(config_file, NOW + timedelta(minutes=10))
    run(config_file, NOW + timedelta(minutes=20))
    assert "an automatic reply (Auto-Submitted: auto-replied)" in stderr
    assert bob_notes(dovecot, tls_certs) == 0
    assert [m["Message-ID"] for m in _afterview_mails(dovecot, tls_certs)] == [
        request["Message-ID"]
    ]  # no notice: nobody is told about an autoresponder
    assert len(smtp_server.messages()) == 1  # the request, nothing else
    # The request is still live: Carol's own SEND acts, once.
    dovecot.deliver(CAROL, reply_to(request, "SEND"), sender=CAROL)
    run(config_file, NOW + timedelta(minutes=30))
    assert bob_notes(dovecot, tls_certs) == 1


def test_a_send_reply_already_read_on_the_phone_still_sends_once(
    dovecot: DovecotServer, tls_certs: CertBundle, config_file: Path
) -> None:
    dovecot.deliver(CAROL, invitation())
    run(config_file, NOW)
    answer = reply_to(request_of(dovecot, tls_certs), "SEND")
    dovecot.deliver(CAROL, answer, sender=CAROL)
    carol = client(dovecot, tls_certs, "carol", CAROL_PW)
    try:  # Carol opened it on her phone before afterview's next pass: it is \Seen
        carol.select_folder("INBOX")
        answer_id = email.message_from_bytes(answer)["Message-ID"]
        [uid] = carol.search(["HEADER", "Message-ID", answer_id])
        carol.add_flags([uid], [imapclient.SEEN])
        assert imapclient.SEEN in carol.get_flags([uid])[uid]
    finally:
        carol.logout()
    run(config_file, NOW + timedelta(minutes=10))
    run(config_file, NOW + timedelta(minutes=20))
    assert bob_notes(dovecot, tls_certs) == 1
    assert _notes(config_file) == [("thank_you", "sent")]


def test_mute_on_the_approval_email_skips_the_note_and_no_check_in_follows(
    dovecot: DovecotServer, tls_certs: CertBundle, config_file: Path
) -> None:
    dovecot.deliver(CAROL, invitation())
    run(config_file, NOW)
    dovecot.deliver(CAROL, reply_to(request_of(dovecot, tls_certs), "MUTE"), sender=CAROL)
    run(config_file, NOW + timedelta(minutes=10))
    assert bob_notes(dovecot, tls_certs) == 0
    assert _notes(config_file) == [("thank_you", "skipped")]
    # A skipped thank-you counts as done: without MUTE, a check-in would be drafted five
    # business days later (Thursday 10 December), and a second one after that.
    for later in (timedelta(days=8), timedelta(days=21)):
        run(config_file, NOW + later)
    assert _notes(config_file) == [("thank_you", "skipped")]
    subjects = [str(m["Subject"]) for m in _afterview_mails(dovecot, tls_certs)]
    assert not [s for s in subjects if "check-in" in s.lower()], subjects
    assert bob_notes(dovecot, tls_certs) == 0


ROUND_TWO_END = datetime(2026, 12, 10, 16, 0, tzinfo=UTC)


def second_round_invitation(references: list[str]) -> bytes:
    """Bob, answering in the thread, invites Carol to a second round a week later: an event of
    its own (another UID), not a move of the first."""
    message = email.message_from_bytes(invitation(), policy=default)
    assert isinstance(message, EmailMessage)
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    ics = part.get_content()
    for old, new in (
        ("UID:panel-42@", "UID:round-2@"),
        ("DTSTAMP:20261125T090000Z", "DTSTAMP:20261204T090000Z"),
        ("DTSTART:20261203T150000Z", "DTSTART:20261210T150000Z"),
        ("DTEND:20261203T160000Z", "DTEND:20261210T160000Z"),
        ("SUMMARY:Interview:", "SUMMARY:Second interview:"),
    ):
        assert old in ics
        ics = ics.replace(old, new)
    part.set_content(ics.encode(), maintype="text", subtype="calendar",
                     params={"method": "REQUEST"})  # fmt: skip
    text = message.get_body(("plain",))
    assert text is not None
    text.set_content("Hi Carol,\n\nthank you for your note! The team would like to meet you "
                     "again for a second round on Thursday, December 10.\n\nBob")  # fmt: skip
    for name in ("Subject", "Date", "Message-ID"):
        del message[name]
    message["Subject"] = "Re: Interview: Data Engineer - Lumen Labs"
    message["Date"] = format_datetime(NOW + timedelta(days=1))
    message["Message-ID"] = make_msgid(domain="lumen.example")
    message["In-Reply-To"] = references[-1]
    message["References"] = " ".join(references)
    return message.as_bytes()


def test_a_second_round_in_the_same_thread_gets_its_own_thank_you(
    dovecot: DovecotServer, tls_certs: CertBundle, config_file: Path
) -> None:
    approve(dovecot, tls_certs, config_file)
    run(config_file, NOW + timedelta(minutes=10))
    [thanks] = mails(dovecot, tls_certs, "bob")
    references = [*str(thanks["References"]).split(), str(thanks["Message-ID"])]
    round_two = second_round_invitation(references)
    dovecot.deliver(CAROL, round_two, sender="bob@example.test")
    run(config_file, NOW + timedelta(days=1, hours=1))
    assert _notes(config_file) == [("thank_you", "sent")]  # the second round is ahead
    run(config_file, ROUND_TWO_END + timedelta(hours=1, minutes=30))
    assert _notes(config_file) == [("thank_you", "sent"), ("thank_you", "awaiting_approval")]
    status = json.loads(afterview("--config", str(config_file), "status", "--json").stdout)
    assert len({note["interview_id"] for note in status["notes"]}) == 2  # one per round
    asks = [
        m for m in _afterview_mails(dovecot, tls_certs) if "Send? Thank-you" in str(m["Subject"])
    ]
    assert len(asks) == 2 and asks[0]["Message-ID"] != asks[1]["Message-ID"]
    dovecot.deliver(CAROL, reply_to(asks[1], "SEND"), sender=CAROL)
    run(config_file, ROUND_TWO_END + timedelta(hours=2))
    assert _notes(config_file) == [("thank_you", "sent"), ("thank_you", "sent")]
    first, second = mails(dovecot, tls_certs, "bob")
    # Both notes in the one thread: the second answers the second-round invitation.
    round_two_id = email.message_from_bytes(round_two)["Message-ID"]
    assert str(second["In-Reply-To"]) == round_two_id
    assert str(first["Message-ID"]) in str(second["References"])


def test_not_an_interview_in_reply_to_a_request_drops_the_note_and_the_interview(
    dovecot: DovecotServer, tls_certs: CertBundle, config_file: Path
) -> None:
    dovecot.deliver(CAROL, invitation())
    run(config_file, NOW)
    answer = reply_to(request_of(dovecot, tls_certs), "NOT AN INTERVIEW")
    dovecot.deliver(CAROL, answer, sender=CAROL)
    run(config_file, NOW + timedelta(minutes=10))
    run(config_file, NOW + timedelta(days=8))  # no check-in, no new request either
    assert bob_notes(dovecot, tls_certs) == 0
    assert _notes(config_file) == [("thank_you", "skipped")]
    status = afterview("--config", str(config_file), "status", "--json")
    interviews = json.loads(status.stdout)["interviews"]
    [interview] = interviews["upcoming"] + interviews["past"]
    assert (interview["status"], interview["closed"]) == ("cancelled", "ignored")
    # The invitation seen again (a later pass, or its copy) does not bring it back.
    dovecot.deliver(CAROL, invitation())
    run(config_file, NOW + timedelta(days=9))
    again = json.loads(afterview("--config", str(config_file), "status", "--json").stdout)
    assert [i["closed"] for i in again["interviews"]["upcoming"] + again["interviews"]["past"]] == [
        "ignored"
    ]

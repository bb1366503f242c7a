"""Approval forgery: hostile replies to a real approval request, through the real servers and
the real engine. None of them sends anything, each leaves an audit entry that says why, and
the request they aimed at still works: a genuine SEND afterwards sends the note exactly once.

One scenario runs once for the module (five engine passes); each forgery is its own test case,
reading that forgery's verdict from the audit log. The same run is then searched for secrets:
the state directory and every line the daemon logged hold no password and no approval token.

Carol is the job seeker; Bob and Alice interviewed her. Her thank-you note to Bob is the target;
the request for the note to Alice is left to expire, for a reply with an expired token.
"""

from __future__ import annotations

import email
import hashlib
import re
import sqlite3
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from email.policy import default
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.cli import run_once as run
from tests.harness import CertBundle, DovecotServer, SubmissionServer, SubmittedMessage
from tests.integration.test_followup_e2e import CAROL, CAROL_PW, NOW, carol_config, invitation

pytestmark = pytest.mark.integration

CAROL_FROM = f"Carol Candidate <{CAROL}>"
BOB, ALICE = "bob@example.test", "alice@example.test"
ALICE_ATTENDS = f"ATTENDEE;CN=Alice Hiring;ROLE=REQ-PARTICIPANT:mailto:{ALICE}"
MALLORY = "mallory@evil.example"
AUTHSERV = "mx.example.test"  # the provider's Authentication-Results id (trusted)
TTL = timedelta(hours=4)
# The passes: the requests, the NOTES that redraft Bob's note, the forgeries (the request to
# Alice has expired by then, Bob's second request has not), the genuine SEND, the replays.
FIRST, REDRAFTED = NOW, NOW + timedelta(hours=1)
FORGED, APPROVED, REPLAYED = (NOW + TTL + timedelta(minutes=m) for m in (5, 10, 20))


# -- The mail ---------------------------------------------------------------------------------

QUOTE = (
    "On Thu, Dec 3, 2026 at 7:05 PM Carol Candidate <carol@example.test> wrote:\n"
    "> ---- reply above this line ----\n"
    ">\n"
    "> To answer, reply to this email and write one of these at the top:\n"
    ">   SEND           send it as it is\n"
    ">   SKIP           do not send it\n"
)


def reply(
    token: str,
    message_id: str,
    text: str = "SEND",
    *,
    sender: str = CAROL_FROM,
    subject: str | None = None,
    extra: tuple[tuple[str, str], ...] = (),
    drop: tuple[str, ...] = (),
    content_type: str = "text/plain; charset=utf-8",
    body: str | None = None,
) -> bytes:
    """A reply to the request that carries `token`, as a mail client writes it: threaded, the
    token in the subject and in In-Reply-To, `text` above the quoted request. `extra` headers
    come last; `drop` names headers left out; `body` replaces the whole body."""
    request_id = f"<afterview.approve.{token}@example.test>"
    headers = [
        ("From", sender),
        ("To", CAROL),
        ("Subject", subject or f"Re: [afterview] Send? Thank-you note to Bob [av:{token}]"),
        ("Date", format_datetime(FORGED - timedelta(minutes=1))),
        ("Message-ID", f"<{message_id}>"),
        ("In-Reply-To", request_id),
        ("References", request_id),
        ("MIME-Version", "1.0"),
        ("Content-Type", content_type),
        *extra,
    ]
    lines = [f"{name}: {value}" for name, value in headers if name not in drop]
    text = body if body is not None else f"{text}\n\n{QUOTE}"
    return ("\r\n".join([*lines, "", *text.split("\n")]) + "\r\n").encode()


def with_message_id(raw: bytes, message_id: str) -> bytes:
    """The same bytes under another Message-ID (a replay that dodges the Message-ID check)."""
    return re.sub(rb"(?m)^Message-ID: <[^>]+>", f"Message-ID: <{message_id}>".encode(), raw)


def guessed(token: str) -> str:
    """The token with its last character changed: one guess away from the real one."""
    return token[:-1] + ("A" if token[-1] != "A" else "B")


DSN = """--report
Content-Type: text/plain; charset=utf-8

SEND

--report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.test

Final-Recipient: rfc822; bob@example.test
Action: failed
Status: 5.1.1

--report
Content-Type: text/rfc822-headers

Subject: [afterview] Send? Thank-you note to Bob
--report--
"""

ATTACHED = """--mixed
Content-Type: text/plain; charset=utf-8

See attached.

--mixed
Content-Type: text/plain; charset=utf-8
Content-Disposition: attachment; filename="answer.txt"

SEND
--mixed--
"""


@dataclass(frozen=True)
class Tokens:
    """What the forgeries are built from: the tokens afterview issued, the replies it took."""

    live: str  # the request for version 2 of Bob's note: the target
    older: str  # the request for version 1 (NOTES made version 2)
    expired: str  # the request for Alice's note, left unanswered past its expiry
    notes_reply: bytes  # the NOTES reply afterview accepted, as delivered
    send_reply: bytes = b""  # the genuine SEND, accepted at the end


@dataclass(frozen=True)
class Forgery:
    name: str
    build: Callable[[Tokens, str], bytes]  # (tokens, its Message-ID) -> the raw mail
    reason: str  # a regex the audit verdict matches; "" when the checks never see the mail
    same_as: str = ""  # a replay under this Message-ID: the original's entry stays the only one
    envelope_sender: str = CAROL  # MAIL FROM of the delivery ("" is the null sender <>)
    after_send: bool = False  # delivered after the genuine SEND was accepted

    @property
    def message_id(self) -> str:
        return f"forgery-{self.name}@example.test"


def live(text: str = "SEND", **options: object) -> Callable[[Tokens, str], bytes]:
    """A reply to the live request with `text`, other options as `reply` takes them."""
    return lambda tokens, message_id: reply(tokens.live, message_id, text, **options)  # type: ignore[arg-type]


NOT_AN_APPROVER = rf"{re.escape(MALLORY)} is not an approver"
FORGERIES = [
    # Who sent it.
    Forgery("stranger-from", live(sender=f"Mallory <{MALLORY}>"), NOT_AN_APPROVER),
    Forgery("two-from-mailboxes", live(sender=f"{CAROL_FROM}, Mallory <{MALLORY}>"),
            "the reply has 2 From addresses, not one"),
    Forgery("two-from-headers", live(extra=(("From", f"Mallory <{MALLORY}>"),)),
            "the reply has 2 From addresses, not one"),
    Forgery("no-from", live(drop=("From",)), "the reply has 0 From addresses, not one"),
    Forgery("approver-name-other-address", live(sender=f"Carol Candidate <{MALLORY}>"),
            NOT_AN_APPROVER),
    Forgery("approver-address-as-name", live(sender=f'"{CAROL}" <{MALLORY}>'), NOT_AN_APPROVER),
    # An encoded display name that decodes to the approver's address and an open comment: read
    # after decoding, the address behind it vanished. The provider passed DMARC for evil.example.
    Forgery("encoded-name-hides-address",
            live(sender=f"=?utf-8?q?carol=40example.test_=28?= <{MALLORY}>",
                 extra=(("Authentication-Results",
                         f"{AUTHSERV}; dmarc=pass header.from=evil.example"),)),
            NOT_AN_APPROVER),
    Forgery("lookalike-domain", live(sender="Carol Candidate <carol@examp1e.test>"),
            "carol@examp1e.test is not an approver"),
    Forgery("unicode-lookalike", live(sender="Carol Candidate <carol@\u0435xample.test>"),
            "is not an approver"),
    Forgery("sender-header-of-someone-else", live(extra=(("Sender", MALLORY),)),
            rf"sent by {re.escape(MALLORY)} on behalf of {re.escape(CAROL)}"),
    Forgery("robot-sender", live(sender="Mail Delivery System <MAILER-DAEMON@example.test>"),
            "mailer-daemon@example.test is not an approver"),
    # Which request it answers.
    Forgery("wrong-token", lambda t, m: reply("x" * 32, m), "no live approval token"),
    Forgery("truncated-token", lambda t, m: reply(t.live[:-6], m), "no live approval token"),
    Forgery("guessed-token", lambda t, m: reply(guessed(t.live), m), "no live approval token"),
    Forgery("token-in-other-case", lambda t, m: reply(t.live.swapcase(), m),
            "no live approval token"),
    Forgery("token-only-in-the-body",
            lambda t, m: reply("x" * 32, m, f"SEND\n\nthe token: {t.live}"),
            "no live approval token"),
    Forgery("token-of-an-older-draft-version", lambda t, m: reply(t.older, m),
            "the approval token was already used"),
    Forgery("expired-token", lambda t, m: reply(t.expired, m),
            "the approval request has expired"),
    # Replays of replies afterview accepted: the same bytes act once, whatever the Message-ID.
    Forgery("replayed-notes-same-message-id", lambda t, m: t.notes_reply, "",
            same_as="notes-1@example.test"),
    Forgery("replayed-notes-new-message-id", lambda t, m: with_message_id(t.notes_reply, m),
            "the approval token was already used"),
    Forgery("replayed-send-same-message-id", lambda t, m: t.send_reply, "",
            same_as="send-1@example.test", after_send=True),
    Forgery("replayed-send-new-message-id", lambda t, m: with_message_id(t.send_reply, m),
            "the approval token was already used", after_send=True),
    # Written by a machine.
    Forgery("auto-submitted", live(extra=(("Auto-Submitted", "auto-replied"),)),
            r"an automatic reply \(Auto-Submitted: auto-replied\)"),
    Forgery("x-autoreply", live(extra=(("X-Autoreply", "yes"),)), "X-Autoreply header"),
    Forgery("precedence-bulk", live(extra=(("Precedence", "bulk"),)), "Precedence: bulk"),
    Forgery("null-return-path", live(extra=(("Return-Path", "<>"),)),
            r"empty Return-Path \(a bounce\)", envelope_sender=""),
    Forgery("delivery-report-quoting-send",
            live(content_type='multipart/report; report-type=delivery-status; boundary="report"',
                 body=DSN),
            "a delivery or read report"),
    Forgery("mailing-list", live(extra=(("List-Id", "<jobs.lists.example>"),)),
            r"List-Id header \(mailing list\)"),
    Forgery("out-of-office-german",
            lambda t, m: reply(t.live, m, subject=f"Automatische Antwort: Re: [av:{t.live}]"),
            "an out-of-office subject"),
    Forgery("out-of-office-french",
            lambda t, m: reply(t.live, m, subject="=?utf-8?q?R=C3=A9ponse_automatique_=3A?= "
                               f"[av:{t.live}]"),
            "an out-of-office subject"),
    Forgery("afterview-loop-header", live(extra=(("X-Afterview", "approval"),)), ""),
    # Authentication-Results: only the topmost one from the trusted server counts.
    Forgery("dmarc-fail",
            live(extra=(("Authentication-Results",
                         f"{AUTHSERV}; dmarc=fail (p=reject) header.from=example.test"),)),
            r"DMARC failed for example\.test"),
    Forgery("forged-pass-below-real-fail",
            live(extra=(("Authentication-Results",
                         f"{AUTHSERV}; dmarc=fail (p=reject) header.from=example.test"),
                        ("Authentication-Results",
                         f"{AUTHSERV}; dmarc=pass header.from=example.test"))),
            r"DMARC failed for example\.test"),
    Forgery("forged-pass-from-another-server",
            live(extra=(("Authentication-Results", "evil.example; dmarc=pass"),
                        ("Authentication-Results",
                         f"{AUTHSERV}; dmarc=fail (p=reject) header.from=example.test"))),
            r"DMARC failed for example\.test"),
    Forgery("dkim-fail",
            live(extra=(("Authentication-Results",
                         f"{AUTHSERV}; dkim=fail header.d=example.test; spf=fail"),)),
            r"DKIM failed for example\.test"),
    # What the reply says.
    Forgery("only-quotes-the-request", live(body=QUOTE),
            "the reply has no text above the quoted request"),
    Forgery("send-below-a-quote-header",
            live(body="On Thu, Dec 3, 2026 at 7:05 PM afterview wrote:\nSEND\n\n" + QUOTE),
            "the reply has no text above the quoted request"),
    Forgery("send-below-the-marker", live(body="---- reply above this line ----\nSEND\n"),
            "the reply has no text above the quoted request"),
    Forgery("send-only-in-an-attachment",
            live(content_type='multipart/mixed; boundary="mixed"', body=ATTACHED),
            r"the first line \('See attached'\) is not SEND"),
    Forgery("send-to-another-address", live(f"SEND to {MALLORY}"),
            "SEND to is only for a note with no address"),
    # Line breaks smuggled into headers: nothing reaches Mallory, the audit stays one line.
    Forgery("line-breaks-in-subject-and-name",
            live(sender=f"=?utf-8?q?Carol=0D=0ABcc=3A_{MALLORY.replace('@', '=40')}?= "
                        f"<{MALLORY}>",
                 subject="=?utf-8?q?Re=3A_ok=0D=0ABcc=3A_mallory=40evil.example?="),
            NOT_AN_APPROVER),
]  # fmt: skip


# -- The scenario -----------------------------------------------------------------------------


@dataclass
class Scenario:
    """What the run left. Tokens, logs and state stay out of its repr: a failing test shows
    the verdicts and states it asserts on, never what the secret checks search."""

    tokens: Tokens = field(repr=False)
    verdicts: dict[str, list[str]]  # a reply's Message-ID -> the verdicts the audit holds
    submitted_before_send: list[SubmittedMessage] = field(repr=False)  # at the genuine SEND
    submitted: list[SubmittedMessage] = field(repr=False)  # by the end
    bob_state_after_forgeries: str
    live_token_used_after_forgeries: bool
    logs: str = field(repr=False)  # every line the daemon wrote, all passes
    state_dir: Path
    state_files: dict[str, tuple[int, bytes]] = field(default_factory=dict, repr=False)


def requests_in(submitted: list[SubmittedMessage]) -> list[email.message.EmailMessage]:
    found = [email.message_from_bytes(m.raw, policy=default) for m in submitted]
    return [m for m in found if re.search(r"\[av:", str(m["Subject"]))]  # type: ignore[misc]


def token_of(request: email.message.EmailMessage) -> str:
    found = re.search(r"\[av:([A-Za-z0-9_-]+)\]", str(request["Subject"]))
    assert found is not None, request["Subject"]
    return found.group(1)


def read_state(state_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{state_dir / 'afterview.sqlite3'}?mode=ro", uri=True)


def outbox_state(state_dir: Path, recipient: str) -> str:
    db = read_state(state_dir)
    try:
        rows = db.execute("SELECT state, recipients FROM outbox").fetchall()
    finally:
        db.close()
    [state] = [row[0] for row in rows if recipient in row[1]]
    return str(state)


def token_used(state_dir: Path, token: str) -> bool:
    digest = hashlib.sha256(token.encode()).hexdigest()
    db = read_state(state_dir)
    try:
        [(used_at,)] = db.execute(
            "SELECT used_at FROM approval WHERE token_digest = ?", (digest,)
        ).fetchall()
    finally:
        db.close()
    return used_at is not None


def audit_verdicts(state_dir: Path) -> dict[str, list[str]]:
    db = read_state(state_dir)
    try:
        rows = db.execute(
            "SELECT detail FROM audit_log WHERE event = 'reply' ORDER BY id"
        ).fetchall()
    finally:
        db.close()
    verdicts: dict[str, list[str]] = {}
    for (detail,) in rows:
        message_id, _, verdict = str(detail).partition(": ")
        verdicts.setdefault(message_id, []).append(verdict)
    return verdicts


@pytest.fixture(scope="module")
def scenario(
    tmp_path_factory: pytest.TempPathFactory,
    dovecot_session: DovecotServer,
    smtp_session: SubmissionServer,
    tls_certs: CertBundle,
) -> Iterator[Scenario]:
    dovecot = dovecot_session
    if not dovecot.running:
        dovecot.start()
    for user in ("carol", "bob", "alice"):
        dovecot.empty_mailboxes(user)
    smtp_session.clear_messages()
    smtp_session.faults.clear()
    home = tmp_path_factory.mktemp("forgery")
    state_dir = home / "state"
    ttl = f"{int(TTL.total_seconds()) // 60}m"
    extra = f"approval: {{token_ttl: {ttl}, trusted_authserv_id: {AUTHSERV}}}\nlog_level: debug\n"
    config = carol_config(home, dovecot, smtp_session.starttls_port, tls_certs, extra)
    logs: list[str] = []

    dovecot.deliver(CAROL, invitation(ALICE_ATTENDS), sender=BOB)
    logs.append(run(config, FIRST))
    first = {token_of(r): r for r in requests_in(smtp_session.messages())}
    [older] = [t for t, r in first.items() if "to Bob" in str(r["Subject"])]
    [expired] = [t for t, r in first.items() if "alice" in str(r["Subject"]).lower()]
    notes = reply(older, "notes-1@example.test", "NOTES mention the pipeline design part")
    dovecot.deliver(CAROL, notes, sender=CAROL)
    logs.append(run(config, REDRAFTED))
    [target] = [token_of(r) for r in requests_in(smtp_session.messages()) if
                "to Bob" in str(r["Subject"]) and token_of(r) not in first]  # fmt: skip
    tokens = Tokens(live=target, older=older, expired=expired, notes_reply=notes)

    for forgery in FORGERIES:
        if not forgery.after_send:
            raw = forgery.build(tokens, forgery.message_id)
            dovecot.deliver(CAROL, raw, sender=forgery.envelope_sender)
    logs.append(run(config, FORGED))
    submitted_before_send = smtp_session.messages()
    bob_state = outbox_state(state_dir, BOB)
    live_used = token_used(state_dir, tokens.live)

    genuine = reply(tokens.live, "send-1@example.test")
    dovecot.deliver(CAROL, genuine, sender=CAROL)
    logs.append(run(config, APPROVED))
    tokens = replace(tokens, send_reply=genuine)
    for forgery in FORGERIES:
        if forgery.after_send:
            raw = forgery.build(tokens, forgery.message_id)
            dovecot.deliver(CAROL, raw, sender=forgery.envelope_sender)
    logs.append(run(config, REPLAYED))

    yield Scenario(
        tokens=tokens,
        verdicts=audit_verdicts(state_dir),
        submitted_before_send=submitted_before_send,
        submitted=smtp_session.messages(),
        bob_state_after_forgeries=bob_state,
        live_token_used_after_forgeries=live_used,
        logs="".join(logs),
        state_dir=state_dir,
        state_files={
            path.name: (stat.S_IMODE(path.stat().st_mode), path.read_bytes())
            for path in sorted(state_dir.rglob("*"))
            if path.is_file()
        },
    )
    smtp_session.clear_messages()


# -- Each forgery -----------------------------------------------------------------------------


@pytest.mark.parametrize("forgery", FORGERIES, ids=[f.name for f in FORGERIES])
def test_the_forgery_is_refused_and_audited(scenario: Scenario, forgery: Forgery) -> None:
    verdicts = scenario.verdicts.get(forgery.message_id, [])
    if forgery.same_as:  # the message already handled: its acceptance stays the one entry
        assert scenario.verdicts[forgery.same_as] == ["accepted"]
    elif not forgery.reason:  # afterview's own mail is never read as an answer
        assert verdicts == []
    else:
        [verdict] = verdicts
        assert re.search(forgery.reason, verdict), verdict
        assert verdict != "accepted" and "\n" not in verdict and "\r" not in verdict


def test_nothing_reached_anyone_but_carol_until_her_send(scenario: Scenario) -> None:
    assert scenario.submitted_before_send, "the requests themselves went out"
    assert {m.rcpt_tos for m in scenario.submitted_before_send} == {(CAROL,)}
    assert scenario.bob_state_after_forgeries == "awaiting_approval"
    assert not scenario.live_token_used_after_forgeries
    assert scenario.verdicts["notes-1@example.test"] == ["accepted"]


def test_the_genuine_send_still_sends_exactly_once(scenario: Scenario) -> None:
    assert scenario.verdicts["send-1@example.test"] == ["accepted"]
    outside = [m for m in scenario.submitted if m.rcpt_tos != (CAROL,)]
    assert [m.rcpt_tos for m in outside] == [(BOB,)]
    [note] = outside
    sent = email.message_from_bytes(note.raw, policy=default)
    assert "pipeline design" in " ".join(str(sent.get_body(("plain",))).split())  # type: ignore[union-attr]
    assert MALLORY.encode() not in note.raw and b"Bcc" not in note.raw
    # Alice's request expired: her note was never sent.
    assert all(ALICE not in m.rcpt_tos for m in scenario.submitted)


# -- Secrets and modes ------------------------------------------------------------------------


def issued_tokens(scenario: Scenario) -> list[str]:
    found = {token_of(r) for r in requests_in(scenario.submitted)}
    assert {scenario.tokens.live, scenario.tokens.older, scenario.tokens.expired} <= found
    return sorted(found)


def test_no_password_or_token_in_the_state_or_the_logs(scenario: Scenario) -> None:
    tokens = issued_tokens(scenario)
    assert scenario.state_files, "the state was written"
    assert "DEBUG" in scenario.logs  # the most the daemon ever logs
    # Also a token's first 20 characters (a truncated or guessed one). The searches are
    # booleans, so a failure names the place, never the secret.
    places = {name: data for name, (_, data) in scenario.state_files.items()}
    places["the log"] = scenario.logs.encode()
    for name, data in places.items():
        password = CAROL_PW.encode() in data
        assert not password, f"the IMAP/SMTP password in {name}"
        token = any(token[:20].encode() in data for token in tokens)
        assert not token, f"an approval token in {name}"


def test_the_state_is_private(scenario: Scenario) -> None:
    assert stat.S_IMODE(scenario.state_dir.stat().st_mode) == 0o700
    modes = {name: mode for name, (mode, _) in scenario.state_files.items()}
    assert "afterview.sqlite3" in modes
    assert all(mode == 0o600 for mode in modes.values()), {n: oct(m) for n, m in modes.items()}

"""Names, subjects and Message-IDs read from someone's mail never add a header or a recipient to
what afterview sends: the notes to employers and the approval requests to the user (issue 9).

Hypothesis writes the hostile text: line breaks of every kind, NUL, "Bcc: ..." lines, RFC 2047
encoded words that decode to a line break (which the email package writes back out decoded),
quotes, commas and angle brackets. Each message must parse back to exactly its headers, each
once, and exactly its recipients.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daemon import approval
from daemon.config import load_config
from daemon.drafts import DraftInput, Templates, ThreadContext, make_draft, writable_address
from daemon.followup import FollowUps, SentCopies
from daemon.mail.smtp import Outcome, SendResult
from daemon.model import Person
from daemon.outbox import SEND_ID_HEADER
from daemon.plan import StepKind
from daemon.store import Store

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
TEMPLATES = Templates()
CAROL = "carol@example.test"
APPROVERS = ("carol@example.test", "carol.phone@example.test")
EXAMPLES = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
BREAKS = [
    "\r",
    "\n",
    "\r\n",
    "\n\r",
    "\x00",
    "\x0b",
    "\x0c",
    "\x1c",
    "\x1e",
    "\x85",
    "\u2028",
    "\u2029",
    "\t",
]
INJECTIONS = [
    "Bcc: mallory@evil.example",
    "\r\nBcc: mallory@evil.example",
    "\nTo: mallory@evil.example\n",
    "=?utf-8?q?=0D=0ABcc:_mallory@evil.example?=",
    "=?utf-8?b?DQpCY2M6IG1hbGxvcnlAZXZpbC5leGFtcGxl?=",
    "=?utf-8?Q?a=0AX-Evil:_1?= ",
    '", mallory@evil.example, "',
    "<mallory@evil.example>",
    "mallory@evil.example,",
    "Zoë Ångström",
    "é <mallory@evil.example>",
    "Lee, Dana",
    '\\"',
    "(comment",
    ";:",
    "=?",
    "?=",
]
HOSTILE = st.lists(
    st.one_of(st.sampled_from(BREAKS + INJECTIONS), st.text(max_size=12)), max_size=8
).map("".join)
PLAIN_ID = st.from_regex(r"[a-z0-9.+-]{1,20}@[a-z0-9-]{1,10}\.example", fullmatch=True)
# What a Message-ID read from a mail can hold: the parser takes <...> without spaces.
HOSTILE_ID = st.one_of(PLAIN_ID, HOSTILE.map(lambda text: "".join(text.split())[:200]))
LINE_BREAKS = {"\r", "\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"}
BODY_HEADERS = {"MIME-Version", "Content-Type", "Content-Transfer-Encoding"}
NOTE_HEADERS = {"From", "To", "Subject", "Message-ID", SEND_ID_HEADER, "Date", *BODY_HEADERS}
REQUEST_HEADERS = {"From", "To", "Subject", "Date", "Message-ID", "Auto-Submitted", *BODY_HEADERS}
REQUEST_HEADERS.add(approval.LOOP_HEADER)


def header_names(raw: bytes) -> list[str]:
    """The header names as any reader splits the block: each line not folded starts one."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    lines = head.split("\r\n")
    assert all("\r" not in line and "\n" not in line for line in lines), repr(head)
    return [line.split(":", 1)[0] for line in lines if line[:1] not in (" ", "\t")]


def mailboxes(message: EmailMessage, name: str) -> list[tuple[str, str]]:
    header = message[name]
    return [(a.username, a.domain) for a in header.addresses] if header is not None else []


def as_mailbox(address: str) -> tuple[str, str]:
    local, _, domain = address.rpartition("@")
    return local, domain


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def one_line_text(value: Any) -> str:
    text = str(value)
    assert not LINE_BREAKS & set(text), repr(text)
    return text


@EXAMPLES
@given(
    people=st.lists(st.tuples(HOSTILE, st.emails()), min_size=1, max_size=3),
    company=HOSTILE,
    role=HOSTILE,
    notes=HOSTILE,
    user_name=HOSTILE,
    subject=HOSTILE,
    last_id=HOSTILE_ID,
    references=st.lists(HOSTILE_ID, max_size=4),
)
def test_a_note_has_exactly_its_headers_and_recipients(
    people: list[tuple[str, str]],
    company: str,
    role: str,
    notes: str,
    user_name: str,
    subject: str,
    last_id: str,
    references: list[str],
) -> None:
    recipients = tuple(Person(name, address) for name, address in people)
    user = Person(user_name, CAROL)
    found = DraftInput(
        kind=StepKind.THANK_YOU,
        recipients=recipients,
        company=company,
        role=role,
        interview_start=NOW - timedelta(days=1),
        user=user,
        signature="Carol",
        notes=notes,
        thread=ThreadContext(subject, last_id, tuple(references)),
    )
    draft = make_draft(found, TEMPLATES, UTC, NOW)
    extra = [(SEND_ID_HEADER, draft.message_id), ("Date", "Fri, 04 Dec 2026 09:00:00 +0000")]
    if not all(writable_address(p.email or "") for p in recipients):
        with pytest.raises(ValueError, match="cannot be written as one mail address"):
            draft.message(user, extra)
        return  # the note's recipients are chosen among writable addresses (followup.py)

    raw = draft.message(user, extra).as_bytes()

    names_found = header_names(raw)
    assert len(names_found) == len(set(names_found)), names_found
    assert NOTE_HEADERS <= set(names_found) <= NOTE_HEADERS | {"In-Reply-To", "References"}
    message = parsed(raw)
    assert mailboxes(message, "To") == [as_mailbox(p.email or "") for p in recipients]
    assert mailboxes(message, "From") == [as_mailbox(CAROL)]
    one_line_text(message["Subject"])
    for name in ("In-Reply-To", "References"):
        if message[name] is not None:
            for word in one_line_text(message[name]).split():
                assert word.startswith("<") and word.endswith(">") and "=?" not in word
    if re.fullmatch(r"[a-z0-9.+-]+@[a-z0-9-]+\.example", last_id):
        assert message["In-Reply-To"] == f"<{last_id}>"


@EXAMPLES
@given(local=st.text(st.characters(codec="ascii"), min_size=1, max_size=30), name=HOSTILE)
def test_an_address_is_written_as_itself_or_refused(local: str, name: str) -> None:
    address = f"{local}@lumen.example"
    draft = make_draft(
        DraftInput(StepKind.CHECK_IN, (Person(name, address),), None, None, None,
                   Person(None, CAROL), ""),
        TEMPLATES, UTC, NOW,
    )  # fmt: skip
    if not writable_address(address):
        with pytest.raises(ValueError):
            draft.message(Person(None, CAROL))
        return
    message = parsed(draft.message(Person(None, CAROL)).as_bytes())
    assert mailboxes(message, "To") == [as_mailbox(address)]


class Recorded(FollowUps):
    """FollowUps with the SMTP server replaced: the envelopes and messages it was given."""

    sent: list[tuple[list[str], bytes]]  # type: ignore[assignment]

    def _smtp(self, sender: str, recipients: list[str], message: bytes, *_: Any) -> SendResult:
        self.sent.append((recipients, message))
        return SendResult(Outcome.SENT, "250 ok")


@pytest.fixture
def followups(tmp_path: Path) -> Iterator[Recorded]:
    secret = tmp_path / "pw"
    secret.write_text("pw\n")
    secret.chmod(0o600)
    path = tmp_path / "config.yaml"
    path.write_text(
        f"account: {{email: {CAROL}, name: Carol, timezone: Europe/Berlin}}\n"
        f"imap: {{host: imap.example.test, password_file: {secret}}}\n"
        f"smtp: {{host: smtp.example.test, password_file: {secret}}}\n"
        f"approval: {{approvers: [{', '.join(APPROVERS)}]}}\n"
        f"state_dir: {tmp_path / 'state'}\n"
    )
    path.chmod(0o600)
    config = load_config(path)
    with Store(config.state_dir) as store:
        found = Recorded(config, store, now=lambda: NOW, sent=SentCopies(print, lambda _: False))
        found.sent = []
        yield found


@EXAMPLES
@given(
    user_name=HOSTILE,
    names=st.lists(HOSTILE, max_size=3),
    company=HOSTILE,
    note_subject=HOSTILE,
    note_body=HOSTILE,
)
def test_an_approval_request_goes_to_the_approvers_alone(
    followups: Recorded,
    user_name: str,
    names: list[str],
    company: str,
    note_subject: str,
    note_body: str,
) -> None:
    followups.user = Person(user_name, CAROL)
    followups.sent.clear()
    token = approval.new_token().value
    shown = [formataddr((name, f"p{n}@lumen.example")) for n, name in enumerate(names)]
    text = approval.request_text(
        token=token,
        what=f"Thank-you note to {', '.join(names)} ({company})",
        why=f"Your interview with {company} is over.",
        recipients=shown,
        note_subject=note_subject,
        note_body=note_body,
        expires="Sat 05 Dec 2026, 10:00 (CET)",
    )

    assert followups.tell_user(text.subject, text.body, message_id=f"av.{token}@example.test")

    [(envelope, raw)] = followups.sent
    assert envelope == list(APPROVERS)
    names_found = header_names(raw)
    assert sorted(names_found) == sorted(REQUEST_HEADERS)
    message = parsed(raw)
    assert mailboxes(message, "To") == [as_mailbox(a) for a in APPROVERS]
    assert mailboxes(message, "From") == [as_mailbox(CAROL)]
    assert approval.subject_tag(token) in one_line_text(message["Subject"])

"""Drafted notes: templates, threading headers, wrapping, and header-injection safety."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
import pytest

from daemon.drafts import WIDTH, DraftInput, Templates, ThreadContext, make_draft, reminder_text
from daemon.model import Person
from daemon.plan import StepKind

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
USER = Person("Carol Candidate", "carol@example.test")
DANA = Person("Dana Lee", "dana.lee@lumen.example")


def draft_input(**changes: object) -> DraftInput:
    values: dict[str, object] = {
        "kind": StepKind.THANK_YOU,
        "recipients": (DANA,),
        "company": "Lumen Labs",
        "role": "Platform Engineer",
        "interview_start": START,
        "user": USER,
        "signature": "Carol Candidate\n+49 30 1234567",
    }
    values.update(changes)
    return DraftInput(**values)  # type: ignore[arg-type]


def test_a_thank_you_reads_well_and_is_wrapped() -> None:
    draft = make_draft(draft_input(), Templates(), BERLIN, START + timedelta(hours=2))
    assert draft.body.startswith("Hi Dana,\n\nThank you for taking the time to speak with me today")
    flat = " ".join(draft.body.split())
    assert "Platform Engineer role" in flat and "joining Lumen Labs" in flat
    assert draft.body.rstrip().endswith("Carol Candidate\n+49 30 1234567")
    assert all(len(line) <= WIDTH for line in draft.body.splitlines())
    assert draft.subject == "Thank you - Platform Engineer interview"
    assert draft.in_reply_to is None and draft.references == ()
    assert draft.message_id.endswith("@example.test")


def test_a_note_in_a_thread_replies_to_it() -> None:
    thread = ThreadContext(
        "RE: AW: Interview next week", "m3@lumen.example", ("m1@lumen.example", "m2@lumen.example")
    )
    draft = make_draft(draft_input(thread=thread), Templates(), BERLIN, START)
    assert draft.subject == "Re: Interview next week"
    assert draft.in_reply_to == "m3@lumen.example"
    assert draft.references == ("m1@lumen.example", "m2@lumen.example", "m3@lumen.example")
    parsed = message_from_bytes(draft.message(USER).as_bytes(), policy=default)
    assert parsed["In-Reply-To"] == "<m3@lumen.example>"
    assert parsed["Message-ID"] == f"<{draft.message_id}>"


def test_notes_and_several_interviewers() -> None:
    omar = Person("Omar Haddad", "omar@lumen.example")
    draft = make_draft(
        draft_input(recipients=(DANA, omar), notes="I loved the\ndesign exercise."),
        Templates(),
        BERLIN,
        START + timedelta(days=1),
    )
    assert draft.body.startswith("Hi Dana and Omar,")
    flat = " ".join(draft.body.split())
    assert "yesterday" in flat and "I loved the design exercise." in flat


def test_check_ins_ask_about_the_timeline() -> None:
    draft = make_draft(
        draft_input(kind=StepKind.CHECK_IN), Templates(), BERLIN, START + timedelta(days=9)
    )
    flat = " ".join(draft.body.split())
    assert "next steps and timeline" in flat
    assert "on Thursday, 3 December 2026" in flat
    assert draft.subject == "Following up on Platform Engineer interview"


def test_hostile_names_and_subjects_never_add_headers_or_recipients() -> None:
    evil = Person("Dana\r\nBcc: victim@evil.example", "dana.lee@lumen.example")
    thread = ThreadContext("Interview\r\nBcc: other@evil.example", "m1@x.example\r\nX-Evil: 1", ())
    draft = make_draft(draft_input(recipients=(evil,), thread=thread), Templates(), BERLIN, START)
    raw = draft.message(USER, [("X-Afterview-Send-Id", "id\nBcc: x@evil.example")]).as_bytes()
    parsed = message_from_bytes(raw, policy=default)
    assert parsed["Bcc"] is None and parsed["X-Evil"] is None
    assert [a.addr_spec for a in parsed["To"].addresses] == ["dana.lee@lumen.example"]
    header_block = raw.split(b"\r\n\r\n")[0]
    assert b"\nBcc" not in header_block


def test_the_user_s_templates_replace_the_built_in_ones(tmp_path: Path) -> None:
    (tmp_path / "thank_you.txt").write_text("Dear {{ interviewer_name }} at {{ company }},\n")
    draft = make_draft(draft_input(), Templates(tmp_path), BERLIN, START)
    assert draft.body == "Dear Dana Lee at Lumen Labs,\n"


def test_a_template_cannot_reach_outside_the_sandbox(tmp_path: Path) -> None:
    (tmp_path / "thank_you.txt").write_text("{{ company.__class__.__mro__ }}")
    with pytest.raises(jinja2.exceptions.SecurityError):
        make_draft(draft_input(), Templates(tmp_path), BERLIN, START)


def test_a_typo_in_a_template_is_an_error_not_an_empty_word(tmp_path: Path) -> None:
    (tmp_path / "check_in.txt").write_text("Hi {{ interviewr_name }}")
    with pytest.raises(jinja2.exceptions.UndefinedError):
        make_draft(draft_input(kind=StepKind.CHECK_IN), Templates(tmp_path), BERLIN, START)


def test_a_reminder_says_who_invited_when_and_what_to_do() -> None:
    text = reminder_text(
        company="Lumen Labs",
        role="Data Engineer",
        sender=Person("Bob Interviewer", "bob@lumen.example"),
        thread_subject="Interview for the Data Engineer role\r\nBcc: mallory@evil.example",
        arrived="Mon 30 Nov 2026, 10:00 (CET)",
    )
    assert text.subject == (
        "[afterview] Reminder: answer the interview invitation from Lumen Labs (Data Engineer)"
    )
    flat = " ".join(text.body.split())
    assert flat.startswith(
        "Lumen Labs invited you to an interview for the Data Engineer role, and you have not"
    )
    assert "From:     Bob Interviewer <bob@lumen.example>" in text.body
    assert "Subject:  Interview for the Data Engineer role Bcc: mallory@evil.example" in text.body
    assert "Arrived:  Mon 30 Nov 2026, 10:00 (CET)" in text.body
    assert "reply to their email in that thread, not to this one" in flat
    assert all(len(line) <= WIDTH for line in text.body.splitlines())


def test_a_reminder_with_little_known_still_reads_well() -> None:
    text = reminder_text(
        company=None, role=None, sender=None, thread_subject=None, arrived="unknown"
    )
    assert text.subject == "[afterview] Reminder: answer the interview invitation"
    assert text.body.startswith("You were invited to an interview, and you have not answered yet.")
    assert "From:" not in text.body and "Subject:" not in text.body


EVIL_WORD = "=?utf-8?q?=0D=0ABcc:_mallory@evil.example?="  # decodes to a line break and a Bcc


def test_an_encoded_word_in_a_name_subject_or_message_id_never_becomes_a_header() -> None:
    # The email package decodes such a word in a value and writes it back out decoded.
    thread = ThreadContext(f"Interview {EVIL_WORD}", f"{EVIL_WORD}@lumen.example",
                           ("m1@lumen.example", f"{EVIL_WORD}@x"))  # fmt: skip
    recipients = (Person(EVIL_WORD, "dana.lee@lumen.example"),)
    draft = make_draft(
        draft_input(recipients=recipients, thread=thread), Templates(), BERLIN, START
    )
    raw = draft.message(
        Person(EVIL_WORD, USER.email), [("X-Afterview-Send-Id", EVIL_WORD)]
    ).as_bytes()
    parsed = message_from_bytes(raw, policy=default)
    assert b"\nBcc" not in raw.split(b"\r\n\r\n")[0] and parsed["Bcc"] is None
    assert [a.addr_spec for a in parsed["To"].addresses] == ["dana.lee@lumen.example"]
    assert parsed["In-Reply-To"] is None  # no Message-ID that can be written as itself
    assert parsed["References"] == "<m1@lumen.example>"


def test_names_keep_their_commas_and_colons_and_every_recipient_stays_one() -> None:
    people = (
        Person("é Bcc: mallory@evil.example", "dana.lee@lumen.example"),
        Person(None, "omar.haddad@" + "platform-engineering." * 3 + "lumen.example"),
        Person("¡Zoë, Ångström!", "zoe@lumen.example"),
    )
    draft = make_draft(draft_input(recipients=people, kind=StepKind.CHECK_IN), Templates(),
                       BERLIN, START)  # fmt: skip
    parsed = message_from_bytes(draft.message(USER).as_bytes(), policy=default)
    assert [a.addr_spec for a in parsed["To"].addresses] == [p.email for p in people]
    assert parsed["Bcc"] is None


@pytest.mark.parametrize(
    "address",
    [f"{EVIL_WORD}@evil.example", "dana.lee@lumen.example,mallory", "zoë@lumen.example"],
)
def test_an_address_a_header_cannot_carry_as_itself_is_refused(address: str) -> None:
    draft = make_draft(draft_input(recipients=(Person(None, address),)), Templates(), BERLIN, START)
    with pytest.raises(ValueError, match="cannot be written as one mail address"):
        draft.message(USER)


def test_a_reminder_shows_the_sender_as_written() -> None:
    sender = Person("Zoë Müller, HR", "zoë@müller.example")
    text = reminder_text(company=None, role=None, sender=sender, thread_subject=None, arrived="x")
    assert "From:     Zoë Müller, HR <zoë@müller.example>" in text.body

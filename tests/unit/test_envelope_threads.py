"""Header parsing for the sync, the body triage, and subject keys for threads."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

from daemon.envelope import parse_headers
from daemon.threads import is_reply, subject_can_join, subject_key
from daemon.triage import triage


def headers(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode()


def test_headers_give_ids_people_and_references() -> None:
    envelope = parse_headers(
        headers(
            "Message-ID: <b2@mail.example>\n"
            "Date: Thu, 19 Nov 2026 10:00:00 +0100\n"
            "From: =?utf-8?q?Ren=C3=A9e_M=C3=BCller?= <Renee@Firm.Example>\n"
            "To: Carol <carol@example.test>, dana@firm.example\n"
            "Subject: =?utf-8?q?Re=3A_Gespr=C3=A4ch?=\n"
            "In-Reply-To: <a1@mail.example>\n"
            "References: <root@mail.example>\n"
            "\n"
        )
    )
    assert envelope.message_id == "b2@mail.example"
    assert envelope.date == datetime(2026, 11, 19, 9, 0, tzinfo=UTC)
    assert envelope.sender is not None and envelope.sender.email == "renee@firm.example"
    assert envelope.sender.name == "Renée Müller"
    assert envelope.subject == "Re: Gespräch"
    assert envelope.references == ("root@mail.example", "a1@mail.example")
    assert envelope.participants == {
        "renee@firm.example",
        "carol@example.test",
        "dana@firm.example",
    }
    assert not envelope.automatic


def test_broken_headers_never_raise_and_get_a_stable_id() -> None:
    raw = b"From: <<<\r\nDate: not a date\r\nSubject: \xff\xfe\r\nReferences: junk\r\n\r\n"
    first, again = parse_headers(raw, "INBOX/7"), parse_headers(raw, "INBOX/7")
    assert first.message_id == again.message_id and first.message_id.endswith("@afterview.invalid")
    assert first.date is None and first.sender is None and first.references == ()
    assert parse_headers(raw, "INBOX/8").message_id != first.message_id


def test_list_and_auto_reply_mail_is_automatic() -> None:
    assert parse_headers(headers("List-Id: <news.example>\nSubject: x\n\n")).automatic
    assert parse_headers(headers("Auto-Submitted: auto-replied\n\n")).automatic
    assert parse_headers(headers("Precedence: bulk\n\n")).automatic
    assert not parse_headers(headers("Auto-Submitted: no\n\n")).automatic
    assert parse_headers(headers("X-Autoreply: yes\nSubject: Re: Interview\n\n")).automatic
    assert parse_headers(headers("Subject: Out of Office: Re: Interview\n\n")).automatic
    assert parse_headers(headers("Subject: AW: Abwesenheitsnotiz\n\n")).automatic
    assert parse_headers(headers("Subject: Réponse automatique : Entretien\n\n")).automatic
    # Outlook marks people's own mail with X-Auto-Response-Suppress too: not a sign alone.
    plain = "X-Auto-Response-Suppress: All\nSubject: Re: Interview on Tuesday\n\n"
    assert not parse_headers(headers(plain)).automatic


def test_triage_reads_calendar_job_and_thread_mail_only() -> None:
    def decide(text: str, *, from_me: bool = False, thread: bool = False) -> bool:
        envelope = parse_headers(headers(text + "\n\n"))
        return triage(envelope, from_me=from_me, in_job_thread=thread).fetch_body

    assert decide("Content-Type: text/calendar; method=REQUEST\nSubject: Sync")
    assert decide("Subject: Einladung zum Vorstellungsgespräch")
    assert decide("Subject: Entrevista - próximos pasos")
    assert decide("Subject: Quick chat next week?")
    assert decide("From: no-reply@us.greenhouse-mail.io\nSubject: Hello")
    assert decide("Subject: Re: hello", thread=True)
    assert not decide("Subject: Your receipt from the bakery")
    assert not decide("Subject: Weekend plans")
    assert not decide("Subject: Interview tips", from_me=True)
    assert not decide("X-Afterview: approval\nSubject: Interview thank-you draft")


def test_subject_keys_strip_prefixes_in_several_languages() -> None:
    assert (
        subject_key("Re: AW: Fwd:  Interview   Platform Engineer") == "interview platform engineer"
    )
    assert subject_key("RE[2]: [jobs] Entretien") == "entretien"
    assert is_reply("Re: Interview") and not is_reply("Interview")


def test_only_specific_replies_may_join_a_thread_by_subject() -> None:
    def can_join(subject: str) -> bool:
        return subject_can_join(parse_headers(headers(f"Subject: {subject}\n\n")))

    assert can_join("Re: Platform Engineer interview")
    assert not can_join("Platform Engineer interview")  # not a reply
    assert not can_join("Re: Thanks")  # too generic to join anything


def test_every_labelled_interview_mail_in_the_corpus_gets_read_whole() -> None:
    """The triage sees only headers; a miss there is a missed interview."""
    corpus = Path(__file__).resolve().parents[1] / "corpus"
    missed, seen = [], 0
    for labels in sorted(corpus.glob("*/labels.jsonl")):
        for line in labels.read_text(encoding="utf-8").splitlines():
            label = json.loads(line) if line.strip() else None
            if not label or label["kind"] == "none" or not label["file"].endswith(".eml"):
                continue
            raw = (corpus / label["file"]).read_bytes()
            head = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0] + b"\r\n\r\n"
            seen += 1
            if not triage(parse_headers(head), from_me=False, in_job_thread=False).fetch_body:
                missed.append(label["file"])
    assert seen >= 200 and missed == []


def test_raw_8bit_subjects_are_read_as_text() -> None:
    """A subject sent as raw UTF-8 (or Latin-1) bytes, without RFC 2047 words."""
    assert parse_headers("Subject: Entretien prévu\r\n\r\n".encode()).subject == "Entretien prévu"
    latin = "Subject: Gespräch\r\n\r\n".encode("latin-1")
    assert parse_headers(latin).subject == "Gespräch"


def test_approval_tokens_never_reach_the_state_but_threads_hold() -> None:
    token = "3OsnazEvoivn3IlyuGalFUs_CVq_bFJ9"
    raw = (
        f"Message-ID: <reply@example.test>\r\nIn-Reply-To: <afterview.approve.{token}@example.test>"
        f"\r\nReferences: <afterview.approve.{token}@example.test>\r\n"
        f"Subject: Re: [afterview] Send? Thank-you note [av:{token}]\r\n\r\n"
    ).encode()
    envelope = parse_headers(raw)
    assert token not in repr(envelope)
    assert envelope.references[0].startswith("afterview.approve.h")  # still a reply to it
    assert "[av:h" in envelope.subject
    request_id = f"<afterview.approve.{token}@example.test>"
    request = parse_headers(f"Message-ID: {request_id}\r\n\r\n".encode())
    assert request.message_id == envelope.in_reply_to  # the same token, the same id

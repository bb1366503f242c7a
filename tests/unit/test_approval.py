"""Approval replies: the command from the reply's own text, and one test per acceptance rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from daemon.approval import (
    Action,
    PendingApproval,
    check,
    find_approval,
    new_token,
    parse_command,
    read_reply,
    request_message_id,
    request_text,
    subject_tag,
    token_digest,
    without_signature,
)
from daemon.drafts import one_line

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
TOKEN = new_token()
PENDING = PendingApproval(
    TOKEN.digest,
    draft_id=7,
    draft_version=1,
    current_version=1,
    expires_at=NOW + timedelta(hours=72),
    used=False,
)
APPROVERS = ("carol@example.test",)
REQUEST_ID = request_message_id(TOKEN.value, "example.test")


def reply(
    body: str = "SEND\n",
    *,
    headers: str = "",
    sender: str = "Carol <carol@example.test>",
    subject: str = "Re: [afterview] Send? Thank-you note",
) -> bytes:
    text = (
        f"From: {sender}\r\nTo: carol@example.test\r\nSubject: {subject}\r\n"
        f"Message-ID: <r{abs(hash(body + headers))}@example.test>\r\n"
        f"In-Reply-To: <{REQUEST_ID}>\r\nReferences: <{REQUEST_ID}>\r\n{headers}"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{body}\r\n\r\nOn Fri, Dec 4, 2026 at 9:00 AM Carol <carol@example.test> wrote:\r\n"
        "> ---- reply above this line ----\r\n> SEND           send it as it is\r\n"
    )
    return text.encode()


def verdict(
    raw: bytes,
    approval: PendingApproval | None = PENDING,
    *,
    authserv: str | None = None,
    now: datetime = NOW,
) -> tuple[bool, str]:
    found = read_reply(raw)
    result = check(found, approval, approvers=APPROVERS, trusted_authserv_id=authserv, now=now)
    return result.accepted, result.reason


# -- the command ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "action", "text"),
    [
        ("SEND", Action.SEND, ""),
        ("send.", Action.SEND, ""),
        (
            "SEND\nHi Dana,\nthank you so much!\n\nCarol",
            Action.SEND,
            "Hi Dana,\nthank you so much!\n\nCarol",
        ),
        ("SKIP", Action.SKIP, ""),
        ("NOTES mention the robotics demo", Action.NOTES, "mention the robotics demo"),
        ("Thanks", Action.UNCLEAR, ""),
        ("", Action.UNCLEAR, ""),
        ("Please SEND it", Action.UNCLEAR, ""),
    ],
)
def test_commands_come_from_the_first_line(body: str, action: Action, text: str) -> None:
    command = parse_command(body + "\n\nOn Fri, Dec 4 Carol wrote:\n> SEND\n")
    assert command.action is action
    assert command.text == text


def test_a_reply_that_only_quotes_send_does_nothing() -> None:
    quoted = "\n\n> ---- reply above this line ----\n> SEND  send it as it is\n"
    assert parse_command("Thanks!" + quoted).action is Action.UNCLEAR
    assert parse_command(quoted).action is Action.UNCLEAR
    outlook = "\n________________________________\nFrom: Carol\nSent: Friday\n\nSEND\n"
    assert parse_command("ok" + outlook).action is Action.UNCLEAR
    german = "\n\nAm Fr., 4. Dez. 2026 um 09:00 schrieb Carol <c@x>:\nSEND\n"
    assert parse_command(german).action is Action.UNCLEAR


def test_snooze_is_bounded_and_send_to_takes_one_address() -> None:
    assert parse_command("SNOOZE 4h").snooze == timedelta(hours=4)
    assert parse_command("snooze 2d").snooze == timedelta(days=2)
    assert parse_command("SNOOZE 30d").action is Action.UNCLEAR
    assert parse_command("SNOOZE soon").action is Action.UNCLEAR
    command = parse_command("SEND to Dana.Lee@Lumen.example")
    assert command.action is Action.SEND and command.send_to == "dana.lee@lumen.example"
    assert parse_command("SEND to a@b.example, c@d.example").action is Action.UNCLEAR


# -- the rules, one test each -------------------------------------------------------------------


def test_a_proper_reply_is_accepted() -> None:
    assert verdict(reply()) == (True, "accepted")


def test_exactly_one_from_mailbox() -> None:
    two = "Carol <carol@example.test>, Mallory <carol@example.test>"
    assert verdict(reply(sender=two)) == (False, "the reply has 2 From addresses, not one")


def test_the_sender_must_be_an_approver() -> None:
    assert verdict(reply(sender="dana.lee@lumen.example")) == (
        False,
        "dana.lee@lumen.example is not an approver",
    )


@pytest.mark.parametrize(
    "sender",
    [
        # Decoded before parsing, these wrote the approver's address (and an open comment that
        # swallowed the real one, or a second address) for the parser to find.
        "=?utf-8?q?carol=40example.test_=28?= <mallory@evil.example>",
        "=?utf-8?q?Carol_=3Ccarol=40example.test=3E?= <mallory@evil.example>",
        "=?utf-8?q?carol=40example.test?=",
    ],
)
def test_an_encoded_display_name_never_makes_an_approver(sender: str) -> None:
    accepted, reason = verdict(reply(sender=sender))
    assert not accepted and reason.endswith(" is not an approver")


def test_an_encoded_display_name_is_still_just_a_name() -> None:
    assert verdict(reply(sender="=?utf-8?q?Caf=C3=A9_Carol?= <carol@example.test>")) == (
        True,
        "accepted",
    )


def test_a_sender_header_naming_someone_else_never_acts() -> None:
    """A delegate, a list or a relay sent it "on behalf of" the approver: not the approver."""
    assert verdict(reply(headers="Sender: assistant@example.test\r\n")) == (
        False,
        "sent by assistant@example.test on behalf of carol@example.test",
    )
    assert verdict(reply(headers="Sender: Carol <carol@example.test>\r\n")) == (True, "accepted")


def test_send_to_cannot_change_the_recipients_of_an_addressed_note() -> None:
    redirected = reply("SEND to mallory@evil.example")
    assert verdict(redirected, replace(PENDING, addressed=True)) == (
        False,
        "SEND to is only for a note with no address",
    )
    assert verdict(redirected) == (True, "accepted")  # a note with no address yet


def test_the_token_resolves_from_the_plus_address_the_references_or_the_subject() -> None:
    plus = (
        reply()
        .replace(b"To: carol@example.test", f"To: carol+av-{TOKEN.value}@example.test".encode())
        .replace(REQUEST_ID.encode(), b"other@example.test")
    )
    assert find_approval(read_reply(plus), [PENDING]) == PENDING
    by_subject = reply(subject=f"Re: Send? {subject_tag(TOKEN.value)}").replace(
        REQUEST_ID.encode(), b"other@example.test"
    )
    assert find_approval(read_reply(by_subject), [PENDING]) == PENDING
    assert find_approval(read_reply(reply()), [PENDING]) == PENDING  # Exchange: no plus address
    nothing = reply().replace(REQUEST_ID.encode(), b"other@example.test")
    assert find_approval(read_reply(nothing), [PENDING]) is None
    assert verdict(nothing, None) == (False, "no live approval token in the reply")


def test_a_guessed_token_matches_nothing() -> None:
    guess = new_token()
    assert guess.digest != TOKEN.digest and len(TOKEN.value) >= 32  # 192 bits, urlsafe
    forged = reply().replace(TOKEN.value.encode(), guess.value.encode())
    assert find_approval(read_reply(forged), [PENDING]) is None
    assert token_digest(TOKEN.value) == PENDING.token_digest


def test_a_used_token_does_not_act_twice() -> None:
    assert verdict(reply(), replace(PENDING, used=True)) == (
        False,
        "the approval token was already used",
    )


def test_an_expired_request_does_not_act() -> None:
    assert verdict(reply(), now=PENDING.expires_at) == (False, "the approval request has expired")


def test_a_token_for_an_older_version_cannot_approve_the_new_one() -> None:
    assert verdict(reply(), replace(PENDING, current_version=2))[1].startswith("the draft changed")


@pytest.mark.parametrize(
    "headers",
    [
        "Auto-Submitted: auto-replied\r\n",
        "X-Autoreply: yes\r\n",
        "X-Autorespond: vacation\r\n",
        "Precedence: bulk\r\n",
        "Precedence: auto_reply\r\n",
        "Return-Path: <>\r\n",
        "List-Id: <jobs.lists.example>\r\n",
    ],
)
def test_automatic_replies_never_act(headers: str) -> None:
    accepted, reason = verdict(reply(headers=headers))
    assert not accepted and reason.startswith("an automatic reply")


def test_out_of_office_subjects_and_robot_senders_never_act() -> None:
    assert not verdict(reply(subject="Out of Office: Re: [afterview] Send?"))[0]
    assert not verdict(reply(subject="Automatische Antwort: Send?"))[0]
    assert not verdict(reply(subject="Réponse automatique : absent"))[0]
    # X-Auto-Response-Suppress alone (Outlook puts it on many mails) is not automatic.
    assert verdict(reply(headers="X-Auto-Response-Suppress: All\r\n")) == (True, "accepted")


def test_afterview_s_own_mail_coming_back_never_acts() -> None:
    assert verdict(reply(headers="X-Afterview: approval\r\n")) == (
        False,
        "afterview's own mail came back",
    )


def test_authentication_results_from_the_trusted_server() -> None:
    fail = (
        "Authentication-Results: mx.example.test; dkim=fail header.d=example.test; dmarc=fail\r\n"
    )
    assert verdict(reply(headers=fail), authserv="mx.example.test") == (
        False,
        "DMARC failed for example.test",
    )
    # A forged "pass" below the real "fail" is still a fail: only the topmost counts.
    forged = fail + "Authentication-Results: mx.example.test; dmarc=pass\r\n"
    assert not verdict(reply(headers=forged), authserv="mx.example.test")[0]
    passed = "Authentication-Results: mx.example.test; dkim=pass header.d=example.test\r\n"
    assert verdict(reply(headers=passed), authserv="mx.example.test")[0]
    # Another server's verdict, or no configured id, is neutral.
    assert verdict(
        reply(headers=fail.replace("mx.example.test", "evil.example")), authserv="mx.example.test"
    )[0]
    assert verdict(reply(headers=fail))[0]
    # A pass for another From domain than the one read here: the server saw another From.
    other = "Authentication-Results: mx.example.test; dmarc=pass header.from=evil.example\r\n"
    assert verdict(reply(headers=other), authserv="mx.example.test") == (
        False,
        "the trusted Authentication-Results judged evil.example, not example.test",
    )
    same = other.replace("evil.example", "Example.Test")
    assert verdict(reply(headers=same), authserv="mx.example.test") == (True, "accepted")
    garbage = "Authentication-Results: mx.example.test; ((((\x00;;;\r\n"
    assert verdict(reply(headers=garbage), authserv="mx.example.test") == (
        False,
        "the trusted Authentication-Results header cannot be read",
    )


def test_an_unclear_reply_from_an_approver_is_refused_with_the_reason() -> None:
    accepted, reason = verdict(reply("Looks good to me"))
    assert not accepted and "is not SEND, SKIP, SNOOZE, NOTES" in reason


def test_hostile_mime_never_raises() -> None:
    for raw in (b"", b"\xff\xfe" * 1000, b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x"):
        found = read_reply(raw)
        assert found.command.action is Action.UNCLEAR


def test_the_request_shows_the_draft_and_how_to_answer() -> None:
    text = request_text(
        token=TOKEN.value,
        what="Thank-you note to Dana Lee (Lumen Labs)",
        why="Your interview ended an hour ago.",
        recipients=[],
        note_subject="Thank you",
        note_body="Hi Dana,\n",
        expires="on Monday",
    )
    assert text.subject.endswith(subject_tag(TOKEN.value))
    assert text.body.startswith("---- reply above this line ----")
    assert "SEND to someone@company.com" in text.body and "Hi Dana," in text.body
    # A reply that quotes the whole request still has no command.
    quoted = "Thanks\n\n" + "".join(f"> {line}\n" for line in text.body.splitlines())
    assert parse_command(quoted).action is Action.UNCLEAR


@pytest.mark.parametrize(
    "footer",
    [
        "Sent from my iPhone",
        "-- \nCarol Candidate\n+1 555 0100",
        "--\nCarol",
        "Get Outlook for iOS",
        "Von meinem iPhone gesendet",
        "Envoyé de mon iPhone",
        "Enviado desde mi Android",
    ],
)
def test_a_phone_footer_or_signature_under_send_is_no_note(footer: str) -> None:
    command = parse_command(f"SEND\n\n{footer}\n\nOn Mon, afterview wrote:\n> the request")
    assert command.action is Action.SEND and command.text == ""


def test_the_user_s_own_signature_under_send_leaves_the_draft() -> None:
    text = parse_command("SEND\n\nCarol Candidate\nData Engineer").text
    assert without_signature(text, "Carol Candidate", "Carol Candidate\nData Engineer") == ""
    note = parse_command("SEND\nThanks Dana, it was great.\n\nCarol Candidate").text
    assert without_signature(note, "Carol Candidate", "") == "Thanks Dana, it was great."


def test_a_huge_hostile_reply_is_read_in_bounded_steps() -> None:
    # The reply-parsing library slows down quadratically on lines like these; it never
    # sees more than MAX_LIBRARY_TEXT characters.
    command = parse_command("SEND\n" + "On On " * 40_000)
    assert command.action is Action.SEND


@pytest.mark.parametrize(
    "robot",
    [
        "noreply@example.test",
        "no-reply@example.test",
        "do-not-reply@example.test",
        "MAILER-DAEMON@example.test",
        "postmaster@example.test",
    ],
)
def test_a_robot_sender_never_acts_even_as_an_approver(robot: str) -> None:
    # Listed as an approver, so only the robot rule stands between this SEND and the send.
    raw = reply(sender=f"Mail Delivery System <{robot}>")
    result = check(
        read_reply(raw), PENDING, approvers=(robot.lower(),), trusted_authserv_id=None, now=NOW
    )
    assert (result.accepted, result.reason) == (
        False,
        "an automatic reply (sent by a robot address)",
    )
    assert verdict(raw) == (False, f"{robot.lower()} is not an approver")


def test_a_delivery_or_read_report_never_acts() -> None:
    """A read receipt Carol's own mail client sends back to the request: multipart/report,
    from her address, threaded, with SEND on its first line."""
    raw = (
        "From: Carol <carol@example.test>\r\nTo: carol@example.test\r\n"
        "Subject: Read: [afterview] Send? Thank-you note\r\n"
        "Message-ID: <receipt-1@example.test>\r\n"
        f"In-Reply-To: <{REQUEST_ID}>\r\nReferences: <{REQUEST_ID}>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=disposition-notification; boundary="b"\r\n'
        "\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSEND\r\n"
        "\r\n--b\r\nContent-Type: message/disposition-notification\r\n\r\n"
        f"Original-Message-ID: <{REQUEST_ID}>\r\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\r\n"
        "\r\n--b--\r\n"
    ).encode()
    found = read_reply(raw)
    assert found.command.action is Action.SEND  # the text alone would send
    assert verdict(raw) == (False, "an automatic reply (a delivery or read report)")


def test_send_to_takes_only_an_address_a_header_can_carry() -> None:
    assert parse_command("SEND to =?utf-8?q?a=0D=0ABcc:_x?=@evil.example").action is Action.UNCLEAR
    assert parse_command("SEND to a,b@evil.example").send_to == "a,b@evil.example"  # quoted


def test_long_names_never_push_the_token_out_of_the_subject() -> None:
    text = request_text(
        token=TOKEN.value,
        what="Thank-you note to " + "Maximiliane Anastasia von Hohenzollern-Sigmaringen, " * 8,
        why="",
        recipients=[],
        note_subject="",
        note_body="",
        expires="",
    )
    assert one_line(text.subject).endswith(subject_tag(TOKEN.value))


def test_a_reply_in_an_odd_charset_or_with_a_broken_file_name_is_read() -> None:
    raw = (
        b'From: carol@example.test\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: application/pdf; name*0*=utf-8''%E9%ZZ; name*5*=x''%FF\r\n\r\nx\r\n"
        b"--b\r\nContent-Type: text/plain; charset=idna\r\n\r\nSEND\r\n--b--\r\n"
    )
    assert read_reply(raw).command.action is Action.SEND

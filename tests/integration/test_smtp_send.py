"""Sending one message through the real SMTP server: each phase's failure is told apart."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import aiosmtplib
import pytest

from daemon.config import Security, SmtpConfig
from daemon.credentials import Secret
from daemon.errors import AuthenticationFailed
from daemon.mail.smtp import Outcome, SendResult, send
from daemon.store import StateNotWritten
from tests.harness import CertBundle, DovecotServer, SubmissionServer

pytestmark = pytest.mark.integration


def config(server: SubmissionServer, certs: CertBundle) -> SmtpConfig:
    return SmtpConfig(
        host=server.host, port=server.starttls_port, security=Security.STARTTLS,
        username="alice", secret=Secret("test", "alice-Secret-1"), ca_file=certs.ca_pem,
        insecure=False, saves_sent_copy=False,
    )  # fmt: skip


def message() -> tuple[str, bytes]:
    mail = EmailMessage()
    mail["From"] = "alice@example.test"
    mail["To"] = "bob@example.test"
    mail["Subject"] = "Thank you"
    msgid = make_msgid(domain="example.test")
    mail["Message-ID"] = msgid
    mail.set_content("Hi Bob,\n")
    return msgid, mail.as_bytes()


def run(server: SubmissionServer, certs: CertBundle, calls: list[str]) -> SendResult:
    _, raw = message()
    return asyncio.run(
        send(config(server, certs), "alice@example.test", ["bob@example.test"], raw,
             before_data=lambda: calls.append("data"))
    )  # fmt: skip


def test_a_message_is_sent_and_the_data_phase_announced(
    smtp_server: SubmissionServer, tls_certs: CertBundle
) -> None:
    calls: list[str] = []
    result = run(smtp_server, tls_certs, calls)
    assert result.outcome is Outcome.SENT and result.accepted == ("bob@example.test",)
    assert calls == ["data"]
    assert len(smtp_server.messages()) == 1


@pytest.mark.parametrize(
    ("code", "outcome"),
    [(451, Outcome.RETRY), (452, Outcome.RETRY), (550, Outcome.FAILED), (554, Outcome.FAILED)],
)
def test_a_reply_code_to_the_data_means_not_sent(
    smtp_server: SubmissionServer, tls_certs: CertBundle, code: int, outcome: Outcome
) -> None:
    smtp_server.faults.fail_next(code)
    result = run(smtp_server, tls_certs, [])
    assert result.outcome is outcome and str(code) in result.detail
    assert smtp_server.messages() == []


def test_a_connection_lost_after_the_final_dot_is_unknown(
    smtp_server: SubmissionServer, tls_certs: CertBundle
) -> None:
    smtp_server.faults.drop_next(deliver=True)
    result = run(smtp_server, tls_certs, [])
    assert result.outcome is Outcome.UNKNOWN
    assert len(smtp_server.messages()) == 1  # it did arrive: retrying would duplicate it


def test_a_data_phase_the_state_cannot_record_hangs_up_before_the_dot(
    smtp_server: SubmissionServer, tls_certs: CertBundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commit before the final dot fails (a full disk): no dot, so nothing is delivered, and
    no QUIT either: in the middle of the data the server would take it for a line of the
    message and wait for the dot, until the client's timeout."""
    quits: list[bool] = []
    quit = aiosmtplib.SMTP.quit

    async def counted_quit(self: aiosmtplib.SMTP, *args: Any, **kwargs: Any) -> Any:
        quits.append(True)
        return await quit(self, *args, **kwargs)

    def refused() -> None:
        raise StateNotWritten("cannot write the state database: database or disk is full")

    monkeypatch.setattr(aiosmtplib.SMTP, "quit", counted_quit)
    _, raw = message()
    with pytest.raises(StateNotWritten):
        asyncio.run(send(config(smtp_server, tls_certs), "alice@example.test",
                         ["bob@example.test"], raw, before_data=refused, timeout=5.0))  # fmt: skip
    assert quits == []
    assert smtp_server.messages() == []


def test_trouble_before_the_data_is_a_retry(tls_certs: CertBundle) -> None:
    closed = SmtpConfig(
        host="127.0.0.1", port=9, security=Security.SSL, username="alice",
        secret=Secret("test", "x"), ca_file=tls_certs.ca_pem, insecure=False,
        saves_sent_copy=False,
    )  # fmt: skip
    calls: list[str] = []
    _, raw = message()
    result = asyncio.run(
        send(
            closed,
            "alice@example.test",
            ["bob@example.test"],
            raw,
            before_data=lambda: calls.append("data"),
        )
    )
    assert result.outcome is Outcome.RETRY and calls == []


def test_xoauth2_sends_and_a_wrong_token_is_refused(
    smtp_server: SubmissionServer, tls_certs: CertBundle
) -> None:
    _, raw = message()
    good = asyncio.run(send(config(smtp_server, tls_certs), "alice@example.test",
                            ["bob@example.test"], raw, token="alice-Secret-1"))  # fmt: skip
    assert good.outcome is Outcome.SENT
    with pytest.raises(AuthenticationFailed):
        asyncio.run(send(config(smtp_server, tls_certs), "alice@example.test",
                         ["bob@example.test"], raw, token="stolen-token"))  # fmt: skip


def send_to(
    server: SubmissionServer, certs: CertBundle, recipients: list[str], raw: bytes, calls: list[str]
) -> SendResult:
    return asyncio.run(
        send(config(server, certs), "alice@example.test", recipients, raw,
             before_data=lambda: calls.append("data"))
    )  # fmt: skip


def copies(dovecot: DovecotServer, user: str, msgid: str) -> int:
    """How many copies of the message `msgid` are in `user`'s INBOX."""
    found = dovecot.doveadm("search", "-u", user, "mailbox", "INBOX", "header", "Message-ID", msgid)
    return len(found.splitlines())


BOTH = ["bob@example.test", "carol@example.test"]


def test_a_recipient_refused_for_good_is_recorded_and_the_others_get_it_once(
    smtp_server: SubmissionServer, dovecot: DovecotServer, tls_certs: CertBundle
) -> None:
    no_such_user = "550 5.1.1 <carol@example.test>: no such user"
    smtp_server.refusals.refuse("carol@example.test", no_such_user)
    msgid, raw = message()
    calls: list[str] = []
    result = send_to(smtp_server, tls_certs, BOTH, raw, calls)
    assert result.outcome is Outcome.SENT and calls == ["data"]
    assert result.accepted == ("bob@example.test",)
    assert result.refused == {"carol@example.test": no_such_user}  # the server's reply, whole
    assert f"refused: carol@example.test ({no_such_user})" in result.detail
    assert [m.rcpt_tos for m in smtp_server.messages()] == [("bob@example.test",)]
    assert (copies(dovecot, "bob", msgid), copies(dovecot, "carol", msgid)) == (1, 0)


def test_a_recipient_refused_for_now_holds_the_message_for_everyone(
    smtp_server: SubmissionServer, dovecot: DovecotServer, tls_certs: CertBundle
) -> None:
    smtp_server.refusals.refuse("carol@example.test", "450 4.2.1 try later", times=1)
    msgid, raw = message()
    calls: list[str] = []
    held = send_to(smtp_server, tls_certs, BOTH, raw, calls)
    assert held.outcome is Outcome.RETRY and calls == []  # the data never went out
    assert "carol@example.test (450 4.2.1 try later)" in held.detail
    assert smtp_server.messages() == []
    retried = send_to(smtp_server, tls_certs, BOTH, raw, calls)  # what the outbox does later
    assert retried.outcome is Outcome.SENT and retried.accepted == tuple(BOTH)
    assert (copies(dovecot, "bob", msgid), copies(dovecot, "carol", msgid)) == (1, 1)


@pytest.mark.parametrize(
    ("reply", "outcome"),
    [("550 5.1.1 no such user", Outcome.FAILED), ("450 4.2.1 try later", Outcome.RETRY)],
)
def test_every_recipient_refused_sends_nothing(
    smtp_server: SubmissionServer, tls_certs: CertBundle, reply: str, outcome: Outcome
) -> None:
    for recipient in BOTH:
        smtp_server.refusals.refuse(recipient, reply)
    calls: list[str] = []
    result = send_to(smtp_server, tls_certs, BOTH, message()[1], calls)
    assert result.outcome is outcome and result.refused == dict.fromkeys(BOTH, reply)
    assert calls == [] and smtp_server.messages() == []

"""Proof that the harness runs real servers: mail and calendar data make the round trip."""

import asyncio
import uuid
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from zoneinfo import ZoneInfo

import aiosmtplib
import icalendar
import pytest
from caldav.calendarobjectresource import CalendarObjectResource
from caldav.collection import Calendar
from caldav.davclient import DAVClient
from imapclient import IMAPClient
from imapclient.imapclient import SENT

from tests.harness import (
    CertBundle,
    DataFault,
    DovecotServer,
    RadicaleServer,
    SubmissionServer,
    user_named,
)
from tests.harness.lmtp import LmtpRefused

pytestmark = pytest.mark.integration

ALICE = user_named("alice")
BOB = user_named("bob")


def make_message(sender: str, recipient: str) -> tuple[str, bytes]:
    """A small message with a unique Message-ID, as the CRLF bytes SMTP carries."""
    message_id = f"<{uuid.uuid4().hex}@afterview.test>"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = "Thank you for the interview"
    message["Message-ID"] = message_id
    message.set_content("Dear Bob,\n\nthank you for your time today.\n")
    return message_id, message.as_bytes(policy=SMTP_POLICY)


def submit(
    server: SubmissionServer,
    certs: CertBundle,
    listener: str,
    raw: bytes,
    recipient: str,
    username: str | None = ALICE.name,
    password: str | None = ALICE.password,
) -> None:
    """Send ``raw`` with aiosmtplib through one of the server's listeners."""
    asyncio.run(send_and_disconnect(server, certs, listener, raw, recipient, username, password))


async def send_and_disconnect(
    server: SubmissionServer,
    certs: CertBundle,
    listener: str,
    raw: bytes,
    recipient: str,
    username: str | None,
    password: str | None,
) -> None:
    """Send, QUIT, and wait until the socket is really closed.

    aiosmtplib's close() does not wait for the TLS shutdown; asyncio.run()
    would then close the loop with the socket still open, which -W error
    turns into a ResourceWarning failure in some later test.
    """
    port = {
        "starttls": server.starttls_port,
        "tls": server.tls_port,
        "plain": server.plain_port,
    }[listener]
    client = aiosmtplib.SMTP(
        hostname=server.host,
        port=port,
        use_tls=listener == "tls",
        start_tls=listener == "starttls",
        tls_context=certs.client_context(),
        timeout=10,
    )
    await client.connect()
    assert client.transport is not None
    raw_socket = client.transport.get_extra_info("socket")
    try:
        if username is not None and password is not None:
            await client.login(username, password)
        await client.sendmail(ALICE.address, [recipient], raw)
    finally:
        try:
            await client.quit()
        except aiosmtplib.SMTPException:
            client.close()
        for _ in range(500):
            if raw_socket.fileno() == -1:
                break
            await asyncio.sleep(0.01)


def fetch_by_message_id(
    dovecot: DovecotServer, certs: CertBundle, user: str, message_id: str
) -> list[bytes]:
    """Every INBOX message of ``user`` with that Message-ID, over verified IMAPS."""
    password = user_named(user).password
    with IMAPClient(
        dovecot.host, port=dovecot.imaps_port, ssl=True, ssl_context=certs.client_context()
    ) as client:
        client.login(user, password)
        client.select_folder("INBOX", readonly=True)
        uids = client.search(["HEADER", "Message-ID", message_id])
        fetched = client.fetch(uids, [b"BODY.PEEK[]"])
        return [data[b"BODY[]"] for data in fetched.values()]


@pytest.mark.parametrize("listener", ["starttls", "tls", "plain"])
def test_submitted_message_lands_in_inbox(
    smtp_server: SubmissionServer, dovecot: DovecotServer, tls_certs: CertBundle, listener: str
) -> None:
    message_id, raw = make_message(ALICE.address, BOB.address)

    submit(smtp_server, tls_certs, listener, raw, BOB.address)

    # Dovecot's LMTP prepends Return-Path, Delivered-To and Received.
    [stored] = fetch_by_message_id(dovecot, tls_certs, "bob", message_id)
    assert stored.endswith(raw)
    [copy] = smtp_server.messages()
    assert copy.raw == raw
    assert copy.username == ALICE.name
    assert copy.listener == listener
    assert copy.mail_from == ALICE.address
    assert copy.rcpt_tos == (BOB.address,)
    assert copy.delivered_to == (BOB.address,)


def test_submission_without_auth_is_refused(
    smtp_server: SubmissionServer, tls_certs: CertBundle
) -> None:
    _, raw = make_message(ALICE.address, BOB.address)

    with pytest.raises(aiosmtplib.SMTPSenderRefused) as refused:
        submit(smtp_server, tls_certs, "starttls", raw, BOB.address, None, None)

    assert refused.value.code == 530
    assert smtp_server.messages() == []


@pytest.mark.parametrize("listener", ["starttls", "plain"])
def test_wrong_password_is_refused(
    smtp_server: SubmissionServer, tls_certs: CertBundle, listener: str
) -> None:
    _, raw = make_message(ALICE.address, BOB.address)

    with pytest.raises(aiosmtplib.SMTPAuthenticationError) as refused:
        submit(smtp_server, tls_certs, listener, raw, BOB.address, ALICE.name, "wrong")

    assert refused.value.code == 535


def test_auth_before_starttls_is_refused(
    smtp_server: SubmissionServer, tls_certs: CertBundle
) -> None:
    async def login_in_clear_text() -> None:
        async with aiosmtplib.SMTP(
            hostname=smtp_server.host, port=smtp_server.starttls_port, start_tls=False
        ) as client:
            await client.login(ALICE.name, ALICE.password)

    with pytest.raises(aiosmtplib.SMTPException):
        asyncio.run(login_in_clear_text())


def test_unknown_local_recipient_is_refused_after_data(
    smtp_server: SubmissionServer, dovecot: DovecotServer, tls_certs: CertBundle
) -> None:
    _, raw = make_message(ALICE.address, "nobody@example.test")

    with pytest.raises(LmtpRefused) as lmtp_refused:
        dovecot.deliver("nobody@example.test", raw)
    with pytest.raises(aiosmtplib.SMTPDataError) as smtp_refused:
        submit(smtp_server, tls_certs, "tls", raw, "nobody@example.test")

    assert lmtp_refused.value.code == 550
    assert smtp_refused.value.code == 550
    assert smtp_server.messages() == []


def test_injected_data_failures(
    smtp_server: SubmissionServer, dovecot: DovecotServer, tls_certs: CertBundle
) -> None:
    message_id, raw = make_message(ALICE.address, BOB.address)
    smtp_server.faults.fail_next(451)
    smtp_server.faults.drop_next()

    with pytest.raises(aiosmtplib.SMTPDataError) as temporary:
        submit(smtp_server, tls_certs, "tls", raw, BOB.address)
    with pytest.raises(aiosmtplib.SMTPServerDisconnected):
        submit(smtp_server, tls_certs, "starttls", raw, BOB.address)
    assert fetch_by_message_id(dovecot, tls_certs, "bob", message_id) == []
    submit(smtp_server, tls_certs, "tls", raw, BOB.address)

    assert temporary.value.code == 451
    assert len(fetch_by_message_id(dovecot, tls_certs, "bob", message_id)) == 1
    assert len(smtp_server.messages()) == 1


def test_dropped_reply_after_delivery(
    smtp_server: SubmissionServer, dovecot: DovecotServer, tls_certs: CertBundle
) -> None:
    message_id, raw = make_message(ALICE.address, BOB.address)
    smtp_server.faults.inject(DataFault(code=None, deliver=True))

    with pytest.raises(aiosmtplib.SMTPServerDisconnected):
        submit(smtp_server, tls_certs, "plain", raw, BOB.address)

    assert len(fetch_by_message_id(dovecot, tls_certs, "bob", message_id)) == 1
    assert [copy.raw for copy in smtp_server.messages()] == [raw]
    assert smtp_server.faults.pending() == 0


def test_imap_starttls_capabilities_and_special_use(
    dovecot: DovecotServer, tls_certs: CertBundle
) -> None:
    with IMAPClient(dovecot.host, port=dovecot.imap_port, ssl=False) as client:
        client.starttls(tls_certs.client_context())
        client.login(ALICE.name, ALICE.password)
        capabilities = set(client.capabilities())
        sent = client.find_special_folder(SENT)
        folders = {name: flags for flags, _, name in client.list_folders()}
        inbox = client.select_folder("INBOX")

    assert {b"IDLE", b"CONDSTORE", b"QRESYNC", b"SPECIAL-USE"} <= capabilities
    assert sent == "Sent"
    assert b"\\Sent" in folders["Sent"]
    assert b"\\*" in inbox[b"PERMANENTFLAGS"]  # custom keywords may be set


def test_plaintext_imap_login_is_allowed(dovecot: DovecotServer) -> None:
    with IMAPClient(dovecot.host, port=dovecot.imap_port, ssl=False) as client:
        client.login(BOB.name, BOB.password)
        assert client.select_folder("INBOX")[b"UIDVALIDITY"] > 0


def test_tagged_address_lands_in_users_inbox(
    smtp_server: SubmissionServer, dovecot: DovecotServer, tls_certs: CertBundle
) -> None:
    tagged = ALICE.tagged_address("interviews")
    message_id, raw = make_message(BOB.address, tagged)

    submit(smtp_server, tls_certs, "plain", raw, tagged)

    [stored] = fetch_by_message_id(dovecot, tls_certs, "alice", message_id)
    assert f"Delivered-To: {tagged}".encode() in stored


def test_dovecot_restart_accepts_new_logins(dovecot: DovecotServer, tls_certs: CertBundle) -> None:
    message_id, raw = make_message(BOB.address, "carol@example.test")
    dovecot.deliver("carol@example.test", raw)

    dovecot.restart()

    assert len(fetch_by_message_id(dovecot, tls_certs, "carol", message_id)) == 1


def test_dovecot_survives_a_crash(dovecot: DovecotServer, tls_certs: CertBundle) -> None:
    dovecot.stop(kill=True)
    assert not dovecot.running

    dovecot.start()

    message_id, raw = make_message(BOB.address, "carol@example.test")
    dovecot.deliver("carol@example.test", raw)
    assert len(fetch_by_message_id(dovecot, tls_certs, "carol", message_id)) == 1


def test_empty_mailboxes(dovecot: DovecotServer, tls_certs: CertBundle) -> None:
    message_id, raw = make_message(BOB.address, "carol@example.test")
    dovecot.deliver("carol@example.test", raw)

    dovecot.empty_mailboxes("carol")

    assert fetch_by_message_id(dovecot, tls_certs, "carol", message_id) == []


INTERVIEW_EVENT = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//afterview//tests//EN
BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
UID:interview-harness-test@afterview.test
DTSTAMP:20260301T090000Z
DTSTART;TZID=Europe/Berlin:20260302T143000
DTEND;TZID=Europe/Berlin:20260302T153000
SUMMARY:Interview with Example Corp
END:VEVENT
END:VCALENDAR
"""


def test_caldav_event_round_trip(radicale: RadicaleServer) -> None:
    with DAVClient(
        url=radicale.base_url, username=radicale.username, password=radicale.password
    ) as client:
        calendar = Calendar(client=client, url=radicale.calendar_url)
        calendar.add_event(INTERVIEW_EVENT)
        stored = calendar.get_event_by_uid("interview-harness-test@afterview.test")
        assert isinstance(stored, CalendarObjectResource)  # the sync client's result
        event = icalendar.Calendar.from_ical(stored.data).walk("VEVENT")[0]

    assert str(event["SUMMARY"]) == "Interview with Example Corp"
    start = event.decoded("DTSTART")
    assert start == datetime(2026, 3, 2, 14, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"

"""Quiet threads and the daily digest end to end, through the real servers, time moved by `--now`.

Carol's mailbox holds a recruiter's mail she has not answered (waiting on you), her own note
about an application nobody answered (waiting on them), a job newsletter and a friend's mail.
afterview marks the two quiet threads with `$FollowUp` and clears the marks when the threads
move; a reply MUTE to the digest silences a thread; a server that takes no new keywords gets
`\\Flagged` instead.
"""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default
from email.utils import format_datetime, make_msgid
from pathlib import Path

import imapclient
import pytest

from tests.cli import afterview
from tests.cli import run_once as run
from tests.harness import CertBundle, DovecotServer, KeywordRefusingDovecot, SubmissionServer

pytestmark = pytest.mark.integration

CAROL, CAROL_PW = "carol@example.test", "carol-Secret-3"
KEYWORD = b"$FollowUp"
NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)  # a Thursday; 13:00 in Berlin


def mail(
    sender: str,
    to: str,
    subject: str,
    at: datetime,
    body: str = "Hello.",
    *,
    in_reply_to: str | None = None,
    newsletter: bool = False,
) -> tuple[bytes, str]:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(at)
    message_id = make_msgid(domain="mail.example")
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    if newsletter:
        message["List-Id"] = "Job alerts <alerts.news.example>"
        message["List-Unsubscribe"] = "<https://news.example/unsubscribe>"
    message.set_content(body)
    return message.as_bytes(), message_id


Server = DovecotServer | KeywordRefusingDovecot


def seed(server: Server, certs: CertBundle) -> dict[str, str]:
    """The mailbox at the start; the Message-IDs by name."""
    ids = {}
    raw, ids["recruiter"] = mail(
        "Dana Lee <dana@lumen.example>",
        CAROL,
        "Data Engineer role at Lumen Labs",
        NOW - timedelta(days=3),
        "Hi Carol, are you open to a chat about the Data Engineer role?",
    )
    server.deliver(CAROL, raw, sender="dana@lumen.example")
    raw, ids["newsletter"] = mail(
        "Job Alerts <alerts@news.example>",
        CAROL,
        "10 new Data Engineer jobs for you",
        NOW - timedelta(days=4),
        newsletter=True,
    )
    server.deliver(CAROL, raw, sender="alerts@news.example")
    raw, ids["friend"] = mail(
        "Tom <tom@friends.example>", CAROL, "Dinner Friday?", NOW - timedelta(days=3)
    )
    server.deliver(CAROL, raw, sender="tom@friends.example")
    raw, ids["application"] = mail(
        f"Carol Candidate <{CAROL}>",
        "Sam Ortiz <sam@orbit.example>",
        "Application for the Platform Engineer position",
        NOW - timedelta(days=8),  # Wednesday 2 December: five business days before the 9th
        "Dear Sam, please find my application attached.",
    )
    with login(server, certs) as client:
        client.append("Sent", raw, flags=(imapclient.SEEN,))
    return ids


def login(server: Server, certs: CertBundle) -> imapclient.IMAPClient:
    client = imapclient.IMAPClient(
        "127.0.0.1", port=server.imaps_port, ssl_context=certs.client_context()
    )
    client.login("carol", CAROL_PW)
    return client


def flags_by_id(server: Server, certs: CertBundle, folder: str) -> dict[str, set[bytes]]:
    """Message-ID -> flags, read without changing any."""
    with login(server, certs) as client:
        client.select_folder(folder, readonly=True)
        uids = client.search("ALL")
        found = client.fetch(uids, ["FLAGS", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
    result = {}
    for data in found.values():
        header = data[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode()
        message_id = header.split(":", 1)[1].strip() if ":" in header else ""
        result[message_id] = set(data[b"FLAGS"])
    return result


def inbox_messages(server: Server, certs: CertBundle) -> list[email.message.EmailMessage]:
    with login(server, certs) as client:
        client.select_folder("INBOX", readonly=True)
        found = client.fetch(client.search("ALL"), ["BODY.PEEK[]"])
    return [
        email.message_from_bytes(data[b"BODY[]"], policy=default)  # type: ignore[misc]
        for _, data in sorted(found.items())
    ]


def write_config(tmp_path: Path, server: Server, smtp: SubmissionServer, certs: CertBundle) -> Path:
    secret = tmp_path / "pw"
    secret.write_text(CAROL_PW + "\n")
    secret.chmod(0o600)
    path = tmp_path / "config.yaml"
    path.write_text(f"""
account: {{email: {CAROL}, name: Carol Candidate, timezone: Europe/Berlin}}
imap: {{host: 127.0.0.1, port: {server.imaps_port}, username: carol, password_file: {secret},
        ca_file: {certs.ca_pem}}}
smtp: {{host: 127.0.0.1, port: {smtp.starttls_port}, security: starttls, username: carol,
        password_file: {secret}, ca_file: {certs.ca_pem}}}
digest: {{at: "08:00"}}
state_dir: {tmp_path / "state"}
""")  # fmt: skip
    path.chmod(0o600)
    return path


@pytest.fixture
def carol(dovecot: DovecotServer) -> DovecotServer:
    dovecot.empty_mailboxes("carol")
    return dovecot


@pytest.fixture
def config_file(
    tmp_path: Path, carol: DovecotServer, smtp_server: SubmissionServer, tls_certs: CertBundle
) -> Path:
    return write_config(tmp_path, carol, smtp_server, tls_certs)


def test_both_quiet_rules_mark_the_thread_and_a_new_message_clears_it(
    carol: DovecotServer, tls_certs: CertBundle, config_file: Path
) -> None:
    ids = seed(carol, tls_certs)
    run(config_file, NOW)
    inbox = flags_by_id(carol, tls_certs, "INBOX")
    sent = flags_by_id(carol, tls_certs, "Sent")
    assert KEYWORD in inbox[ids["recruiter"]]  # waiting on Carol for 3 days
    assert KEYWORD in sent[ids["application"]]  # waiting on Sam for 6 business days
    assert KEYWORD not in inbox[ids["newsletter"]] and KEYWORD not in inbox[ids["friend"]]
    # Marked, never read: what was unread stays unread.
    for name in ("recruiter", "newsletter", "friend"):
        assert imapclient.SEEN not in inbox[ids[name]]

    # Carol answers Dana; Sam answers Carol. Both threads move on: the marks go.
    answer, _ = mail(f"Carol Candidate <{CAROL}>", "dana@lumen.example",
                     "Re: Data Engineer role at Lumen Labs", NOW + timedelta(hours=1),
                     in_reply_to=ids["recruiter"])  # fmt: skip
    with login(carol, tls_certs) as client:
        client.append("Sent", answer, flags=(imapclient.SEEN,))
    reply, reply_id = mail("Sam Ortiz <sam@orbit.example>", CAROL,
                           "Re: Application for the Platform Engineer position",
                           NOW + timedelta(hours=1), "Thanks Carol, we will read it.",
                           in_reply_to=ids["application"])  # fmt: skip
    carol.deliver(CAROL, reply, sender="sam@orbit.example")
    run(config_file, NOW + timedelta(hours=2))
    inbox = flags_by_id(carol, tls_certs, "INBOX")
    sent = flags_by_id(carol, tls_certs, "Sent")
    assert not any(KEYWORD in flags for flags in inbox.values()), inbox
    assert not any(KEYWORD in flags for flags in sent.values()), sent
    assert imapclient.SEEN not in inbox[reply_id]


def test_the_digest_lists_the_quiet_threads_once_a_day_and_mute_silences_one(
    carol: DovecotServer, tls_certs: CertBundle, config_file: Path
) -> None:
    ids = seed(carol, tls_certs)
    run(config_file, NOW)
    digests = [m for m in inbox_messages(carol, tls_certs) if "[afterview]" in str(m["Subject"])]
    assert len(digests) == 1, [str(m["Subject"]) for m in digests]
    digest = digests[0]
    text = digest.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = digest.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Data Engineer role at Lumen Labs" in text and "Platform Engineer position" in text
    assert "Dinner" not in text and "new Data Engineer jobs" not in text
    assert "Data Engineer role at Lumen Labs" in html
    number = re.search(r"MUTE (\d+)", text.split("Data Engineer role at Lumen Labs", 1)[1])
    assert number is not None, text

    run(config_file, NOW + timedelta(hours=1))  # the same day: no second digest
    assert sum("[afterview]" in str(m["Subject"]) for m in inbox_messages(carol, tls_certs)) == 1

    # Carol answers the digest as a mail client does: MUTE for Dana's thread, the digest quoted.
    answer = EmailMessage()
    answer["From"] = f"Carol Candidate <{CAROL}>"
    answer["To"] = digest["From"]
    answer["Subject"] = "Re: " + str(digest["Subject"])
    answer["Date"] = format_datetime(NOW + timedelta(hours=2))
    answer["Message-ID"] = make_msgid(domain="example.test")
    answer["In-Reply-To"] = digest["Message-ID"]
    answer["References"] = digest["Message-ID"]
    quoted = "".join(f"> {line}\n" for line in text.splitlines())
    answer.set_content(f"MUTE {number.group(1)}\n\nOn Thu, Dec 10, afterview wrote:\n{quoted}")
    carol.deliver(CAROL, answer.as_bytes(), sender=CAROL)
    run(config_file, NOW + timedelta(hours=3))
    inbox = flags_by_id(carol, tls_certs, "INBOX")
    sent = flags_by_id(carol, tls_certs, "Sent")
    assert KEYWORD not in inbox[ids["recruiter"]]  # muted: the mark went
    assert KEYWORD in sent[ids["application"]]  # the other quiet thread keeps its mark
    run(config_file, NOW + timedelta(days=1, hours=1))  # and the muted one stays unmarked
    assert KEYWORD not in flags_by_id(carol, tls_certs, "INBOX")[ids["recruiter"]]


@pytest.fixture(scope="module")
def refusing(harness_root: Path, tls_certs: CertBundle) -> Iterator[KeywordRefusingDovecot]:
    server = KeywordRefusingDovecot(harness_root / "quiet-nokw", tls_certs)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_a_server_that_takes_no_new_keywords_gets_flagged_with_one_warning(
    refusing: KeywordRefusingDovecot,
    smtp_server: SubmissionServer,
    tls_certs: CertBundle,
    tmp_path: Path,
) -> None:
    refusing.empty_mailboxes("carol")
    ids = seed(refusing, tls_certs)
    config_file = write_config(tmp_path, refusing, smtp_server, tls_certs)
    log = run(config_file, NOW)
    inbox = flags_by_id(refusing, tls_certs, "INBOX")
    assert imapclient.FLAGGED in inbox[ids["recruiter"]]
    assert KEYWORD not in inbox[ids["recruiter"]]
    assert imapclient.SEEN not in inbox[ids["recruiter"]]
    assert log.count("does not keep new keywords") == 1, log
    assert imapclient.FLAGGED not in inbox[ids["friend"]]


def test_digest_preview_prints_what_would_go_out_and_sends_nothing(
    carol: DovecotServer, tls_certs: CertBundle, config_file: Path
) -> None:
    seed(carol, tls_certs)
    # Before the digest hour: the pass marks the threads but sends no digest.
    run(config_file, NOW.replace(hour=6))
    preview = afterview(
        "--config", str(config_file), "digest", "--preview", "--now", NOW.isoformat()
    )
    assert preview.returncode == 0, preview.stderr
    assert preview.stdout.startswith("Subject: [afterview] Thu 10 Dec:"), preview.stdout
    assert "Data Engineer role at Lumen Labs" in preview.stdout
    assert "MUTE" in preview.stdout
    html = afterview(
        "--config", str(config_file), "digest", "--preview", "--html", "--now", NOW.isoformat()
    )
    assert html.returncode == 0 and "<table" in html.stdout
    assert not [m for m in inbox_messages(carol, tls_certs) if m["X-Afterview"] == "digest"]


def test_a_thread_the_user_marks_with_the_track_keyword_is_tracked(
    carol: DovecotServer, tls_certs: CertBundle, config_file: Path
) -> None:
    ids = seed(carol, tls_certs)
    config_file.write_text(config_file.read_text() + "quiet: {track_keyword: $Job}\n")
    with login(carol, tls_certs) as client:
        client.select_folder("INBOX")
        [uid] = client.search(["HEADER", "Message-ID", ids["friend"]])
        client.add_flags([uid], [b"$Job"], silent=True)
        client.unselect_folder()
    run(config_file, NOW)
    inbox = flags_by_id(carol, tls_certs, "INBOX")
    assert KEYWORD in inbox[ids["friend"]]  # Tom's mail waits on Carol, and she said to track it
    assert imapclient.SEEN not in inbox[ids["friend"]]


def test_a_sender_listed_in_quiet_mute_keeps_their_thread_unmarked(
    carol: DovecotServer, tls_certs: CertBundle, config_file: Path
) -> None:
    ids = seed(carol, tls_certs)
    config_file.write_text(config_file.read_text() + "quiet: {mute: [dana@lumen.example]}\n")
    run(config_file, NOW)
    inbox = flags_by_id(carol, tls_certs, "INBOX")
    sent = flags_by_id(carol, tls_certs, "Sent")
    assert KEYWORD not in inbox[ids["recruiter"]]  # Dana waits on Carol, but Carol said no
    assert imapclient.FLAGGED not in inbox[ids["recruiter"]]
    assert KEYWORD in sent[ids["application"]]  # the other quiet thread is marked as usual
    [digest] = [m for m in inbox_messages(carol, tls_certs) if m["X-Afterview"] == "digest"]
    text = digest.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Platform Engineer position" in text
    assert "Data Engineer role at Lumen Labs" not in text
    run(config_file, NOW + timedelta(days=1, hours=1))  # still muted a day later
    assert KEYWORD not in flags_by_id(carol, tls_certs, "INBOX")[ids["recruiter"]]
    assert KEYWORD in flags_by_id(carol, tls_certs, "Sent")[ids["application"]]

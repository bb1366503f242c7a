"""Marking quiet threads (`Mailbox.mark`) against real Dovecot servers.

Alice's mailbox on the session's Dovecot is emptied before each test. The fallback tests use a
Dovecot that refuses new keywords (`KeywordRefusingDovecot`: its mail storage is imapc, whose
upstream offers no `\\*`), started once for this module; the mail then lives in its store,
which the tests read directly to see what reached the mailbox.
"""

from __future__ import annotations

import ast
import logging
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import imapclient
import imapclient.exceptions
import pytest

from daemon.config import ImapConfig, ImapFolders, Security
from daemon.credentials import Secret
from daemon.errors import ServerUnavailable
from daemon.mail import imap
from tests.harness import CertBundle, DovecotServer, KeywordRefusingDovecot

pytestmark = pytest.mark.integration

USER, PASSWORD, ADDRESS = "alice", "alice-Secret-1", "alice@example.test"
KEYWORD = "$FollowUp"
SEEN, FLAGGED, DELETED = imapclient.SEEN, imapclient.FLAGGED, imapclient.DELETED

Server = DovecotServer | KeywordRefusingDovecot


@pytest.fixture(scope="module")
def refusing(harness_root: Path, tls_certs: CertBundle) -> Iterator[KeywordRefusingDovecot]:
    server = KeywordRefusingDovecot(harness_root / "nokw", tls_certs)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def config_for(server: Server, certs: CertBundle) -> ImapConfig:
    return ImapConfig(
        host="127.0.0.1",
        port=server.imaps_port,
        security=Security.SSL,
        username=USER,
        secret=Secret("test", PASSWORD),
        ca_file=certs.ca_pem,
        insecure=False,
        folders=ImapFolders(inbox="INBOX", sent=None, extra=()),
    )


def open_mailbox(server: Server, certs: CertBundle) -> imap.Mailbox:
    config = config_for(server, certs)
    return imap.Mailbox(imap.connect(config), config)


def login(port: int, certs: CertBundle) -> imapclient.IMAPClient:
    client = imapclient.IMAPClient("127.0.0.1", port=port, ssl_context=certs.client_context())
    client.login(USER, PASSWORD)
    return client


def deliver(server: Server, certs: CertBundle, count: int) -> list[int]:
    """Deliver `count` messages into alice's INBOX and return their UIDs, in order."""
    ids = []
    for number in range(count):
        message = EmailMessage()
        message["From"] = "Dana Lee <dana@lumen.example>"
        message["To"] = ADDRESS
        message["Subject"] = f"Following up on the role ({number})"
        message["Message-ID"] = make_msgid(domain="lumen.example")
        message.set_content("Any news on my application?")
        server.deliver(ADDRESS, message.as_bytes())
        ids.append(message["Message-ID"])
    store = server.store if isinstance(server, KeywordRefusingDovecot) else server
    client = login(store.imaps_port, certs)
    try:
        client.select_folder("INBOX", readonly=True)
        uids = [client.search(["HEADER", "Message-ID", mid])[0] for mid in ids]
    finally:
        client.logout()
    return uids


@pytest.fixture
def mailbox(dovecot: DovecotServer, tls_certs: CertBundle) -> Iterator[imap.Mailbox]:
    """afterview's Mailbox on alice's emptied mailbox."""
    dovecot.empty_mailboxes(USER)
    box = open_mailbox(dovecot, tls_certs)
    yield box
    box.close()


@pytest.fixture
def looker(dovecot: DovecotServer, tls_certs: CertBundle) -> Iterator[imapclient.IMAPClient]:
    """A second session on alice's mailbox that only EXAMINEs, to check what was stored."""
    client = login(dovecot.imaps_port, tls_certs)
    yield client
    client.logout()


def flags_of(client: imapclient.IMAPClient, uids: list[int]) -> dict[int, set[bytes]]:
    client.select_folder("INBOX", readonly=True)
    found = client.get_flags(uids)
    client.unselect_folder()
    return {uid: set(found.get(uid, ())) for uid in uids}


def keyword_in(flags: set[bytes], keyword: str = KEYWORD) -> bool:
    return keyword.lower().encode() in {flag.lower() for flag in flags}


def test_keyword_is_added_and_removed_on_the_right_uids(
    dovecot: DovecotServer,
    tls_certs: CertBundle,
    mailbox: imap.Mailbox,
    looker: imapclient.IMAPClient,
) -> None:
    first, second, third = deliver(dovecot, tls_certs, 3)

    marked = mailbox.mark("INBOX", [first, second], [], keyword=KEYWORD, flag=False, label=None)

    assert marked == imap.MarkResult(keyword_used=KEYWORD, fell_back=False, flagged_by_us=())
    flags = flags_of(looker, [first, second, third])
    assert keyword_in(flags[first]) and keyword_in(flags[second])
    assert not keyword_in(flags[third])
    assert not any(FLAGGED in found for found in flags.values())

    mailbox.mark("INBOX", [], [first], keyword=KEYWORD, flag=False, label=None)

    flags = flags_of(looker, [first, second, third])
    assert not keyword_in(flags[first])
    assert keyword_in(flags[second])
    assert not keyword_in(flags[third])


def test_seen_is_never_set_or_cleared(
    dovecot: DovecotServer,
    tls_certs: CertBundle,
    mailbox: imap.Mailbox,
    looker: imapclient.IMAPClient,
) -> None:
    unread, read = deliver(dovecot, tls_certs, 2)
    looker.select_folder("INBOX")
    looker.add_flags([read], [SEEN])
    looker.unselect_folder()
    before = flags_of(looker, [unread, read])
    assert SEEN not in before[unread] and SEEN in before[read]

    marked = mailbox.mark("INBOX", [unread, read], [], keyword=KEYWORD, flag=True, label=None)
    during = flags_of(looker, [unread, read])
    mailbox.mark(
        "INBOX",
        [],
        [unread, read],
        keyword=KEYWORD,
        flag=True,
        label=None,
        flagged_by_us=marked.flagged_by_us,
    )
    after = flags_of(looker, [unread, read])

    for state in (during, after):
        assert SEEN not in state[unread]
        assert SEEN in state[read]
    assert after == before


def test_the_users_own_flag_survives_and_only_ours_is_removed(
    dovecot: DovecotServer,
    tls_certs: CertBundle,
    mailbox: imap.Mailbox,
    looker: imapclient.IMAPClient,
) -> None:
    users, plain = deliver(dovecot, tls_certs, 2)
    looker.select_folder("INBOX")
    looker.add_flags([users], [FLAGGED])
    looker.unselect_folder()

    marked = mailbox.mark("INBOX", [users, plain], [], keyword=KEYWORD, flag=True, label=None)

    assert marked.flagged_by_us == (plain,)
    flags = flags_of(looker, [users, plain])
    assert all(FLAGGED in found and keyword_in(found) for found in flags.values())

    unmarked = mailbox.mark(
        "INBOX",
        [],
        [users, plain],
        keyword=KEYWORD,
        flag=True,
        label=None,
        flagged_by_us=marked.flagged_by_us,
    )

    assert unmarked.flagged_by_us == ()
    flags = flags_of(looker, [users, plain])
    assert FLAGGED in flags[users]
    assert FLAGGED not in flags[plain]
    assert not keyword_in(flags[users]) and not keyword_in(flags[plain])


def test_nothing_is_expunged_moved_or_read(
    dovecot: DovecotServer,
    tls_certs: CertBundle,
    mailbox: imap.Mailbox,
    looker: imapclient.IMAPClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    deleted, kept = deliver(dovecot, tls_certs, 2)
    looker.select_folder("INBOX")
    looker.add_flags([deleted], [DELETED])  # the user's, waiting for their client's expunge
    looker.unselect_folder()
    count = looker.folder_status("INBOX", ["MESSAGES"])[b"MESSAGES"]
    mailbox.examine("INBOX")  # whatever was selected before, nothing is afterwards

    with caplog.at_level(logging.DEBUG, logger="imapclient.imaplib"):
        marked = mailbox.mark("INBOX", [deleted, kept], [], keyword=KEYWORD, flag=True, label=None)
        mailbox.mark(
            "INBOX",
            [],
            [deleted, kept],
            keyword=KEYWORD,
            flag=True,
            label=None,
            flagged_by_us=marked.flagged_by_us,
        )

    assert mailbox._selected is None
    assert looker.folder_status("INBOX", ["MESSAGES"])[b"MESSAGES"] == count
    flags = flags_of(looker, [deleted, kept])
    assert DELETED in flags[deleted] and DELETED not in flags[kept]
    commands = sent_commands(caplog)
    assert commands, "imapclient logged no commands; the check would prove nothing"
    verbs = {" ".join(command.split()[:2] if command.startswith("UID ") else command.split()[:1])
             for command in commands}  # fmt: skip
    assert verbs == {"SELECT", "UID STORE", "UID FETCH", "UNSELECT"}, commands
    stores = [command for command in commands if command.startswith("UID STORE")]
    assert all(".SILENT" in command for command in stores), stores
    assert not any("\\SEEN" in command or "\\DELETED" in command for command in commands)
    fetches = [command for command in commands if command.startswith("UID FETCH")]
    assert all(command.endswith(" (FLAGS)") for command in fetches), fetches


def sent_commands(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The commands imapclient sent while `caplog` listened, upper-cased, without tags."""
    lines = [r.getMessage() for r in caplog.records if r.name == "imapclient.imaplib"]
    sent = [ast.literal_eval(line[2:]) for line in lines if line.startswith("> b")]
    return [bytes(raw).decode().split(" ", 1)[1].upper() for raw in sent]


def test_uids_that_are_gone_are_skipped(
    dovecot: DovecotServer,
    tls_certs: CertBundle,
    mailbox: imap.Mailbox,
    looker: imapclient.IMAPClient,
) -> None:
    [present] = deliver(dovecot, tls_certs, 1)
    gone = present + 1000

    marked = mailbox.mark("INBOX", [present, gone], [gone], keyword=KEYWORD, flag=True, label=None)

    assert marked.flagged_by_us == (present,)
    flags = flags_of(looker, [present])
    assert FLAGGED in flags[present] and keyword_in(flags[present])


def test_a_folder_that_cannot_be_selected_raises_and_the_mailbox_stays_usable(
    dovecot: DovecotServer, tls_certs: CertBundle, mailbox: imap.Mailbox
) -> None:
    with pytest.raises(ServerUnavailable, match="SELECT No/Such/Folder"):
        mailbox.mark("No/Such/Folder", [1], [], keyword=KEYWORD, flag=False, label=None)

    assert mailbox._selected is None
    mailbox.noop()
    [uid] = deliver(dovecot, tls_certs, 1)
    assert mailbox.mark("INBOX", [uid], [], keyword=KEYWORD, flag=False, label=None).keyword_used


def test_the_refusing_server_really_refuses_new_keywords(
    refusing: KeywordRefusingDovecot, tls_certs: CertBundle
) -> None:
    refusing.empty_mailboxes(USER)
    [uid] = deliver(refusing, tls_certs, 1)
    client = login(refusing.imaps_port, tls_certs)
    try:
        selected = client.select_folder("INBOX")
        assert b"\\*" not in selected[b"PERMANENTFLAGS"]
        assert FLAGGED in selected[b"PERMANENTFLAGS"]
        with pytest.raises(imapclient.exceptions.IMAPClientError, match="new keywords"):
            client.add_flags([uid], [f"$New{uuid.uuid4().hex[:8]}"])
    finally:
        client.logout()


def test_falls_back_to_flagged_when_the_server_refuses_keywords(
    refusing: KeywordRefusingDovecot, tls_certs: CertBundle
) -> None:
    refusing.empty_mailboxes(USER)
    users, plain = deliver(refusing, tls_certs, 2)
    store = login(refusing.store.imaps_port, tls_certs)
    store.select_folder("INBOX")
    store.add_flags([users], [FLAGGED])
    store.unselect_folder()
    keyword = f"$FollowUp{uuid.uuid4().hex[:8]}"  # never stored anywhere before
    mailbox = open_mailbox(refusing, tls_certs)
    try:
        marked = mailbox.mark("INBOX", [users, plain], [], keyword=keyword, flag=False, label=None)
        flags = flags_of(store, [users, plain])
        unmarked = mailbox.mark(
            "INBOX",
            [],
            [users, plain],
            keyword=keyword,
            flag=False,
            label=None,
            flagged_by_us=marked.flagged_by_us,
        )
        after = flags_of(store, [users, plain])
    finally:
        mailbox.close()
        store.logout()

    assert marked == imap.MarkResult(keyword_used=None, fell_back=True, flagged_by_us=(plain,))
    assert FLAGGED in flags[users] and FLAGGED in flags[plain]
    assert not any(keyword_in(found, keyword) for found in flags.values())
    assert unmarked.fell_back and unmarked.keyword_used is None
    assert FLAGGED in after[users]
    assert FLAGGED not in after[plain]
    assert not any(SEEN in found for found in after.values())


def test_a_keyword_the_mailbox_already_has_is_still_used(
    refusing: KeywordRefusingDovecot, tls_certs: CertBundle
) -> None:
    refusing.empty_mailboxes(USER)
    known, other = deliver(refusing, tls_certs, 2)
    keyword = f"$Known{uuid.uuid4().hex[:8]}"
    store = login(refusing.store.imaps_port, tls_certs)
    store.select_folder("INBOX")
    store.add_flags([known], [keyword])  # set upstream, where keywords can be created
    store.unselect_folder()
    mailbox = open_mailbox(refusing, tls_certs)
    try:
        marked = mailbox.mark("INBOX", [other], [], keyword=keyword, flag=False, label=None)
        flags = flags_of(store, [known, other])
    finally:
        mailbox.close()
        store.logout()

    assert marked == imap.MarkResult(keyword_used=keyword, fell_back=False, flagged_by_us=())
    assert keyword_in(flags[other], keyword)
    assert FLAGGED not in flags[other]

"""Putting the generated mailbox into Dovecot fast, and warming its indexes before timing.

Writing the messages straight into the user's Maildir (`cur/`, with the S= and W= sizes in the
file names, as Dovecot names its own files) takes a second or two; APPEND or `doveadm save` of
20,000 messages takes far longer. Dovecot picks the files up at the next SELECT and gives them
UIDs in file-name order, which is date order here.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

import imapclient

from daemon.envelope import HEADER_FIELDS
from scanbench.mailgen import GeneratedMessage, MailboxGenerator
from tests.harness import CertBundle, DovecotServer
from tests.harness.dovecot_config import DovecotAccounts

HEADERS_ITEM = "BODY.PEEK[HEADER.FIELDS ({})]".format(" ".join(HEADER_FIELDS))


@dataclass(frozen=True)
class Seeded:
    messages: int
    total_bytes: int
    kinds: dict[str, int]
    seconds: float


def seed_maildir(
    dovecot: DovecotServer,
    user: str,
    generator: MailboxGenerator,
    count: int,
    extra: Sequence[GeneratedMessage] = (),
) -> Seeded:
    """`count` generated messages and the `extra` ones (each gets its UID by its date)."""
    started = time.perf_counter()
    accounts = DovecotAccounts.for_this_process()
    maildir = dovecot.layout.homes / user / "Maildir"
    for sub in ("", "cur", "new", "tmp"):
        path = maildir / sub
        path.mkdir(mode=0o700, exist_ok=True)
        os.chown(path, accounts.mail_uid, accounts.mail_gid)
    total, kinds = 0, {}
    cur = maildir / "cur"
    for index, message in enumerate(itertools.chain(generator.messages(count), extra)):
        stamp = int(message.when.timestamp())
        raw = message.raw
        virtual_size = len(raw) + raw.count(b"\n")  # what RFC822.SIZE says: CRLF line ends
        flags = "S" if message.seen else ""
        name = f"{stamp}.M{index:06d}P1.avbench,S={len(raw)},W={virtual_size}:2,{flags}"

        path = cur / name
        path.write_bytes(raw)
        os.chown(path, accounts.mail_uid, accounts.mail_gid)
        os.utime(path, (stamp, stamp))  # INTERNALDATE, what SEARCH SINCE reads
        total += len(raw)
        kinds[message.kind] = kinds.get(message.kind, 0) + 1
    return Seeded(count + len(extra), total, kinds, time.perf_counter() - started)


def client(
    dovecot: DovecotServer, certs: CertBundle, user: str, password: str
) -> imapclient.IMAPClient:
    imap = imapclient.IMAPClient(
        dovecot.host, port=dovecot.imaps_port, ssl_context=certs.client_context(), timeout=120
    )
    imap.login(user, password)
    return imap


@dataclass(frozen=True)
class WarmUp:
    seconds: float  # all of it: the first SELECT, the first header fetch, fresh sessions
    first_headers: float  # the header fetch alone, while Dovecot read the fields from the files


def warm_up(
    dovecot: DovecotServer, certs: CertBundle, user: str, password: str, batch: int
) -> WarmUp:
    """Let Dovecot index the new files and cache the header fields every client here reads, then
    open a few fresh sessions, so no measured run pays for the first look at the folder. The
    first header fetch is timed on its own: what the reference costs on a cold cache."""
    started = time.perf_counter()
    imap = client(dovecot, certs, user, password)
    imap.select_folder("INBOX", readonly=True)
    uids = imap.search("ALL")
    fetch_started = time.perf_counter()
    for start in range(0, len(uids), batch):
        imap.fetch(uids[start : start + batch], [HEADERS_ITEM])
    first_headers = time.perf_counter() - fetch_started
    for start in range(0, len(uids), 1000):
        imap.fetch(uids[start : start + 1000], ["RFC822.SIZE", "FLAGS"])
    imap.logout()
    for _ in range(3):
        imap = client(dovecot, certs, user, password)
        imap.folder_status("INBOX", ["UIDVALIDITY", "UIDNEXT", "MESSAGES", "HIGHESTMODSEQ"])
        imap.select_folder("INBOX", readonly=True)
        imap.logout()
    return WarmUp(time.perf_counter() - started, first_headers)

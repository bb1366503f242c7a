"""A Dovecot whose mailboxes refuse new keywords: no ``\\*`` in PERMANENTFLAGS.

Dovecot 2.3 has no setting for this. Maildir does not do it either: past 26 keywords per
mailbox it keeps the rest in its index and still offers ``\\*`` (checked on 2.3.19). The one
place Dovecot itself drops ``\\*`` is its ``imapc`` storage, which copies PERMANENTFLAGS from
the upstream IMAP server it keeps the mail on: with no ``\\*`` upstream, it answers a STORE of
a new keyword with ``NO [CANNOT] Can't create new keywords`` and still stores ``\\Flagged``,
the system flags and keywords the mailbox already has, as servers like that do.

So three parts, started and stopped together:

    client ──> front (Dovecot, imapc storage) ──> relay (drops ``\\*``) ──> store (Dovecot)

The client talks to a real Dovecot in a real state; the mail lives in ``store``, an ordinary
``DovecotServer`` (deliver there, or look at the mail there directly); the relay changes
nothing but the PERMANENTFLAGS response code.
"""

from pathlib import Path

from tests.harness.certs import CertBundle
from tests.harness.dovecot import DovecotServer
from tests.harness.dovecot_config import ImapcUpstream
from tests.harness.errors import HarnessError
from tests.harness.imap_relay import NoNewKeywordsRelay
from tests.harness.ports import LOOPBACK
from tests.harness.users import MAIL_USERS, MailUser


class KeywordRefusingDovecot:
    """``imap_port``/``imaps_port`` serve ``users``' mail with no new keywords allowed.

    ``store`` is where the mail is (``deliver``, ``empty_mailboxes`` and ``doveadm`` act
    there). Keywords a mailbox already has stay storable: the store lists them in
    PERMANENTFLAGS, and the front lets clients set those.
    """

    host = LOOPBACK

    def __init__(
        self, root: Path, certs: CertBundle, users: tuple[MailUser, ...] = MAIL_USERS
    ) -> None:
        self._root = root
        self._certs = certs
        self.users = users
        self.store = DovecotServer(root / "store", certs, users)
        self._relay: NoNewKeywordsRelay | None = None
        self._front: DovecotServer | None = None

    @property
    def front(self) -> DovecotServer:
        """The Dovecot clients talk to (its mail storage is the store, through the relay)."""
        if self._front is None:
            raise HarnessError("KeywordRefusingDovecot is not started")
        return self._front

    @property
    def imap_port(self) -> int:
        return self.front.imap_port

    @property
    def imaps_port(self) -> int:
        return self.front.imaps_port

    @property
    def running(self) -> bool:
        return self._front is not None and self._front.running and self.store.running

    def start(self) -> None:
        """Start the store, the relay to it, then the front (which logs in upstream lazily)."""
        if not self.store.running:
            self.store.start()
        if self._relay is None:
            self._relay = NoNewKeywordsRelay(self.store.host, self.store.imap_port)
            self._relay.start()
        if self._front is None:
            upstream = ImapcUpstream(self._relay.host, self._relay.port)
            self._front = DovecotServer(
                self._root / "front", self._certs, self.users, upstream=upstream
            )
        if not self._front.running:
            self._front.start()

    def stop(self) -> None:
        """Stop all three; ``start()`` brings them back (the relay on a new port)."""
        front, self._front = self._front, None
        relay, self._relay = self._relay, None
        try:
            if front is not None:
                front.stop()
        finally:
            try:
                if relay is not None:
                    relay.stop()
            finally:
                self.store.stop()

    def deliver(self, recipient: str, raw_message: bytes, sender: str = "") -> None:
        """Deliver into the store over LMTP; the front sees it at its next SELECT or NOOP."""
        self.store.deliver(recipient, raw_message, sender)

    def empty_mailboxes(self, name: str) -> None:
        self.store.empty_mailboxes(name)

"""Dovecot's configuration file and accounts for one private test instance.

Pure: turns paths, ports and accounts into text, so the rules ("who owns the
mail", "which mailboxes exist") can be read without starting anything.
"""

import grp
import os
import pwd
from dataclasses import dataclass
from pathlib import Path

from tests.harness.users import MailUser

# Login processes and helper services chroot by default; chroot needs root.
CHROOTED_SERVICES = ("imap-login", "anvil", "ipc", "old-stats", "aggregator")

SPECIAL_USE_MAILBOXES = (
    ("Sent", r"\Sent"),
    ("Drafts", r"\Drafts"),
    ("Trash", r"\Trash"),
    ("Junk", r"\Junk"),
    ("Archive", r"\Archive"),
)


@dataclass(frozen=True)
class DovecotPorts:
    """The three loopback ports of one instance."""

    imap: int
    imaps: int
    lmtp: int


@dataclass(frozen=True)
class ImapcUpstream:
    """Another IMAP server that holds the mail (Dovecot's ``imapc`` storage).

    Each user logs in there with the same name and password as here.
    """

    host: str
    port: int


@dataclass(frozen=True)
class DovecotAccounts:
    """Which system accounts run Dovecot's processes and own the mail files.

    As root, Dovecot refuses to touch mail as uid 0, so mail belongs to
    Debian's ``mail`` user while ``dovecot``/``dovenull`` run the internal and
    login processes, as in a packaged install. As any other user, every
    process and every mail file belongs to that user (a "rootless" instance).
    """

    login_user: str
    internal_user: str
    internal_group: str
    mail_uid: int
    mail_gid: int
    rootless: bool

    @classmethod
    def for_this_process(cls) -> "DovecotAccounts":
        """Pick root or rootless accounts from the effective uid."""
        if os.geteuid() == 0:
            mail = pwd.getpwnam("mail")
            return cls("dovenull", "dovecot", "dovecot", mail.pw_uid, mail.pw_gid, False)
        user = pwd.getpwuid(os.geteuid()).pw_name
        group = grp.getgrgid(os.getegid()).gr_name
        return cls(user, user, group, os.geteuid(), os.getegid(), True)


@dataclass(frozen=True)
class DovecotLayout:
    """Every path of one instance, all under ``root`` (kept short: unix sockets)."""

    root: Path

    @property
    def config_file(self) -> Path:
        return self.root / "dovecot.conf"

    @property
    def base_dir(self) -> Path:
        return self.root / "run"

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    @property
    def log_file(self) -> Path:
        """Dovecot's own log (``log_path``)."""
        return self.root / "dovecot.log"

    @property
    def console_file(self) -> Path:
        """stdout/stderr of the master: errors before logging is set up land here."""
        return self.root / "console.log"

    @property
    def passwd_file(self) -> Path:
        return self.root / "users"

    @property
    def homes(self) -> Path:
        return self.root / "home"


def passwd_file_text(users: tuple[MailUser, ...], *, forward_password: bool = False) -> str:
    """passwd-file entries; uid, gid and home come from the global settings.

    ``forward_password`` adds each user's password as a userdb extra field for
    ``imapc_password``, so an ``imapc`` storage logs in upstream as that user.
    """
    lines = []
    for user in users:
        extra = f"userdb_imapc_password={user.password}" if forward_password else ""
        lines.append(f"{user.name}:{{PLAIN}}{user.password}::::::{extra}\n")
    return "".join(lines)


def _mailbox_block(name: str, special_use: str) -> str:
    return f"  mailbox {name} {{\n    special_use = {special_use}\n    auto = subscribe\n  }}\n"


def _service_blocks(ports: DovecotPorts, accounts: DovecotAccounts) -> str:
    blocks = (
        "service imap-login {\n"
        f"  inet_listener imap {{\n    address = 127.0.0.1\n    port = {ports.imap}\n  }}\n"
        f"  inet_listener imaps {{\n    address = 127.0.0.1\n    port = {ports.imaps}\n"
        "    ssl = yes\n  }\n"
        "}\n"
        "service lmtp {\n"
        f"  inet_listener lmtp {{\n    address = 127.0.0.1\n    port = {ports.lmtp}\n  }}\n"
        "}\n"
    )
    if accounts.rootless:
        blocks += "".join(f"service {name} {{\n  chroot =\n}}\n" for name in CHROOTED_SERVICES)
        blocks += "service auth-worker {\n  user = $default_internal_user\n}\n"
    return blocks


def dovecot_conf_text(
    layout: DovecotLayout,
    ports: DovecotPorts,
    accounts: DovecotAccounts,
    cert_pem: Path,
    key_pem: Path,
    instance_name: str,
    upstream: ImapcUpstream | None = None,
) -> str:
    """The complete dovecot.conf for one instance.

    Logins use the bare name (``alice``); ``auth_username_format = %Ln`` also
    strips a domain, so ``alice@example.test`` logs in too and LMTP finds
    ``alice+tag@example.test`` after ``recipient_delimiter`` removed the tag.
    Maildir keeps 26 keywords per mailbox in file names and any more in its
    index: it never stops offering ``\\*`` in PERMANENTFLAGS. Mail is a
    Maildir in each user's home; with ``upstream`` it is an ``imapc``
    storage instead: every mailbox is the upstream server's, reached over IMAP
    (plain, no TLS), with only indexes kept here.
    """
    storage = "mail_location = maildir:~/Maildir\n"
    if upstream is not None:
        storage = (
            "mail_location = imapc:~/imapc\n"
            f"imapc_host = {upstream.host}\n"
            f"imapc_port = {upstream.port}\n"
            "imapc_user = %n\n"
            "# imapc_password comes per user from the passwd-file (userdb_imapc_password).\n"
        )
    mailboxes = "".join(_mailbox_block(name, flag) for name, flag in SPECIAL_USE_MAILBOXES)
    return f"""# Generated by tests/harness for one test session; do not edit.
instance_name = {instance_name}
base_dir = {layout.base_dir}
state_dir = {layout.state_dir}
log_path = {layout.log_file}
protocols = imap lmtp
listen = 127.0.0.1
hostname = localhost

default_login_user = {accounts.login_user}
default_internal_user = {accounts.internal_user}
default_internal_group = {accounts.internal_group}
first_valid_uid = {accounts.mail_uid}
first_valid_gid = {accounts.mail_gid}
mail_uid = {accounts.mail_uid}
mail_gid = {accounts.mail_gid}

ssl = yes
ssl_cert = <{cert_pem}
ssl_key = <{key_pem}
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
auth_username_format = %Ln
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {layout.passwd_file}
}}
userdb {{
  driver = passwd-file
  args = {layout.passwd_file}
}}

mail_home = {layout.homes}/%n
{storage}# Test mail is disposable: skipping fsync keeps deliveries fast.
mail_fsync = never
recipient_delimiter = +
lmtp_save_to_detail_mailbox = no

namespace inbox {{
  inbox = yes
  separator = /
{mailboxes}}}

{_service_blocks(ports, accounts)}"""

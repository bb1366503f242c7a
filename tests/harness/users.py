"""The test mailbox owners shared by Dovecot, the SMTP server and the tests.

One list, so SMTP AUTH and IMAP LOGIN accept exactly the same credentials.
"""

from dataclasses import dataclass

MAIL_DOMAIN = "example.test"


@dataclass(frozen=True)
class MailUser:
    """A person with a mailbox: logs in with the bare ``name``, receives at ``address``."""

    name: str
    password: str

    @property
    def address(self) -> str:
        """The address mail is delivered to, e.g. ``alice@example.test``."""
        return f"{self.name}@{MAIL_DOMAIN}"

    def tagged_address(self, tag: str) -> str:
        """A ``name+tag@domain`` address that still lands in this user's INBOX."""
        return f"{self.name}+{tag}@{MAIL_DOMAIN}"


MAIL_USERS: tuple[MailUser, ...] = (
    MailUser("alice", "alice-Secret-1"),
    MailUser("bob", "bob-Secret-2"),
    MailUser("carol", "carol-Secret-3"),
)


def user_named(name: str) -> MailUser:
    """Look a test user up by login name; a typo in a test fails with the known names."""
    for user in MAIL_USERS:
        if user.name == name:
            return user
    known = ", ".join(user.name for user in MAIL_USERS)
    raise KeyError(f"no test user {name!r} (known: {known})")


def password_matches(login: str, password: str) -> bool:
    """Check SMTP AUTH credentials the way Dovecot does for IMAP.

    Dovecot strips the domain (``auth_username_format = %Ln``), so the SMTP
    server accepts both ``alice`` and ``alice@example.test`` as well.
    """
    name = login.split("@", 1)[0].lower()
    return any(u.name == name and u.password == password for u in MAIL_USERS)

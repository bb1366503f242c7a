"""Drafted notes: templates (Jinja2) filled in for one interview and one recipient, as email.

Built-in templates cover the thank-you and the two check-ins; a `templates_dir` with
`thank_you.txt`, `check_in.txt` or `second_check_in.txt` replaces them (rendered in Jinja2's
sandbox, since the file is the user's). Every header value is folded to one line, so a name or a
subject read from someone's mail can never add a header or a recipient. The reminder about an
unanswered invitation is written here too: it goes to the user alone, never to the employer.

Folding is not enough on its own: the email package decodes an RFC 2047 encoded word it finds
in a value ("=?utf-8?q?=0D=0ABcc:...?=") and writes the decoded text back out, line breaks and
all (CPython before 3.11.10 and 3.12.5), it leaves the specials of a non-ASCII display name
unquoted, and it can fold a list's comma into one. So no value written here keeps a "=?",
display names go in as `Address` objects and only when they read back as the same mailboxes,
and an address or a Message-ID that cannot be written as itself is refused.
"""

from __future__ import annotations

import email
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from email import message_from_bytes
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, default
from email.utils import make_msgid
from pathlib import Path

import jinja2
import jinja2.sandbox

from daemon.model import Person
from daemon.plan import StepKind
from daemon.threads import strip_prefixes

WIDTH = 72
MAX_HEADER_CHARS = 300
TEMPLATE_FILES = {
    StepKind.THANK_YOU: "thank_you.txt",
    StepKind.CHECK_IN: "check_in.txt",
    StepKind.SECOND_CHECK_IN: "second_check_in.txt",
}
BUILT_IN = {
    StepKind.THANK_YOU: """\
Hi {{ greeting_name }},

Thank you for taking the time to speak with me {{ when_phrase }} about the {{ role_phrase }}.
{%- if notes %} {{ notes }}{% endif %} I enjoyed our conversation and I am even more \
interested in joining {{ company or "the team" }}.

Please let me know if there is anything else I can share.

Best regards,
{{ signature or user_name }}
""",
    StepKind.CHECK_IN: """\
Hi {{ greeting_name }},

I hope you are well. I wanted to follow up on my interview {{ when_phrase }} for the \
{{ role_phrase }}{% if company %} at {{ company }}{% endif %}.\
{% if notes %} {{ notes }}{% endif %} \
Could you share where things stand and what the next steps and timeline look like?

Thank you again for your time.

Best regards,
{{ signature or user_name }}
""",
    StepKind.SECOND_CHECK_IN: """\
Hi {{ greeting_name }},

I am following up once more on the {{ role_phrase }}{% if company %} at {{ company }}{% endif %}. \
I remain very interested, and would be grateful for any update on the process.\
{% if notes %} {{ notes }}{% endif %}

Best regards,
{{ signature or user_name }}
""",
}
# White space, and the control characters that are no white space (NUL, ESC, DEL, C1).
_SPACE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")
_PLAIN_DOMAIN = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")
_MESSAGE_ID = re.compile(r"[!-;=?-~]+")  # printable ASCII but space, '<' and '>'


@dataclass(frozen=True)
class ThreadContext:
    """The conversation a note answers, when there is one."""

    subject: str
    last_message_id: str | None
    references: tuple[str, ...]


@dataclass(frozen=True)
class DraftInput:
    kind: StepKind
    recipients: tuple[Person, ...]
    company: str | None
    role: str | None
    interview_start: datetime | None
    user: Person  # the account's name and address
    signature: str
    notes: str = ""
    thread: ThreadContext | None = None


@dataclass(frozen=True)
class Draft:
    kind: StepKind
    recipients: tuple[Person, ...]
    subject: str
    body: str
    message_id: str  # fixed when the draft is made, kept for every send attempt
    in_reply_to: str | None
    references: tuple[str, ...]

    def message(
        self, sender: Person, extra_headers: Sequence[tuple[str, str]] = ()
    ) -> EmailMessage:
        """The email as it will be sent: one line per header, plain text, UTF-8."""
        message = EmailMessage(policy=SMTP)
        message["From"] = mailboxes([sender])
        message["To"] = mailboxes(self.recipients)
        message["Subject"] = one_line(self.subject)
        message["Message-ID"] = f"<{self.message_id}>"
        in_reply_to = _message_id(self.in_reply_to or "")
        if in_reply_to:
            message["In-Reply-To"] = f"<{in_reply_to}>"
        references = [found for r in self.references if (found := _message_id(r))]
        if references:
            message["References"] = " ".join(f"<{r}>" for r in references)
        for name, value in extra_headers:
            message[name] = one_line(value)
        message.set_content(self.body, charset="utf-8", cte="quoted-printable")
        return message


def read_note(message: bytes) -> tuple[str, str]:
    """(subject, plain text) of a note as it goes out, read back from its bytes."""
    parsed = email.message_from_bytes(message, policy=default)
    part = parsed.get_body(("plain",)) if isinstance(parsed, EmailMessage) else None
    text = part.get_content() if isinstance(part, EmailMessage) else ""
    return str(parsed["Subject"] or ""), str(text)


class Templates:
    """The built-in templates, or the user's from `templates_dir`; checked once at start."""

    def __init__(self, folder: Path | None = None) -> None:
        self._environment = jinja2.sandbox.SandboxedEnvironment(
            undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True
        )
        self._templates: dict[StepKind, jinja2.Template] = {}
        for kind, text in BUILT_IN.items():
            if folder is not None and (folder / TEMPLATE_FILES[kind]).is_file():
                text = (folder / TEMPLATE_FILES[kind]).read_text(encoding="utf-8")
            self._templates[kind] = self._environment.from_string(text)

    def render(self, kind: StepKind, variables: dict[str, object]) -> str:
        return self._templates[kind].render(**variables)


def make_draft(found: DraftInput, templates: Templates, zone: tzinfo, now: datetime) -> Draft:
    names = [p.name for p in found.recipients if p.name]
    variables: dict[str, object] = {
        "interviewer_name": ", ".join(names),
        "greeting_name": _greeting(found.recipients),
        "company": found.company or "",
        "role": found.role or "",
        "role_phrase": f"{found.role} role" if found.role else "role",
        "date": _date(found.interview_start, zone),
        "when_phrase": _when_phrase(found.interview_start, zone, now),
        "user_name": found.user.name or "",
        "signature": found.signature.strip(),
        "notes": one_line(found.notes),
    }
    body = wrap(templates.render(found.kind, variables))
    domain = (found.user.email or "afterview.invalid").rsplit("@", 1)[-1]
    message_id = make_msgid(idstring="afterview", domain=domain).strip("<>")
    if found.thread is not None:
        base = one_line(strip_prefixes(found.thread.subject))
        subject = f"Re: {base}" if base else _fresh_subject(found)
        in_reply_to = found.thread.last_message_id
        references = tuple(found.thread.references[-20:])
        if in_reply_to and in_reply_to not in references:
            references = (*references, in_reply_to)
    else:
        subject, in_reply_to, references = _fresh_subject(found), None, ()
    return Draft(
        kind=found.kind,
        recipients=found.recipients,
        subject=one_line(subject),
        body=body,
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
    )


@dataclass(frozen=True)
class ReminderText:
    subject: str
    body: str


def reminder_text(
    *,
    company: str | None,
    role: str | None,
    sender: Person | None,  # who sent the invitation
    thread_subject: str | None,
    arrived: str,  # when the invitation arrived, as the user reads times
) -> ReminderText:
    """The reminder to the user about an invitation without a time they have not answered."""
    from_whom = f" from {company}" if company else ""
    for_what = f" ({role})" if role else ""
    invited = f"{company} invited you" if company else "You were invited"
    role_phrase = f" for the {role} role" if role else ""
    lines = [
        wrap(f"{invited} to an interview{role_phrase}, and you have not answered yet.").rstrip(),
        "",
        *([f"From:     {_shown(sender)}"] if sender is not None and sender.email else []),
        *([f"Subject:  {one_line(thread_subject)}"] if thread_subject else []),
        f"Arrived:  {arrived}",
        "",
        wrap(
            "Answer them with the times you are available: reply to their email in that "
            "thread, not to this one. afterview sends nothing to them for you, and this is its "
            "only reminder about this invitation."
        ).rstrip(),
    ]
    subject = f"[afterview] Reminder: answer the interview invitation{from_whom}{for_what}"
    return ReminderText(one_line(subject), "\n".join(lines) + "\n")


def one_line(text: str) -> str:
    """A header-safe value: no CR, LF, other line breaks or control characters, no "=?" that
    would start an encoded word, bounded."""
    return _SPACE.sub(" ", text).replace("=?", "= ?").strip()[:MAX_HEADER_CHARS]


def writable_address(address: str) -> bool:
    """Whether `address` can go into a header as the one mailbox it is: a local part of
    printable ASCII (quoted when it needs it) at a plain domain, with no encoded word in it."""
    local, at, domain = address.rpartition("@")
    return bool(
        local
        and at
        and local.isascii()
        and local.isprintable()
        and "=?" not in local
        and _PLAIN_DOMAIN.fullmatch(domain)
    )


def mailbox(person: Person) -> Address:
    """`person` for an address header; raises ValueError for an address `writable_address`
    refuses (the recipients of a note are chosen among writable ones)."""
    address = person.email or ""
    if not writable_address(address):
        raise ValueError(f"{address[:80]!r} cannot be written as one mail address")
    local, _, domain = address.rpartition("@")
    return Address(display_name=one_line(person.name or ""), username=local, domain=domain)


def mailboxes(people: Sequence[Person]) -> list[Address]:
    """`people` for an address header, with their names unless the email package would not
    read its own writing back as the same mailboxes: folding a long list, it can put the comma
    between two of them inside the encoded word of a name (CPython 3.11), joining them."""
    named = [mailbox(p) for p in people]
    if _written_as(named) == [(a.username, a.domain) for a in named]:
        return named
    return [Address(username=a.username, domain=a.domain) for a in named]


def _written_as(found: list[Address]) -> list[tuple[str, str]] | None:
    probe = EmailMessage(policy=SMTP)
    probe["To"] = found
    try:
        header = message_from_bytes(probe.as_bytes(), policy=default)["To"]
        return [(a.username, a.domain) for a in header.addresses] if header else []
    except (ValueError, TypeError, IndexError, AttributeError):  # the parser's odd corners
        return None


def _message_id(value: str) -> str | None:
    """A Message-ID of someone's mail, for In-Reply-To or References; None when it is not one
    that can be written as itself."""
    found = value.strip().removeprefix("<").removesuffix(">")
    return found if _MESSAGE_ID.fullmatch(found) and "=?" not in found else None


def wrap(text: str) -> str:
    """Wrap prose paragraphs at WIDTH; short lines (greetings, signatures) stay as they are."""
    out = []
    for line in text.splitlines():
        if len(line) <= WIDTH:
            out.append(line.rstrip())
        else:
            out.extend(textwrap.wrap(line, WIDTH, break_long_words=False, break_on_hyphens=False))
    return "\n".join(out).strip("\n") + "\n"


def _shown(person: Person) -> str:
    """A person as a line of text shows them: "Dana Lee <dana@lumen.example>"."""
    name, address = one_line(person.name or ""), one_line(person.email or "")
    return f"{name} <{address}>" if name else address


def _greeting(recipients: tuple[Person, ...]) -> str:
    firsts = [p.name.split()[0] for p in recipients if p.name and p.name.split()]
    if not firsts:
        return "there"
    if len(firsts) == 1:
        return firsts[0]
    return ", ".join(firsts[:-1]) + " and " + firsts[-1]


def _date(start: datetime | None, zone: tzinfo) -> str:
    if start is None:
        return ""
    local = start.astimezone(zone)
    return f"{local:%A}, {local.day} {local:%B %Y}"


def _when_phrase(start: datetime | None, zone: tzinfo, now: datetime) -> str:
    if start is None:
        return "recently"
    local, today = start.astimezone(zone).date(), now.astimezone(zone).date()
    if local == today:
        return "today"
    if (today - local).days == 1:
        return "yesterday"
    if 0 < (today - local).days < 7:
        return f"on {start.astimezone(zone):%A}"
    return f"on {_date(start, zone)}"


def _fresh_subject(found: DraftInput) -> str:
    what = f"{found.role} interview" if found.role else "our interview"
    if found.kind is StepKind.THANK_YOU:
        return f"Thank you - {what}"
    return f"Following up on {what}"

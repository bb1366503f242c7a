"""The daily digest: one email telling the user what needs them. Pure: data and `now` in.

Sections, each left out when empty: interviews in the next 7 days, drafts waiting for approval,
threads waiting on you, threads waiting on them, notes sent since the last digest, invitations
still to answer. No digest when every section is empty, unless `send_when_empty`.

Plain text keeps every line within 78 characters; only a meeting link, which must not be
broken, stands alone on a longer line. The HTML alternative is built from tables with inline
styles (what Gmail and Outlook both render). Every piece of text that came from mail or from the
user is folded to one line (no CR, LF, control or bidi characters) and bounded, and in HTML it
is escaped; only http(s) links become links. The subject is one line whatever the inputs.

Answering the digest: each quiet thread is shown with its number (`#12`) and ends with
"reply MUTE 12 to stop tracking it". A reply whose first lines are `MUTE <number>` (`MUTE #12`
too, any case, one thread per line, blank lines between allowed) mutes those threads;
`mute_requests` reads them, from the top of the reply's own text down to the first other line,
as the approval commands are read. The digest itself starts with its greeting, so a reply that
quotes it without '>' (and a subject like "MUTE 5" wrapped onto a line of its own) mutes
nothing. Each upcoming interview and unanswered invitation shows its interview number and ends
with "not an interview? reply IGNORE 7": lines `IGNORE <number>` or `NOT AN INTERVIEW <number>`
among those first lines drop that interview and its plan, as `afterview interview ignore` does
(`digest_answers` reads both kinds). Drafts are not answered here: each has its own approval
email with its single-use token, and the digest carries no tokens.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from daemon.approval import own_text
from daemon.model import Person
from daemon.quiet import QuietState, Rule

WIDTH = 78
UPCOMING = timedelta(days=7)
MAX_VALUE = 200  # characters of any one value taken from mail
MAX_SUBJECT = 200
MAX_MUTES = 100
MAX_LINK = 800  # a longer link is shown as text: its line would pass SMTP's 998 octets
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Whitespace, C0/C1 controls, zero-width and bidi controls: nothing that can break a line or
# reorder what the user reads.
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]+")
_LINK = re.compile(r"^https?://[^\s<>\"'`\\]+$", re.IGNORECASE)
_MUTE = re.compile(r"^mute[ \t]+#?(\d{1,9})[ \t.!]*$", re.IGNORECASE)
_NUMBERED = ("Upcoming interviews", "Invitations to answer")  # sections whose items IGNORE names
_IGNORE = re.compile(
    r"^(?:ignore|not[ \t]+an[ \t]+interview)[ \t:]+#?(\d{1,9})[ \t.!]*$", re.IGNORECASE
)


@dataclass(frozen=True)
class UpcomingInterview:
    start: datetime
    end: datetime | None = None
    company: str | None = None
    role: str | None = None
    people: tuple[Person, ...] = ()
    meeting_url: str | None = None
    location: str | None = None
    number: int | None = None  # the interview's id, which an IGNORE line names


@dataclass(frozen=True)
class PendingDraft:
    """A note drafted and waiting for the user's answer to its approval email."""

    what: str  # "Thank-you note", "Check-in"
    subject: str  # the note's subject
    recipients: tuple[Person, ...]
    asked_at: datetime | None = None  # when the approval request went out
    expires_at: datetime | None = None


@dataclass(frozen=True)
class SentNote:
    sent_at: datetime
    subject: str
    recipients: tuple[Person, ...]


@dataclass(frozen=True)
class OpenInvitation:
    """An invitation to interview the user has not answered."""

    arrived: datetime
    company: str | None = None
    role: str | None = None
    sender: Person | None = None
    subject: str = ""
    number: int | None = None  # the interview's id, which an IGNORE line names


@dataclass(frozen=True)
class DigestData:
    """Everything the digest may say; `render` picks what falls in its windows."""

    interviews: tuple[UpcomingInterview, ...] = ()  # any; those in the next 7 days are shown
    drafts: tuple[PendingDraft, ...] = ()
    quiet: tuple[QuietState, ...] = ()  # as `quiet.quiet_threads` gives them
    sent: tuple[SentNote, ...] = ()  # those after `last_digest` are shown
    invitations: tuple[OpenInvitation, ...] = ()
    last_digest: datetime | None = None  # when the previous digest went out


@dataclass(frozen=True)
class Digest:
    """The email's parts. Lines stay under SMTP's 998 octets, but long ones exist (HTML rows,
    a meeting link): send both parts quoted-printable, as drafts are."""

    subject: str  # one line
    text: str
    html: str


def render(
    data: DigestData,
    *,
    user_name: str,
    zone: tzinfo,
    now: datetime,
    send_when_empty: bool = False,
) -> Digest | None:
    """The digest for `now`, or None when there is nothing to say and `send_when_empty` is off."""
    sections = _sections(data, zone, now)
    if not sections and not send_when_empty:
        return None
    today = now.astimezone(zone)
    name = clean(user_name, 60)
    greeting = f"Hi {name}," if name else "Hi,"
    if sections:
        intro = f"Here is your afterview digest for {_day(today)} {today.year}."
        summary = ", ".join(s.summary for s in sections)
    else:
        intro = (
            f"Nothing needs you on {_day(today)} {today.year}: no interviews in the next 7 days, "
            "no drafts waiting for your approval and no quiet threads."
        )
        summary = "nothing needs you"
    footer = [
        *(
            [
                "To stop tracking a thread, reply to this email with MUTE and the thread's "
                'number at the top, for example "MUTE 12", one line per thread.'
            ]
            if data.quiet
            else []
        ),
        *(
            [
                "If one of the interviews above is not one, reply with IGNORE and its number "
                'at the top, for example "IGNORE 7": it is dropped with its plan.'
            ]
            if any(s.heading in _NUMBERED for s in sections)
            else []
        ),
        "Drafts are answered in their own approval emails. afterview sends nothing to anyone "
        "but you without your approval.",
    ]
    subject = clean(f"[afterview] {_day(today)}: {summary}", MAX_SUBJECT)
    return Digest(
        subject=subject,
        text=_text(greeting, intro, sections, footer),
        html=_html(subject, greeting, intro, sections, footer),
    )


@dataclass(frozen=True)
class DigestAnswer:
    """What a reply to the digest asks: threads to mute, interviews to drop."""

    mute: tuple[int, ...] = ()
    ignore: tuple[int, ...] = ()


def digest_answers(reply_text: str) -> DigestAnswer:
    """The `MUTE <n>` and `IGNORE <n>` (or `NOT AN INTERVIEW <n>`) lines at the top of a reply
    to the digest: thread numbers to mute, interview numbers to drop."""
    mute: list[int] = []
    ignore: list[int] = []
    for line in own_text(reply_text).splitlines():
        if not line.strip():
            continue
        muted = _MUTE.match(line.strip())
        ignored = None if muted else _IGNORE.match(line.strip())
        if muted is None and ignored is None:
            break  # the commands are the reply's first lines; anything after is not one
        found = muted or ignored
        assert found is not None
        (mute if muted else ignore).append(int(found.group(1)))
    return DigestAnswer(
        tuple(dict.fromkeys(mute))[:MAX_MUTES], tuple(dict.fromkeys(ignore))[:MAX_MUTES]
    )


def mute_requests(reply_text: str) -> tuple[int, ...]:
    """The thread numbers the `MUTE <n>` lines at the top of a reply to the digest name."""
    return digest_answers(reply_text).mute


def clean(text: str, limit: int = MAX_VALUE) -> str:
    """One line of at most `limit` characters: breaks and controls become single spaces."""
    line = _UNSAFE.sub(" ", text).strip()
    return line if len(line) <= limit else line[: limit - 3].rstrip() + "..."


def moment_text(moment: datetime, zone: tzinfo) -> str:
    """The day and time in the user's zone, as in "Thu 3 Dec, 15:00 EST"."""
    local = moment.astimezone(zone)
    return f"{_day(local)}, {local:%H:%M} {local.tzname() or ''}".rstrip()


# -- What the digest says, format-free ----------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    title: str
    details: tuple[tuple[str, str], ...] = ()  # (label, value)
    link: str | None = None  # a checked http(s) URL
    action: str = ""  # how to act on it


@dataclass(frozen=True)
class _Section:
    heading: str
    note: str
    summary: str  # for the subject: "2 drafts to approve"
    items: tuple[_Item, ...]


def _sections(data: DigestData, zone: tzinfo, now: datetime) -> list[_Section]:
    interviews = sorted(
        (i for i in data.interviews if now <= i.start <= now + UPCOMING), key=lambda i: i.start
    )
    drafts = sorted(data.drafts, key=lambda d: d.asked_at or now)
    on_you = sorted((q for q in data.quiet if q.rule is Rule.WAITING_ON_YOU), key=lambda q: q.since)
    on_them = sorted(
        (q for q in data.quiet if q.rule is Rule.WAITING_ON_THEM), key=lambda q: q.since
    )
    last = data.last_digest
    sent = sorted(
        (s for s in data.sent if (last is None or s.sent_at > last) and s.sent_at <= now),
        key=lambda s: s.sent_at,
    )
    invitations = sorted(data.invitations, key=lambda i: i.arrived)
    sections = []
    if interviews:
        first = interviews[0]
        soonest = first.start.astimezone(zone)
        at = f"{_DAYS[soonest.weekday()]} {soonest:%H:%M}"
        where = f"{clean(first.company, 40)}, {at}" if first.company else at
        sections.append(
            _Section(
                "Upcoming interviews",
                "The next 7 days.",
                f"{_count(len(interviews), 'interview')} ({where})",
                tuple(_interview(i, zone, now) for i in interviews),
            )
        )
    if drafts:
        sections.append(
            _Section(
                "Drafts waiting for your approval",
                "Nothing is sent until you answer its approval email.",
                f"{_count(len(drafts), 'draft')} to approve",
                tuple(_draft(d, zone) for d in drafts),
            )
        )
    if on_you:
        sections.append(
            _Section(
                "Waiting on you",
                "They wrote to you and you have not answered yet.",
                f"{_count(len(on_you), 'reply', 'replies')} you owe",
                tuple(_quiet(q, zone) for q in on_you),
            )
        )
    if on_them:
        sections.append(
            _Section(
                "Waiting on them",
                "You wrote last and nobody has answered yet.",
                f"{_count(len(on_them), 'thread')} waiting on them",
                tuple(_quiet(q, zone) for q in on_them),
            )
        )
    if sent:
        sections.append(
            _Section(
                "Sent since the last digest",
                f"Since {moment_text(last, zone)}." if last is not None else "",
                f"{_count(len(sent), 'note')} sent",
                tuple(_sent(s, zone) for s in sent),
            )
        )
    if invitations:
        sections.append(
            _Section(
                "Invitations to answer",
                "An employer asked you to interview and you have not answered yet.",
                f"{_count(len(invitations), 'invitation')} to answer",
                tuple(_invitation(i, zone) for i in invitations),
            )
        )
    return sections


def _interview(found: UpcomingInterview, zone: tzinfo, now: datetime) -> _Item:
    start = found.start.astimezone(zone)
    when = moment_text(found.start, zone)
    if found.end is not None and found.end.astimezone(zone).date() == start.date():
        end = found.end.astimezone(zone)
        when = f"{_day(start)}, {start:%H:%M}-{end:%H:%M} {start.tzname() or ''}".rstrip()
    days = (start.date() - now.astimezone(zone).date()).days
    when += {0: " (today)", 1: " (tomorrow)"}.get(days, "")
    what = " - ".join(clean(v) for v in (found.company, found.role) if v) or "Interview"
    details = []
    if found.people:
        details.append(("With", _people(found.people)))
    if found.location:
        details.append(("Where", clean(found.location)))
    link = None
    if found.meeting_url:
        url = found.meeting_url.strip()
        if _LINK.match(url) and len(_escape(url)) <= MAX_LINK:
            link = url
        else:
            details.append(("Link", clean(url)))
    action = f"not an interview? reply IGNORE {found.number}" if found.number is not None else ""
    return _Item(f"{when}: {what}", tuple(details), link, action)


def _draft(draft: PendingDraft, zone: tzinfo) -> _Item:
    to = _people(draft.recipients) if draft.recipients else "nobody yet (no address known)"
    details = [("Subject", clean(draft.subject))]
    if draft.asked_at is not None:
        details.append(("Asked", moment_text(draft.asked_at, zone)))
    if draft.expires_at is not None:
        details.append(("Expires", moment_text(draft.expires_at, zone)))
    return _Item(
        f"{clean(draft.what, 60) or 'A note'} to {to}",
        tuple(details),
        action="answer its approval email with SEND, SKIP, SNOOZE 4h or NOTES",
    )


def _quiet(state: QuietState, zone: tzinfo) -> _Item:
    number = state.thread_id
    details = []
    if state.with_whom is not None:
        label = "From" if state.rule is Rule.WAITING_ON_YOU else "With"
        details.append((label, _person(state.with_whom)))
    if state.company:
        details.append(("Company", clean(state.company)))
    if state.rule is Rule.WAITING_ON_YOU:
        details.append(("Since", moment_text(state.since, zone)))
        action = f"answer them in that thread, or reply MUTE {number} to stop tracking it"
    else:
        details.append(("You wrote", moment_text(state.since, zone)))
        action = f"write to them again if it matters, or reply MUTE {number} to stop tracking it"
    title = f"#{number} {clean(state.subject) or '(no subject)'}"
    return _Item(title, tuple(details), action=action)


def _sent(note: SentNote, zone: tzinfo) -> _Item:
    details = [("To", _people(note.recipients))] if note.recipients else []
    details.append(("Sent", moment_text(note.sent_at, zone)))
    return _Item(clean(note.subject) or "(no subject)", tuple(details))


def _invitation(found: OpenInvitation, zone: tzinfo) -> _Item:
    what = " - ".join(clean(v) for v in (found.company, found.role) if v)
    details = []
    if found.sender is not None:
        details.append(("From", _person(found.sender)))
    if found.subject:
        details.append(("Subject", clean(found.subject)))
    details.append(("Arrived", moment_text(found.arrived, zone)))
    action = "answer their email in its thread with the times you are free"
    if found.number is not None:
        action += f", or reply IGNORE {found.number} if it is not one"
    return _Item(what or "An interview invitation", tuple(details), action=action)


# -- Plain text ---------------------------------------------------------------------------------


def _text(greeting: str, intro: str, sections: Sequence[_Section], footer: Sequence[str]) -> str:
    lines = [*_wrap(greeting), "", *_wrap(intro)]
    for section in sections:
        lines += ["", "", section.heading, "-" * len(section.heading)]
        if section.note:
            lines += _wrap(section.note)
        for item in section.items:
            lines.append("")
            lines += _wrap(item.title, "  ", "    ")
            for label, value in item.details:
                head = f"    {label + ':':<11}"
                lines += _wrap(value, head, " " * len(head))
            if item.link:
                lines.append(f"    {item.link}")  # whole, so it stays clickable
            if item.action:
                lines += _wrap(f"-> {item.action}", "    ", "       ")
    lines += ["", "", "--"]
    for paragraph in footer:
        lines += _wrap(paragraph)
    return "\n".join(lines) + "\n"


def _wrap(text: str, first: str = "", rest: str = "") -> list[str]:
    return textwrap.wrap(
        text,
        WIDTH,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=True,
        break_on_hyphens=False,
    ) or [first.rstrip()]


# -- HTML ---------------------------------------------------------------------------------------
# Tables for layout and a style on every element: Outlook's Word engine ignores stylesheets and
# does not pass fonts down from <body>. One element per source line keeps lines short for SMTP.


def _html(
    subject: str,
    greeting: str,
    intro: str,
    sections: Sequence[_Section],
    footer: Sequence[str],
) -> str:
    e = _escape
    rows = [
        _row(
            "padding:20px 24px 12px 24px;",
            f'<p style="{_font(margin="0 0 8px 0")}">{e(greeting)}</p>',
            f'<p style="{_font()}">{e(intro)}</p>',
        )
    ]
    for section in sections:
        heading = _font(size=16, color="#1f3a5f", weight="bold")
        note = _font(color="#666666", margin="2px 0 0 0")
        rows.append(
            _row(
                "padding:18px 24px 6px 24px;border-bottom:2px solid #1f3a5f;",
                f'<p style="{heading}">{e(section.heading)}</p>',
                *([f'<p style="{note}">{e(section.note)}</p>'] if section.note else []),
            )
        )
        rows += [_row("padding:10px 24px;", *_item_html(item)) for item in section.items]
    small = _font(size=12, color="#777777", margin="0 0 6px 0")
    rows.append(
        _row(
            "padding:18px 24px 20px 24px;border-top:1px solid #dddddd;",
            *(f'<p style="{small}">{e(p)}</p>' for p in footer),
        )
    )
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            '<head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{e(subject)}</title></head>",
            '<body style="margin:0;padding:0;background-color:#f3f4f6;">',
            '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"'
            ' style="background-color:#f3f4f6;">',
            '<tr><td align="center" style="padding:16px 8px;">',
            '<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0"'
            ' style="width:600px;max-width:600px;background-color:#ffffff;'
            'border:1px solid #dddddd;">',
            *rows,
            "</table>",
            "</td></tr>",
            "</table>",
            "</body>",
            "</html>",
            "",
        ]
    )


def _font(
    *, size: int = 14, color: str = "#222222", weight: str = "normal", margin: str = "0"
) -> str:
    return (
        f"margin:{margin};font-family:Arial,Helvetica,sans-serif;font-size:{size}px;"
        f"line-height:{size + 6}px;font-weight:{weight};color:{color};"
    )


def _row(style: str, *content: str) -> str:
    return "\n".join([f'<tr><td style="{style}">', *content, "</td></tr>"])


def _item_html(item: _Item) -> list[str]:
    e = _escape
    parts = [f'<p style="{_font(weight="bold", margin="0 0 4px 0")}">{e(item.title)}</p>']
    if item.details:
        label_style = f"padding:0 10px 2px 0;vertical-align:top;{_font(color='#666666')}"
        value_style = f"padding:0 0 2px 0;vertical-align:top;{_font()}"
        parts.append('<table role="presentation" cellpadding="0" cellspacing="0" border="0">')
        parts += [
            f'<tr><td style="{label_style}">{e(label)}</td>'
            f'<td style="{value_style}">{e(value)}</td></tr>'
            for label, value in item.details
        ]
        parts.append("</table>")
    if item.link:
        parts += [
            f'<p style="{_font(margin="4px 0 0 0")}">',
            f'<a href="{e(item.link)}" style="color:#1a56db;">Join the meeting</a><br>',
            f'<span style="font-size:12px;color:#777777;">{e(item.link)}</span></p>',
        ]
    if item.action:
        action = _font(size=13, color="#555555", margin="6px 0 0 0")
        parts.append(f'<p style="{action}">&rarr; {e(item.action)}</p>')
    return parts


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


# -- Small words --------------------------------------------------------------------------------


def _day(local: datetime) -> str:
    return f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]}"


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _person(person: Person) -> str:
    name, address = clean(person.name or "", 80), clean(person.email or "", 120)
    if name and address:
        return f"{name} <{address}>"
    return name or address or "someone"


def _people(people: Sequence[Person]) -> str:
    return clean(", ".join(_person(p) for p in people[:10]), 400)

"""Approval by reply: the request email, and reading and checking a reply to it. Pure.

A reply acts only when every check holds (see `check`): one From mailbox that is an approver
(and no Sender naming anyone else), a live token bound to this version of this draft, not
automatic, not afterview's own mail, not failed by the trusted server's Authentication-Results.
The command comes only from the reply's own first lines, above the marker and above any quote; a
reply-parsing library helps find that text, and our own cut (marker, quote headers, `>` lines)
bounds it whatever the library says.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from email.utils import getaddresses
from enum import StrEnum

from mailparser_reply import EmailReplyParser  # type: ignore[import-untyped]

from daemon.detect.mime import decode_words, html_to_text
from daemon.drafts import one_line, writable_address
from daemon.envelope import OUT_OF_OFFICE_SUBJECT

TOKEN_BYTES = 24  # 192 bits
MAX_REPLY_BYTES = 256_000  # what is read of a reply; the command sits at its top
MAX_COMMAND_TEXT = 20_000  # an edited note longer than this is not a note
MAX_LIBRARY_TEXT = 4_000  # the reply-parsing library reads no more than this
MAX_SNOOZE = timedelta(days=14)
MARKER = "---- reply above this line ----"
LOOP_HEADER = "X-Afterview"
TOKEN_TAG = re.compile(r"\[av:([A-Za-z0-9_-]{20,64})\]")
_PLUS_TOKEN = re.compile(r"\+av-([A-Za-z0-9_-]{20,64})@", re.IGNORECASE)
_ID_TOKEN = re.compile(r"afterview\.approve\.([A-Za-z0-9_-]{20,64})@", re.IGNORECASE)
# Where a signature starts: the "-- " delimiter line, or a mail program's own footer.
_SIGNATURE_START = re.compile(
    r"^(?:--\s*$|__+\s*$|\s*(?:sent from my|sent from (?:mail|outlook|yahoo)|get outlook for|"
    r"sent via|sent with|von meinem .{0,40} gesendet|gesendet von|envoy[ée] de mon|"
    r"envoy[ée] depuis|enviado desde))",
    re.IGNORECASE,
)
_QUOTE_HEADER = re.compile(
    r"^\s*(?:"
    r"On .{0,300}wrote:?"  # Gmail, Apple Mail, Thunderbird
    r"|Am .{0,300}schrieb.{0,100}:"
    r"|Le .{0,300}a [ée]crit\s?:"
    r"|El .{0,300}escribi[óo]:?"
    r"|-{2,}\s*(?:Original Message|Urspr[üu]ngliche Nachricht|Message d'origine|Mensaje original)"
    r"\s*-{2,}"
    r"|_{10,}"  # Outlook's rule above its From/Sent block
    r"|(?:From|Von|De|Envoy[ée] par)\s*:\s.{0,300}"  # Outlook's header block
    r")\s*$",
    re.IGNORECASE,
)
_COMMAND = re.compile(
    r"^(send|skip|snooze|notes|resend|mute|ignore|not an interview)\b[ \t:]*(.*)$",
    re.IGNORECASE,
)
_SNOOZE = re.compile(r"^(\d{1,3})\s*(h|hours?|d|days?)$", re.IGNORECASE)
_SEND_TO = re.compile(r"^to\s+<?([^\s<>@]+@[^\s<>@]+\.[^\s<>@]+)>?\s*$", re.IGNORECASE)
_ROBOT_SENDER = re.compile(r"^(?:mailer-daemon|postmaster|no-?reply|do-?not-?reply)\b", re.I)
_REPLY_LANGUAGES = ["en", "de", "fr", "es"]


class Action(StrEnum):
    SEND = "send"  # as drafted, or `text` instead when given
    SKIP = "skip"
    SNOOZE = "snooze"
    NOTES = "notes"  # redraft with these notes woven in
    RESEND = "resend"  # an `unknown` send: the user says send it again
    MUTE = "mute"
    IGNORE = "ignore"  # not an interview: drop it and its plan
    UNCLEAR = "unclear"


@dataclass(frozen=True)
class Command:
    action: Action
    text: str = ""  # the edited note (SEND) or the notes (NOTES)
    send_to: str | None = None  # SEND to someone@company.com, for a draft with no recipient
    snooze: timedelta | None = None
    problem: str = ""  # why it is UNCLEAR


@dataclass(frozen=True)
class ApprovalToken:
    """A fresh token: `value` goes in the request, only `digest` is stored."""

    value: str
    digest: str


def new_token() -> ApprovalToken:
    value = secrets.token_urlsafe(TOKEN_BYTES)
    return ApprovalToken(value, token_digest(value))


def token_digest(value: str) -> str:
    return hashlib.sha256(value.encode("ascii", "replace")).hexdigest()


def request_message_id(token: str, domain: str) -> str:
    return f"afterview.approve.{token}@{domain}"


def subject_tag(token: str) -> str:
    return f"[av:{token}]"


# -- Reading a reply ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """The parts of an incoming reply the checks and the command need."""

    message_id: str
    digest: str  # sha256 of the raw bytes, for "the same bytes act once"
    senders: tuple[str, ...]  # every From mailbox, lower-cased
    subject: str
    tokens: tuple[str, ...]  # candidate tokens, most trusted source first
    automatic: str | None  # why it is an automatic mail, or None
    own_mail: bool  # afterview's loop header is on it
    auth_results: tuple[str, ...]  # Authentication-Results values, topmost first
    command: Command
    references: tuple[str, ...] = ()  # In-Reply-To and References, without brackets
    text: str = ""  # the reply's text, quotes included (read with `own_text`)
    agents: tuple[str, ...] = ()  # the Sender mailbox: who sent it, when not the author


def read_reply(raw: bytes) -> Reply:
    """Parse a reply; never raises (an unreadable mail gives an UNCLEAR command)."""
    data = raw[:MAX_REPLY_BYTES]
    try:
        message = BytesParser(policy=compat32).parsebytes(data)
    except Exception:  # hostile MIME: nothing in it can act
        message = Message()
    senders = _mailboxes(message, "From")
    subject = decode_words(message.get("Subject") or "")[:1000]
    text = _reply_text(message)
    return Reply(
        message_id=_first_id(message.get("Message-ID") or ""),
        digest=hashlib.sha256(raw).hexdigest(),
        senders=senders,
        agents=_mailboxes(message, "Sender"),
        subject=subject,
        tokens=_tokens(message, subject),
        automatic=automatic_reason(message, senders, subject),
        own_mail=message.get(LOOP_HEADER) is not None,
        auth_results=tuple(str(v) for v in message.get_all("Authentication-Results") or []),
        command=parse_command(text),
        references=tuple(
            dict.fromkeys(
                found
                for name in ("In-Reply-To", "References")
                for value in message.get_all(name) or []
                for found in re.findall(r"<([^<>\s]{1,500})>", str(value))
            )
        )[:MAX_REFERENCES],
        text=text,
    )


MAX_REFERENCES = 100


def _mailboxes(message: Message, name: str) -> tuple[str, ...]:
    """The header's addresses, lower-cased. Read before any encoded word is decoded: RFC 2047
    words may only hide in display names, and one decoded first can write an address (or an
    open comment that hides the real one) for the parser to find."""
    values = [str(value) for value in message.get_all(name) or []]
    return tuple(address.lower() for _, address in getaddresses(values) if address)


def _first_id(text: str) -> str:
    found = re.search(r"<([^<>\s]{1,500})>", str(text))
    return found.group(1) if found else str(text).strip()[:500]


def _tokens(message: Message, subject: str) -> tuple[str, ...]:
    found: list[str] = []
    for name in ("To", "Cc", "Delivered-To", "X-Original-To"):
        for value in message.get_all(name) or []:
            found += _PLUS_TOKEN.findall(str(value))
    for name in ("In-Reply-To", "References"):
        for value in message.get_all(name) or []:
            found += _ID_TOKEN.findall(str(value))
    found += TOKEN_TAG.findall(subject)
    return tuple(dict.fromkeys(found))


def automatic_reason(message: Message, senders: Sequence[str], subject: str) -> str | None:
    """Why a mail was written by a machine, or None. X-Auto-Response-Suppress alone is not."""
    submitted = str(message.get("Auto-Submitted") or "").strip().lower()
    if submitted and submitted != "no":
        return f"Auto-Submitted: {submitted}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        if message.get(name) is not None:
            return f"{name} header"
    precedence = str(message.get("Precedence") or "").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    if str(message.get("Return-Path") or "").strip() == "<>":
        return "empty Return-Path (a bounce)"
    if any(_ROBOT_SENDER.match(s.split("@")[0]) for s in senders):
        return "sent by a robot address"
    if message.get_content_type() == "multipart/report":
        return "a delivery or read report"
    for name in message:
        if name.lower().startswith("list-"):
            return f"{name} header (mailing list)"
    if OUT_OF_OFFICE_SUBJECT.match(subject):
        return "an out-of-office subject"
    return None


def _reply_text(message: Message) -> str:
    plain, html = "", ""
    try:
        parts = list(message.walk())[:50]
    except Exception:
        return ""
    for part in parts:
        try:
            if part.get_content_maintype() == "multipart" or part.get_filename():
                continue
        except (ValueError, TypeError, IndexError, AttributeError):  # broken RFC 2231 names
            continue
        kind = part.get_content_type()
        if kind not in ("text/plain", "text/html"):
            continue
        try:
            payload = part.get_payload(decode=True)
        except Exception:
            continue
        if not isinstance(payload, bytes):
            continue
        charset = part.get_content_charset() or "utf-8"
        try:
            text = payload.decode(charset, "replace")
        except (LookupError, ValueError):  # no such codec, or one like idna that cannot replace
            text = payload.decode("utf-8", "replace")
        if kind == "text/plain" and not plain:
            plain = text
        elif kind == "text/html" and not html:
            html = text
    return plain or (html_to_text(html) if html else "")


def own_text(body: str) -> str:
    """The reply's own text: above the marker, any quote and the signature (a "-- " line, a
    phone's "Sent from my iPhone"), by our cut and by the library's."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for line in lines[:2000]:
        stripped = line.strip()
        if MARKER.strip("- ").lower() in stripped.lower() or stripped.startswith(">"):
            break
        if _QUOTE_HEADER.match(stripped) or _SIGNATURE_START.match(line):
            break
        kept.append(line.rstrip())
    ours = "\n".join(kept).strip()
    theirs = ours
    if len(ours) <= MAX_LIBRARY_TEXT:  # its patterns slow down on long hostile text
        try:
            theirs = EmailReplyParser(languages=_REPLY_LANGUAGES).parse_reply(ours).strip()
        except Exception:  # the library is a help; our cut stands on its own
            theirs = ours
    # Keep the shorter reading: the library may also cut a signature or a quote we missed.
    return theirs if theirs and len(theirs) < len(ours) and ours.startswith(theirs[:20]) else ours


def without_signature(text: str, name: str, signature: str) -> str:
    """Text written under SEND, less the lines a mail program adds on its own: the user's
    configured signature and name at its end. What is left is the user's note (or nothing:
    then the draft is sent as it is)."""
    own = {line.strip().lower() for line in signature.splitlines() if line.strip()}
    own |= {name.strip().lower()} if name.strip() else set()
    lines = text.rstrip().split("\n")
    while lines and (not lines[-1].strip() or lines[-1].strip().lower() in own):
        lines.pop()
    return "\n".join(lines).strip()


def parse_command(body: str) -> Command:
    text = own_text(body)[:MAX_COMMAND_TEXT]
    lines = [line for line in text.split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        return Command(Action.UNCLEAR, problem="the reply has no text above the quoted request")
    first = lines[0].strip().rstrip(".!")
    rest = "\n".join(lines[1:]).strip()
    match = _COMMAND.match(first)
    if match is None:
        return Command(
            Action.UNCLEAR,
            problem=(
                f"the first line ({first[:60]!r}) is not SEND, SKIP, SNOOZE, NOTES, MUTE, "
                "NOT AN INTERVIEW or RESEND"
            ),
        )
    word, argument = match.group(1).lower(), match.group(2).strip()
    if word == "send":
        if argument:
            to = _SEND_TO.match(argument)
            if to is None or not writable_address(to.group(1)):
                return Command(Action.UNCLEAR, problem=f"SEND {argument[:60]!r} is not understood")
            return Command(Action.SEND, text=rest, send_to=to.group(1).lower())
        return Command(Action.SEND, text=rest)
    if word == "snooze":
        try:
            return Command(Action.SNOOZE, snooze=snooze_length(argument))
        except ValueError as exc:
            return Command(Action.UNCLEAR, problem=str(exc))
    if word == "notes":
        notes = "\n".join(part for part in (argument, rest) if part).strip()
        if not notes:
            return Command(Action.UNCLEAR, problem="NOTES needs the notes after it")
        return Command(Action.NOTES, text=notes)
    if word in ("ignore", "not an interview"):
        return Command(Action.IGNORE)
    return Command(Action(word))


def snooze_length(text: str) -> timedelta:
    """How long SNOOZE waits: `4h`, `2d`, `3 days`, at most MAX_SNOOZE; ValueError (a
    message for the user) when `text` is not such a length."""
    found = _SNOOZE.match(text.strip())
    if found is None:
        raise ValueError("SNOOZE needs a length like 4h or 2d")
    count, unit = int(found.group(1)), found.group(2).lower()
    length = timedelta(hours=count) if unit.startswith("h") else timedelta(days=count)
    if not timedelta(0) < length <= MAX_SNOOZE:
        raise ValueError("SNOOZE can be 1h to 14 days")
    return length


# -- Checking a reply ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingApproval:
    """A stored approval request, as the checks see it."""

    token_digest: str
    draft_id: int
    draft_version: int
    current_version: int  # the draft's version now
    expires_at: datetime
    used: bool
    addressed: bool = False  # the draft has its recipients: SEND to cannot change them


@dataclass(frozen=True)
class Verdict:
    accepted: bool
    reason: str
    approval: PendingApproval | None = None


def find_approval(reply: Reply, lookup: Iterable[PendingApproval]) -> PendingApproval | None:
    """The pending approval the reply's tokens name (the first source that names one wins)."""
    by_digest = {p.token_digest: p for p in lookup}
    for token in reply.tokens:
        found = by_digest.get(token_digest(token))
        if found is not None:
            return found
    return None


def sender_refused(
    reply: Reply, *, approvers: Iterable[str], trusted_authserv_id: str | None
) -> str | None:
    """Why the reply cannot speak for the user whoever it answers, or None: the rules on
    who sent it and how (one approver, a person, not afterview's own mail, authenticated)."""
    allowed = {a.lower() for a in approvers}
    if reply.own_mail:
        return "afterview's own mail came back"
    if len(reply.senders) != 1:
        return f"the reply has {len(reply.senders)} From addresses, not one"
    sender = reply.senders[0]
    if sender not in allowed:
        return f"{sender} is not an approver"
    agent = next((a for a in reply.agents if a not in allowed), None)
    if agent is not None:  # a delegate, a list or a relay sent it: not the approver
        return f"sent by {agent} on behalf of {sender}"
    if reply.automatic is not None:
        return f"an automatic reply ({reply.automatic})"
    return authentication_failure(reply.auth_results, trusted_authserv_id, sender)


def check(
    reply: Reply,
    approval: PendingApproval | None,
    *,
    approvers: Iterable[str],
    trusted_authserv_id: str | None,
    now: datetime,
) -> Verdict:
    """Every rule, in order; the first that fails names the reason."""
    refused = sender_refused(reply, approvers=approvers, trusted_authserv_id=trusted_authserv_id)
    if refused is not None:
        return Verdict(False, refused)
    if approval is None:
        return Verdict(False, "no live approval token in the reply")
    if approval.used:
        return Verdict(False, "the approval token was already used", approval)
    if now >= approval.expires_at:
        return Verdict(False, "the approval request has expired", approval)
    if approval.draft_version != approval.current_version:
        return Verdict(False, "the draft changed since this request; answer the newest", approval)
    if reply.command.send_to and approval.addressed:  # a reply never chooses the recipients
        return Verdict(False, "SEND to is only for a note with no address", approval)
    if reply.command.action is Action.UNCLEAR:
        return Verdict(False, reply.command.problem, approval)
    return Verdict(True, "accepted", approval)


_RESULT = re.compile(r"\b(dmarc|dkim|spf)\s*=\s*([a-z]+)([^;]*)", re.IGNORECASE)
_HEADER_FROM = re.compile(r"header\.from\s*=\s*([A-Za-z0-9.-]+)", re.IGNORECASE)
_HEADER_D = re.compile(r"header\.(?:d|i)\s*=\s*@?([A-Za-z0-9.-]+)", re.IGNORECASE)


def authentication_failure(
    results: Sequence[str], trusted_authserv_id: str | None, sender: str
) -> str | None:
    """Why the trusted server's topmost Authentication-Results fails the sender, or None.

    Only the topmost header from the trusted authserv-id counts: anything below it (or from
    another id) may have been written by the sender. Without a configured id, it is neutral.
    """
    if not trusted_authserv_id:
        return None
    trusted = trusted_authserv_id.lower()
    for value in results:
        flat = " ".join(str(value).split())[:4000]
        authserv = flat.split(";", 1)[0].strip().split()[0].lower() if flat.strip() else ""
        if authserv != trusted:
            continue
        return _verdict_of(flat, sender)
    return None


def _verdict_of(flat: str, sender: str) -> str | None:
    domain = sender.rsplit("@", 1)[-1].lower()
    found = _RESULT.findall(flat)
    if not found and "none" not in flat.lower():
        return "the trusted Authentication-Results header cannot be read"
    dmarc = [result.lower() for method, result, _ in found if method.lower() == "dmarc"]
    if "fail" in dmarc:
        return f"DMARC failed for {domain}"
    judged = {
        seen.lower()
        for method, _, rest in found
        if method.lower() == "dmarc"
        for seen in _HEADER_FROM.findall(rest)
    }
    if judged - {domain}:  # the server read another From than we did: its pass is not ours
        return (
            f"the trusted Authentication-Results judged {', '.join(sorted(judged))}, not {domain}"
        )
    if "pass" in dmarc:
        return None
    dkim_for_domain = [
        result.lower()
        for method, result, rest in found
        if method.lower() == "dkim" and _aligned(_HEADER_D.findall(rest), domain)
    ]
    if "pass" in dkim_for_domain:
        return None
    if "fail" in dkim_for_domain:
        return f"DKIM failed for {domain}"
    return None


def _aligned(domains: Sequence[str], sender_domain: str) -> bool:
    return any(
        d.lower() == sender_domain or sender_domain.endswith("." + d.lower()) for d in domains
    )


# -- The request --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestText:
    subject: str
    body: str


def request_text(
    *,
    token: str,
    what: str,  # "Thank-you note to Dana Lee (Lumen Labs)"
    why: str,
    recipients: Sequence[str],  # as shown: "Dana Lee <dana@lumen.example>"
    note_subject: str,
    note_body: str,
    expires: str,
) -> RequestText:
    """The approval email's subject and text: the draft in full, why, and how to answer."""
    to = ", ".join(recipients) if recipients else "NOBODY YET: no address is known"
    rule = "-" * 60
    asks_address = (
        [
            "",
            "No address is known for this note. Reply",
            "  SEND to someone@company.com",
            "to send it to that address.",
        ]
        if not recipients
        else []
    )
    lines = [
        MARKER,
        "",
        f"afterview drafted a note for you. {why}",
        "",
        f"To:      {to}",
        f"Subject: {note_subject}",
        rule,
        note_body.rstrip(),
        rule,
        *asks_address,
        "",
        "To answer, reply to this email and write one of these at the top:",
        "  SEND           send it as it is",
        "  SEND + text    SEND on the first line, your own version below it: sends yours",
        "  SKIP           do not send it",
        "  SNOOZE 4h      ask again later (hours or days, at most 14 days)",
        "  NOTES ...      redraft it with your notes woven in, and ask again",
        "  MUTE           do not send it, and stop following this thread",
        "  NOT AN INTERVIEW  drop this note and the interview it is for",
        "",
        f"Nothing is sent without your reply. This request expires {expires}.",
    ]
    # Cut so that the subject, cut at its own length, keeps its tag.
    subject = f"[afterview] Send? {one_line(what)[:200]} {subject_tag(token)}"
    return RequestText(subject, "\n".join(lines) + "\n")

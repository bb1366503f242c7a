"""Which new messages are worth fetching whole: a header-only decision, generous on purpose.

A mailbox is mostly newsletters, receipts and chatter. The sync fetches a few header fields for
every message and the body only for those that may be about a job: a calendar part, an
applicant-tracking sender, a subject with a job or scheduling word in one of our languages, or a
reply in a thread already known to be about a job. A miss here is a missed interview, so the
subject words are broad; the detector decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from daemon.detect.cues import is_ats_domain
from daemon.detect.fastre import Pattern
from daemon.envelope import Envelope

# Every subject is read against it: RE2 answers (with `re`'s results, see fastre).
_SUBJECT_WORDS = Pattern(
    "|".join(
        (
            # English
            r"interview",
            r"screen",
            r"\bcall\b",
            r"\bchat\b",
            r"\bmeet",
            r"\bcoffee\b",
            r"\bcatch[- ]?up\b",
            r"\bconnect\b",
            r"touch base",
            r"next step",
            r"follow[- ]?up",
            r"availab",
            r"schedul",
            r"\btime\b",
            r"\bslot",
            r"calendar",
            r"invit",
            r"\bevent\b",
            r"appointment",
            r"booking",
            r"booked",
            r"confirm",
            r"cancel",
            r"moved?\b",
            r"postpon",
            r"updated?\b",
            r"\brole\b",
            r"position",
            r"opportunit",
            r"opening",
            r"candida",
            r"applica",
            r"\bapplied\b",
            r"\bjob\b",
            r"career",
            r"hiring",
            r"recruit",
            r"talent",
            r"\boffer\b",
            r"on-?site",
            r"panel",
            r"assessment",
            r"take[- ]home",
            r"challenge",
            r"\bteams\b",
            r"zoom",
            r"\bmeet\b",
            r"webex",
            r"\bintro",
            # German
            r"gespr[äa]ch",
            r"termin",
            r"einladung",
            r"bewerb",
            r"stelle",
            r"absage",
            r"zusage",
            r"verschoben",
            r"kennenlern",
            r"vorstellung",
            # French
            r"entretien",
            r"entrevue",
            r"rendez-vous",
            r"\brdv\b",
            r"candidature",
            r"poste",
            r"recrutement",
            r"annul",
            r"report[ée]",
            r"disponibilit",
            r"[ée]change",
            r"appel",
            # Spanish
            r"entrevista",
            r"reuni[óo]n",
            r"\bcita\b",
            r"candidatura",
            r"vacante",
            r"puesto",
            r"proceso de selecci",
            r"disponibilidad",
            r"llamada",
            r"cancelad",
            r"reprogram",
        )
    ),
    re.IGNORECASE,
)
_FORWARD = re.compile(r"^\s*(?:fwd?|fw|wg|tr|rv|enc|i)\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class Triage:
    fetch_body: bool
    reason: str


def triage(envelope: Envelope, *, from_me: bool, in_job_thread: bool) -> Triage:
    """Whether to fetch and classify the whole message, and why (for the debug log)."""
    if envelope.own_marker:
        return Triage(False, "afterview's own mail")
    if from_me:
        return Triage(False, "sent by the user")
    if envelope.calendar:
        return Triage(True, "calendar message")
    if in_job_thread:
        return Triage(True, "reply in a job thread")
    senders = [envelope.sender, *envelope.reply_to]
    if any(s is not None and is_ats_domain(s.email.rsplit("@", 1)[-1]) for s in senders):
        return Triage(True, "applicant-tracking sender")
    if _SUBJECT_WORDS.search(envelope.subject):
        return Triage(True, "subject mentions a job or a meeting")
    if _FORWARD.match(envelope.subject):
        return Triage(True, "a forward")
    if envelope.content_type == "multipart/mixed" and not envelope.mailing_list:
        return Triage(True, "personal mail with attachments (an .ics may be among them)")
    return Triage(False, "nothing in the headers suggests a job")

"""Which new messages are worth fetching whole: a header-only decision, generous on purpose.

A mailbox is mostly newsletters, receipts and chatter. The sync fetches a few header fields for
every message and the body only for those that may be about a job: a calendar part, an
applicant-tracking sender, a reply in a thread already known to be about a job, a subject with
a job word in one of our languages, or, for personal (not automatic) mail, a subject about
arranging a meeting or a forward. A miss here is a missed interview, so the words are broad;
the detector decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from daemon.detect.cues import is_ats_domain
from daemon.detect.fastre import Pattern
from daemon.envelope import Envelope

# Words that say a message is about a job process, whoever sent it (newsletters included).
_JOB_WORDS = Pattern(
    "|".join(
        (
            r"interview",
            r"screen",
            r"on-?site",
            r"panel",
            r"assessment",
            r"take[- ]home",
            r"\brole\b",
            r"position",
            r"candida",
            r"applica",
            r"\bapplied\b",
            r"hiring",
            r"recruit",
            r"talent",
            r"\bjob\b",
            r"opportunit",
            r"next step",
            r"gespr[äa]ch",
            r"bewerb",
            r"stelle",
            r"einladung",
            r"kennenlern",
            r"vorstellung",
            r"entretien",
            r"entrevue",
            r"candidature",
            r"\bposte\b",
            r"recrutement",
            r"entrevista",
            r"candidatura",
            r"vacante",
            r"puesto",
            r"proceso de selecci",
        )
    ),
    re.IGNORECASE,
)
# Words that make a personal mail worth reading: arranging, moving or calling off a meeting.
# A hiring manager's "Quick call Thursday?" says no more than this.
_MEETING_WORDS = Pattern(
    "|".join(
        (
            r"\bcall\b",
            r"\bchat\b",
            r"\bmeet",
            r"\bcoffee\b",
            r"\bcatch[- ]?up\b",
            r"\bconnect\b",
            r"touch base",
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
            r"\boffer\b",
            r"challenge",
            r"\bteams\b",
            r"zoom",
            r"webex",
            r"\bintro",
            r"termin",
            r"absage",
            r"zusage",
            r"verschoben",
            r"rendez-vous",
            r"\brdv\b",
            r"annul",
            r"report[ée]",
            r"disponibilit",
            r"[ée]change",
            r"appel",
            r"reuni[óo]n",
            r"\bcita\b",
            r"disponibilidad",
            r"llamada",
            r"cancelad",
            r"reprogram",
            # when: "Tomorrow", "Thursday?", "30 min next week", in our four languages
            r"today",
            r"tomorrow",
            r"tonight",
            r"next week",
            r"\d+ ?min",
            r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)day",
            r"\bheute\b",
            r"\bmorgen\b",
            r"(?:mon|diens|donners|frei|sams|sonn)tag",
            r"mittwoch",
            r"aujourd",
            r"demain",
            r"\b(?:lun|mar|mercre|jeu|vendre|same)di\b",
            r"dimanche",
            r"\bhoy\b",
            r"mañana",
            r"\b(?:lunes|martes|mi[ée]rcoles|jueves|viernes|s[áa]bado|domingo)\b",
            # who and what: a hiring manager writes the job, not the word "interview"
            r"round",
            r"conversation",
            r"founding",
            r"\beng\b",
            r"engineer",
            r"developer",
            r"manager",
            r"designer",
            r"analyst",
            r"scientist",
            r"consultant",
            r"director",
            r"\blead\b",
            r"head of",
            r"ingenieur",
            r"entwickler",
            r"ing[ée]nieur",
            r"d[ée]veloppeu",
            r"front-?end",
            r"back-?end",
            r"full-?stack",
            r"devops",
            r"\bsre\b",
            r"\bml\b",
            r"\w @ \w",  # "frontend @ pebblewise": a role at a company
            r"ingeniero",
            r"desarrollador",
            r"proceso",
            r"processus",
        )
    ),
    re.IGNORECASE,
)
_FORWARD = re.compile(r"^\s*(?:fwd?|fw|wg|tr|rv|enc|i)\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class Triage:
    fetch_body: bool
    reason: str


DIGEST_ID_PREFIX = "afterview.digest."  # the digest's Message-ID starts so


def is_approval_reply(envelope: Envelope) -> bool:
    """A reply to one of afterview's approval requests or digests (it names the request, the
    digest or the request's tag): the follow-up engine reads it."""
    if envelope.own_marker:
        return False
    if any(ref.startswith(("afterview.approve.", DIGEST_ID_PREFIX)) for ref in envelope.references):
        return True
    return "[av:" in envelope.subject


# Subjects that put a conversation about a job application on the user's list (its quiet
# rules, the digest): stronger words than the ones worth reading a mail for.
_JOB_THREAD = Pattern(
    r"\binterview|\bapplica|\bapplied\b|\brecruit|\bhiring\b|\bjob\b|\brole\b|"
    r"\bposition\b|\bcandida|\boffer letter|\bbewerb|\bstelle\b|\bcandidature|"
    r"\bentretien|\bentrevista|\bcandidatura|\bpuesto\b|\bvacante\b",
    re.IGNORECASE,
)


def about_a_job(envelope: Envelope) -> bool:
    """A person's mail (or the user's) about a job application: its thread is tracked.
    Automatic and list mail never makes a thread one: a job alert is no conversation."""
    if envelope.automatic or envelope.mailing_list or envelope.own_marker:
        return False
    senders = [envelope.sender, *envelope.reply_to]
    if any(s is not None and is_ats_domain(s.email.rsplit("@", 1)[-1]) for s in senders):
        return True
    return bool(_JOB_THREAD.search(envelope.subject))


def triage(envelope: Envelope, *, from_me: bool, in_job_thread: bool) -> Triage:
    """Whether to fetch and classify the whole message, and why (for the debug log)."""
    if envelope.own_marker:
        return Triage(False, "afterview's own mail")
    if is_approval_reply(envelope):
        return Triage(True, "a reply to an approval request")
    if from_me:
        return Triage(False, "sent by the user")
    if envelope.calendar:
        return Triage(True, "calendar message")
    if in_job_thread:
        return Triage(True, "reply in a job thread")
    senders = [envelope.sender, *envelope.reply_to]
    if any(s is not None and is_ats_domain(s.email.rsplit("@", 1)[-1]) for s in senders):
        return Triage(True, "applicant-tracking sender")
    if _JOB_WORDS.search(envelope.subject):
        return Triage(True, "subject mentions a job or an interview")
    if envelope.automatic:
        # Newsletters, notifications and lists: only the signs above can make them matter.
        return Triage(False, "automatic or list mail with no job sign")
    if _MEETING_WORDS.search(envelope.subject):
        return Triage(True, "personal mail about a meeting")
    if _FORWARD.match(envelope.subject):
        return Triage(True, "a forward")
    return Triage(False, "nothing in the headers suggests a job")

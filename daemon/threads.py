"""Conversations: which thread a message belongs to, decided from its headers alone.

References and In-Reply-To come first (RFC 5322 threading, as mail clients do), then Gmail's
X-GM-THRID, then the same normalised subject among the same people within a few weeks, for the
clients that drop References.
"""

from __future__ import annotations

import re
from datetime import timedelta

from daemon.envelope import Envelope

SUBJECT_FALLBACK_WINDOW = timedelta(days=45)
# Reply and forward prefixes in the languages our users meet, and list tags like "[jobs]".
_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|antw|sv|vs|ref|rif|r|fwd?|fw|wg|tr|rv|enc|res|odp|pd)\s*(?:\[\d+\])?\s*[:\uff1a]"
    r"|\[[^\]]{1,40}\])\s*",
    re.IGNORECASE,
)
_SPACE = re.compile(r"\s+")
# Subjects too generic to join two conversations on their own.
_GENERIC = {
    "",
    "hi",
    "hello",
    "hallo",
    "bonjour",
    "hola",
    "question",
    "follow up",
    "follow-up",
    "following up",
    "thank you",
    "thanks",
    "interview",
    "meeting",
    "call",
    "(no subject)",
    "no subject",
}


def strip_prefixes(subject: str) -> str:
    """The subject without "Re:", "AW:", "Fwd:" or list tags, in its own case and spacing."""
    text = subject
    for _ in range(10):
        stripped = _PREFIX.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    return text.strip()


def subject_key(subject: str) -> str:
    """The subject without reply/forward prefixes, case and spacing: "Re: AW: Interview  X"."""
    return _SPACE.sub(" ", strip_prefixes(subject)).lower()[:200]


def is_reply(subject: str) -> bool:
    return subject_key(subject) != _SPACE.sub(" ", subject).strip().lower()[:200]


def subject_can_join(envelope: Envelope) -> bool:
    """Whether the subject fallback may put this message in an existing thread: only a reply
    (with a prefix) whose subject says more than "hello"."""
    key = subject_key(envelope.subject)
    return is_reply(envelope.subject) and key not in _GENERIC and len(key) >= 6


def others(envelope: Envelope, me: frozenset[str]) -> frozenset[str]:
    """The people in the message besides the user."""
    return frozenset(a for a in envelope.participants if a not in me)

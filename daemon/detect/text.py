"""Prepare message text for reading: the fresh part apart from quoted history, and the language."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from daemon.detect.fastre import Pattern

# A quote header opens the history below it: "On Tue, Dec 1, 2026 at 9:14 AM Dana <d@x> wrote:",
# "Am 01.12.2026 um 09:14 schrieb Dana:", "Le 1 déc. 2026 à 09:14, Dana a écrit :",
# "El mar, 1 dic 2026 a las 9:14, Dana escribió:", Outlook's "From: ... Sent: ..." block.
# Whitespace at the ends of these line patterns stays on its line ([ \t\r]): a \s* there would
# let every line start of a long run of empty lines read the rest of the text.
_QUOTE_HEADER = (
    r"^(?:>?[ \t\r]*)(?:on\b.{0,200}\bwrote:|am\b.{0,200}\bschrieb.{0,80}:|le\b.{0,200}\ba [ée]crit\s*:|"
    r"el\b.{0,200}\bescribi[óo]\s*:|-{2,}\s*original message\s*-{2,}|-{2,}\s*urspr[üu]ngliche nachricht"
    r"|-{2,}\s*message d'origine|-{2,}\s*mensaje original|_{10,})[ \t\r]*$"
)
_OUTLOOK_BLOCK = r"^[ \t\r]*\*?(?:from|von|de)[ \t\r]*:\*?[ \t\r].+\n[ \t\r]*\*?(?:sent|gesendet|envoy[ée]|enviado)[ \t\r]*:"
# Where the history starts: the first quote header or Outlook block, in one scan.
_HISTORY = Pattern(f"(?:{_QUOTE_HEADER})|(?:{_OUTLOOK_BLOCK})", re.IGNORECASE | re.MULTILINE)
_FORWARD = Pattern(
    r"^[- \t\r]*(?:forwarded message|begin forwarded message|weitergeleitete nachricht|"
    r"message transf[ée]r[ée]|mensaje reenviado)[- \t\r:]*$",
    re.IGNORECASE | re.MULTILINE,
)
_HEADER_LINE = re.compile(
    r"^[ \t\r]*\**(?:date|sent|gesendet|datum|envoy[ée](?: le)?|enviado(?: el)?|fecha|le|on|am|el)\**"
    r"[ \t\r]*:.*$|^[ \t\r]*(?:on|am|le|el)\b.{0,200}\b(?:wrote|schrieb|a [ée]crit|escribi[óo])[ \t\r]*:[ \t\r]*$",
    re.IGNORECASE | re.MULTILINE,
)

_QUOTE_HEADER_LINE = re.compile(_QUOTE_HEADER, re.IGNORECASE)


def is_quote_header(line: str) -> bool:
    """ "On Tue, Dec 1, 2026 at 9:14 AM Dana wrote:", "Sent: Monday, 19 October 2026 16:12":
    the line that dates a quoted or forwarded mail, not a time that mail names."""
    line = line.lstrip(" \t>")
    return _HEADER_LINE.match(line) is not None or _QUOTE_HEADER_LINE.match(line) is not None


# Each language's commonest words: the one with most of them in a text is its language.
_STOPWORDS = {
    language: frozenset(words.split())
    for language, words in (
        ("en", "the and you your with for to we our is are be will this that of on at please"),
        ("de", "und der die das sie ihnen mit für wir ist sind zu den dem ein eine bitte uns"),
        ("fr", "le la les et vous pour avec nous est sont des une un votre vos au du merci"),
        ("es", "el la los las y usted para con nosotros es son del una un su tu por gracias"),
    )
}
# Each stop word with the languages it is common in ("la": French and Spanish).
_LANGUAGES_OF: dict[str, tuple[str, ...]] = {
    word: tuple(lang for lang, stop in _STOPWORDS.items() if word in stop)
    for word in set().union(*_STOPWORDS.values())
}
_WORD = re.compile(r"[a-zà-ÿ']+")
_SPELLED = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def fold(text: str) -> str:
    """Lower case ASCII as a mail address spells a name: "Müller" -> "mueller", "Émilie" -> "emilie"."""
    lowered = text.lower().translate(_SPELLED)
    if lowered.isascii():
        return lowered
    return unicodedata.normalize("NFKD", lowered).encode("ascii", "ignore").decode()


@dataclass(frozen=True)
class Reading:
    fresh: str  # what this message itself says (forwarded content counts as fresh)
    quoted: str  # earlier messages it quotes
    forwarded: bool
    # In a forward, each forwarded mail's date line ("Sent: Monday, 19 October 2026 16:12")
    # and where in `fresh` that mail's text goes on: its relative dates count from there.
    dated: tuple[tuple[int, str], ...] = ()


_FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|fw|wg|tr|rv|enc|i)\s*:", re.IGNORECASE)


def split_quoted(text: str, subject: str = "") -> Reading:
    """Separate the message's own words from the history it quotes."""
    forwarded = bool(_FORWARD.search(text) or _FORWARD_SUBJECT.match(subject))
    if forwarded:
        # A forward is the content the user wants us to read: keep it whole, minus '>' marks
        # and the forwarded headers' own dates ("Sent: Monday, 19 October 2026 16:12"), which
        # are kept aside as the forwarded mail's own Date.
        unquoted = _unquote(text)
        pieces, dated, taken, length = [], [], 0, 0
        for match in _HEADER_LINE.finditer(unquoted):
            pieces.append(unquoted[taken : match.start()])
            length += match.start() - taken
            dated.append((length, match.group(0)))
            taken = match.end()
        pieces.append(unquoted[taken:])
        return Reading("".join(pieces), "", True, tuple(dated))
    history = _HISTORY.search(text)
    cut = history.start() if history else len(text)
    fresh_lines: list[str] = text[:cut].splitlines()
    quoted_lines: list[str] = []
    if ">" in text[:cut]:
        fresh_lines, lines = [], fresh_lines
        for line in lines:
            (quoted_lines if line.lstrip().startswith(">") else fresh_lines).append(line)
    quoted = "\n".join(quoted_lines) + "\n" + text[cut:]
    return Reading("\n".join(fresh_lines), _unquote(quoted), False)


def _unquote(text: str) -> str:
    return re.sub(r"^(?:\s*>)+ ?", "", text, flags=re.MULTILINE)


def language(text: str) -> str:
    """The language with the most of its common words in `text`; English when none."""
    counts = Counter(
        lang
        for word in _WORD.findall(text.lower()[:20_000])
        for lang in _LANGUAGES_OF.get(word, ())
    )
    if not counts:
        return "en"
    best = max(_STOPWORDS, key=lambda lang: counts[lang])  # ties go to the first, English
    return best

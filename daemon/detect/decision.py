"""The day an employer said they would decide or get back to the candidate ("we'll be in touch
by Friday", "you'll hear from us within two weeks"): the follow-up plan checks in after it."""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import islice
from typing import Literal

from daemon.detect import when
from daemon.detect.fastre import Pattern
from daemon.detect.text import split_quoted

MAX_CHARS = 20_000
MAX_DAYS_AHEAD = 120
_MAX_PROMISES = 20  # promise phrases looked at per mail
_REACH = 400  # how far a sentence may stretch either side of its promise phrase
_GAP = 160  # how far from its promise phrase a date may stand
_WRAPPED_LINE = 50  # a line this long ends in a hard wrap, not at the end of a sentence
_BESIDE = 25  # a weekday this near a written date only confirms it

# Every promise phrase contains one of these: a mail with none of them is not read further.
_GATE_WORDS = (
    "touch", "back to you", "back with you", "revert", "hear", "decision", "decide", "update",
    "let you know", "keep you", "inform", "notify", "contact", "mail you",
    "write to you", "follow", "reach", "feedback", "answer", "response", "news", "outcome",
    "result", "offer", "next steps",
    "meld", "bescheid", "entscheid", "von uns", "informieren", "kontaktieren", "benachrichtigen",
    "vers vous", "recontact", "nouvelles", "tiendr", "vous fer", "retour", "décision", "informer",
    "contacter", "répondr", "réponse",
    "contacto", "comunicar", "contactar", "escribir", "informar", "responder", "daremos", "daré",
    "noticias", "respuesta", "decisión",
)  # fmt: skip

# The employer promising news. English needs a future ("we'll", "we hope to") before the verb:
# "I wanted to let you know your interview moved to Friday" promises nothing.
_MODAL = (
    r"(?<!you)(?<!you\s)(?:'ll|\bwill|\bshall|\bshould|\b(?:hope|expect|aim|plan|intend|promise|try)s?\s+to"
    r"|\b(?:hoping|expecting|aiming|planning|going)\s+to|\bable\s+to)(?:\s+(?!you\b|like\b)[a-z]+){0,3}?\s+"
)
_NEWS = r"(?:feedback|update|news|outcome|decision|answer|response|results?|offer|next\s+steps)"
_PROMISE = Pattern(
    "|".join(
        (
            _MODAL
            + r"(?:let\s+you\s+know|update\s+you|keep\s+you\s+(?:posted|updated|informed|in\s+the\s+loop)"
            r"|(?:inform|notify|contact|update)\s+(?:all\s+(?:candidates|applicants)|everyone|each\s+candidate)"
            r"|inform\s+you|notify\s+you|contact\s+you|e-?mail\s+you|write\s+to\s+you|follow[\s-]?up"
            r"|reach\s+(?:back\s+)?out|(?:be|get)\s+(?:back\s+)?in\s+touch|decide\b|come\s+to\s+a\s+decision"
            rf"|(?:share|send|provide|communicate|give\s+you|send\s+you|have)\s+(?:(?:an?|the|our|some|any|more)\s+)?(?:\w+\s+)?{_NEWS}"
            r"|(?:make|reach|finali[sz]e|announce)\s+(?:a|our|the|its|their)\s+(?:\w+\s+)?decision)",
            r"\b(?:make|making|reach|reaching)\s+(?:(?:a|our|the|its|their|final|hiring)\s+){0,2}decisions?\b",
            r"\b(?:get|come|circle)\s+back\s+(?:to|with)\s+you\b|\brevert\s+(?:back\s+)?to\s+you\b",
            r"(?:\byou(?:'ll|\s+will|\s+should|\s+can|\s+may|\s+might)|\bexpect(?:ing)?\s+to)"
            r"(?:\s+(?:also|definitely|likely|probably|then|hopefully|be|expect\s+to)){0,3}\s+hear(?:ing)?\b"
            r"(?!\s+(?:back\s+)?from\s+you\b)",
            r"\byou(?:'ll|\s+will|\s+should|\s+can\s+expect\s+to|\s+may)(?:\s+(?:also|then|likely|hopefully))?"
            rf"\s+(?:receive|get|have)\s+(?:(?:an?|our|the|some|any|more|your)\s+)?(?:\w+\s+)?{_NEWS}\b",
            r"\b(?:a|our|the|its|their|final|hiring)\s+(?:final\s+|hiring\s+)?decisions?\b"
            r"(?!\s+(?:from\s+you|on\s+your\s+(?:side|end)|by\s+you)\b)"
            r"|\bdecisions?\s+(?:will|should|are\s+expected|is\s+expected)\b",
            rf"\b{_NEWS}\s+(?:will|should)\s+(?:be\s+)?(?:shared|sent|provided|communicated|available|ready)\b",
            # German: the verb stands last ("wir werden uns bis Freitag melden"); "melden Sie sich"
            # and "um Rückmeldung" ask the candidate.
            r"\b(?:melden|meldet|melde)\b(?!\s+sie\b)|(?<!ihre\s)(?<!ihrer\s)(?<!um\s)\br(?:ü|ue)ckmeldung\b"
            r"|(?<!uns\s)\bbescheid\b|\b(?:eine|die|unsere)\s+(?:\w+\s+)?entscheidung\b"
            r"|\bvon\s+uns\s+h(?:ö|oe)ren\b|\bh(?:ö|oe)ren\s+sie\s+von\s+uns\b"
            r"|(?<!\bsie\s)\b(?:informieren|kontaktieren|benachrichtigen|entscheiden)\b(?!\s+sie\b)",
            r"\brev(?:ien|enir)\w*\s+vers\s+vous\b|\bvous\s+recontact\w*|\bde\s+nos\s+nouvelles\b"
            r"|\bvous\s+tiendr\w*\s+(?:inform|au\s+courant)|\bvous\s+(?:fer|donner|apporter|communiquer)\w*\s+"
            r"(?:un\s+|une\s+|notre\s+)?(?:retour|réponse|part|nouvelles|décision)"
            r"|\b(?:un|notre)\s+retour\b(?!\s+de\s+(?:votre|ta)\s+part)"
            r"|\b(?:une|notre|la)\s+(?:\w+\s+)?décision\b(?!\s+de\s+(?:votre|ta)\s+part)"
            r"|\bvous\s+(?:informer|contacter|répondr)(?:ons|ai)\b|\ballons\s+vous\s+(?:informer|contacter|recontacter|répondre)\b",
            r"\b(?:nos|me)\s+pondr(?:emos|é)\s+en\s+contacto\b|\bnos\s+comunicaremos\b"
            r"|\b(?:le|te|les)\s+(?:contactar|escribir|informar|responder|comunicar)(?:emos|é)\b"
            r"|\b(?:le|te|les)\s+dar(?:emos|é)\s+(?:una\s+|nuestra\s+)?(?:respuesta|noticias)"
            r"|\btendr(?:á|a)s?\s+noticias\b|\b(?:una|nuestra)\s+(?:\w+\s+)?(?:decisi(?:ó|o)n|respuesta)\b"
            r"(?!\s+de\s+(?:su|tu)\s+parte)",
        )
    ),
    re.IGNORECASE,
)

_Kind = Literal["within", "period", "day"]


@dataclass(frozen=True)
class _Mention:
    """A time expression in a sentence and the day it names. `within` ("within two weeks")
    brings its own preposition; a `period` ("next week") reads as a deadline anywhere in its
    clause; a `day` ("Friday", "Dec 5") only after the promise or after "by"."""

    start: int
    end: int
    day: date
    kind: _Kind


_Reader = Callable[[re.Match[str], datetime], date | None]


def _friday_after(day: date) -> date:
    return day + timedelta(days=(4 - day.weekday()) % 7)


def _week_start(today: date, weeks_ahead: int) -> date:
    """Monday of this week (0) or the next (1). At a weekend both mean the coming week."""
    monday = today - timedelta(days=today.weekday())
    return monday + timedelta(weeks=1 if today.weekday() >= 5 else weeks_ahead)


def _add_business_days(day: date, count: int) -> date:
    if count > MAX_DAYS_AHEAD:
        return day + timedelta(days=count)  # far past the horizon either way
    while count > 0:
        day += timedelta(days=1)
        count -= day.weekday() < 5
    return day


def _last_day(year: int, month: int) -> date:
    return date(year, month, monthrange(year, month)[1])


def _month_part(year: int, month: int, part: str | None) -> date:
    """The day that closes "early" (the 10th), "mid" (the 20th) or the rest of a month."""
    word = _part_word(part)
    if word in _EARLY:
        return date(year, month, 10)
    if word in _MIDDLE:
        return date(year, month, 20)
    return _last_day(year, month)


def _part_word(part: str | None) -> str:
    words = [w for w in (part or "").lower().replace("-", " ").split() if w != "the"]
    return words[0] if words else ""


# "Early next week" is over by Wednesday, "mid" by Thursday, anything else by Friday.
_EARLY = frozenset(
    {"early", "beginning", "start", "anfang", "début", "debut", "principios", "comienzos", "inicios"}
)  # fmt: skip
_MIDDLE = frozenset({"mid", "middle", "mitte", "milieu", "mi", "mediados"})
_NEXT = re.compile(
    r"next|follow|coming|n(?:ä|ae)chst|kommend|prochain|pr(?:ó|o)xim|que\s+viene", re.I
)


def _read_week(default: int) -> _Reader:
    def read(match: re.Match[str], sent_at: datetime) -> date:
        which = match.groupdict().get("which")
        ahead = default if which is None else int(bool(_NEXT.search(which)))
        word = _part_word(match.groupdict().get("part"))
        weekday = 2 if word in _EARLY else 3 if word in _MIDDLE else 4
        return _week_start(sent_at.date(), ahead) + timedelta(days=weekday)

    return read


def _read_month(default: int) -> _Reader:
    def read(match: re.Match[str], sent_at: datetime) -> date:
        today, which = sent_at.date(), match.groupdict().get("which")
        ahead = default if which is None else int(bool(_NEXT.search(which)))
        month = today.month + ahead
        year = today.year + (month > 12)
        return _month_part(year, (month - 1) % 12 + 1, match.groupdict().get("part"))

    return read


def _read_month_name(match: re.Match[str], sent_at: datetime) -> date | None:
    today = sent_at.date()
    month = when.MONTH_WORDS.get(match["month"].lower())
    if month is None:
        return None  # a letter IGNORECASE folds and lower() does not (see _FOLDED)
    year = int(match["year"]) if match["year"] else today.year + (month < today.month)
    if not 1970 <= year <= 2100:
        return None
    return _month_part(year, month, match.groupdict().get("part"))


def _read_weekday(match: re.Match[str], sent_at: datetime) -> date | None:
    """ "Friday": the next Friday after the mail's day; "this Friday": this week's, if still
    ahead; "next Friday": the Friday of next week (only English says it so)."""
    today = sent_at.date()
    weekday = when.WEEKDAY_WORDS.get(match["day"].lower())
    if weekday is None:
        return None  # as for month names
    which = (match["which"] or "").lower()
    if which == "next":
        return _week_start(today, 1) + timedelta(days=weekday)
    if which == "this" and (day := _week_start(today, 0) + timedelta(days=weekday)) >= today:
        return day
    return today + timedelta(days=(weekday - today.weekday()) % 7 or 7)


def _read_ordinal(match: re.Match[str], sent_at: datetime) -> date | None:
    """ "by the 12th": the next 12th on or after the mail's day."""
    today, wanted = sent_at.date(), int(match["day"])
    if not 1 <= wanted <= 31:
        return None
    for ahead in range(3):
        month = today.month + ahead
        year, month = today.year + (month - 1) // 12, (month - 1) % 12 + 1
        if wanted <= monthrange(year, month)[1]:
            day = date(year, month, wanted)
            if day >= today:
                return day
    return None


_COUNTS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "ein": 1, "eine": 1, "einer": 1, "einem": 1, "zwei": 2,
    "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10,
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7, "huit": 8,
    "neuf": 9, "dix": 10, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5,
    "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10,
}  # fmt: skip
# Counts that say "a few": days then mean business days, as "in the coming days" does.
_VAGUE_COUNTS = {
    "couple of": 2, "a couple of": 2, "few": 3, "a few": 3, "several": 3, "ein paar": 3,
    "paar": 3, "wenigen": 3, "einigen": 3, "quelques": 3, "unos": 3, "unas": 3, "pocos": 3,
    "pocas": 3,
}  # fmt: skip
_COUNT = "|".join(sorted((*_COUNTS, *_VAGUE_COUNTS), key=len, reverse=True)).replace(" ", r"\s+")
_UNITS = ("bdays", "days", "weeks", "months", "hours")
_SINGULAR_UNITS = frozenset(
    {"day", "week", "month", "hour", "hr", "workday", "tag", "woche", "monat", "stunde", "jour",
     "semaine", "mois", "día", "dia", "semana", "mes", "hora"}
)  # fmt: skip


def _count(word: str | None) -> tuple[int, bool]:
    """The number a count word says, and whether it only says "a few"."""
    if word is None:
        return 0, False
    word = " ".join(word.lower().split())
    if word.isdigit():
        return int(word), False
    if word in _VAGUE_COUNTS:
        return _VAGUE_COUNTS[word], True
    return _COUNTS.get(word, 0), False


def _read_within(match: re.Match[str], sent_at: datetime) -> date | None:
    """ "within two weeks": the end of the stretch; "2-3 weeks", "a week or two": the longer."""
    counts = [_count(match[name]) for name in ("count", "upper", "alt")]
    number = max(n for n, _ in counts)
    vague = any(v for _, v in counts)
    if not number:  # "in the coming days", "within the next week"; not "later in the day"
        if not _NEXT.search(match.group()):
            return None
        unit = next(match[name] for name in _UNITS if match[name]).lower().split()[0]
        number, vague = (1, False) if unit in _SINGULAR_UNITS else (3, True)
    today = sent_at.date()
    if match["bdays"] or (match["days"] and vague):
        return _add_business_days(today, number)
    if match["days"]:
        return today + timedelta(days=number)
    if match["weeks"]:
        return today + timedelta(weeks=number)
    if match["hours"]:
        return (sent_at + timedelta(hours=number)).date()
    month = today.month - 1 + number
    year, month = today.year + month // 12, month % 12 + 1
    return date(year, month, min(today.day, monthrange(year, month)[1]))


def _read_today(match: re.Match[str], sent_at: datetime) -> date:
    return sent_at.date()


def _read_friday(match: re.Match[str], sent_at: datetime) -> date:
    return _friday_after(_week_start(sent_at.date(), 0))


_WEEKDAY_NAMES = "|".join(
    sorted((w for w in when.WEEKDAY_WORDS if len(w) >= 5), key=len, reverse=True)
)
_MONTH_NAMES = "|".join(
    sorted(
        (w for w in when.MONTH_WORDS if len(w) >= 4 or w in ("may", "mai")), key=len, reverse=True
    )
)
_PART = r"early|beginning|start|mid|middle|late|later|end|close"
_PART_DE = r"anfang|mitte|ende"
_PART_FR = r"début|debut|milieu|fin"
_PART_ES = r"principios|comienzos|inicios|mediados|finales|fines|final"
_UNIT = (
    r"(?:(?P<bdays>(?:business|working)\s+days?|work\s*days?|werktage?n?|arbeitstage?n?"
    r"|jours?\s+ouvr(?:é|e)s|jours?\s+ouvrables?|d(?:í|i)as?\s+(?:h(?:á|a)biles|laborables))"
    r"|(?P<days>days?|tage?n?|jours?|d(?:í|i)as?)|(?P<weeks>weeks?|wochen?|semaines?|semanas?)"
    r"|(?P<months>months?|monate?n?|mois|mes(?:es)?)|(?P<hours>hours?|hrs?|stunden?|heures?|horas?))"
)
_PHRASE_TABLE: tuple[tuple[str, _Reader, _Kind], ...] = (
        (
            r"\b(?:within|in|over|during|inside\s+of|up\s+to|innerhalb(?:\s+von)?|binnen|sous|dans"
            r"|d'ici|en|dentro\s+de)\s+(?:(?:the|next|coming|following|der|den|n(?:ä|ae)chsten|kommenden"
            r"|les|prochain(?:e?s)?|pr(?:ó|o)xim[oa]s|los|las|un\s+d(?:é|e)lai\s+de|un\s+plazo\s+de)\s+){0,3}"
            rf"(?:(?P<count>\d{{1,3}}|{_COUNT})\s*(?:(?:-|–|to|or|bis|à|ou|a|o)\s*(?P<upper>\d{{1,3}}|{_COUNT})\s*)?)?"
            rf"{_UNIT}\b(?:'s?\s+time)?(?:\s+or\s+(?P<alt>{_COUNT}))?",
            _read_within, "within",
        ),
        (r"\b(?:by|before)\s+the\s+weekend\b|\bvor\s+dem\s+wochenende\b|\bavant\s+le\s+week-?end\b"
         r"|\bantes\s+del\s+fin\s+de\s+semana\b|\beow\b", _read_friday, "within"),
        (rf"\b(?:(?P<part>{_PART})(?:\s+of\s+|-|\s+)(?:the\s+)?)?(?P<which>this\s+coming|the\s+coming|coming|this|next|following)\s+week\b(?!end|s)",
         _read_week(0), "period"),
        (r"\b(?P<part>end|close|latter\s+part|back\s+end|middle|beginning|start)\s+of\s+(?:the\s+)?week\b(?!end|s)",
         _read_week(0), "period"),
        (rf"\b(?:(?P<part>{_PART_DE})\s+)?(?:der\s+)?(?P<which>diese[rn]?|n(?:ä|ae)chste[rn]?|kommende[rn]?)\s+woche\b",
         _read_week(0), "period"),
        (rf"\b(?P<part>{_PART_DE})\s+der\s+woche\b", _read_week(0), "period"),
        (rf"\b(?:(?P<part>{_PART_FR})\s+(?:de\s+)?(?:la\s+)?)?semaine\s+prochaine\b", _read_week(1), "period"),
        (rf"\b(?:(?P<part>{_PART_FR})\s+(?:de\s+)?)?cette\s+semaine\b", _read_week(0), "period"),
        (rf"\b(?P<part>{_PART_FR})\s+de\s+(?:la\s+)?semaine\b(?!\s+prochaine)", _read_week(0), "period"),
        (rf"\b(?:(?:a\s+)?(?P<part>{_PART_ES})\s+de\s+)?(?:la\s+)?(?:pr(?:ó|o)xima\s+semana|semana\s+(?:que\s+viene|pr(?:ó|o)xima))\b",
         _read_week(1), "period"),
        (rf"\b(?:(?P<part>{_PART_ES})\s+de\s+)?esta\s+semana\b", _read_week(0), "period"),
        (rf"\b(?P<part>{_PART_ES})\s+de\s+(?:la\s+)?semana\b(?!\s+(?:que|pr))", _read_week(0), "period"),
        (rf"\b(?:(?P<part>{_PART})(?:\s+of\s+|-|\s+)(?:the\s+)?)?(?P<which>this|next|the\s+coming|coming|the)\s+month\b",
         _read_month(0), "period"),
        (r"\b(?P<part>end|close|middle|beginning|start)\s+of\s+month\b|\bmonth[\s-]end\b|\beom\b",
         _read_month(0), "period"),
        (rf"\b(?:(?P<part>{_PART_DE})\s+)?(?:des\s+)?(?P<which>dieses|diesen|n(?:ä|ae)chste[ns]?|kommende[ns]?)\s+monats?\b",
         _read_month(0), "period"),
        (rf"\b(?P<part>{_PART_DE})\s+des\s+monats\b", _read_month(0), "period"),
        (rf"\b(?:(?P<part>{_PART_FR})\s+(?:du\s+)?)?mois\s+prochain\b", _read_month(1), "period"),
        (rf"\b(?P<part>{_PART_FR})\s+(?:du|de\s+ce)\s+mois\b(?!\s+prochain)", _read_month(0), "period"),
        (rf"\b(?:(?P<part>{_PART_ES})\s+del?\s+)?(?:pr(?:ó|o)ximo\s+mes|mes\s+(?:que\s+viene|pr(?:ó|o)ximo))\b",
         _read_month(1), "period"),
        (rf"\b(?P<part>{_PART_ES})\s+de\s+(?:(?:este|el)\s+)?mes\b(?!\s+(?:que|pr))", _read_month(0), "period"),
        (rf"\b(?P<part>(?:{_PART}|the\s+end)(?:\s+of)?|{_PART_DE}|{_PART_FR}|mi|(?:{_PART_ES})\s+de)(?:-|\s+)"
         rf"(?P<month>{_MONTH_NAMES})\b(?!\s*\d{{1,2}}\b)(?:\s+(?P<year>\d{{4}}))?", _read_month_name, "period"),
        (r"\b(?:by|in|before|until|till|during|bis|im|vor|avant|en|d'ici|antes\s+de|para|hasta)\s+"
         rf"(?P<month>{_MONTH_NAMES})\b(?!\s*\d{{1,2}}\b)(?:\s+(?P<year>\d{{4}}))?", _read_month_name, "within"),
        (r"\b(?:(?:the\s+)?end\s+of\s+(?:the\s+)?(?:business\s+|working\s+|work\s+)?day|eod|cob"
         r"|close\s+of\s+business|later\s+today)\b"
         r"(?!\s*(?:on\s+|,\s*)?(?:\w*day\b|tomorrow|\d|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))",
         _read_today, "period"),
        (rf"\b(?:(?P<which>this\s+coming|the\s+coming|coming|this|next|n(?:ä|ae)chsten|kommenden|diesen"
         rf"|ce|este|el\s+pr(?:ó|o)ximo)\s+)?(?P<day>{_WEEKDAY_NAMES})\b(?!'s)", _read_weekday, "day"),
        (r"\bthe\s+(?P<day>\d{1,2})(?:st|nd|rd|th)\b", _read_ordinal, "day"),
)  # fmt: skip
_PHRASES = tuple(
    (re.compile(pattern, re.IGNORECASE), read, kind) for pattern, read, kind in _PHRASE_TABLE
)


def _mentions(sentence: str, sent_at: datetime) -> list[_Mention]:
    """Every time expression in a sentence, the first reading kept where two overlap: written
    dates first ("Friday, Dec 5" over "Friday"), then in the order of _PHRASES."""
    written = _written_dates(sentence, sent_at.date())
    found = list(written)
    for pattern, read, kind in _PHRASES:
        for match in pattern.finditer(sentence):
            if kind == "day" and any(
                -_BESIDE <= w.start - match.end() <= _BESIDE
                or -_BESIDE <= match.start() - w.end <= _BESIDE
                for w in written
            ):
                continue  # "Tuesday, 11/17", "Friday (Nov 13)": the date itself says it
            day = read(match, sent_at)
            if day is not None:
                found.append(_Mention(match.start(), match.end(), day, kind))
    kept: list[_Mention] = []
    for mention in found:
        if all(mention.end <= k.start or k.end <= mention.start for k in kept):
            kept.append(mention)
    return sorted(kept, key=lambda m: m.start)


def _written_dates(sentence: str, today: date) -> list[_Mention]:
    """ "Dec 5", "5 December", "12/15", "2026-12-05", "tomorrow". "12/5" reads two ways and
    is kept only where both readings agree. "The week of Dec 8" lasts to its Friday."""
    dates = [
        d
        for d in when.find_dates(sentence, today, day_first=False)
        if any(c.isdigit() for c in sentence[d.start : d.end])
        or sentence[d.start : d.end].lower() in when.RELATIVE_WORDS
    ]
    if when.NUMERIC_DATE.search(sentence):
        other = {(d.start, d.end): d.day for d in when.find_dates(sentence, today, day_first=True)}
        dates = [d for d in dates if other.get((d.start, d.end), d.day) == d.day]
    return [
        _Mention(
            d.start,
            d.end,
            _friday_after(d.day) if _WEEK_OF.search(sentence, 0, d.start) else d.day,
            "day",
        )
        for d in dates
    ]


_WEEK_OF = re.compile(r"\bweek\s+of\s+(?:the\s+)?$", re.IGNORECASE)
_BREAK = re.compile(r"[.!?;]+(?=[\s\"')\]]|$)|\n")
_LAST_WORD = re.compile(r"\w+$")
_FIRST_WORD = re.compile(r"\w+")
_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "st", "approx", "ca", "vs", "no", "nr"})


def _ends_sentence(text: str, mark: re.Match[str]) -> bool:
    if mark.group() == "\n":
        # A hard-wrapped line goes on below it; a short one (a greeting, a signature) does not.
        line = text[text.rfind("\n", 0, mark.start()) + 1 : mark.start()]
        following = text[mark.end() : mark.end() + 80].lstrip(" \t")
        return len(line.strip()) < _WRAPPED_LINE or not following[:1].isalnum()
    if mark.group() != ".":
        return True
    ahead = text[mark.end() : mark.end() + 40].lstrip()
    behind = _LAST_WORD.search(text, max(0, mark.start() - 20), mark.start())
    word = behind.group().lower() if behind else ""
    next_word = _FIRST_WORD.match(ahead)
    if ahead[:1].islower() or ahead[:1].isdigit():
        return False  # "a.m. on Friday", "Dec. 5"
    if word in when.MONTH_WORDS or word in _ABBREVIATIONS or len(word) == 1:
        return False
    # "bis zum 12. Dezember"
    return not (word.isdigit() and next_word and next_word.group().lower() in when.MONTH_WORDS)


def _sentence_around(text: str, start: int, end: int) -> tuple[int, int]:
    low = max(0, start - _REACH)
    for mark in _BREAK.finditer(text, low, start):
        if _ends_sentence(text, mark):
            low = mark.end()
    high = min(len(text), end + _REACH)
    for mark in _BREAK.finditer(text, end, high):
        if _ends_sentence(text, mark):
            return low, mark.end()  # the mark too: "bis zum 20.11." ends in the date's own point
    return low, high


# Right before a date: "by", "no later than", "bis", "d'ici", "antes del".
_DEADLINE_CUE = re.compile(
    r"\b(?:by|before|until|till|til|latest(?:\s+by)?|no\s+later\s+than|not\s+later\s+than"
    r"|on\s+or\s+before|bis(?:\s+(?:zum|zur|sp(?:ä|ae)testens))?|sp(?:ä|ae)testens(?:\s+(?:am|bis))?"
    r"|d'ici(?:\s+(?:le|la|à))?|avant(?:\s+(?:le|la))?|au\s+plus\s+tard(?:\s+le)?|antes\s+del?"
    r"|para\s+el|a\s+m(?:á|a)s\s+tardar(?:\s+el)?|hasta\s+el)\s+(?:the\s+|le\s+|el\s+|den\s+|la\s+)?$",
    re.IGNORECASE,
)
# Right before a date: the day something else happens ("after Friday", "your interview on
# Friday", "thanks for your time this week").
_NOT_A_DEADLINE = re.compile(
    r"(?:\b(?:from|to|at|during|last|past|every|each|ab)\s+|\bfor\s+(?!you\b)(?:\S+\s+){0,2}"
    r"|\b(?:after|since|following|nach|seit|après|depuis|despu(?:é|e)s\s+del?|desde)\s+(?:[^\s,]+\s+){0,3}"
    r"|\b(?:interview|call|meeting|chat|session|visit|onsite|on-site|appointment|conversation"
    r"|screen|round|start|begin|held|gespr(?:ä|ae)ch|termin|entretien|rendez-vous|appel|lieu|entrevista"
    r"|reuni(?:ó|o)n|llamada)\w*\s+(?:\S+\s+){0,3})$",
    re.IGNORECASE,
)
_CLOCK_AFTER = re.compile(
    r"\s*,?\s*(?:at\s+|@\s*|um\s+|à\s+|a\s+las\s+|from\s+)?\d{1,2}(?:[:.h]\d{2}|\s*(?:am|pm|a\.m\.|p\.m\.|uhr|h)\b)",
    re.IGNORECASE,
)
# Between a promise and its date: the candidate acting, or something past.
_GAP_VETO = re.compile(
    r"\b(?:was|were|wurde|war|fue)\b|\ba\s+été\b|\byou\s+(?:send|submit|complete|reply|respond|return|sign|provide)\b"
    r"|\byour\s+(?:availability|reply|response|answer)\b",
    re.IGNORECASE,
)
# Before a promise: the date belongs to what the candidate is asked to do.
_REQUEST = re.compile(
    r"\b(?:please|kindly|bitte|veuillez|merci\s+de|por\s+favor)\b(?!\s+(?:note|be\s+(?:aware|advised)|bear|expect|allow|rest))"
    r"|\b(?:can|could|would|will|k(?:ö|oe)nnen|k(?:ö|oe)nnten)\s+(?:you|sie)\b|\bif\s+you\b"
    r"|\byour\s+(?:availability|decision|answer|response|reply)\b|\b(?:need|needs|require|requires)\s+(?:a|an|your)\b",
    re.IGNORECASE,
)
_CANDIDATE = re.compile(r"(?<!thank\s)\byour?\b", re.IGNORECASE)
_CLAUSE_BREAK = re.compile(r"[,:]")
_CONJUNCTION = re.compile(r"\b(?:and|but|so|und|aber|et|mais|donc|y|pero|así)\b", re.IGNORECASE)
_QUOTE_MARKS = '"“”«»„'
# Curly apostrophes read as straight ones. IGNORECASE matches the long s, dotless i, dotted I
# and Kelvin sign to ASCII letters that lower() leaves alone: "sunday" spelt with a long s
# would match a weekday pattern and miss the weekday table (when.find_dates raises KeyError on
# it). One character for one, so positions stay.
_FOLDED = str.maketrans({"\u2019": "'", "\u017f": "s", "\u0131": "i", "\u0130": "I", "\u212a": "K"})


def _reads_as_deadline(sentence: str, mention: _Mention) -> bool:
    before = sentence[max(0, mention.start - 48) : mention.start]
    if _DEADLINE_CUE.search(before):
        return True
    return not (
        sentence.startswith("'s", mention.end)
        or _NOT_A_DEADLINE.search(before)
        or _CLOCK_AFTER.match(sentence, mention.end)
    )


def _deadline_after(sentence: str, promise_end: int, mention: _Mention) -> bool:
    gap = sentence[promise_end : mention.start]
    if len(gap) > _GAP or _GAP_VETO.search(gap):
        return False
    return _reads_as_deadline(sentence, mention)


def _deadline_before(sentence: str, promise_start: int, mention: _Mention) -> bool:
    """ "By Friday, we will have a decision", "bis Freitag melden wir uns"; not "Thanks for
    your time today, we'll be in touch" nor "Send your availability by Friday and we'll…"."""
    head, between = sentence[: mention.start], sentence[mention.end : promise_start]
    if (
        len(between) > _GAP
        or _REQUEST.search(sentence, 0, promise_start)
        or _CANDIDATE.search(head)
        or _CONJUNCTION.search(between)
    ):
        return False
    cued = mention.kind == "within" or _DEADLINE_CUE.search(head[-48:])
    if not cued and (mention.kind == "day" or _CLAUSE_BREAK.search(between)):
        return False
    return _reads_as_deadline(sentence, mention)


def _day_promised(
    text: str,
    promise: re.Match[str],
    sent_at: datetime,
    read: dict[tuple[int, int], list[_Mention]],
) -> date | None:
    low, high = _sentence_around(text, promise.start(), promise.end())
    sentence = text[low:high]
    if sentence.rstrip().endswith("?"):
        return None  # a question asks; it promises nothing
    start, end = promise.start() - low, promise.end() - low
    if sum(sentence.count(mark, 0, start) for mark in _QUOTE_MARKS) % 2:
        return None  # inside quotation marks: someone else's words
    if (low, high) not in read:
        read[(low, high)] = _mentions(sentence, sent_at)
    today = sent_at.date()
    horizon = today + timedelta(days=MAX_DAYS_AHEAD)
    mentions = [m for m in read[(low, high)] if today <= m.day <= horizon]
    after = (m for m in mentions if m.start >= start and _deadline_after(sentence, end, m))
    before = (
        m for m in reversed(mentions) if m.end <= start and _deadline_before(sentence, start, m)
    )
    found = next(after, None) or next(before, None)
    return found.day if found else None


def _own_words(text: str) -> str:
    """The mail's own words: no '>' lines, no history under "On ... wrote:" or Outlook's
    "From: ... Sent:", no forwarded mail (its relative dates count from a Date we lack)."""
    reading = split_quoted(text)
    if reading.forwarded:
        return reading.fresh[: reading.dated[0][0]] if reading.dated else ""
    return reading.fresh


def decision_date(text: str, sent_at: datetime) -> date | None:
    """The day the employer said they would decide or get back by, or None.

    A sentence counts when the employer promises news ("we'll be in touch", "you'll hear from
    us", "we hope to make a decision", "wir melden uns", "nous reviendrons vers vous", "nos
    pondremos en contacto") and names a time after that phrase, or before it after "by" and its
    kin ("By Friday, we..."). Relative words count from `sent_at`'s own date, and:

    - "Friday": the next Friday after that date (a week on when sent on a Friday); "this
      Friday": this week's if still ahead; "next Friday": the Friday of next week.
    - "this week", "end of the week", "by the weekend": this week's Friday; "next week", "end of
      next week": next week's Friday; "early next week": its Wednesday; "mid": its Thursday.
      Written on a Saturday or Sunday, "this" and "next" week both mean the coming one.
    - "within two weeks": sent + 14 days; "within 5 business days": Monday to Friday, no
      holidays; "in the coming days", "in a few days": 3 business days; "a couple of days":
      2 business days; "2-3 weeks", "a week or two": the longer; "48 hours": from the hour sent.
    - "end of the month": its last day; "early"/"mid" a month: the 10th/20th; "by December":
      December 31st.
    - "12/5" without anything to tell day from month: ignored; "12/15" is December 15th.
    - A day before the mail's date or more than MAX_DAYS_AHEAD later: None.
    """
    if not 1970 <= sent_at.year <= 2100:
        return None
    head = text[:MAX_CHARS]
    lowered = " ".join(head.lower().split())  # "back to\nyou" as wrapped
    if not any(word in lowered for word in _GATE_WORDS):
        return None
    own = _own_words(head).translate(_FOLDED)
    read: dict[tuple[int, int], list[_Mention]] = {}
    for promise in islice(_PROMISE.finditer(own), _MAX_PROMISES):
        day = _day_promised(own, promise, sent_at, read)
        if day is not None:
            return day
    return None

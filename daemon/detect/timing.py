"""What a time found in a mail stands for: the interview, or a deadline to answer by, when to
arrive, or when something was done. Only the first can be the interview's start."""

from __future__ import annotations

import re

from daemon.detect.when import MONTH_WORDS, WEEKDAY_WORDS, Moment

# "by", "before", "bis", "avant", "antes de": a deadline word, then at most a date before
# the time ("please confirm by Friday, Dec 4 at 5pm").
_DEADLINE = re.compile(
    r"\b(?:by|before|no later than|not later than|until|till|bis(?: spätestens| zum| zur)?|"
    r"spätestens(?: bis| am)?|avant(?: le| la)?|d'ici(?: le| à)?|au plus tard(?: le)?|"
    r"jusqu'(?:au|à)|antes del?|a más tardar(?: el)?|hasta el)\b([^.!?\n]{0,40})$",
    re.IGNORECASE,
)
# Asking for an answer or an action in the same sentence makes it a deadline.
_ANSWER = re.compile(
    r"\b(?:confirm\w*|reply|respond|answer|let (?:us|me) know|get back|rsvp|accept|book|select|"
    r"choose|pick|send|submit|return|complete|sign|bestätig\w*|antwort\w*|rückmeld\w*|"
    r"zurückmeld\w*|melden|mitteilen|confirme\w*|répond\w*|faire savoir|indiquer|retourner|"
    r"renvoyer|confirmar|confirme|respond\w*|avís\w*|indicar|enviar)\b",
    re.IGNORECASE,
)
_DATE_WORDS = (
    set(MONTH_WORDS)
    | set(WEEKDAY_WORDS)
    | {
        "at", "on", "the", "of", "this", "next", "coming", "end", "eod", "cob", "day", "noon",
        "midday", "tomorrow", "tmrw", "today", "um", "am", "den", "der", "nächsten", "kommenden",
        "morgen", "heute", "mittag", "uhr", "le", "la", "à", "a", "de", "du", "prochain",
        "demain", "midi", "h", "las", "el", "próximo", "mañana", "hoy", "st", "nd", "rd", "th",
        "er", "pm", "et", "pt", "ct", "mt", "est", "pst", "cet", "gmt", "utc",
    }
)  # fmt: skip
_LETTERS = re.compile(r"[^\W\d_]+")
_SENTENCE_END = re.compile(r"[.!?](?=\s)|\n")
_ARRIVAL = re.compile(
    r"\b(?:arriv\w*|check(?:-| )?in|be there|report to|reception|doors open|ankommen|ankunft|"
    r"seien sie|empfang|arriv[ée]e|accueil|pr[ée]sentez-vous|llegada|llegar|recepci[óo]n|"
    r"pres[ée]ntate)\b[^.,;\n]{0,40}$",
    re.IGNORECASE,
)


def is_deadline(text: str, moment: Moment) -> bool:
    """ "Please confirm by Friday 5pm", "bitte bis Freitag, 12 Uhr bestätigen": a time to
    answer by. The deadline word must lead to the time over date words alone, and the
    sentence must ask for an answer ("confirm by reply whether Tuesday at 2pm suits" does
    not set a deadline)."""
    low = max(0, moment.position - 160)
    before = text[low : moment.position]
    starts = [m.end() for m in _SENTENCE_END.finditer(before)]
    sentence_start = low + (starts[-1] if starts else 0)
    found = _DEADLINE.search(text, sentence_start, moment.position)
    if found is None:
        return False
    if any(w.lower() not in _DATE_WORDS for w in _LETTERS.findall(found.group(1))):
        return False
    end = _SENTENCE_END.search(text, moment.position)
    sentence = text[sentence_start : end.start() if end else len(text)]
    return bool(_ANSWER.search(sentence))


def is_arrival(text: str, moment: Moment, moments: list[Moment]) -> bool:
    """ "Please check in at reception by 9:15" is when to arrive, not when it starts; the
    cue holds for the first time after it in its clause ("arrivez à 9h45, l'entretien
    commence à 10h": 10h is the start)."""
    low = max(0, moment.position - 50)
    cue = _ARRIVAL.search(text[low : moment.position])
    if cue is None:
        return False
    return not any(low + cue.start() < m.position < moment.position for m in moments)


# A label that dates something done: "Submitted at: Oct 30, 18:58", "Eingegangen am: ...".
_DONE_LABEL = re.compile(
    r"(?:^|\n)[ \t>*-]*(?:date |time )?(?:submitted|received|completed|applied|sent|ordered|"
    r"paid|created|registered|signed|eingereicht|eingegangen|erhalten|gesendet|abgeschickt|"
    r"envoy[ée]e?|re[çc]ue?|soumise?|compl[ée]t[ée]e?|enviad[oa]|recibid[oa]|completad[oa])"
    r"(?: (?:at|on|am|um|le|el|à|a las))?[ \t]*:[^\n]*$",
    re.IGNORECASE,
)


def is_record(text: str, moment: Moment) -> bool:
    """ "Submitted at: Oct 30, 2026 18:58": the time something was done, on its label's line."""
    line_start = text.rfind("\n", 0, moment.position)
    return _DONE_LABEL.search(text, max(0, line_start), moment.position) is not None

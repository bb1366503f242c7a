"""The hiring company as a person would name it, not the ATS vendor or the agency's relay."""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable

from daemon.detect.cues import JOB_TITLE, is_ats_domain
from daemon.detect.fastre import Pattern
from daemon.detect.text import fold
from daemon.detect.when import MONTH_WORDS, RELATIVE_WORDS, WEEKDAY_WORDS

_FREEMAIL = {
    "gmail", "googlemail", "outlook", "hotmail", "live", "yahoo", "icloud", "me", "mac", "aol",
    "gmx", "web", "proton", "protonmail", "fastmail", "mail", "posteo", "mailbox", "t-online",
    "orange", "free", "laposte", "wanadoo", "sfr", "yandex", "zoho", "hey",
}  # fmt: skip
# fold() gives ASCII: dropping every other ASCII character leaves letters and digits.
_ONLY_ALNUM = str.maketrans("", "", "".join(chr(c) for c in range(128) if not chr(c).isalnum()))
_WORD = r"[A-ZÀ-ÖØ-Þ0-9][\w&'’+-]*"
_NAME = (
    rf"{_WORD}(?:[ \t]+(?:&[ \t]+|of[ \t]+|de[ \t]+|and[ \t]+|und[ \t]+|the[ \t]+)?{_WORD}){{0,4}}"
)
_AGENCY = re.compile(
    r"recruit|talent|staffing|search|resourc|personnel|headhunt|hire|hiring|agency|intervue|"
    r"placement|executive search|\bpersonal(?:beratung|service|dienst)?\b|recrutement|"
    r"\bcabinet\b|selecci[óo]n",
    re.IGNORECASE,
)
_PHRASE = re.compile(
    r"[A-ZÀ-ÖØ-Þ0-9][\w'’.-]*(?:[ \t]+(?:&[ \t]+|(?:des|de|du|la|le|of|the|und|y)[ \t]+)?"
    r"[A-ZÀ-ÖØ-Þ0-9&][\w'’.-]*)*"
)
_ORG_SUFFIX = re.compile(
    r"^(?:[A-Z]{2,3}|Authority|Bank|Health|Group|Labs?|Systems|Studios?|Media|Foods|Retail|"
    r"Insurance|Energy|Capital|University|College|Academy|School|Hospital|Foundation|Council|"
    r"Agency|Institute|Technologies|Software|Solutions|Holdings|Company|Corporation)$"
)
_TITLE_END = re.compile(
    r"(?:engineer|developer|manager|analyst|designer|scientist|architect|modell?er|consultant|"
    r"specialist|coordinator|director|lead|intern|officer|associate|recruiter|partner|"
    r"merchandiser|buyer|nurse|teacher|assistant|representative|executive|administrator)s?$",
    re.IGNORECASE,
)
_ATS_NAME = re.compile(
    r"\b(?:greenhouse|lever|workday|ashby|smartrecruiters|icims|goodtime|calendly|jobvite|"
    r"bamboohr|personio|recruitee|workable|teamtailor|successfactors|taleo|linkedin|indeed|"
    r"glassdoor|xing|stepstone)\b",
    re.IGNORECASE,
)
# Job boards and networks relay mail; they are never the employer.
_JOB_BOARDS = {
    "linkedin", "indeed", "glassdoor", "xing", "stepstone", "monster", "ziprecruiter",
    "welcometothejungle", "wttj", "infojobs", "hellowork", "apec", "jobteaser", "wellfound",
    "otta", "dice", "seek", "naukri", "totaljobs", "reed", "computrabajo", "bumeran",
}  # fmt: skip
_VIA_BOARD = re.compile(
    r"\b(?:via|through|über|par|a través de)\s+(?:" + "|".join(sorted(_JOB_BOARDS)) + r")\b",
    re.IGNORECASE,
)
# Host labels an ATS puts before its domain that name no tenant.
_GENERIC_LABEL = re.compile(
    r"^(?:www|mail|email|em\d*|app|apps|api|jobs|careers|boards|hire|apply|us|eu|uk|wd\d+|"
    r"notifications?|bounces?|mg|send|smtp|no-?reply|candidates?|scheduling|calendar|"
    r"talent|recruiting|my)$"
)
# The parts of a subject or event title: "Interview: Jane Doe <> Acme - Data Analyst".
_TITLE_PARTS = re.compile(r"\s+[-|–—:/]\s+|:\s+|\s*<>\s*|\s+(?:x|×|vs\.?)\s+")
_GENERIC_TEAM = re.compile(
    r"^(?:the )?(?:recruiting|recruitment|talent(?: acquisition)?|hiring|hr|careers?|people)"
    r"(?: team)?$",
    re.IGNORECASE,
)
_PATTERNS = (
    # Subject and body phrases that name the employer.
    rf"\binterview(?:ing)?\s+(?:with|at|for)\s+({_NAME})",
    rf"\b(?:position|role|opening|opportunity|job|team|career|internship)\s+(?:at|with)\s+({_NAME})",
    rf"\b(?:here|work|working|join(?:ing)?|career|careers)\s+at\s+({_NAME})",
    rf"\bon behalf of\s+({_NAME})",
    rf"\b(?:with|mit|avec|con)\s+[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+){{0,2}}\s+\(({_NAME})\)",
    rf"\b(?:greetings|hello|news) from\s+({_NAME})",
    rf"\b(?:interest in|applying to|applied to|application to|interest at)\s+(?:join(?:ing)?\s+)?({_NAME})\b",
    rf"\b(?:our|my) client,?\s+({_NAME})",
    rf"\bjoin(?:ing)?\s+({_NAME})\b",
    rf"\bbei\s+(?:der\s+|dem\s+|uns\s+bei\s+)?({_NAME})",
    rf"\bchez\s+({_NAME})",
    rf"\b(?:en|con)\s+({_NAME})\s+(?:para|como)\b",
    rf"\b(?:el equipo|equipo) de\s+({_NAME})",
    rf"\bl'équipe\s+(?:de\s+)?({_NAME})",
    rf"\bpuesto (?:de .{{1,60}}? )?en\s+({_NAME})",
    rf"\bposte (?:de .{{1,60}}? )?(?:chez|au sein de)\s+({_NAME})",
    rf"^({_NAME})\s+(?:[-|–:]\s*)?(?:interview|phone screen|entretien|entrevista|vorstellungsgespräch)",
)
_COMPILED = tuple(Pattern(p, re.MULTILINE) for p in _PATTERNS)
_DISPLAY = (
    re.compile(
        rf"^(?:talent acquisition|recruiting|recruitment|hr|careers|people|jobs|hiring team)"
        rf"\s*[-|–:·]\s*({_NAME})$",
        re.IGNORECASE,
    ),
    re.compile(rf"^.+?\(({_NAME})\)$"),
    re.compile(rf"^({_NAME})\s+(?:via|through|über|par|a través de)\s+\w+", re.IGNORECASE),
    re.compile(rf"^.+?\s+(?:at|from|@|bei|de|chez|von)\s+({_NAME})$"),
    re.compile(
        rf"^({_NAME}?)\s+(?:recruiting|recruitment|talent(?: acquisition)?|careers|hiring(?: team)?|"
        r"hr|people|jobs|team|karriere|recrutement|reclutamiento|rrhh|personal)$",
        re.IGNORECASE,
    ),
)
_STOP = re.compile(
    r"^(?:the|a|an|our|your|my|us|you|we|i|it|this|that|team|interview|zoom|google|microsoft|"
    r"teams|meet|phone|video|call|hiring|recruiting|talent|hr|engineering|next|dear|hi|hello|"
    r"hallo|bonjour|hola|sie|uns|ihnen|vous|nous|usted|la|le|el|los|las|der|die|das|mit|pour|"
    r"para|senior|junior|staff|lead|monday|tuesday|wednesday|thursday|friday|calendar|"
    r"technical|final|onsite|on-site|panel|first|second|third|cancel+ed|canceled|updated|"
    r"invitation|einladung|abgesagt|annul[ée]e?|cancelad[ao]|cambio|nueva|nuevo|nouvel|nouvelle|"
    r"report|reminder|erinnerung|rappel|recordatorio|re|fw|fwd|aw|wg|tr|rv|confirmed|confirmation|"
    r"entrevista|entretien|vorstellungsgespräch|gespräch|phone screen|screen|"
    # what a subject says happened, in the four languages: "Confirmación entrevista"
    r"confirmaci[óo]n|invitaci[óo]n|convocatoria|convocation|bestätigung|terminbestätigung|"
    r"aktualisiert|verschoben|verschiebung|absage|zusage|terminänderung|reprogramaci[óo]n|"
    r"reprogramad[ao]|report[ée]e?|annulation|anulaci[óo]n|anulad[ao]|cancelaci[óo]n|"
    r"rescheduled|moved|update|actualizaci[óo]n|modification|recordatorio|cita)$",
    re.IGNORECASE,
)
_ORG_WORD = re.compile(
    r"^(?:insurance|assurances?|versicherung(?:en)?|seguros|publishing|verlag|[ée]ditions|digital|"
    r"viajes|voyages|reisen|tecnolog[íi]as?|technologies|technologie|grupo|groupe|gruppe|group|"
    r"banco|banque|bank|maison|atelier|horlogerie|brasserie|papeterie|software|systems|labs?|"
    r"health|sant[ée]|salud|energy|[ée]nergies?|energie|energ[íi]a|foods?|retail|logistics|"
    r"log[íi]stica|logistique|logistik|media|medien|m[ée]dias|studios?|capital|analytics|robotics|"
    r"solutions|consulting|mobility|mobilit[ée]|movilidad|pharma|biotech|bio|cloud|security|"
    r"data|datentechnik|maschinenbau|hotels?|hoteles|transit|authority|university|universidad|"
    r"universit[ée]|hospital|klinikum|stiftung|fundaci[óo]n|fondation|foundation|institute?|"
    r"instituto|ventures|networks|finance|fintech|payments|pagos|games|interactive|design|"
    r"architects|engineering|werke?|industries|industrie|manufacturing|motors|aerospace|"
    r"telecom|communications|learning|education|academy|school|clinic|dental|legal|law|"
    r"automotive|construction|bau|immobilien|properties|realty|turismo|tourisme|touristik|"
    r"tourism|travel|outfitters|mutual|mutuelle|softworks|medizintechnik|medtech|financial|"
    r"partners|associates|associ[ée]s|holding|trust|fund|markets|brands|retailers?|agro|"
    r"maritime|shipping|marine|aviation|airlines?|chemicals?|materials|semiconductors?|"
    r"therapeutics|diagnostics|biosciences|genomics|robotique|rob[óo]tica|seguridad|"
    r"s[ée]curit[ée]|sicherheit|versicherungs?|banca|finanzas|verkehr|transportes?)$",
    re.IGNORECASE,
)
_PARTICLES = {"de", "des", "du", "la", "le", "les", "of", "the", "y", "del", "und", "and", "et"}
_CALENDAR_WORD = re.compile(
    r"^(?:mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mo|di|mi|do|"
    r"fr|sa|so|lun|mar|mer|jeu|ven|sam|dim)[a-zäéû]*\.?$",
    re.IGNORECASE,
)
_TRAILING = re.compile(
    r"\s+[-|–]\s+(?:hr|recruiting|talent(?: acquisition)?|careers|people|rh|rrhh)$|\s+(?:team|recruiting|talent|careers|hiring|for|to|on|in|as|and|is|are|was|we|this|the|"
    r"interview|position|role|gmbh & co\. kg|virtual|onsite|on-site|screen|call|round|panel|"
    r"loop|session|final|technical)$|\s*\([^()]*\)$|[.,;:!?]+$",
    re.IGNORECASE,
)


def find_company(
    subject: str,
    text: str,
    sender_name: str,
    sender: str,
    other_addresses: list[str],
    my_domains: set[str],
    *,
    titled: bool = False,
    history: str = "",
    people_names: Iterable[str] = (),
) -> str | None:
    """`titled`: the subject is an event title ("Interview: Marlin Robotics - Controls
    Engineer"), whose parts name the company even when the description does not repeat it.
    `history`: quoted earlier mail, read only for how the company spells its name.
    `people_names`: the candidate's names, never the company ("Interview: Jane Doe <> Acme")."""
    # Hard-wrapped mail breaks names over lines ("Pelican\nMutual"): read paragraphs whole.
    text = _unwrap(text)
    votes: Counter[str] = Counter()
    display = _from_display(sender_name)
    if display is None and is_robot_sender(sender) and sender_name:
        # "Harbor & Vale Insurance <no-reply@myworkday.com>", but not "Hannah Ortiz <...>"
        display = None if _signs_as_person(sender_name, text) else _clean(sender_name)
        if display and (_ATS_NAME.search(display) or _GENERIC_TEAM.match(display)):
            display = None
    if display and not is_agency(display):
        votes[display] += 3
    body_and_subject = subject + "\n" + text + "\n" + _unwrap(history[:3000])
    for segment in _TITLE_PARTS.split(subject):
        name = _clean(segment.split(" at ")[-1])
        if name and len(name) > 2 and (titled or name in text):
            votes[name] += 1
    # Subject and text are read in one pass; a name found in the subject weighs more.
    both = subject + "\n" + text[:6000]
    for pattern in _COMPILED:
        for match in pattern.finditer(both):
            name = _clean(match.group(1))
            if name:
                votes[name] += 3 if match.start() < len(subject) else 1
    seen_domains: dict[str, str | None] = {}
    for address in [sender, *other_addresses]:
        domain = address.rpartition("@")[2].lower()
        if domain not in seen_domains:  # a domain spells the same name for every address
            seen_domains[domain] = _from_domain(address, body_and_subject, my_domains)
        name = seen_domains[domain]
        if name:
            votes[name] += 2 if address == sender else 1
    for name in list(votes):
        fuller = _fuller(name, body_and_subject)
        if fuller:
            votes[fuller] += 1
    person_words = [set(name.casefold().split()) for name in people_names if name]
    for name in list(votes):
        words = set(name.casefold().split())
        if any(words <= person for person in person_words):
            del votes[name]
    if not votes:
        # The tenant an ATS hosts the mail for ("acme.wd5.myworkdayjobs.com"): the last resort.
        tenant = next(filter(None, map(_ats_tenant, [sender, *other_addresses])), None)
        return tenant
    merged = _merge(votes)
    best, _ = merged.most_common(1)[0]
    return best


@functools.lru_cache(maxsize=4096)  # pure, and asked about the same few names again and again
def is_robot_sender(address: str) -> bool:
    local, _, domain = address.lower().partition("@")
    return bool(
        re.match(
            r"^(?:no-?reply|do-?not-?reply|notifications?|jobs|careers|recruiting|talent|hr)", local
        )
        or is_ats_domain(domain)
    )


def _unwrap(text: str) -> str:
    """Join lines that a mail program wrapped (a long line running on), not short lines
    like a signature's."""
    lines = text.split("\n")
    joined = [lines[0]] if lines else []
    for line in lines[1:]:
        previous = joined[-1]
        if (
            len(previous) >= 55
            and line.strip()
            and not line.lstrip().startswith(("-", "*", "•", ">"))
        ):
            joined[-1] = previous.rstrip() + " " + line.strip()
        else:
            joined.append(line)
    return "\n".join(joined)


def _signs_as_person(name: str, text: str) -> bool:
    words = name.split()
    if (
        not words
        or len(words) > 4
        or "&" in name
        or any(_ORG_SUFFIX.match(w) or _ORG_WORD.match(w) for w in words)
    ):
        return False  # "Harbor & Vale Insurance" is shaped like a company, not a person
    first = re.escape(words[0])
    # A sign-off: the first name alone on a line ("Hannah"), or the full name over a line that
    # says what the person does ("Valeria Ríos" / "Talent Acquisition"). A company's name
    # alone on a line is a footer.
    signed = re.search(rf"^\s*-*\s*{first}\s*$", text, re.MULTILINE)
    titled = re.search(
        rf"{re.escape(name)}[ \t]*(?:[,|]|\n)[ \t]*[^\n]{{0,40}}(?:{_TITLE_END.pattern[:-1]}|"
        r"talent|acquisition|recruit|people|hr\b|rrhh|personal|recrutement|reclutamiento)",
        text,
        re.I,
    )
    return bool(signed or titled)


def _ats_tenant(address: str) -> str | None:
    labels = address.rpartition("@")[2].lower().split(".")
    if len(labels) < 3 or not is_ats_domain(".".join(labels)):
        return None
    tenant = labels[0]
    if _GENERIC_LABEL.match(tenant) or is_ats_domain(tenant + ".x"):
        return None
    return " ".join(w.capitalize() for w in re.split(r"[-_]", tenant) if w) or None


def _from_display(display: str) -> str | None:
    if _VIA_BOARD.search(display):
        return None  # "Dana Lee via LinkedIn": a person, relayed by a job board
    for pattern in _DISPLAY:
        match = pattern.match(display.strip())
        if match:
            return _clean(match.group(1))
    return None


def _from_domain(address: str, text: str, my_domains: set[str]) -> str | None:
    if "@" not in address:
        return None
    domain = address.split("@", 1)[1].lower()
    labels = domain.split(".")
    if domain in my_domains or len(labels) < 2:
        return None
    core = labels[-2] if labels[-2] not in ("co", "com") or len(labels) < 3 else labels[-3]
    if is_freemail(domain) or core in _FREEMAIL or is_ats_domain(domain) or core in _JOB_BOARDS:
        return None
    if is_agency(core):
        return None
    squashed = _squash(core)
    if not squashed:
        return None
    parts = tuple(_squash(p) for p in re.split(r"[-_]", core) if p)
    # Prefer the spelling the text uses: "orbitalpantry" -> "Orbital Pantry".
    spelled = _spelling_in(text, squashed, parts)
    if spelled:
        return spelled
    return " ".join(_split_org_word(w) for w in re.split(r"[-_]", core) if w)


def _split_org_word(word: str) -> str:
    """A domain joins a name and a company noun: "marigoldbio" is "Marigold Bio"."""
    for cut in range(4, len(word) - 2):
        if _ORG_WORD.match(word[cut:]) and word[:cut].isalpha():
            return f"{word[:cut].capitalize()} {word[cut:].capitalize()}"
    return word.capitalize()


def _squash(word: str) -> str:
    """Letters and digits only, as a domain name writes them: "Brückner & Co" -> "bruecknerandco"."""
    return fold(word.replace("&", "and")).translate(_ONLY_ALNUM)


@functools.lru_cache(maxsize=4096)  # pure, and asked about the same few names again and again
def is_freemail(domain: str) -> bool:
    """A mail host for anyone (gmail.com, gmx.de): says nothing about an employer."""
    labels = domain.lower().split(".")
    return len(labels) >= 2 and labels[-2] in _FREEMAIL


@functools.lru_cache(maxsize=4096)  # pure, and asked about the same few names again and again
def is_agency(name: str) -> bool:
    """A recruiting agency writes about its client; its own name is not the employer."""
    return bool(_AGENCY.search(name))


def _spelling_in(text: str, squashed: str, parts: tuple[str, ...] = ()) -> str | None:
    """The capitalised phrase in `text` that spells the domain's name: "orbitalpantry" is
    "Orbital Pantry", "halcyonbio" is "Halcyon Biotech", "valmont-horlogerie" is "Horlogerie
    Valmont". A phrase of at most four words around the match is taken whole when its other
    words are names too ("Corvid" + "Insurance", "Tecnologías" + "Cierzo")."""
    best: tuple[bool, int, str] | None = None
    plain = _squash(text)
    if not any(part[:5] in plain for part in (parts or (squashed,))):
        return None  # the name is nowhere in the text, however it is spelled
    heads = {part[:4] for part in (parts or (squashed,))}
    short_heads = {head[:3] for head in heads}
    # A phrase stays on its line: only lines that can hold the name are read for phrases.
    lines = "\n".join(
        line
        for line in text.split("\n")
        if not line.isascii() or any(head in line.lower() for head in short_heads)
    )
    read: set[str] = set()
    for match in _PHRASE.finditer(lines):
        if match.group(0) in read:
            continue  # a phrase says the same each time it is written
        read.add(match.group(0))
        phrase = match.group(0).lower()
        if phrase.isascii() and not any(head in phrase for head in short_heads):
            continue  # cheap test first: squashing every phrase costs more than the rest
        if not any(head in _squash(phrase) for head in heads):
            continue
        words = [w.strip(".,;:") for w in match.group(0).split()]
        squashed_words = [_squash(w) for w in words]
        for start in range(len(words)):
            joined = ""
            for end in range(start, len(words)):
                joined += squashed_words[end]
                exact = joined == squashed or joined.replace("and", "") == squashed
                shortened = end > start and joined.startswith(squashed) and len(squashed) >= 6
                if exact or shortened:
                    candidate = (
                        _widen(words, start, end) if exact else " ".join(words[start : end + 1])
                    )
                    ranked = (exact, len(candidate), candidate)
                    best = ranked if best is None or ranked > best else best
                if len(joined) >= len(squashed):
                    break
        if len(parts) >= 2 and best is None:
            kept = [w for w, sq in zip(words, squashed_words, strict=True) if sq not in _PARTICLES]
            if sorted(_squash(w) for w in " ".join(kept).split()) and _covers(
                squashed_words, parts
            ):
                best = (False, len(match.group(0)), " ".join(words))
    return best[2] if best else None


def _covers(squashed_words: list[str], parts: tuple[str, ...]) -> bool:
    """Every part of the domain ("trois", "ponts" or "troisponts") appears in the phrase."""
    joined = "".join(w for w in squashed_words if w not in _PARTICLES)
    return all(part in joined for part in parts) and len(joined) <= len("".join(parts)) + 4


def _widen(words: list[str], start: int, end: int) -> str:
    """Add the company nouns written next to the domain's name: "Corvid" + "Insurance"."""
    while start > 0 and _ORG_WORD.match(words[start - 1]):
        start -= 1
    widened = end
    while widened + 1 < len(words) and (
        _ORG_WORD.match(words[widened + 1]) or _ORG_SUFFIX.match(words[widened + 1])
    ):
        widened += 1
    if widened + 1 < len(words) and not _LEGAL_WORD.match(words[widened + 1]):
        widened = end  # the phrase goes on past the nouns: "Lumenfold Data Scientist"
    return " ".join(words[start : widened + 1])


@functools.lru_cache(maxsize=4096)  # pure, and asked about the same few names again and again
def _clean(name: str) -> str | None:
    name = " ".join(name.split())
    previous = None
    while previous != name:
        previous = name
        name = _TRAILING.sub("", name).strip(" '\"’")
    words = name.split()
    if not words or _STOP.match(words[0]) or len(name) < 2 or len(words) > 5:
        return None
    if _TITLE_END.search(words[-1]) or is_agency(name) or not re.search(r"[A-Za-z]{2}", words[0]):
        return None
    if JOB_TITLE.search(name) or " at " in name:
        return None
    if re.match(r"^\d", name):
        return None
    if all(_STOP.match(w) for w in words):
        return None
    return name


# After a company's name, what shows the word before it still belongs to the name: a legal
# form ("PampaSur Agro S.A."), or a verb the company is the subject of ("Greystone Maritime
# have filled the role", "Corvane Analytics would like to meet you").
_LEGAL_FORM = r"(?:s\.?a\.?s?|s\.?l\.?|s\.?a\.?r\.?l\.?|gmbh|ag|inc|llc|ltd|plc|b\.?v\.?|n\.?v\.?|s\.?r\.?l\.?)\b"
_LEGAL_WORD = re.compile(_LEGAL_FORM + r"\.?$", re.IGNORECASE)
_CLOSES_NAME = re.compile(
    rf"[ \t]*(?:,[ \t]*)?(?:{_LEGAL_FORM}|(?:have|has|had|would|will|is|are|was|were|hat|haben|"
    r"ist|sind|wird|m[öo]chte|a|ont|est|sont|va|souhaite|ha|han|es|son|est[áa]|quiere|"
    r"quieren)\b)",
    re.IGNORECASE,
)
_NOT_NAME_END = re.compile(r"[ \t]+(?:team|group|division|department|org|product|platform)\b", re.I)
_CAPITALISED = re.compile(r"[ \t]+(?:&[ \t]+)?([A-ZÀ-ÖØ-Þ][\w'’-]*)")


def _fuller(name: str, text: str) -> str | None:
    """The name as the text writes it in full: "Corvane" is "Corvane Analytics" when the text
    says "Corvane Analytics would like to meet you"; up to two words are added."""
    start = text.find(name)
    while start >= 0:
        end = start + len(name)
        whole_word = not (start and text[start - 1].isalnum()) and not (
            end < len(text) and text[end].isalnum()
        )
        words: list[str] = []
        while whole_word and len(words) < 2:
            word = _CAPITALISED.match(text, end)
            if word is None or not _may_extend(word.group(1)):
                break
            words.append(word.group(0))
            end = word.end()
            if _NOT_NAME_END.match(text, end):
                break
            # One company noun that ends the name ("Corvid Insurance - they've"), not the first
            # of a department's two ("Tidewell Data Engineering").
            noun_ends = len(words) == 1 and bool(_ORG_WORD.match(word.group(1)))
            if _CLOSES_NAME.match(text, end) or (noun_ends and not _CAPITALISED.match(text, end)):
                return name + "".join(words)
        start = text.find(name, start + len(name))
    return None


def _may_extend(word: str) -> bool:
    return not (
        _STOP.match(word)
        or word.lower() in MONTH_WORDS
        or word.lower() in WEEKDAY_WORDS
        or word.lower() in RELATIVE_WORDS
        or JOB_TITLE.search(word)
        or _TITLE_END.search(word)
        or _GENERIC_TEAM.match(word)
        or _ATS_NAME.search(word)
        or is_agency(word)
    )


def _merge(votes: Counter[str]) -> Counter[str]:
    """Count "Northwind" toward "Northwind Robotics" when both are seen."""
    merged: Counter[str] = Counter()
    names = sorted(votes, key=len, reverse=True)
    for name in names:
        home = next(
            (longer for longer in merged if longer.lower().startswith(name.lower() + " ")), None
        )
        if home is None:
            home = next((longer for longer in merged if longer.lower() == name.lower()), name)
        merged[home] += votes[name]
    return merged

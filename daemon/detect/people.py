"""Who the candidate will meet, and who is a machine, a room or the candidate themself."""

from __future__ import annotations

import functools
import re

from daemon.detect.cues import is_ats_domain
from daemon.detect.fastre import Pattern
from daemon.detect.ics import Attendee
from daemon.detect.links import EMAIL, emails_in
from daemon.detect.text import fold
from daemon.model import Person

_ROBOT_LOCAL = re.compile(
    r"^(?:no[-_]?reply|do[-_]?not[-_]?reply|notifications?|notify|scheduling|scheduler|calendar|"
    r"invites?|invitations?|mailer-daemon|postmaster|bounces?|automated|system|alerts?|"
    r"calendly|updates?)(?:[+._-].*)?$"
    r"|(?:^|[+._-])(?:no[-_]?reply|do[-_]?not[-_]?reply)(?:[+._-]|$)",
    re.IGNORECASE,
)
# A team's shared mailbox: whoever signs for it, it is no one the candidate will meet.
_TEAM_LOCAL = re.compile(
    r"^(?:jobs?|careers?|talent|recruiting|recruiters?|recruitment|hiring|hr|hello|info|team|"
    r"support|rrhh|personal|bewerbung(?:en)?|karriere|recrutement|reclutamiento|seleccion|"
    r"gestionhumana|talentacquisition|people|empleo|emploi|stellen|rh|interviews)(?:[+._-].*)?$",
    re.IGNORECASE,
)
# Calendars that are not people: Google's room and group calendars, Exchange room mailboxes.
_CALENDAR_DOMAIN = re.compile(r"(?:^|\.)(?:resource|group(?:\.v)?)\.calendar\.google\.com$")
_ROOM_LOCAL = re.compile(
    r"^(?:room|conf(?:erence)?(?:-?room|-?rm)?|meeting-?room|mtg-?(?:room|rm)|raum|"
    r"besprechungs?raum|salle|sala)(?:[-._\d]|$)",
    re.IGNORECASE,
)
_ROOM = re.compile(
    r"\b(?:room|raum|salle|sala|conference|konferenz|meeting ?room|besprechung)\b", re.I
)
_NAME_WORD = r"[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ'’]+(?:-[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ'’]+)?"
_PARTICLE = r"(?:van|von|de|del|da|der|di|du|le|la|dos|das)"
NAME = rf"{_NAME_WORD}(?:[ \t](?:{_PARTICLE}[ \t])?{_NAME_WORD}){{1,2}}"  # one space apart
_TITLE = r"(?:(?:Mr|Mrs|Ms|Dr|Frau|Herrn?|Mme|M|Sr|Sra|Srta)\.?\s+)?"
_LEAD = Pattern(
    r"(?:meet(?:ing)?|speak(?:ing)?|talk(?:ing)?|chat(?:ting)?|interview(?:ed|ing)?|sit down|"
    r"call|session|conversation)\s+(?:with|by)\s+"
    r"|(?:you(?:'ll| will) (?:be )?meet(?:ing)?|you will speak to|joined by|hosted by)\s+"
    r"|interviewers?\s*:\s*|panel(?:ists)?\s*:\s*|gesprächspartner(?:in)?\s*:\s*|"
    r"(?:gespräch|treffen|interview|termin) mit\s+|(?:entretien|échange|rendez-vous) avec\s+|"
    r"(?:entrevista|reunión|llamada) con\s+|\bavec\s+|\bcon\s+|\bmit\s+|\bwith\s+|"
    r"\bbetween\s+|(?:cancell?ed|canceled|hosted|organi[sz]ed|scheduled) by\s*:?\s*",
    re.IGNORECASE,
)
_PERSON_AT = re.compile(rf"{_TITLE}({NAME})")
_NOT_NAMES = re.compile(
    r"\b(?:Team|Inc|GmbH|Ltd|LLC|Recruiting|Talent|Engineering|Department|Group|Solutions|Labs|"
    r"Technologies|Systems|Robotics|Software|Corp|Company|Google|Microsoft|Zoom|Teams|Meet|Calendar|"
    r"Interview|Office|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|"
    r"March|April|June|July|August|September|October|November|December|Time|Phone|Video|Hiring|"
    r"Manager|Director|Lead|Senior|Staff|Principal|Head|Street|Road|Avenue|Straße|Strasse|"
    r"Product|Analytics|Marketing|Sales|Operations|Finance|Design|Data|Research|Legal|Support|"
    r"Success|People|Acquisition|Human|Resources|Partner|Recruiter|Coordinator|Specialist|"
    r"Engineer|Developer|Analyst|Designer|Scientist|Architect|Consultant|Officer|Assistant|"
    r"Webex|Whereby|Jitsi|Chime|Slack|LinkedIn|Greenhouse|Lever|Workday|Calendly|Ashby|"
    r"Planning|Strategy|Development|Management|Services|Network|Infrastructure|Security|"
    r"Platform|Cloud|Quality|Compliance|Risk|Customer|Business|Growth|Communications|"
    r"Administration|Logistics|Supply|Procurement|Health|Insurance|Bank|Capital|Media|Foods|"
    r"Unfortunately|However|Please|Also|Note|Regards|Location|Address|Date|Link|Join|Panel|"
    r"Directora?|Gerente|Jef[ae]|Responsable|Reclutamiento|Selecci[óo]n|Operaciones|Recursos|"
    r"Humanos|Talento|Equipo|Directeur|Directrice|Charg[ée]e?|Recrutement|Ressources|Humaines|"
    r"[ÉE]quipe|Leiter(?:in)?|Leitung|Personalabteilung|Abteilung|Ihre[nrm]?|Unser(?:e[nrm]?)?|"
    r"Bewerber\w*|Partners|San|Santa|New|Los|Las|Saint|Gesti[óo]n|Humana|"
    # job titles in German, French and Spanish: "Camila Duarte, Científica de Datos"
    r"L[íi]der|Cient[íi]fic[oa]|Analista|Ingenier[oa]|Desarrollador[a]?|Especialista|"
    r"T[ée]cnic[oa]|Consultor[a]?|Arquitect[oa]|Diseñador[a]?|Coordinador[a]?|Abogad[oa]|"
    r"Contador[a]?|Fundador[a]?|Scientifique|Ing[ée]nieur[e]?|D[ée]veloppeu(?:r|se)|"
    r"Consultante?|Analyste|Juriste|Avocat[e]?|Comptable|Fondat(?:eur|rice)|Associ[ée]e?|"
    r"Ingenieur(?:in)?|Entwickler(?:in)?|Berater(?:in)?|Referent(?:in)?|Wissenschaftler(?:in)?|"
    r"Buchhalter(?:in)?|(?:Team|Abteilungs|Bereichs|Gruppen|Projekt)leiter(?:in)?|Gesch[äa]ftsf[üu]hrer(?:in)?|Gr[üu]nder(?:in)?|Counsel)\b"
)
# Words a sentence may open with just before a name: "Mein Kollege Lukas Wendt",
# "Estaremos Alberto Cifuentes y yo", "Avec Julie Martin".
_BEFORE_NAME = re.compile(
    r"^(?:(?:mein(?:e[mnr]?)?|unser(?:e[mnr]?)?|kolleg(?:e|in|en)|colleague|coll[èe]gue|"
    r"compa[ñn]er[oa]|estaremos|estar[áa]n?|seremos|ser[áa]n?|serons|seront|sera|with|and|"
    r"avec|et|con|mit|und|my|our|mon|ma|notre|mi|nuestr[oa])\s+)+",
    re.IGNORECASE,
)
_ACADEMIC = re.compile(
    r"^(?:dr|prof|mag|di|dipl\.?-ing|ing|lic|mtr[oa]|kapit[äa]n|ph\.?d|mba|msc|bsc)\.?$",
    re.IGNORECASE,
)


def _strip_titles(part: str) -> str:
    """'Felix Dr.' -> 'Felix', 'Mag. Sandra Huber' -> 'Sandra Huber'."""
    return " ".join(word for word in part.split() if not _ACADEMIC.match(word)).strip()


_HONORIFIC = re.compile(
    r"^(?:mr|mrs|ms|mx|dr|prof|mme|mlle|m|herrn?|frau|sr|sra|srta|don|doña)\.?\s+", re.IGNORECASE
)
# Greetings and sign-offs that look like names: "Hi Jordan", "Best Regards", "Dear Ms".
_GREETING = re.compile(
    r"^(?:hi|hello|hey|dear|thanks|thank|best|kind|warm|regards|cheers|hallo|hola|bonjour|"
    r"salut|liebe[rs]?|sehr|guten|viele|freundliche|beste|mit|chère?s?|cher|madame|monsieur|"
    r"estimad[oa]s?|querid[oa]s?|saludos|un|cordialement|bien|merci|gracias|danke)\b",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=4096)  # pure, and asked about the same few names again and again
def is_robot(address: str | None) -> bool:
    """A scheduling robot, a no-reply sender, a room or group calendar, or a team mailbox:
    never someone the candidate meets (a team mailbox may still be who schedules)."""
    if not address or "@" not in address:
        return False
    local, _, domain = address.lower().partition("@")
    if _ROBOT_LOCAL.search(local) or _ROOM_LOCAL.match(local) or is_team_mailbox(address):
        return True
    if _CALENDAR_DOMAIN.search(domain):
        return True
    return is_ats_domain(domain) and not _looks_personal(local)


def is_team_mailbox(address: str) -> bool:
    """careers@, rrhh@, bewerbung@: shared by a team."""
    return bool(_TEAM_LOCAL.match(address.lower().split("@")[0]))


def _looks_personal(local: str) -> bool:
    return bool(re.match(r"^[a-z]+[._-][a-z]+$", local))


# The name a team's calendar or mailbox goes by: "Acme Talent Acquisition", "Service RH".
_TEAM_NAME = re.compile(
    r"\b(?:talent acquisition|talent team|recruiting|recruitment|hiring team|human resources|"
    r"ressources humaines|recursos humanos|gesti[óo]n humana|talento humano|personalabteilung|"
    r"people (?:team|ops|operations)|careers|hr|rh|rrhh|recrutement|reclutamiento|"
    r"interviews|scheduling|bookings)\b",
    re.IGNORECASE,
)


def is_team_name(name: str | None) -> bool:
    """A display name that names a team, not a person ("Dana Lee (HR)" is a person)."""
    return bool(name) and bool(_TEAM_NAME.search(re.sub(r"\([^)]*\)", "", name or "")))


def from_attendees(
    attendees: list[Attendee], organizer: Person | None, me: set[str]
) -> list[Person]:
    """Attendees who take part: not rooms, not those who declined or only watch (Outlook
    lists a coordinator as ROLE=NON-PARTICIPANT), nor an organizer who is one of those."""
    people: list[Person] = []
    left_out: set[str] = set()
    for attendee in attendees:
        person = attendee.person
        if (
            attendee.cutype in ("ROOM", "RESOURCE")
            or _ROOM.search(person.name or "")
            or attendee.role == "NON-PARTICIPANT"
            or attendee.partstat == "DECLINED"
            or is_team_name(person.name)
        ):
            if person.email:
                left_out.add(person.email)
            continue
        people.append(person)
    if organizer is not None and is_team_name(organizer.name):
        return clean(people, me)  # a team's calendar sends the invitation; nobody to meet
    if organizer is not None and organizer.email not in left_out:
        people.append(organizer)
    found = clean(people, me)
    if found or organizer is None or not organizer.email or organizer.email in left_out:
        return found
    # A person signing for a team mailbox schedules; alone with the candidate, they also
    # hold the meeting ("Paola Vargas" <rrhh@...> for a closing talk with HR).
    name = display_name(organizer.name)
    if name and " " in name and is_team_mailbox(organizer.email) and not _NOT_NAMES.search(name):
        return [Person(name, organizer.email)]
    return found


def from_prose(text: str, me: set[str], my_names: set[str]) -> list[Person]:
    people: list[Person] = []
    emails: list[str] | None = None
    for lead in _LEAD.finditer(text):
        segment = text[lead.end() : lead.end() + 240].split("\n\n")[0]
        # The name must follow the lead words directly (past spaces, quotes, a bracket).
        first = len(segment) - len(segment.lstrip(" (\"'"))
        if _PERSON_AT.match(segment, first) is None:
            continue
        for match in _PERSON_AT.finditer(segment, first):
            name = match.group(1)
            if _NOT_NAMES.search(name) or name.lower() in my_names:
                continue
            if _coordinates(text, lead.end() + match.start()):
                break
            if stays_out(segment, match.end()):
                continue
            if emails is None:
                emails = emails_in(text)
            people.append(Person(name, _email_for(name, segment[match.end() :], emails)))
            if not _AND_NEXT.match(segment, match.end()):
                break
    return clean(people, me)


# After a name, another one: "Dana Lee (Engineering) and Sam Ortiz", "Dana, Sam".
_AND_NEXT = re.compile(r"\s*(?:\([^)]*\)|<[^>]*>|,[^,\n]{0,60}?)?\s*(?:,|and|und|et|y|&)\s")


_TITLE_WORDS = (
    r"(?:engineer|developer|manager|analyst|designer|scientist|architect|director|lead|head|"
    r"officer|cto|ceo|cfo|coo|vp|founder|partner|principal|chief|president|recruiter|"
    r"specialist|consultant|leiter(?:in)?|leitung|geschäftsführer(?:in)?|teamlead|"
    r"responsable|directeur|directrice|ingénieur|chef|gerente|director[a]?|jef[ea]|"
    r"ingenier[oa]|coordinator|coordinador[a]?|owner|researcher|professor|dean|editor)"
)
TITLE_WORD = Pattern(_TITLE_WORDS, re.IGNORECASE)
_LIST_HEADER = Pattern(
    r"^\s*\**(?:your |the )?(?:panel(?:ists)?|interviewers?|interview (?:team|panel)|who|attendees|"
    r"host|hosts|organi[sz]er|organisator(?:in)?|organisateur|organizador|anfitri[óo]n|guests|"
    r"g[äa]ste|invit[ée]s|invitados|"
    r"participants|you(?:'ll| will) (?:meet|be meeting|speak)(?: with)?|gesprächspartner(?:innen)?|"
    r"teilnehmende|teilnehmer(?:innen)?|interlocuteurs?|intervenants?|jury|participants|"
    r"entrevistadores|panel de entrevista|con qui[ée]n)\**\s*:?\**[ \t]*(.*)$",
    re.IGNORECASE | re.MULTILINE,
)
_TITLED = Pattern(
    rf"{_TITLE}({NAME})\s*(?:\(([^)\n]{{2,80}})\)|,\s+(?:our |notre |nuestr[ao] |unser(?:e|em)? )?([^,;\n]{{2,60}}))"
)


_FIRST_NAME_WITH_ADDRESS = Pattern(
    rf"\b({NAME}|[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]+)(?:,[^()\n]{{0,40}})?\s*\([^()\n]{{0,60}}?([\w.+-]+@[\w-]+(?:\.[\w-]+)+)[^()\n]{{0,20}}\)"
)


def from_lists_and_titles(text: str, me: set[str], my_names: set[str]) -> list[Person]:
    """People named in an "Interviewers:" list, as "Dana Lee (Engineering Manager)", or as
    "Tobias (Tech Lead, tobias@example.com)"."""
    people: list[Person] = []
    for match in _FIRST_NAME_WITH_ADDRESS.finditer(text):
        name = _person_words(match.group(1))
        if (
            name.lower() not in my_names
            and not _coordinates(text, match.start())
            and not stays_out(text, match.end())
        ):
            people.append(Person(name, match.group(2).lower()))
    emails = emails_in(text)
    for header in _LIST_HEADER.finditer(text):
        block = [header.group(1)]
        following = text[header.end() :].split("\n")[1:13]  # the lines under the header
        for line in following:
            if not line.strip():
                break
            block.append(line)
        for line in block:
            for match in _PERSON_AT.finditer(line):
                name = match.group(1)
                if not _NOT_NAMES.search(name) and name.lower() not in my_names:
                    people.append(Person(name, _email_for(name, line[match.end() :], emails)))
    for match in _TITLED.finditer(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        name = match.group(1)
        if not text[line_start : match.start()].strip() and not _BEFORE_NAME.match(name + " "):
            continue  # a name opening a line is a signature, not a participant
        title = match.group(2) or match.group(3) or ""
        titled = TITLE_WORD.search(title)
        if (
            titled
            and not _NOT_NAMES.search(name)
            and name.lower() not in my_names
            and not _coordinates(text, match.start())
            and not stays_out(text, match.end())
        ):
            people.append(Person(name, _email_for(name, text[match.end() :], emails)))
    return clean(people, me)


def _person_words(name: str) -> str:
    """ "Meet Jamie Cho" -> "Jamie Cho": words that are no name are dropped from the front."""
    words = name.split()
    while len(words) > 1 and (_NOT_NAMES.search(words[0]) or _BEFORE_NAME.match(words[0] + " ")):
        words = words[1:]
    return " ".join(words)


def with_known_addresses(people: list[Person], known: list[tuple[str, str]]) -> list[Person]:
    """Give a name found in prose the address the headers or text show for it."""
    found = []
    for person in people:
        if person.email is None and person.name:
            wanted = person.name.lower()
            shown = next((a for d, a in known if d and d.lower() == wanted), None)
            person = Person(person.name, shown or address_for(person.name, [a for _, a in known]))
        found.append(person)
    return found


@functools.lru_cache(maxsize=4096)
def _local_tokens(address: str) -> tuple[str, ...]:
    """ "Dana.Lee+jobs2@x" -> ("dana", "lee"): the words of an address's local part."""
    local = fold(address.split("@")[0].split("+")[0])
    return tuple(t for t in (_DIGITS.sub("", part) for part in _LOCAL_SEPARATOR.split(local)) if t)


_DIGITS = re.compile(r"\d+")
_LOCAL_SEPARATOR = re.compile(r"[._-]+")
_NAME_SEPARATOR = re.compile(r"[\s'’-]+")


def address_for(name: str, addresses: list[str], *, first_name_alone: bool = True) -> str | None:
    """The address whose local part spells `name`: by the name's words (first and last,
    either order, joined or separated, one of them as an initial), never by a substring.
    A bare first name ("nate@") counts only when no address spells the name better."""
    words = [fold(w) for w in _NAME_SEPARATOR.split(name) if w]
    words = [w for w in words if w.isalpha()]
    if not words:
        return None
    first = words[0]
    shapes: set[tuple[str, ...]] = set()
    for last in words[1:]:
        for a, b in ((first, last), (last, first), (first[0], last), (first, last[0])):
            shapes.add((a, b))
    joined_shapes = {a + b for a, b in shapes}
    fallback = None
    for address in addresses:
        tokens = _local_tokens(address)
        if tokens in shapes or (len(tokens) == 1 and tokens[0] in joined_shapes):
            return address
        if len(words) == 1 and tokens == (first,):
            return address
        if fallback is None and first_name_alone and tokens == (first,):
            fallback = address  # "nate@bramble.example" for Nate Osborne
    return fallback


def _email_for(name: str, after: str, emails: list[str]) -> str | None:
    """The address written right after a name ("Dana Lee (dana@x)"), else one that spells it."""
    nearby = EMAIL.search(after[:80])
    if nearby and re.match(r"^\s*[(<\[]", after[: nearby.start() + 1] or ""):
        return nearby.group(0).lower()
    return address_for(name, emails)


# Words around a name that make the person a contact for questions or the one who
# coordinates, not an interviewer: "if you have questions, contact Jessica (jessica@...)".
_COORDINATOR = re.compile(
    r"\b(?:questions?|contact|reach out|get in touch|coordinat\w*|(?-i:logistics)|assist\w*|"
    r"fragen|ansprechpartner\w*|kontakt\w*|wenden sie sich|koordin\w*|contacte[rz]|"
    r"n'h[ée]sitez|coordonn\w*|dudas|preguntas|contacta\w*|coordin\w*)\b",
    re.IGNORECASE,
)
_SENTENCE_START = re.compile(r"[.!?\n][^.!?\n]*$")


def _coordinates(text: str, position: int) -> bool:
    """Whether the sentence leading up to `position` presents a contact or a coordinator."""
    before = text[max(0, position - 160) : position]
    opening = _SENTENCE_START.search(before)
    return bool(_COORDINATOR.search(before[opening.start() if opening else 0 :]))


# After a name, the rest of the sentence says the person will not be there: "Maya won't be
# on the call", "Herr Lang ist nicht dabei", "Julie ne sera pas présente", "Ana no estará".
STAYS_OUT = (
    r"(?:won't|won’t|will not|isn't|isn’t|is not|can't|can’t|cannot)\s+(?:be\s+)?(?:on the call|"
    r"joining|join|attending|attend|sitting in|sit in|taking part|take part|there|present)|"
    r"(?:ist|bin|sind|wird|werde|werden)\s+(?:selbst\s+)?nicht\s+(?:dabei|anwesend|teilnehmen)|"
    r"\bne\s+(?:sera|serai|seront|participera|participerai|participeront)\s+pas|"
    r"\bno\s+(?:estar[áée]n?|participar[áée]n?|asistir[áée]n?)\b"
)
_STAYS_OUT_AFTER = re.compile(rf"[^.!?\n]{{0,60}}?\b(?:{STAYS_OUT})", re.IGNORECASE)


def stays_out(text: str, end: int) -> bool:
    """Whether the sentence goes on, after a name that ends at `end`, to say they stay away."""
    return _STAYS_OUT_AFTER.match(text, end) is not None


@functools.lru_cache(maxsize=4096)  # pure, and asked about the same few names again and again
def display_name(name: str | None) -> str | None:
    """ "Pérez, Gloria" (Outlook's order) -> "Gloria Pérez"; quotes and extra spaces dropped."""
    if not name:
        return None
    name = " ".join(name.replace('"', "").split()).strip(" '")
    while _HONORIFIC.match(name + " "):
        stripped = _HONORIFIC.sub("", name + " ").strip()
        if stripped == name:
            break
        name = stripped
    opening = _BEFORE_NAME.match(name)
    if opening and len(name[opening.end() :].split()) >= 2:
        name = name[opening.end() :]
    parts = [_strip_titles(p) for p in name.split(",")]
    if len(parts) == 2 and all(parts) and " " not in parts[1]:
        name = f"{parts[1]} {parts[0]}"
    name = _strip_titles(name)
    return name or None


def clean(people: list[Person], me: set[str]) -> list[Person]:
    """Names tidied, and each person once: not the candidate (by address, or by a name their
    address spells), not a robot or team mailbox, not a greeting or a team's name."""
    seen: dict[str, Person] = {}
    mine = list(me)
    for person in people:
        person = Person(display_name(person.name), person.email)
        if not person.email and person.name and " " not in person.name:
            continue  # a lone word with no address: "Castellanos" in a greeting, not a person
        if person.name and (_GREETING.match(person.name) or _NOT_NAMES.search(person.name)):
            if not person.email:
                continue  # "Hi Jordan", "Product Analytics": not a person we can write to
            person = Person(None, person.email)
        if person.email and (person.email in me or is_robot(person.email)):
            continue
        if (
            not person.email
            and person.name
            and address_for(person.name, mine, first_name_alone=False)
        ):
            continue  # "Jordan Avery" when the mail is for jordan.avery@...
        if not person.email and not person.name:
            continue
        key = (person.email or person.name or "").lower()
        if key in seen:
            if seen[key].name is None and person.name:
                seen[key] = person
            continue
        by_name = next((k for k, p in seen.items() if p.name and p.name == person.name), None)
        if by_name is not None:
            if seen[by_name].email is None and person.email:
                del seen[by_name]
                seen[key] = person
            continue
        seen[key] = person
    return list(seen.values())

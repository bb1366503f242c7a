"""Who the candidate will meet, and who is a machine, a room or the candidate themself."""

from __future__ import annotations

import re
import unicodedata

from daemon.detect.cues import is_ats_domain
from daemon.detect.fastre import Pattern
from daemon.detect.ics import Attendee
from daemon.model import Person

_ROBOT_LOCAL = re.compile(
    r"^(?:no-?reply|do-?not-?reply|donotreply|notifications?|notify|scheduling|scheduler|calendar|"
    r"invites?|invitations?|mailer-daemon|postmaster|bounces?|automated|system|alerts?|"
    r"noreply[-.\w]*|calendly|updates?)(?:[+._-].*)?$",
    re.IGNORECASE,
)
# A team's shared mailbox: not a person, unless a person's name is on it this time.
_TEAM_LOCAL = re.compile(
    r"^(?:jobs?|careers?|talent|recruiting|recruitment|hr|hello|info|team|support|rrhh|personal|"
    r"bewerbung(?:en)?|karriere|recrutement|reclutamiento|seleccion|gestionhumana|"
    r"talentacquisition|people|empleo|emploi|stellen)(?:[+._-].*)?$",
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
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
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
    r"Bewerber\w*|Partners|San|Santa|New|Los|Las|Saint|Gesti[óo]n|Humana)\b"
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


def is_robot(address: str | None) -> bool:
    if not address or "@" not in address:
        return False
    local, _, domain = address.lower().partition("@")
    if _ROBOT_LOCAL.match(local) or is_team_mailbox(address):
        return True
    return is_ats_domain(domain) and not _looks_personal(local)


def is_team_mailbox(address: str) -> bool:
    """careers@, rrhh@, bewerbung@: shared by a team; a person may still sign for it."""
    return bool(_TEAM_LOCAL.match(address.lower().split("@")[0]))


def _looks_personal(local: str) -> bool:
    return bool(re.match(r"^[a-z]+[._-][a-z]+$", local))


def from_attendees(
    attendees: list[Attendee], organizer: Person | None, me: set[str]
) -> list[Person]:
    people: list[Person] = []
    for attendee in attendees:
        person = attendee.person
        if attendee.cutype in ("ROOM", "RESOURCE") or _ROOM.search(person.name or ""):
            continue
        if attendee.role == "NON-PARTICIPANT":
            continue
        people.append(person)
    if organizer is not None:
        people.append(organizer)
    return _clean(people, me)


def from_prose(text: str, me: set[str], my_names: set[str]) -> list[Person]:
    people: list[Person] = []
    emails = [e.lower() for e in _EMAIL.findall(text)] if "@" in text else []
    for lead in _LEAD.finditer(text):
        segment = text[lead.end() : lead.end() + 240].split("\n\n")[0]
        for index, match in enumerate(_PERSON_AT.finditer(segment)):
            gap = segment[: match.start()] if index == 0 else ""
            if index == 0 and gap.strip(" (\"'"):
                break  # the name must follow the lead words directly
            name = match.group(1)
            if _NOT_NAMES.search(name) or name.lower() in my_names:
                continue
            people.append(Person(name, _email_for(name, segment[match.end() :], emails)))
            rest = segment[match.end() :]
            if not re.match(
                r"^\s*(?:\([^)]*\)|<[^>]*>|,[^,\n]{0,60}?)?\s*(?:,|and|und|et|y|&)\s", rest
            ):
                break
            segment_end = match.end()
            segment = segment[:segment_end] + rest
    return _clean(people, me)


_TITLE_WORDS = (
    r"(?:engineer|developer|manager|analyst|designer|scientist|architect|director|lead|head|"
    r"officer|cto|ceo|cfo|coo|vp|founder|partner|principal|chief|president|recruiter|"
    r"specialist|consultant|leiter(?:in)?|leitung|geschäftsführer(?:in)?|teamlead|"
    r"responsable|directeur|directrice|ingénieur|chef|gerente|director[a]?|jef[ea]|"
    r"ingenier[oa]|coordinator|coordinador[a]?|owner|researcher|professor|dean|editor)"
)
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
    r"\b([A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]+)(?:,[^()\n]{0,40})?\s*\([^()\n]{0,60}?([\w.+-]+@[\w-]+(?:\.[\w-]+)+)[^()\n]{0,20}\)"
)


def from_lists_and_titles(text: str, me: set[str], my_names: set[str]) -> list[Person]:
    """People named in an "Interviewers:" list, as "Dana Lee (Engineering Manager)", or as
    "Tobias (Tech Lead, tobias@example.com)"."""
    people: list[Person] = []
    for match in _FIRST_NAME_WITH_ADDRESS.finditer(text):
        if match.group(1).lower() not in my_names:
            people.append(Person(match.group(1), match.group(2).lower()))
    emails = [e.lower() for e in _EMAIL.findall(text)] if "@" in text else []
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
        if not text[line_start : match.start()].strip():
            continue  # a name opening a line is a signature, not a participant
        title = match.group(2) or match.group(3) or ""
        name = match.group(1)
        titled = re.search(_TITLE_WORDS, title, re.IGNORECASE)
        if titled and not _NOT_NAMES.search(name) and name.lower() not in my_names:
            people.append(Person(name, _email_for(name, text[match.end() :], emails)))
    return _clean(people, me)


def with_known_addresses(people: list[Person], known: list[tuple[str, str]]) -> list[Person]:
    """Give a name found in prose the address the headers or text show for it."""
    found = []
    for person in people:
        if person.email is None and person.name:
            person = Person(person.name, _address_for(person.name, known))
        found.append(person)
    return found


def _address_for(name: str, known: list[tuple[str, str]]) -> str | None:
    wanted = name.lower()
    for display, address in known:
        if display and display.lower() == wanted:
            return address
    tokens = [_plain(t) for t in re.split(r"[\s-]+", wanted) if len(t) > 1]
    if not tokens:
        return None
    first, last = tokens[0], tokens[-1]
    shapes = {first + last, f"{first}.{last}", f"{first}_{last}", f"{first}-{last}", first[0] + last,
              f"{first[0]}.{last}", f"{first}.{last[0]}", f"{first}{last[0]}"}  # fmt: skip
    for _, address in known:
        local = _plain(address.split("@")[0])
        if local in shapes or (len(tokens) == 1 and local == first):
            return address
    for _, address in known:
        if _plain(address.split("@")[0]) == first:
            return address  # "nate@bramble..." for Nate Osborne
    return None


def _plain(word: str) -> str:
    lowered = word.lower()
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        lowered = lowered.replace(umlaut, spelled)
    return unicodedata.normalize("NFKD", lowered).encode("ascii", "ignore").decode()


def _email_for(name: str, after: str, emails: list[str]) -> str | None:
    nearby = _EMAIL.search(after[:80])
    if nearby and re.match(r"^\s*[(<\[]", after[: nearby.start() + 1] or ""):
        return nearby.group(0).lower()
    tokens = [t.lower() for t in re.split(r"[\s-]+", name) if len(t) > 1]
    for address in emails:
        local = address.split("@")[0]
        if tokens and tokens[0] in local and (len(tokens) == 1 or tokens[-1] in local):
            return address
    return None


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
    parts = [_strip_titles(p) for p in name.split(",")]
    if len(parts) == 2 and all(parts) and " " not in parts[1]:
        name = f"{parts[1]} {parts[0]}"
    name = _strip_titles(name)
    return name or None


def dedupe(people: list[Person], me: set[str]) -> list[Person]:
    return _clean(people, me)


def _clean(people: list[Person], me: set[str]) -> list[Person]:
    seen: dict[str, Person] = {}
    for person in people:
        person = Person(display_name(person.name), person.email)
        if not person.email and person.name and " " not in person.name:
            continue  # a lone word with no address: "Castellanos" in a greeting, not a person
        if person.name and (_GREETING.match(person.name) or _NOT_NAMES.search(person.name)):
            if not person.email:
                continue  # "Hi Jordan", "Product Analytics": not a person we can write to
            person = Person(None, person.email)
        if person.email and person.email in me:
            continue
        # A person's name on a team mailbox ("Paola Vargas <rrhh@...>") is that person.
        signed_team = (
            bool(person.email) and is_team_mailbox(person.email or "") and bool(person.name)
        )
        if person.email and is_robot(person.email) and not signed_team:
            continue
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

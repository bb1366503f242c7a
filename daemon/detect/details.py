"""What an interview mail says besides its time: the role, and the place for an onsite."""

from __future__ import annotations

import re

from daemon.detect import ics, links
from daemon.detect.fastre import Pattern

_ROLE = (
    Pattern(
        r"\bfor (?:the|our|a|an) ([A-Z][\w/&+#.-]*(?: [\w/&+#().-]+){0,6}?) (?:position|role|opening)\b"
    ),
    Pattern(
        r"\b(?:position|role|job title|stelle|poste|puesto)\s*:\s*([^\n]{3,80})", re.IGNORECASE
    ),
    Pattern(r"\b(?:als|as an?|as)\s+([A-Z][\w/&+#.-]*(?: [A-Z(][\w/&+#().-]*){0,5})\b"),
    # A French or Spanish title ends at the first word that is no part of one ("le poste de
    # Chef de projet que nous avons ouvert..."): a relative pronoun, a preposition, a verb.
    Pattern(
        r"\bpour le poste d[e']\s*([^\n,.]{3,80}?)(?:\s+(?:chez|au sein|que|qui|dont|pour|avec|"
        r"dans|sur|et|afin|à|au|aux|le|la|les|nous|vous|est|sera|a)\b|[,.\n])"
    ),
    Pattern(
        r"\bpara (?:el|la) (?:puesto|posición|vacante) de\s+([^\n,.]{3,80}?)(?:\s+(?:en|que|para|"
        r"con|y|el|la|los|las|nos|se|es|será|a)\b|[,.\n])"
    ),
    Pattern(
        r"\b(?:position|stelle) (?:als|as)\s+([^\n,.]{3,80}?)(?:\s+(?:bei|at)\s|[,.\n])",
        re.IGNORECASE,
    ),
)
_ADDRESS_LABEL = Pattern(
    r"^\s*\**(?:address|location|venue|where|adresse|ort|anschrift|lieu|direcci[óo]n|ubicaci[óo]n|"
    r"lugar)\**\s*:\**\s*(.{5,160})$",
    re.IGNORECASE | re.MULTILINE,
)
_STREET = Pattern(
    r"^\s*(.{0,60}?\b(?:\d{1,5}\s+[A-Z][\w.' -]+\s(?:street|st\.|avenue|ave\.?|road|rd\.|boulevard|blvd|"
    r"way|lane|drive|place|square)|[A-ZÄÖÜ][\wäöüß-]*(?:straße|strasse|str\.|weg|platz|allee|ring)\s+\d+|"
    r"\d{1,4},?\s+(?:rue|avenue|boulevard|place|quai|allée)\s+[\w' -]+|"
    r"(?:calle|avenida|av\.|paseo|plaza)\s+[\w' -]+,?\s*\d+).{0,80})$",
    re.IGNORECASE | re.MULTILINE,
)
_DIGIT_LINE = re.compile(r"^[^\n\d]*\d.*$", re.MULTILINE)
_VIDEO_WORDS = re.compile(
    r"^(?:zoom|google meet|microsoft teams(?: meeting)?|teams|webex|video ?call|phone|online|remote|"
    r"virtual|whereby|jitsi|chime|tbd|n/a)\b",
    re.IGNORECASE,
)


def event_location(event: ics.CalendarEvent) -> str | None:
    location = event.location.strip()
    if not location or location.lower().startswith(("http://", "https://")):
        return None
    if _VIDEO_WORDS.match(location) or links.is_meeting(location):
        return None
    return location


def role_in(text: str) -> str | None:
    for pattern in _ROLE:
        match = pattern.search(text)
        if match:
            role = " ".join(match.group(1).split()).strip(" .,:;-–\"'")
            role = re.split(r"\s+(?:at|with|bei|chez|en|in|for)\s+", role)[0]
            if 3 <= len(role) <= 80 and not re.match(r"(?i)^(?:a|an|the|part|well)$", role):
                return role
    return None


def location_in(text: str) -> str | None:
    # Every street form has a number: only lines with a digit are tried for one.
    numbered = "\n".join(_DIGIT_LINE.findall(text))
    for pattern, lines in ((_ADDRESS_LABEL, text), (_STREET, numbered)):
        match = pattern.search(lines)
        if match:
            value = " ".join(match.group(1).split()).strip(" *")
            if value and not _VIDEO_WORDS.match(value) and "http" not in value:
                return value
    return None

"""Video-meeting links: find them in text, HTML hrefs and ICS properties; peel off trackers.

Outlook SafeLinks, Google redirects, Proofpoint URL Defense and mail-tracking redirects carry
the real address; when it can be recovered it replaces the wrapper. A Mimecast link that
names only the destination's domain cannot be recovered, and stays as it is.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from urllib.parse import parse_qs, unquote, urlsplit

URL = re.compile(r"https?://[^\s<>\"')\]]+", re.IGNORECASE)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Meeting services by their domain; a host matches when it is the domain or under it.
_MEETING_DOMAINS = (
    "zoom.us", "zoom.com", "zoomgov.com", "meet.google.com", "teams.microsoft.com",
    "teams.live.com", "webex.com", "whereby.com", "chime.aws", "meet.jit.si", "8x8.vc",
    "bluejeans.com", "gotomeet.me", "gotomeeting.com", "meet.goto.com", "around.co",
    "meet.lync.com", "skype.com", "lifesize.com", "ringcentral.com", "dialpad.com",
    "livestorm.co",
)  # fmt: skip
_WRAPPER_PARAMS = (
    "url", "u", "q", "target", "redirect", "redirect_url", "link", "dest", "destination", "r",
)  # fmt: skip
_PROOFPOINT = re.compile(r"^https?://urldefense(?:\.proofpoint)?\.com/(v[123])/", re.IGNORECASE)
_PROOFPOINT_V3 = re.compile(r"/v3/__(.+?)__;([A-Za-z0-9_-]*)!")
_PROOFPOINT_V3_TOKEN = re.compile(r"\*(\*.)?")
# In a v3 link "**A" stands for a run of 2 characters, "**B" for 3, and so on.
_V3_RUNS = {
    char: length
    for length, char in enumerate(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", start=2
    )
}


def meeting_url(candidates: Iterable[str]) -> str | None:
    """The first link that leads to a video meeting, unwrapped."""
    for raw in candidates:
        url = unwrap(raw)
        if is_meeting(url):
            return url
    return None


def emails_in(text: str) -> list[str]:
    """The mail addresses in `text`, lower case, as EMAIL.findall finds them (found from
    each "@" outwards: a regex tried at every character of a long text costs more)."""
    found, end, at = [], 0, text.find("@")
    while at >= 0:
        start = at
        while start > end and (text[start - 1].isalnum() or text[start - 1] in "_.+-"):
            start -= 1
        match = EMAIL.match(text, start) if start < at else None
        if match is not None:
            found.append(match.group(0).lower().rstrip("."))
            end = match.end()
        at = text.find("@", max(end, at + 1))
    return found


def urls_in(text: str) -> list[str]:
    return [_trim(match.group(0)) for match in URL.finditer(text)]


def _meeting_domain(host: str) -> str | None:
    for domain in _MEETING_DOMAINS:
        if host == domain or host.endswith("." + domain):
            return domain
    if "jitsi" in host.split("."):
        return "jitsi"  # a self-hosted Jitsi: jitsi.example.org
    return None


def is_meeting(url: str) -> bool:
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    domain = _meeting_domain(host)
    if domain is None:
        return False
    path = parts.path.lower()
    if domain.startswith("zoom"):
        return bool(re.search(r"/(?:j|w|my|s|wc)/|/meeting", path))
    if domain.startswith("teams"):
        return "meetup-join" in path or "/meet/" in path or "/l/" in path
    if domain == "meet.google.com":
        return len(path.strip("/")) >= 8
    return bool(path.strip("/"))


def unwrap(url: str, depth: int = 0) -> str:
    """The destination of a redirecting tracker link, as far as it can be read."""
    url = _trim(url)
    if depth > 3:
        return url
    proofpoint = _PROOFPOINT.match(url)
    if proofpoint:
        inner = _proofpoint(url, proofpoint.group(1).lower())
        return unwrap(inner, depth + 1) if inner else url
    try:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
    except ValueError:
        return url
    for name in _WRAPPER_PARAMS:
        for value in query.get(name, []):
            # parse_qs has decoded the value once already; decode again only if it still
            # does not read as an address (a link wrapped twice).
            inner = value if value.lower().startswith(("http://", "https://")) else unquote(value)
            if inner.lower().startswith(("http://", "https://")):
                return unwrap(inner, depth + 1)
    # Some trackers put the encoded destination in the path: /redirect/https%3A%2F%2F...
    found = re.search(r"https?%3a%2f%2f[^/?&]+[^&]*", url, re.IGNORECASE)
    if found and depth == 0 and not is_meeting(url):
        return unwrap(unquote(found.group(0)), depth + 1)
    return url


def _proofpoint(url: str, version: str) -> str | None:
    """Proofpoint URL Defense: v1 and v2 carry the link in `u` (v2 writes "%" as "-" and "/"
    as "_"); v3 carries it in the path with the characters it took out, base64-coded, after it."""
    if version in ("v1", "v2"):
        try:
            value = parse_qs(urlsplit(url).query).get("u", [""])[0]
        except ValueError:
            return None
        if version == "v2":
            value = unquote(value.replace("-", "%").replace("_", "/"))
        return value if value.lower().startswith(("http://", "https://")) else None
    found = _PROOFPOINT_V3.search(url)
    if found is None:
        return None
    link, coded = unquote(found.group(1)), found.group(2)
    try:
        taken = base64.urlsafe_b64decode(coded + "=" * (-len(coded) % 4)).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    pieces, used, position = [], 0, 0
    for token in _PROOFPOINT_V3_TOKEN.finditer(link):
        length = 1 if token.group(1) is None else _V3_RUNS.get(token.group(1)[1], 0)
        if not length or used + length > len(taken):
            return None
        pieces += [link[position : token.start()], taken[used : used + length]]
        used, position = used + length, token.end()
    pieces.append(link[position:])
    return "".join(pieces)


def _trim(url: str) -> str:
    url = url.strip().rstrip(".,;:!?>*")
    while url.endswith(")") and url.count("(") < url.count(")"):
        url = url[:-1]
    return url.replace("&amp;", "&")

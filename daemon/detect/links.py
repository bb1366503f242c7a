"""Video-meeting links: find them in text, HTML hrefs and ICS properties; peel off trackers.

Outlook SafeLinks, Google redirects and mail-tracking redirects carry the real address in a
query parameter; when it can be recovered it replaces the wrapper.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

URL = re.compile(r"https?://[^\s<>\"')\]]+", re.IGNORECASE)
_MEETING_HOSTS = (
    "zoom.us", "zoom.com", "zoomgov.com", "meet.google.com", "teams.microsoft.com", "teams.live.com",
    "webex.com", "whereby.com", "chime.aws", "meet.jit.si", "jitsi", "8x8.vc", "bluejeans.com",
    "gotomeet.me", "gotomeeting.com", "meet.goto.com", "around.co", "meet.lync.com", "skype.com",
    "lifesize.com", "ringcentral.com", "dialpad.com", "livestorm.co",
)  # fmt: skip
_WRAPPER_PARAMS = (
    "url",
    "u",
    "q",
    "target",
    "redirect",
    "redirect_url",
    "link",
    "dest",
    "destination",
    "r",
)


def meeting_url(candidates: list[str]) -> str | None:
    """The first link that leads to a video meeting, unwrapped."""
    for raw in candidates:
        url = unwrap(raw)
        if is_meeting(url):
            return url
    return None


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def emails_in(text: str) -> list[str]:
    if "@" not in text:
        return []
    return [e.lower().rstrip(".") for e in _EMAIL.findall(text)]


def urls_in(text: str) -> list[str]:
    return [_trim(match.group(0)) for match in URL.finditer(text)]


def is_meeting(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    if not any(host == h or host.endswith("." + h) or h in host for h in _MEETING_HOSTS):
        return False
    path = parts.path.lower()
    if "zoom" in host:
        return bool(re.search(r"/(?:j|w|my|s|wc)/|/meeting", path))
    if "teams" in host:
        return "meetup-join" in path or "/meet/" in path or "/l/" in path
    if host == "meet.google.com":
        return len(path.strip("/")) >= 8
    if "webex" in host:
        return bool(path.strip("/"))
    return bool(path.strip("/"))


def unwrap(url: str, depth: int = 0) -> str:
    """The destination of a redirecting tracker link, as far as it can be read."""
    url = _trim(url)
    if depth > 3:
        return url
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


def _trim(url: str) -> str:
    url = url.strip().rstrip(".,;:!?>*")
    while url.endswith(")") and url.count("(") < url.count(")"):
        url = url[:-1]
    return url.replace("&amp;", "&")

"""Calendar sources: a local .ics file, an ICS URL (conditional GET), a CalDAV server (`caldav`).

Each reader returns a `CalendarRead`; an unchanged source costs one request (or one stat).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from xml.sax.saxutils import escape

import caldav
import icalendar
from caldav.lib import error as caldav_error

from daemon.calendars.items import CalendarRead, Window, one_line, unchanged_read
from daemon.calendars.occurrences import Expansion
from daemon.config import CaldavCalendar, CalendarSource, IcsFileCalendar, IcsUrlCalendar
from daemon.detect import ics
from daemon.errors import (
    AfterviewError,
    AuthenticationFailed,
    CertificateRejected,
    PermanentError,
    ServerUnavailable,
    network_reason,
)
from daemon.tls import client_context, describe_verification_error

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 30  # to connect, and between two reads of one reply
DOWNLOAD_SECONDS = 120  # for a whole ICS download, however slowly the server drips it
MAX_ICS_BYTES = 20 << 20
MULTIGET_BATCH = 100


def describe(source: CalendarSource) -> str:
    if isinstance(source, IcsFileCalendar):
        return f"ics_file {source.path}"
    return f"{source.type} {source.url}"


# -- ICS file -----------------------------------------------------------------------------------


def read_file(
    source: IcsFileCalendar, window: Window, old: dict[str, str], covered: bool
) -> CalendarRead:
    try:
        status = source.path.stat()
    except OSError as exc:
        raise PermanentError(f"cannot read {source.path}: {exc.strerror}") from None
    marks = {"mtime_ns": str(status.st_mtime_ns), "size": str(status.st_size)}
    if covered and all(old.get(key) == value for key, value in marks.items()):
        return unchanged_read(old)
    data = read_file_bytes(source)
    digest = hashlib.sha256(data).hexdigest()
    if covered and old.get("sha256") == digest:  # touched, not changed
        return unchanged_read({**old, **marks})
    expansion = Expansion(describe(source), window)
    expansion.add_source(data, str(source.path))
    return expansion.result({"window": window.key(), **marks, "sha256": digest})


def read_file_bytes(source: IcsFileCalendar) -> bytes:
    try:
        with source.path.open("rb") as handle:
            data = handle.read(MAX_ICS_BYTES + 1)
    except OSError as exc:
        raise PermanentError(f"cannot read {source.path}: {exc.strerror}") from None
    if len(data) > MAX_ICS_BYTES:
        raise PermanentError(f"{source.path} is larger than {MAX_ICS_BYTES >> 20} MiB")
    return data


# -- ICS URL ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reply:
    status: int  # 200, or 304 when the conditional GET found nothing new
    body: bytes
    etag: str
    last_modified: str


def read_url(
    source: IcsUrlCalendar, window: Window, old: dict[str, str], covered: bool
) -> CalendarRead:
    conditions = {}
    if covered and old.get("etag"):
        conditions["If-None-Match"] = old["etag"]
    if covered and old.get("last_modified"):
        conditions["If-Modified-Since"] = old["last_modified"]
    reply = get_url(source, conditions)
    marks = {"etag": reply.etag, "last_modified": reply.last_modified}
    if reply.status == 304:
        return unchanged_read({**old, **{key: value for key, value in marks.items() if value}})
    digest = hashlib.sha256(reply.body).hexdigest()
    if covered and old.get("sha256") == digest:
        return unchanged_read({**old, **marks})
    expansion = Expansion(describe(source), window)
    expansion.add_source(reply.body, "the calendar at this URL")
    return expansion.result({"window": window.key(), **marks, "sha256": digest})


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects, but the login goes only to the origin it was configured for."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and _origin(newurl) != _origin(req.full_url):
            new.remove_header("Authorization")
        return new


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urllib.parse.urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return parts.scheme.lower(), parts.hostname, parts.port or default


def get_url(source: IcsUrlCalendar, conditions: Mapping[str, str]) -> _Reply:
    """GET the calendar (conditionally when `conditions` are given); raise an AfterviewError."""
    headers = {"User-Agent": "afterview", "Accept-Encoding": "gzip", **conditions}
    request = urllib.request.Request(source.url, headers=headers)
    if source.username and source.secret:
        pair = f"{source.username}:{source.secret.reveal()}".encode()
        request.add_header("Authorization", "Basic " + base64.b64encode(pair).decode())
    context = client_context(source.ca_file, insecure=source.insecure)
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), _Redirects())
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as reply:
            body = _body(reply)
            etag, modified = reply.headers.get("ETag", ""), reply.headers.get("Last-Modified", "")
    except urllib.error.HTTPError as exc:
        exc.close()  # the error is also the reply, holding the connection
        if exc.code == 304:
            return _Reply(
                304, b"", exc.headers.get("ETag", ""), exc.headers.get("Last-Modified", "")
            )
        raise _http_status_error(exc.code, str(exc.reason), source.username) from None
    except AfterviewError:
        raise
    except Exception as exc:  # urllib, http.client and ssl raise from several trees
        raise _network_error(exc, source.url) from None
    return _Reply(200, body, etag, modified)


def _body(reply: Any) -> bytes:
    """The reply's body, un-gzipped, within the size cap and the download deadline."""
    inflate = (
        zlib.decompressobj(wbits=31)
        if reply.headers.get("Content-Encoding", "").lower() == "gzip"
        else None
    )
    deadline = time.monotonic() + DOWNLOAD_SECONDS
    chunks: list[bytes] = []
    size = 0
    while chunk := reply.read(1 << 16):
        if time.monotonic() > deadline:
            raise ServerUnavailable(f"the download took longer than {DOWNLOAD_SECONDS} s")
        if inflate is not None:
            try:
                chunk = inflate.decompress(chunk, MAX_ICS_BYTES + 1 - size)
            except zlib.error:
                raise ServerUnavailable("the server sent a damaged gzip body") from None
        size += len(chunk)
        if size > MAX_ICS_BYTES:
            raise PermanentError(f"the server sent more than {MAX_ICS_BYTES >> 20} MiB")
        chunks.append(chunk)
    return b"".join(chunks)


def _http_status_error(code: int, reason: str, username: str | None) -> AfterviewError:
    status = f"HTTP {code} {one_line(reason)}".rstrip()
    if code in (401, 403):
        if username:
            return AuthenticationFailed(f"{status}: the server refused the login for {username}")
        return AuthenticationFailed(f"{status}: the calendar needs a login (username, password)")
    if code in (404, 410):
        return PermanentError(f"{status}: no calendar at this URL")
    if code in (408, 425, 429) or code >= 500:
        return ServerUnavailable(status)
    return PermanentError(status)


def _network_error(exc: BaseException, url: str) -> AfterviewError:
    seen: BaseException | None = exc
    while seen is not None:
        reason = seen.reason if isinstance(seen, urllib.error.URLError) else seen
        if isinstance(reason, ssl.SSLCertVerificationError):
            host = urllib.parse.urlsplit(url).hostname or url
            return CertificateRejected(describe_verification_error(reason, host))
        seen = seen.__cause__ or seen.__context__
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException):
        exc = exc.reason
    return ServerUnavailable(one_line(network_reason(exc)))


def count_events(data: bytes, where: str) -> str:
    if ics.line_count(data) > ics.MAX_LINES:
        raise PermanentError(f"{where} has more than {ics.MAX_LINES} lines")
    try:
        calendars = icalendar.Calendar.from_ical(data, multiple=True)
    except Exception as exc:  # the parser raises a wide variety on hostile input
        raise PermanentError(f"{where} is not a valid iCalendar file: {exc}") from None
    events = sum(len(cal.walk("VEVENT")) for cal in calendars)
    return f"{events} events"


# -- CalDAV -------------------------------------------------------------------------------------

_CALDAV_NS = "urn:ietf:params:xml:ns:caldav"
_COLLECTION_PROPS = """<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"
            xmlns:CS="http://calendarserver.org/ns/">
  <D:prop><D:resourcetype/><CS:getctag/><D:sync-token/><C:supported-calendar-component-set/>
  </D:prop>
</D:propfind>"""
_ETAGS_IN_RANGE = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="{start}" end="{end}"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""
_MULTIGET = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  {hrefs}
</C:calendar-multiget>"""


def read_caldav(
    source: CaldavCalendar, window: Window, old: dict[str, str], covered: bool
) -> CalendarRead:
    # Ask the server for a day more on each side: it places floating times in its own zone.
    wide = Window(window.start - timedelta(days=1), window.end + timedelta(days=1))
    with _dav_session(source) as client:
        ctags = {f"ctag {url}": ctag for url, ctag in _collections(client, source.url).items()}
        old_ctags = {key: value for key, value in old.items() if key.startswith("ctag ")}
        if covered and ctags == old_ctags and all(ctags.values()):
            return unchanged_read(old)
        etags: dict[str, str] = {}
        for collection in ctags:
            etags.update(_etags_in_range(client, collection.removeprefix("ctag "), wide))
        old_etags = {k.removeprefix("etag "): v for k, v in old.items() if k.startswith("etag ")}
        if covered and old_etags:
            wanted = sorted(
                url for url, tag in etags.items() if not tag or old_etags.get(url) != tag
            )
            gone = sorted(set(old_etags) - set(etags))
            if not wanted and not gone:
                kept = {key: value for key, value in old.items() if not key.startswith("ctag ")}
                return unchanged_read({**kept, **ctags})
        else:
            wanted, gone = sorted(etags), []
        objects = _multiget(client, wanted)
    expansion = Expansion(describe(source), window)
    for url in wanted:
        if url in objects:
            expansion.add_object(objects[url], url)
        else:  # deleted between the listing and the fetch
            gone.append(url)
            del etags[url]
    validators = {"window": window.key(), **ctags}
    validators.update({f"etag {url}": tag for url, tag in etags.items()})
    partial = tuple(sorted({*wanted, *gone})) if covered and old_etags else None
    return expansion.result(validators, changed_hrefs=partial)


@contextlib.contextmanager
def _dav_session(source: CaldavCalendar) -> Iterator[Any]:
    """A caldav client whose failures come out as AfterviewErrors."""
    verify: bool | str = str(source.ca_file) if source.ca_file else not source.insecure
    dav_client: Any = caldav.DAVClient  # the library builds it in a way mypy cannot follow
    try:
        with dav_client(
            url=source.url,
            username=source.username,
            password=source.secret.reveal() if source.secret else None,
            ssl_verify_cert=verify,
            timeout=TIMEOUT_SECONDS,
            enable_rfc6764=False,
            rate_limit_handle=False,
        ) as client:
            yield client
    except AfterviewError:
        raise
    except caldav_error.AuthorizationError:
        who = source.username or "anonymous"
        raise AuthenticationFailed(f"the server refused the login for {who}") from None
    except caldav_error.NotFoundError:
        raise PermanentError("HTTP 404: no CalDAV collection at this URL") from None
    except caldav_error.RateLimitError:
        raise ServerUnavailable("the server asks to slow down (rate limited)") from None
    except caldav_error.DAVError as exc:
        raise ServerUnavailable(one_line(network_reason(exc))) from None
    except Exception as exc:  # the HTTP stack under caldav raises its own tree
        if _is_certificate_error(exc):
            raise CertificateRejected(
                "the server's TLS certificate is not trusted; set ca_file to its CA"
            ) from None
        raise ServerUnavailable(one_line(network_reason(exc))) from None


def _collections(client: Any, url: str) -> dict[str, str]:
    """The calendar collections at `url` (itself, or those of the logged-in user): URL -> ctag."""
    found = _propfind_calendars(client, url, depth=0)
    if found is None:
        home = str(client.get_principal().calendar_home_set.url)
        found = _propfind_calendars(client, home, depth=1) or {}
    return found


def _propfind_calendars(client: Any, url: str, depth: int) -> dict[str, str] | None:
    response = client.propfind(url, _COLLECTION_PROPS, depth)
    if response.status == 404:
        raise PermanentError("HTTP 404: no CalDAV collection at this URL")
    if response.status not in (200, 207):
        raise ServerUnavailable(f"HTTP {response.status} to PROPFIND")
    calendars = {}
    for result in response.results:
        props = result.properties
        kinds = props.get("{DAV:}resourcetype") or []
        components = props.get(f"{{{_CALDAV_NS}}}supported-calendar-component-set")
        if f"{{{_CALDAV_NS}}}calendar" not in kinds:
            continue
        if isinstance(components, list) and components and "VEVENT" not in components:
            continue
        tag = props.get("{http://calendarserver.org/ns/}getctag") or props.get("{DAV:}sync-token")
        calendars[urllib.parse.urljoin(url, result.href)] = str(tag or "")
    return calendars if calendars or depth else None


def _etags_in_range(client: Any, collection: str, window: Window) -> dict[str, str]:
    """Object URL -> etag of the events with an occurrence in the window (the server expands)."""
    stamp = "%Y%m%dT%H%M%SZ"
    query = _ETAGS_IN_RANGE.format(
        start=window.start.strftime(stamp), end=window.end.strftime(stamp)
    )
    response = client.report(collection, query, 1)
    if response.status not in (200, 207):
        raise ServerUnavailable(f"HTTP {response.status} to the calendar query")
    etags = {}
    for result in response.parse_calendar_query():
        url = urllib.parse.urljoin(collection, result.href)
        if result.status == 200 and url.rstrip("/") != collection.rstrip("/"):
            etags[url] = result.etag or ""
    return etags


def _multiget(client: Any, urls: list[str]) -> dict[str, bytes]:
    """The data of the objects at `urls`, in a few calendar-multiget REPORTs per collection."""
    by_collection: dict[str, list[str]] = {}
    for url in urls:
        by_collection.setdefault(url.rsplit("/", 1)[0] + "/", []).append(url)
    found = {}
    for collection, members in by_collection.items():
        for first in range(0, len(members), MULTIGET_BATCH):
            batch = members[first : first + MULTIGET_BATCH]
            paths = (urllib.parse.urlsplit(url).path for url in batch)
            hrefs = "\n  ".join(f"<D:href>{escape(path)}</D:href>" for path in paths)
            response = client.report(collection, _MULTIGET.format(hrefs=hrefs), None)
            if response.status not in (200, 207):
                raise ServerUnavailable(f"HTTP {response.status} to the calendar multiget")
            for result in response.parse_calendar_query():
                if result.status == 200 and result.calendar_data:
                    url = urllib.parse.urljoin(collection, result.href)
                    found[url] = result.calendar_data.encode()
    return found


def check_caldav(source: CaldavCalendar) -> str:
    with _dav_session(source) as client:
        calendars = client.get_principal().get_calendars()
        names = ", ".join(str(c.get_display_name() or c.url) for c in calendars[:5])
    return f"{len(calendars)} calendars" + (f" ({names})" if names else "")


def _is_certificate_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False

"""Calendar sources: a local .ics file, an ICS URL, or a CalDAV server (the `caldav` library)."""

from __future__ import annotations

import base64
import logging
import ssl
import urllib.error
import urllib.request
from typing import Any

import caldav
import icalendar
from caldav.lib import error as caldav_error

from daemon.config import CaldavCalendar, CalendarSource, IcsFileCalendar, IcsUrlCalendar
from daemon.errors import (
    AuthenticationFailed,
    CertificateRejected,
    PermanentError,
    ServerUnavailable,
    network_reason,
)
from daemon.tls import client_context, describe_verification_error

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 30
MAX_ICS_BYTES = 20 << 20


def describe(source: CalendarSource) -> str:
    if isinstance(source, IcsFileCalendar):
        return f"ics_file {source.path}"
    return f"{source.type} {source.url}"


def check(source: CalendarSource) -> str:
    """Reach the source once and say what is there; raise an AfterviewError otherwise."""
    if isinstance(source, IcsFileCalendar):
        return _count_events(_read_file(source), str(source.path))
    if isinstance(source, IcsUrlCalendar):
        return _count_events(_fetch_url(source), source.url)
    return _check_caldav(source)


def _read_file(source: IcsFileCalendar) -> bytes:
    try:
        with source.path.open("rb") as handle:
            data = handle.read(MAX_ICS_BYTES + 1)
    except OSError as exc:
        raise PermanentError(f"cannot read {source.path}: {exc.strerror}") from None
    if len(data) > MAX_ICS_BYTES:
        raise PermanentError(f"{source.path} is larger than {MAX_ICS_BYTES >> 20} MiB")
    return data


def _fetch_url(source: IcsUrlCalendar) -> bytes:
    request = urllib.request.Request(source.url, headers={"User-Agent": "afterview"})
    if source.username and source.secret:
        pair = f"{source.username}:{source.secret.reveal()}".encode()
        request.add_header("Authorization", "Basic " + base64.b64encode(pair).decode())
    context = client_context(source.ca_file, insecure=source.insecure)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS, context=context) as reply:
            data: bytes = reply.read(MAX_ICS_BYTES + 1)
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            raise AuthenticationFailed(f"HTTP {exc.code} {exc.reason}") from None
        raise ServerUnavailable(f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, ssl.SSLCertVerificationError):
            message = describe_verification_error(exc.reason, source.url)
            raise CertificateRejected(message) from None
        raise ServerUnavailable(network_reason(exc)) from None
    except (OSError, ValueError) as exc:
        raise ServerUnavailable(network_reason(exc)) from None
    if len(data) > MAX_ICS_BYTES:
        raise PermanentError(f"the server sent more than {MAX_ICS_BYTES >> 20} MiB")
    return data


def _count_events(data: bytes, where: str) -> str:
    try:
        calendars = icalendar.Calendar.from_ical(data, multiple=True)
    except (ValueError, IndexError, KeyError) as exc:
        raise PermanentError(f"{where} is not a valid iCalendar file: {exc}") from None
    events = sum(len(cal.walk("VEVENT")) for cal in calendars)
    return f"{events} events"


def _check_caldav(source: CaldavCalendar) -> str:
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
        ) as client:
            calendars = client.principal().calendars()
    except caldav_error.AuthorizationError:
        who = source.username or "anonymous"
        raise AuthenticationFailed(f"the server refused the login for {who}") from None
    except caldav_error.DAVError as exc:
        raise ServerUnavailable(network_reason(exc)) from None
    except Exception as exc:  # the HTTP stack under caldav raises its own tree
        if _is_certificate_error(exc):
            raise CertificateRejected(
                "the server's TLS certificate is not trusted; set ca_file to its CA"
            ) from None
        raise ServerUnavailable(network_reason(exc)) from None
    names = ", ".join(str(c.get_display_name() or c.url) for c in calendars[:5])
    return f"{len(calendars)} calendars" + (f" ({names})" if names else "")


def _is_certificate_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False

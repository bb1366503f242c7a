"""Calendar sources against real servers: Radicale for CalDAV, a local HTTP(S) server for ICS."""

from __future__ import annotations

import base64
import gzip
import http.server
import itertools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import icalendar
import pytest
from caldav.davclient import DAVClient

from daemon import calendars
from daemon.calendars import CalendarRead
from daemon.config import CaldavCalendar, CalendarSource, IcsUrlCalendar
from daemon.credentials import Secret
from daemon.errors import (
    AuthenticationFailed,
    CertificateRejected,
    PermanentError,
    ServerUnavailable,
)
from tests.harness import CertBundle, RadicaleServer

pytestmark = pytest.mark.integration

MARCH = datetime(2026, 3, 1, tzinfo=UTC)
JUNE = datetime(2026, 6, 1, tzinfo=UTC)
CALENDAR_NAMES = itertools.count(1)


def vcalendar(*events: str) -> str:
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//afterview//tests//EN\r\n"
    return head + "".join(events) + "END:VCALENDAR\r\n"


def vevent(uid: str, start: str, *lines: str) -> str:
    body = "".join(f"{line}\r\n" for line in lines)
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260201T090000Z\r\nDTSTART:{start}\r\n"
        f"DURATION:PT1H\r\n{body}END:VEVENT\r\n"
    )


def read(source: CalendarSource, validators: dict[str, str] | None = None) -> CalendarRead:
    return calendars.read(source, window_start=MARCH, window_end=JUNE, validators=validators)


def starts(result: CalendarRead) -> list[tuple[str, datetime]]:
    found = []
    for item in result.items:
        [vevent] = icalendar.Calendar.from_ical(item.data).walk("VEVENT")
        found.append((item.uid, vevent.decoded("DTSTART")))
    return found


# -- CalDAV (Radicale) --------------------------------------------------------------------------


@dataclass
class DavCalendar:
    """A calendar collection of its own in the session's Radicale, and a client to fill it."""

    client: DAVClient
    url: str

    def put(self, name: str, data: str) -> str:
        url = f"{self.url}{name}.ics"
        response = self.client.put(url, data, {"Content-Type": "text/calendar; charset=utf-8"})
        assert response.status in (201, 204), response.status
        return url

    def delete(self, url: str) -> None:
        assert self.client.delete(url).status in (200, 204)


@pytest.fixture
def dav_calendar(radicale: RadicaleServer) -> Iterator[DavCalendar]:
    with DAVClient(
        url=radicale.base_url, username=radicale.username, password=radicale.password
    ) as client:
        name = f"cal{next(CALENDAR_NAMES)}"
        made = client.principal().make_calendar(name=name, cal_id=name)
        yield DavCalendar(client, str(made.url))


def caldav_source(radicale: RadicaleServer, url: str, password: str = "") -> CaldavCalendar:
    secret = Secret("test", password or radicale.password)
    return CaldavCalendar(
        url=url, username=radicale.username, secret=secret, ca_file=None, insecure=False
    )


def test_caldav_reads_the_window_then_only_what_changed(
    radicale: RadicaleServer, dav_calendar: DavCalendar
) -> None:
    interview = dav_calendar.put(
        "interview",
        vcalendar(vevent("interview@acme.test", "20260310T140000Z", "SUMMARY:Interview, Acme")),
    )
    weekly = dav_calendar.put(
        "weekly",  # began long before the window: the server's time-range search must expand it
        vcalendar(vevent("weekly@acme.test", "20250106T090000Z", "RRULE:FREQ=WEEKLY;BYDAY=MO")),
    )
    dav_calendar.put("old", vcalendar(vevent("old@acme.test", "20250110T090000Z")))
    source = caldav_source(radicale, dav_calendar.url)

    first = read(source)
    assert first.changed_hrefs is None and first.problems == ()
    assert {item.href for item in first.items} == {interview, weekly}
    assert starts(first)[0] == ("interview@acme.test", datetime(2026, 3, 10, 14, tzinfo=UTC))
    mondays = [item for item in first.items if item.uid == "weekly@acme.test"]
    assert len(mondays) == 13 and mondays[0].recurrence_id == "2026-03-02T09:00:00Z"
    assert set(first.validators) == {
        "window",
        f"ctag {dav_calendar.url}",
        f"etag {interview}",
        f"etag {weekly}",
    }

    again = read(source, dict(first.validators))
    assert again.unchanged and again.items == () and again.validators == first.validators

    dav_calendar.put(
        "interview",
        vcalendar(vevent("interview@acme.test", "20260311T150000Z", "SEQUENCE:1")),
    )
    moved = read(source, dict(again.validators))
    assert not moved.unchanged and moved.changed_hrefs == (interview,)
    assert starts(moved) == [("interview@acme.test", datetime(2026, 3, 11, 15, tzinfo=UTC))]
    assert moved.items[0].sequence == 1

    dav_calendar.delete(weekly)
    deleted = read(source, dict(moved.validators))
    assert deleted.changed_hrefs == (weekly,) and deleted.items == ()
    assert f"etag {weekly}" not in deleted.validators


def test_caldav_change_outside_the_window_leaves_it_unchanged(
    radicale: RadicaleServer, dav_calendar: DavCalendar
) -> None:
    dav_calendar.put("a", vcalendar(vevent("a@acme.test", "20260402T100000Z")))
    source = caldav_source(radicale, dav_calendar.url)
    first = read(source)

    dav_calendar.put("far", vcalendar(vevent("far@acme.test", "20270402T100000Z")))
    later = read(source, dict(first.validators))
    # The collection changed (a new ctag) but no object in the window did (same etags).
    assert later.unchanged and later.items == ()
    ctag = f"ctag {dav_calendar.url}"
    assert later.validators[ctag] != first.validators[ctag]
    assert read(source, dict(later.validators)).unchanged


def test_caldav_server_url_reads_every_calendar_of_the_user(
    radicale: RadicaleServer, dav_calendar: DavCalendar
) -> None:
    href = dav_calendar.put("b", vcalendar(vevent("b@acme.test", "20260402T100000Z")))
    source = caldav_source(radicale, radicale.base_url)

    found = read(source)
    assert href in {item.href for item in found.items}
    assert f"ctag {dav_calendar.url}" in found.validators
    assert f"ctag {radicale.calendar_url}" in found.validators
    assert read(source, dict(found.validators)).unchanged


def test_caldav_wrong_password_is_refused_without_the_secret(
    radicale: RadicaleServer, dav_calendar: DavCalendar
) -> None:
    wrong = "not-the-Calendar-9"
    with pytest.raises(AuthenticationFailed) as refused:
        read(caldav_source(radicale, dav_calendar.url, password=wrong))
    assert "refused the login for alice" in str(refused.value)
    assert wrong not in str(refused.value)


# -- ICS URL (a local HTTP server) --------------------------------------------------------------


@dataclass
class Served:
    """What the test server answers, and the request headers it saw."""

    body: bytes
    etag: str | None = '"v1"'
    last_modified: str | None = "Wed, 01 Apr 2026 10:00:00 GMT"
    login: tuple[str, str] | None = None
    redirect_to: str | None = None
    status: int = 200
    gzip: bool = False
    seen: list[dict[str, str]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)


class IcsHandler(http.server.BaseHTTPRequestHandler):
    served: Served

    def do_GET(self) -> None:
        served = self.served
        served.seen.append(dict(self.headers.items()))
        if served.redirect_to:
            self.answer(302, {"Location": served.redirect_to})
        elif served.login and self.headers.get("Authorization") != basic(*served.login):
            self.answer(401, {"WWW-Authenticate": 'Basic realm="calendar"'})
        elif served.status != 200:
            self.answer(served.status, {})
        elif (served.etag and self.headers.get("If-None-Match") == served.etag) or (
            served.last_modified
            and "If-None-Match" not in self.headers
            and self.headers.get("If-Modified-Since") == served.last_modified
        ):
            self.answer(304, {})
        else:
            headers = {"Content-Type": "text/calendar; charset=utf-8"}
            headers |= {"ETag": served.etag} if served.etag else {}
            headers |= {"Last-Modified": served.last_modified} if served.last_modified else {}
            body = served.body
            if served.gzip and "gzip" in self.headers.get("Accept-Encoding", ""):
                body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
            self.answer(200, headers, body)

    def answer(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
        self.served.answers.append(status)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@dataclass
class IcsServer:
    served: Served
    url: str


Serve = Callable[..., IcsServer]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start servers on 127.0.0.1, port 0: serve(Served(...), tls=None) -> IcsServer."""
    running: list[tuple[http.server.ThreadingHTTPServer, threading.Thread]] = []

    def start(served: Served, tls: CertBundle | None = None) -> IcsServer:
        handler = type("Handler", (IcsHandler,), {"served": served})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        if tls is not None:
            server.socket = tls.server_context().wrap_socket(server.socket, server_side=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        running.append((server, thread))
        scheme = "https" if tls else "http"
        return IcsServer(served, f"{scheme}://localhost:{server.server_port}/work/calendar.ics")

    yield start
    for server, thread in running:
        server.shutdown()
        server.server_close()
        thread.join()


def url_source(
    url: str, login: tuple[str, str] | None = None, ca_file: Path | None = None
) -> IcsUrlCalendar:
    return IcsUrlCalendar(
        url=url,
        username=login[0] if login else None,
        secret=Secret("test", login[1]) if login else None,
        ca_file=ca_file,
        insecure=False,
    )


ONE_EVENT = vcalendar(vevent("call@acme.test", "20260402T100000Z", "SUMMARY:Phone screen")).encode()


def test_ics_url_conditional_get_with_etag(serve: Serve) -> None:
    server = serve(Served(ONE_EVENT))
    source = url_source(server.url)

    first = read(source)
    assert [item.uid for item in first.items] == ["call@acme.test"]
    assert first.validators["etag"] == '"v1"'
    assert first.validators["last_modified"] == "Wed, 01 Apr 2026 10:00:00 GMT"

    again = read(source, dict(first.validators))
    assert again.unchanged and again.items == ()
    assert server.served.seen[-1]["If-None-Match"] == '"v1"'
    assert server.served.answers == [200, 304]

    server.served.body = vcalendar(
        vevent("call@acme.test", "20260403T100000Z", "SEQUENCE:1")
    ).encode()
    server.served.etag = '"v2"'
    changed = read(source, dict(again.validators))
    assert starts(changed) == [("call@acme.test", datetime(2026, 4, 3, 10, tzinfo=UTC))]
    assert changed.validators["etag"] == '"v2"'


def test_ics_url_conditional_get_with_last_modified_only(serve: Serve) -> None:
    server = serve(Served(ONE_EVENT, etag=None, gzip=True))
    source = url_source(server.url)

    first = read(source)
    assert len(first.items) == 1 and first.validators["etag"] == ""
    again = read(source, dict(first.validators))
    assert again.unchanged
    assert server.served.seen[-1]["If-Modified-Since"] == "Wed, 01 Apr 2026 10:00:00 GMT"
    assert server.served.answers == [200, 304]


def test_ics_url_same_body_without_validators_is_unchanged(serve: Serve) -> None:
    server = serve(Served(ONE_EVENT, etag=None, last_modified=None))
    source = url_source(server.url)
    first = read(source)
    assert read(source, dict(first.validators)).unchanged
    assert server.served.answers == [200, 200]


def test_ics_url_login(serve: Serve) -> None:
    server = serve(Served(ONE_EVENT, login=("alice", "alice-Calendar-1")))

    with pytest.raises(AuthenticationFailed, match="needs a login"):
        read(url_source(server.url))
    with pytest.raises(AuthenticationFailed, match="refused the login for alice") as refused:
        read(url_source(server.url, login=("alice", "not-the-Password-9")))
    assert "HTTP 401" in str(refused.value)
    assert "not-the-Password-9" not in str(refused.value)
    assert len(read(url_source(server.url, login=("alice", "alice-Calendar-1"))).items) == 1


def test_ics_url_login_is_not_sent_to_another_origin(serve: Serve) -> None:
    elsewhere = serve(Served(ONE_EVENT))
    server = serve(Served(ONE_EVENT, redirect_to=elsewhere.url))

    found = read(url_source(server.url, login=("alice", "alice-Calendar-1")))
    assert len(found.items) == 1
    assert "Authorization" in server.served.seen[0]
    assert "Authorization" not in elsewhere.served.seen[0]


def test_ics_url_untrusted_certificate_is_rejected(serve: Serve, tls_certs: CertBundle) -> None:
    server = serve(Served(ONE_EVENT), tls=tls_certs)

    with pytest.raises(CertificateRejected, match="certificate of localhost is not trusted"):
        read(url_source(server.url))
    assert len(read(url_source(server.url, ca_file=tls_certs.ca_pem)).items) == 1


def test_ics_url_errors_say_what_happened(serve: Serve) -> None:
    missing = serve(Served(ONE_EVENT, status=404))
    with pytest.raises(PermanentError, match="HTTP 404 Not Found: no calendar at this URL"):
        read(url_source(missing.url))
    busy = serve(Served(ONE_EVENT, status=503))
    with pytest.raises(ServerUnavailable, match="HTTP 503"):
        read(url_source(busy.url))
    page = serve(Served(b"<html><body>Sign in</body></html>"))
    with pytest.raises(PermanentError, match="is not an iCalendar file"):
        read(url_source(page.url))
    with pytest.raises(ServerUnavailable, match="connection refused"):
        read(url_source("http://127.0.0.1:9/nothing.ics"))  # the discard port: nobody listens

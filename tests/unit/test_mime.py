"""Reading mail as it comes: raw 8-bit headers, encoded words, lying charsets, HTML only."""

from __future__ import annotations

from daemon.detect.mime import (
    MAX_CALENDAR_BYTES,
    MAX_DECODED_CHARS,
    decode_words,
    html_to_text,
    parse,
)


def test_raw_latin1_header_bytes_are_read_as_text() -> None:
    raw = (
        b"From: =?utf-8?q?Dana_L=C3=A9e?= <dana@example.com>\r\n"
        b"To: \xc9milie <emilie@example.com>\r\n"
        b"Subject: premier \xe9change\r\n\r\nbody\r\n"
    )
    mail = parse(raw)
    assert mail.subject == "premier échange"
    assert (mail.sender_name, mail.sender) == ("Dana Lée", "dana@example.com")
    assert mail.to == [("Émilie", "emilie@example.com")]


def test_encoded_display_name_with_a_comma_stays_one_address() -> None:
    raw = b"From: =?utf-8?q?Lee=2C_Dana?= <dana@example.com>\r\nSubject: x\r\n\r\nbody\r\n"
    mail = parse(raw)
    assert (mail.sender_name, mail.sender) == ("Lee, Dana", "dana@example.com")


def test_body_declared_utf8_but_latin1_falls_back() -> None:
    raw = (
        b"Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Entretien le 3 d\xe9cembre\r\n"
    )
    assert "décembre" in parse(raw).text


def test_html_only_mail_becomes_text_and_keeps_its_links() -> None:
    raw = (
        b"Subject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><body><p>Your <b>interview</b> is on Tuesday.</p>"
        b"<a href='https://zoom.us/j/123'>Join</a></body></html>\r\n"
    )
    mail = parse(raw)
    assert "Your interview is on Tuesday." in " ".join(mail.text.split())
    assert mail.links == ["https://zoom.us/j/123"]


def test_html_is_converted_only_as_far_as_it_is_read() -> None:
    row = "<tr><td style='padding:8px'>Dana&nbsp;Lee &amp; Sam</td><td>3:00&nbsp;PM</td></tr>"
    html = "<html><body><table>" + row * 400 + "</table><p>the end</p></body></html>"
    full = html_to_text(html)
    for budget in (100, 2_000, 6_000):
        assert html_to_text(html, budget)[:budget] == full[:budget]
    raw = b"Subject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html.encode()
    mail = parse(raw, text_budget=2_000)
    assert mail.text == full[:2_000] and mail.text_cut


def test_a_latin1_label_on_windows_1252_bytes_reads_its_dashes_and_quotes() -> None:
    raw = (
        b"Subject: =?iso-8859-1?q?Entrevista_del_martes_=96_cancelada?=\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\n\r\n"
        b"La entrevista \x93presencial\x94 del martes queda cancelada \x96 lo siento.\r\n"
    )
    mail = parse(raw)
    assert mail.subject == "Entrevista del martes \u2013 cancelada"
    assert "“presencial”" in mail.text and "cancelada \u2013 lo" in mail.text


def test_utf8_bytes_under_a_latin1_label_stay_utf8() -> None:
    raw = (
        b"Subject: x\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n"
        b"Vorstellungsgespr\xc3\xa4ch am Dienstag\r\n"
    )
    assert "Vorstellungsgespräch" in parse(raw).text


def test_a_header_of_a_hundred_thousand_encoded_words_is_decoded_only_so_far() -> None:
    # The standard library's decode_header is quadratic in them: half a minute for these.
    decoded = decode_words("=?utf-8?Q?interview?= " * 100_000)
    assert decoded.startswith("interview") and len(decoded) <= MAX_DECODED_CHARS


def test_a_cc_of_nested_comments_costs_the_cc_alone() -> None:
    raw = (
        b"From: Dana Lee <dana@lumen.example>\r\nCc: "
        + b"(" * 5000
        + b"\r\nSubject: Interview\r\n\r\n"
        b"Your interview is on Thursday, December 3 at 3pm ET.\r\n"
    )
    parsed = parse(raw)
    assert parsed.sender == "dana@lumen.example" and parsed.cc == []


def test_a_calendar_bigger_than_an_invitation_is_not_read_from_a_mail() -> None:
    event = b"BEGIN:VEVENT\r\nUID:x\r\nSUMMARY:Interview\r\nEND:VEVENT\r\n"
    calendar = b"BEGIN:VCALENDAR\r\n" + event * (MAX_CALENDAR_BYTES // len(event) + 1)
    calendar += b"END:VCALENDAR\r\n"
    raw = b"Subject: Interview\r\nContent-Type: text/calendar\r\n\r\n"
    assert parse(raw + calendar[: MAX_CALENDAR_BYTES - 100] + b"END:VCALENDAR\r\n").calendars
    assert parse(raw + calendar).calendars == []

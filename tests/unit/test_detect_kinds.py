"""What a mail does with an interview: which time a move leaves and which it goes to, a choice
of slots, a cancellation that promises new proposals, and interviews that are no hiring."""

from __future__ import annotations

import pytest

from daemon.detect import classify_email

US = "Wed, 25 Nov 2026 10:00:00 -0500"
EU = "Wed, 25 Nov 2026 10:00:00 +0100"


def mail(
    body: str,
    *,
    subject: str,
    sender: str = "Maya Chen <maya.chen@acme.example>",
    date: str = US,
    parts: str = "",
) -> bytes:
    head = (
        f"From: {sender}\r\nTo: Jordan Avery <jordan.avery@mailbox.example>\r\n"
        f"Subject: {subject}\r\nDate: {date}\r\n"
    )
    if not parts:
        return (head + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body).encode()
    return (
        head + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        + body
        + "\r\n--b\r\n"
        + parts
        + "--b--\r\n"
    ).encode()


# A move names the old time and the new one: labels, "instead of", verbs of moving.
@pytest.mark.parametrize(
    ("body", "date", "start"),
    [
        (
            "Your technical interview for the Data Analyst role has been rescheduled.\n\n"
            "Previous time:      Monday, November 30, 2026, 2:00 PM ET\n"
            "New time:           Wednesday, December 2, 2026, 11:00 AM ET\n",
            US,
            "2026-12-02T11:00:00-05:00",
        ),
        (
            "wir müssen Ihr Vorstellungsgespräch als Data Analyst (m/w/d) verschieben.\n\n"
            "Bisheriger Termin: Montag, 30. November 2026, 14:00 Uhr\n"
            "Neuer Termin:      Mittwoch, 2. Dezember 2026, 11:00 Uhr\n",
            EU,
            "2026-12-02T11:00:00+01:00",
        ),
        (
            "Je dois reporter notre entretien du lundi 30 novembre à 14 h pour le poste "
            "d'analyste : un imprévu.\nJe l'ai décalé au mercredi 2 décembre à 11 h, même lien.\n",
            EU,
            "2026-12-02T11:00:00+01:00",
        ),
        (
            "Hemos reprogramado tu entrevista para el puesto de Analista de Datos.\n\n"
            "Fecha anterior: lunes 30/11/2026 a las 14:00\n"
            "Nueva fecha: miércoles 02/12/2026 a las 11:00\n",
            EU,
            "2026-12-02T11:00:00+01:00",
        ),
    ],
)
def test_a_move_carries_the_new_time(body: str, date: str, start: str) -> None:
    result = classify_email(mail(body, subject="Interview moved", date=date))
    assert result.kind.value == "rescheduled"
    assert result.start is not None and result.start.isoformat() == start


def test_a_time_that_holds_old_letters_is_not_old() -> None:
    """ "hold" is no "old", "alternative" no "alte": the words count whole."""
    body = (
        "We need to reschedule your interview for the Data Analyst role from Tuesday, "
        "December 1 at 10:00 AM ET.\nI put a calendar hold on Thursday, December 3 at 2:00 PM "
        "ET instead.\n"
    )
    result = classify_email(mail(body, subject="Interview rescheduled"))
    assert result.kind.value == "rescheduled"
    assert result.start is not None and result.start.isoformat() == "2026-12-03T14:00:00-05:00"


@pytest.mark.parametrize(
    "ask",
    [
        "Let me know which works and I'll send the calendar invite.",
        "Let me know which you prefer and I'll send a calendar invite.",
        "Would either of these work? I'll send the calendar invite once you reply.",
    ],
)
def test_two_slots_to_choose_from_are_an_invitation(ask: str) -> None:
    body = (
        "Hi Jordan,\n\nNext is a 60-minute panel for the Data Analyst role. Options:\n\n"
        "  - Mon 11/30, 2:00-3:00 PM ET\n  - Wed 12/2, 11:00 AM-12:00 PM ET\n\n" + ask + "\n"
    )
    result = classify_email(mail(body, subject="Re: Next steps"))
    assert result.kind.value == "invitation"
    assert result.start is None


def test_a_cancellation_promising_new_proposals_is_no_move() -> None:
    body = (
        "Hallo Herr Avery,\n\nleider muss ich unser Gespräch von morgen, 14 Uhr, absagen. Ich "
        "melde mich nächste Woche mit neuen Terminvorschlägen.\n\nViele Grüße\nMaya Chen\n"
    )
    result = classify_email(
        mail(body, subject="Absage: Zweitgespräch morgen, 14 Uhr \u2013 Controller", date=EU)
    )
    assert result.kind.value == "cancelled"
    assert result.start is not None and result.start.isoformat() == "2026-11-26T14:00:00+01:00"


@pytest.mark.parametrize("word", ["Zweitgespräch", "Auswahlgespräch", "Abschlussgespräch"])
def test_german_rounds_of_a_hiring_process_are_interviews(word: str) -> None:
    body = (
        f"Sehr geehrter Herr Avery,\n\nwir laden Sie zum {word} für die Stelle als Controller "
        "(m/w/d) am Dienstag, 8. Dezember 2026 um 10:00 Uhr ein.\n"
    )
    result = classify_email(mail(body, subject=f"Einladung {word}", date=EU))
    assert result.kind.value == "scheduled"


WEBINAR_ICS = (
    "Content-Type: text/calendar; method=PUBLISH; charset=utf-8\r\n\r\n"
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nMETHOD:PUBLISH\r\nBEGIN:VEVENT\r\n"
    "UID:w-1@events.example\r\nSUMMARY:Ace the Case Interview\r\n"
    "DTSTART:20261210T180000Z\r\nDTEND:20261210T190000Z\r\n"
    "DESCRIPTION:Thanks for registering! Webinar ID: 812 3344 5566\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def test_a_webinar_registration_with_a_calendar_is_no_interview() -> None:
    body = (
        'Hi Jordan,\n\nThank you for registering for "Ace the Case Interview".\n'
        "Date Time: Dec 10, 2026 01:00 PM Eastern Time\nJoin: https://zoom.us/w/81233445566\n"
        "You can cancel your registration at any time.\n"
    )
    raw = mail(
        body,
        subject="Confirmation: Ace the Case Interview",
        sender="Career Club <no-reply@events.example>",
        parts=WEBINAR_ICS,
    )
    assert classify_email(raw).kind.value == "none"


@pytest.mark.parametrize(
    ("body", "date"),
    [
        (
            "Dear Applicant,\n\nYour naturalization interview is scheduled for Tuesday, "
            "December 8, 2026 at 9:15 AM at the Field Office, 10 Main St.\n",
            US,
        ),
        (
            "Your enrollment interview has been scheduled.\n\nEnrollment Center: Terminal B\n"
            "Date: Tuesday, December 8, 2026\nTime: 9:15 AM\n",
            US,
        ),
        (
            "Bonjour,\n\nJe suis journaliste à Radio Cité et je prépare une émission sur l'emploi. "
            "Accepteriez-vous un entretien en direct le jeudi 10 décembre à 8 h 30 ?\n",
            EU,
        ),
        (
            "Hallo Herr Avery,\n\nich bin Redakteurin beim Stadtmagazin und würde gern ein "
            "Interview mit Ihnen führen, am Donnerstag, 10. Dezember um 11 Uhr?\n",
            EU,
        ),
        (
            "Hola Jordan:\n\nSoy periodista de Radio Norte y nos gustaría hacerte una entrevista "
            "en vivo el jueves 10/12 a las 9:00.\n",
            EU,
        ),
    ],
)
def test_interviews_a_state_or_the_press_holds_are_no_hiring(body: str, date: str) -> None:
    result = classify_email(mail(body, subject="Your interview", date=date))
    assert result.kind.value == "none"


def test_when_something_was_done_is_no_slot() -> None:
    body = (
        "Hi Jordan,\n\nYour assessment for the Data Analyst role was submitted.\n\n"
        "  Submitted at: Nov 25, 2026 9:40 EST\n  Time taken:   1h 52m of 2h 00m\n\n"
        "The hiring team will contact you about next steps.\n"
    )
    raw = mail(body, subject="Assessment submitted", sender="Testly <no-reply@testly.example>")
    assert classify_email(raw).kind.value == "none"


def test_hours_and_minutes_of_a_length_are_no_clock_time() -> None:
    from daemon.detect.when import find_times

    assert find_times("Time taken: 2h 41m of 3h 00 min") == []
    assert [t.start_time.isoformat() for t in find_times("à 14h30 précises")] == ["14:30:00"]


@pytest.mark.parametrize(
    "text",
    [
        "Interview with Ana Gil, CEO of Nube Norte: how we hire. Our meetup is on Thursday, "
        "December 10 at 7pm.",
        "Entrevista a Ana Gil, directora general de Nube Norte. Encuentro el jueves 10 de "
        "diciembre a las 19:00.",
        "Atelier en ligne : réussir son entretien, le jeudi 10 décembre à 12 h 30.",
    ],
)
def test_articles_and_workshops_about_interviews_are_no_interview(text: str) -> None:
    raw = mail(text + "\n", subject="This week", sender="News <news@digest.example>", date=EU)
    assert classify_email(raw).kind.value == "none"


def test_a_confirmed_slot_from_an_ats_with_list_headers_is_no_newsletter() -> None:
    body = (
        "Hi Jordan,\n\nYour technical interview for the Data Analyst role is confirmed.\n\n"
        "Date: Tuesday, December 8, 2026\nTime: 2:00 PM - 3:00 PM ET\n\n"
        "Tips: bring a notebook.\n"
    )
    raw = mail(
        body,
        subject="Confirmed: Technical interview",
        sender="Acme Talent <talent@acme.example>",
    ).replace(b"Subject:", b"List-Unsubscribe: <https://acme.example/u>\r\nSubject:")
    result = classify_email(raw)
    assert result.kind.value == "scheduled"
    assert result.start is not None and result.start.isoformat() == "2026-12-08T14:00:00-05:00"


@pytest.mark.parametrize(
    "move",
    [
        "la entrevista la pasamos al jueves 3 de diciembre a las 10:00",
        "te cambio la entrevista al jueves 3 de diciembre a las 10:00",
    ],
)
def test_spanish_verbs_of_moving_an_interview(move: str) -> None:
    body = f"Hola Jordan:\n\nA Marta le surgió un viaje, así que {move}.\n\nSaludos\n"
    result = classify_email(mail(body, subject="Re: Entrevista Analista", date=EU))
    assert result.kind.value == "rescheduled"
    assert result.start is not None and result.start.isoformat() == "2026-12-03T10:00:00+01:00"


def test_choosing_a_date_in_spanish_is_an_invitation() -> None:
    body = (
        "Hola Jordan:\n\nGracias por tu interés en la posición de Analista. Accede a tu cuenta "
        "para seleccionar la fecha y hora de tu entrevista.\n"
    )
    raw = mail(body, subject="Programa tu entrevista", sender="Acme <acme@myworkday.example>")
    assert classify_email(raw).kind.value == "invitation"

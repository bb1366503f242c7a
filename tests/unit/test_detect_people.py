"""Who the candidate will meet: names matched to addresses by name tokens, never the
candidate, a robot, a team mailbox, a coordinator, a declined or non-participating attendee."""

from __future__ import annotations

import pytest

from daemon.detect import classify_calendar, classify_email, ics, people
from daemon.model import Person

CALENDAR = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:{method}\r\nBEGIN:VEVENT\r\n"
    "UID:interview-1@acme.example\r\nSUMMARY:Interview: Data Analyst\r\n"
    "DTSTART:20261208T190000Z\r\nDTEND:20261208T194500Z\r\n{people}END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def calendar(people_lines: str, method: str = "REQUEST") -> bytes:
    return CALENDAR.format(method=method, people=people_lines).encode()


def mail(
    body: str, *, to: str = "Jordan Avery <jordan.avery@mailbox.example>", **extra: str
) -> bytes:
    sender = extra.get("sender", "Maya Chen <maya.chen@acme.example>")
    subject = extra.get("subject", "Interview confirmation")
    cc = f"Cc: {extra['cc']}\r\n" if "cc" in extra else ""
    return (
        f"From: {sender}\r\nTo: {to}\r\n{cc}Subject: {subject}\r\n"
        "Date: Wed, 25 Nov 2026 10:00:00 -0500\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body
    ).encode()


def emails(result: object) -> list[str | None]:
    return [p.email for p in result.interviewers]  # type: ignore[attr-defined]


def names(result: object) -> list[str | None]:
    return [p.name for p in result.interviewers]  # type: ignore[attr-defined]


# Item 5: names meet addresses by their tokens, not by substrings.
@pytest.mark.parametrize(
    ("name", "addresses", "expected"),
    [
        ("Ann Lee", ["joanna.leeson@acme.example", "ann.lee@acme.example"], "ann.lee@acme.example"),
        ("Ann Lee", ["joanna.leeson@acme.example"], None),
        ("Dana Lee", ["dlee@acme.example"], "dlee@acme.example"),
        ("Dana Lee", ["lee.dana@acme.example"], "lee.dana@acme.example"),
        ("Dana Lee", ["danalee@acme.example"], "danalee@acme.example"),
        ("Dana Lee", ["d.lee@acme.example"], "d.lee@acme.example"),
        ("Émilie Müller", ["emilie.mueller@acme.example"], "emilie.mueller@acme.example"),
        ("Li Na", ["lina.ortiz@acme.example"], None),
    ],
)
def test_address_for_a_name_by_tokens(
    name: str, addresses: list[str], expected: str | None
) -> None:
    assert people.address_for(name, addresses) == expected


# Item 6: robots, rooms and team mailboxes.
@pytest.mark.parametrize(
    "address",
    [
        "no_reply@acme.example", "acme-noreply@acme.example", "noreply+x123@acme.example",
        "donotreply@acme.example", "recruiting@acme.example", "recruiter@acme.example",
        "talent@acme.example", "hiring@acme.example", "jobs@acme.example",
        "careers@acme.example", "calendar-notification@google.com",
        "c_1888abcd@resource.calendar.google.com", "acme.com_9f8e@group.calendar.google.com",
        "room-berlin-3.01@acme.example", "confroom.sf@acme.example",
    ],
)  # fmt: skip
def test_machines_rooms_and_team_mailboxes(address: str) -> None:
    assert people.is_robot(address)


@pytest.mark.parametrize("address", ["dana.lee@acme.example", "roomba.lee@acme.example"])
def test_people_are_not_robots(address: str) -> None:
    assert not people.is_robot(address)


def test_a_team_mailbox_with_a_name_is_no_interviewer() -> None:
    found = people.from_attendees(
        [ics.Attendee(Person("Paola Vargas", "rrhh@acme.example"))], None, set()
    )
    assert found == []


def test_the_candidate_is_no_interviewer_when_to_has_no_display_name() -> None:
    body = (
        "Hi Jordan,\n\nConfirming the interview between Jordan Avery and Dana Lee for the Data "
        "Analyst role on Tuesday, December 8 at 2pm ET.\n"
    )
    result = classify_email(mail(body, to="jordan.avery@mailbox.example"))
    assert names(result) == ["Dana Lee"]


def test_robot_organizer_leaves_the_candidate_out() -> None:
    lines = (
        "ORGANIZER;CN=Acme Recruiting:mailto:noreply+ab12@greenhouse.example\r\n"
        "ATTENDEE;CN=Dana Lee;PARTSTAT=NEEDS-ACTION:mailto:dana.lee@acme.example\r\n"
        "ATTENDEE;CN=Jordan Avery;PARTSTAT=NEEDS-ACTION:mailto:jordan.avery@gmail.com\r\n"
    )
    (result,) = classify_calendar(calendar(lines))
    assert emails(result) == ["dana.lee@acme.example"]


# Item 7: an attendee's answer, a declined attendee, a non-participant.
def test_an_attendees_reply_is_no_new_interview() -> None:
    lines = (
        "ORGANIZER;CN=Maya Chen:mailto:maya.chen@acme.example\r\n"
        "ATTENDEE;CN=Dana Lee;PARTSTAT=ACCEPTED:mailto:dana.lee@acme.example\r\n"
    )
    (result,) = classify_calendar(calendar(lines, method="REPLY"))
    assert result.kind.value == "none"
    body = "Dana Lee has accepted this invitation.\n"
    raw = (
        "From: Dana Lee <dana.lee@acme.example>\r\n"
        "To: Jordan Avery <jordan.avery@mailbox.example>\r\n"
        "Subject: Accepted: Interview: Data Analyst\r\nDate: Wed, 25 Nov 2026 10:00:00 -0500\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "--b\r\n"
        "Content-Type: text/calendar; method=REPLY; charset=utf-8\r\n\r\n"
        + calendar(lines, method="REPLY").decode()
        + "--b--\r\n"
    ).encode()
    assert classify_email(raw).kind.value == "none"


def test_declined_and_non_participants_are_no_interviewers() -> None:
    lines = (
        "ORGANIZER;CN=Maya Chen:mailto:maya.chen@acme.example\r\n"
        "ATTENDEE;CN=Maya Chen;ROLE=NON-PARTICIPANT:mailto:maya.chen@acme.example\r\n"
        "ATTENDEE;CN=Dana Lee;PARTSTAT=ACCEPTED:mailto:dana.lee@acme.example\r\n"
        "ATTENDEE;CN=Sam Ortiz;PARTSTAT=DECLINED:mailto:sam.ortiz@acme.example\r\n"
        "ATTENDEE;CN=Jordan Avery;PARTSTAT=NEEDS-ACTION:mailto:jordan.avery@gmail.com\r\n"
    )
    (result,) = classify_calendar(calendar(lines), me=["jordan.avery@gmail.com"])
    assert emails(result) == ["dana.lee@acme.example"]


# Item 8: a coordinator named in prose is no interviewer.
def test_a_contact_for_questions_is_no_interviewer() -> None:
    body = (
        "Hi Jordan,\n\nYour interview for the Data Analyst role is confirmed for Tuesday, "
        "December 8 at 2pm ET with Dana Lee (dana.lee@acme.example).\n\n"
        "If you have questions, contact Jessica (jessica@acme.example).\n"
    )
    assert emails(classify_email(mail(body))) == ["dana.lee@acme.example"]


def test_a_writer_who_coordinates_is_no_interviewer() -> None:
    body = (
        "Hi Jordan,\n\nI'm coordinating your schedule for our interview on Tuesday, December 8 "
        "at 2pm ET for the Data Analyst role. You'll meet Dana Lee (dana.lee@acme.example).\n"
    )
    assert emails(classify_email(mail(body))) == ["dana.lee@acme.example"]


# Item 9: a repeated ORGANIZER line.
def test_repeated_organizer_takes_the_first_sane_one() -> None:
    lines = (
        "ORGANIZER:invalid\r\n"
        "ORGANIZER;CN=Dana Lee:mailto:dana.lee@acme.example\r\n"
        "ORGANIZER;CN=Sam Ortiz:mailto:sam.ortiz@acme.example\r\n"
    )
    (event,) = ics.read(calendar(lines)).events
    assert event.organizer == Person("Dana Lee", "dana.lee@acme.example")


# A team's calendar or mailbox that sends the invitation is nobody to meet.
@pytest.mark.parametrize(
    "organizer",
    [
        "ORGANIZER;CN=Acme People Team:mailto:acmeinterviews@acme.example\r\n",
        "ORGANIZER;CN=Service RH Acme:mailto:rh@acme.example\r\n",
        "ORGANIZER;CN=Acme Talent Acquisition:mailto:bookings.team@acme.example\r\n",
    ],
)
def test_a_team_organizer_is_no_interviewer(organizer: str) -> None:
    lines = organizer + (
        "ATTENDEE;CN=Dana Lee;PARTSTAT=ACCEPTED:mailto:dana.lee@acme.example\r\n"
        "ATTENDEE;CN=Jordan Avery;PARTSTAT=NEEDS-ACTION:mailto:jordan.avery@gmail.com\r\n"
    )
    (result,) = classify_calendar(calendar(lines))
    assert emails(result) == ["dana.lee@acme.example"]


def test_a_person_from_hr_is_still_a_person() -> None:
    assert not people.is_team_name("Dana Lee (HR)")
    assert people.is_team_name("Acme HR")


def test_an_agency_colleague_in_cc_is_no_interviewer() -> None:
    body = (
        "Hi Jordan,\n\nTidewell would like to meet you on Tuesday, December 8 at 2pm GMT for the "
        "Planner role, with Dana Lee, Head of Planning. Priya (cc'd) will send joining "
        "details.\n\nOllie\n"
    )
    raw = mail(
        body,
        sender="Ollie Price <ollie@northgaterecruitment.example>",
        cc="Priya Shah <priya.shah@northgaterecruitment.example>",
    )
    result = classify_email(raw)
    assert names(result) == ["Dana Lee"]
    assert emails(result) == [None]


def test_a_writer_who_moves_our_walkthrough_takes_part() -> None:
    body = (
        "Hi Jordan,\n\nI have to move our portfolio\nwalkthrough to Thursday, December 10 at 3pm "
        "ET. Sam will still join.\n\nDana\n"
    )
    raw = mail(
        body,
        sender="Dana Lee <dana.lee@acme.example>",
        cc="Sam Ortiz <sam.ortiz@acme.example>",
        subject="Re: Portfolio walkthrough - Product Designer",
    )
    assert sorted(emails(classify_email(raw))) == [
        "dana.lee@acme.example",
        "sam.ortiz@acme.example",
    ]


def test_our_team_will_review_is_no_part_taken() -> None:
    body = (
        "Hi Jordan,\n\nThank you for your interview on Monday. Our team will review your case "
        "study and I'll confirm the final round for Thursday, December 10 at 3pm ET.\n"
    )
    raw = mail(body, sender="Dana Lee <dana.lee@acme.example>", cc="Sam Ortiz <sam@x.example>")
    assert "dana.lee@acme.example" not in emails(classify_email(raw))


@pytest.mark.parametrize(
    ("title", "takes_part"),
    [
        ("Directrice des opérations - Acme", True),
        ("Gerente de Operaciones | Acme", True),
        ("Chargée de recrutement - Acme", False),
        ("Talent Partner, Acme", False),
    ],
)
def test_a_hiring_manager_who_signs_the_mail_takes_part(title: str, takes_part: bool) -> None:
    body = (
        "Bonjour Jordan,\n\nJe suis au regret d'annuler l'entretien de jeudi 10/12 à 15 h : le "
        f"poste est gelé.\n\nCordialement,\nDana Lee\n{title}\n"
    )
    raw = mail(body, sender="Dana Lee <dana.lee@acme.fr>", subject="Entretien de jeudi annulé")
    result = classify_email(raw)
    assert result.kind.value == "cancelled"
    assert (emails(result) == ["dana.lee@acme.fr"]) is takes_part


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Estarán Marta Gil (Jefa de Datos) y Pablo Ruiz (Ingeniero).", None),
        ("Meine Kollegin Marta Gil (Teamleiterin Data) ist dabei.", ["Marta Gil"]),
        ("Panel:\n  - Marta Gil, Desarrolladora Principal\n  - Pablo Ruiz, Arquitecto", None),
        ("Jury :\n  - Marta Gil, Ingénieure logiciel\n  - Pablo Ruiz, Juriste", None),
    ],
)
def test_words_before_and_titles_after_a_name_are_no_names(
    text: str, expected: list[str] | None
) -> None:
    body = (
        "Hola,\n\nTe confirmo la entrevista el martes 8 de diciembre a las 10:00 para el puesto "
        f"de Analista.\n\n{text}\n\nSaludos\n"
    )
    raw = mail(body, sender="Selección Acme <seleccion@acme.es>", subject="Entrevista")
    assert names(classify_email(raw)) == (expected or ["Marta Gil", "Pablo Ruiz"])


def test_a_name_with_an_address_in_brackets_in_a_calendar_description() -> None:
    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:a@b\r\n"
        b"SUMMARY:Phone screen - Pinecrest (Dana Lee)\r\nDTSTART:20261208T150000Z\r\n"
        b"DESCRIPTION:Data Analyst role. Dana Lee (Recruiting\\, dana.lee@pinecrest.example) "
        b"will call me.\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    (result,) = classify_calendar(data)
    assert [(p.name, p.email) for p in result.interviewers] == [
        ("Dana Lee", "dana.lee@pinecrest.example")
    ]


@pytest.mark.parametrize(
    "absent",
    [
        "Maya Chen (coordinator) won't be on the call.",
        "I won't be on the call myself, but I'll ring you afterwards.",
    ],
)
def test_people_who_say_they_stay_away_are_no_interviewers(absent: str) -> None:
    body = (
        "Hi Jordan,\n\nYour interview for the Data Analyst role is confirmed for Tuesday, "
        f"December 8 at 2pm ET with Sam Ortiz (sam.ortiz@acme.example). {absent}\n\nDana\n"
    )
    raw = mail(
        body, sender="Dana Lee <dana.lee@acme.example>", cc="Maya Chen <maya.chen@acme.example>"
    )
    assert emails(classify_email(raw)) == ["sam.ortiz@acme.example"]


def test_a_german_writer_who_is_not_there() -> None:
    body = (
        "Hallo Herr Avery,\n\nIhr Vorstellungsgespräch ist am Dienstag, 8. Dezember um 14 Uhr mit "
        "Sam Ortiz (Teamleiter). Ich selbst bin nicht dabei.\n\nViele Grüße\nDana Lee\n"
    )
    raw = mail(body, sender="Dana Lee <dana.lee@acme.de>")
    assert names(classify_email(raw)) == ["Sam Ortiz"]

"""The hiring company: never a person relayed by a job board, the ATS, or the candidate."""

from __future__ import annotations

import pytest

from daemon.detect import classify_calendar, classify_email
from daemon.detect.company import find_company

TEXT = "Hi Jordan,\n\nThanks for your interest in the Data Engineer role at Acme Robotics.\n"


def test_a_person_via_linkedin_is_not_the_company() -> None:
    found = find_company(
        "Dana Lee sent you a message",
        "Dana Lee would like to set up an interview call.\n",
        "Dana Lee via LinkedIn",
        "messages-noreply@linkedin.com",
        [],
        set(),
    )
    assert found is None
    found = find_company(
        "Interview", TEXT, "Dana Lee via LinkedIn", "messages-noreply@linkedin.com", [], set()
    )
    assert found == "Acme Robotics"


def test_job_boards_are_not_the_company() -> None:
    for sender_name, sender in (
        ("Indeed", "noreply@indeed.com"),
        ("Glassdoor", "noreply@glassdoor.com"),
        ("LinkedIn", "jobs-noreply@linkedin.com"),
    ):
        assert (
            find_company(
                "Interview request", "Please pick a time.\n", sender_name, sender, [], set()
            )
            is None
        )


def test_ats_tenant_only_as_a_last_resort() -> None:
    sender = "acme@myworkday.com"
    other = ["noreply@acme.wd5.myworkdayjobs.com"]
    assert find_company("Interview", "Please pick a time.\n", "", sender, other, set()) == "Acme"
    assert find_company("Interview", TEXT, "", sender, other, set()) == "Acme Robotics"


def test_the_candidates_name_in_an_event_title_is_not_the_company() -> None:
    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
        b"UID:1@x\r\nSUMMARY:Interview: Jane Doe <> Acme\r\nDTSTART:20261208T190000Z\r\n"
        b"ORGANIZER;CN=Scheduling:mailto:no-reply@goodtime.example\r\n"
        b"ATTENDEE;CN=Jane Doe:mailto:jane.doe@gmail.com\r\n"
        b"ATTENDEE;CN=Dana Lee:mailto:dana.lee@acme.example\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    (result,) = classify_calendar(data)
    assert result.company == "Acme"
    assert [p.email for p in result.interviewers] == ["dana.lee@acme.example"]


def _mail(
    body: str, subject: str, sender: str, date: str = "Wed, 25 Nov 2026 10:00:00 +0000"
) -> bytes:
    return (
        f"From: {sender}\r\nTo: Jordan Avery <jordan.avery@mailbox.example>\r\n"
        f"Subject: {subject}\r\nDate: {date}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + body
    ).encode()


AGENCY = "Ollie Price <ollie@northgaterecruitment.example>"


def test_a_short_name_is_completed_as_the_text_writes_it() -> None:
    """The subject says "Tidewell", the text "Tidewell Logistics would like...", "Harbourside
    Foods have paused hiring", "Ribera Textil S.L.": the whole name is the company."""
    body = (
        "Hi Jordan,\n\nGood news: Tidewell Logistics would like to see you on Tuesday, "
        "December 8 at 2pm GMT for the Planner role.\n\nOllie\n"
    )
    assert classify_email(_mail(body, "Tidewell - interview confirmed", AGENCY)).company == (
        "Tidewell Logistics"
    )
    assert find_company("Tidewell", "Tidewell Marine have asked for you.", "", "", [], set()) == (
        "Tidewell Marine"
    )
    assert find_company("Ribera", "Gerente - Ribera Textil S.L.\n", "", "", [], set()) == (
        "Ribera Textil"
    )


def test_a_short_name_is_not_completed_with_a_team_or_a_job() -> None:
    for text in (
        "The Tidewell Platform team will call you.",
        "Join Tidewell Data Engineering as an analyst.",
        "See you at Tidewell Monday.",
    ):
        assert find_company("Tidewell", text, "", "", [], set()) == "Tidewell"


def test_the_interviewer_named_after_interview_with_is_not_the_company() -> None:
    body = (
        "Hi Jordan,\n\nSorry - Harbourside Foods have paused hiring, so Friday's 11am "
        "interview with Maeve Collins is off.\n\nOllie\n"
    )
    result = classify_email(_mail(body, "Harbourside - Friday", AGENCY))
    assert result.kind.value == "cancelled"
    assert result.company == "Harbourside Foods"
    assert [p.name for p in result.interviewers] == ["Maeve Collins"]


@pytest.mark.parametrize(
    "subject",
    ["Confirmación entrevista \u2013 Analista", "Invitación entrevista", "Convocation entretien"],
)
def test_what_a_subject_says_happened_is_not_the_company(subject: str) -> None:
    assert find_company(subject, "Saludos.\n", "", "", [], set()) is None


def test_an_event_title_drops_a_bracketed_note_and_names_by_slashes() -> None:
    assert (
        find_company(
            "Phone screen \u2013 Pinecrest Analytics (Dana Lee)", "", "", "", [], set(), titled=True
        )
        == "Pinecrest Analytics"
    )
    assert find_company(
        "Intro call - Pinecrest / Jordan Avery", "", "", "", [], set(), titled=True,
        people_names=["Jordan Avery"],
    ) == "Pinecrest"  # fmt: skip


def test_an_event_location_spells_the_company() -> None:
    data = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
        "UID:a@b\r\nSUMMARY:Interview - Data Analyst\r\nDTSTART:20261208T150000Z\r\n"
        "LOCATION:Forêt Numérique\\, 12 rue des Lilas\\, Lyon\r\n"
        "ORGANIZER;CN=Dana Lee:mailto:dana.lee@foret-numerique.example\r\n"
        "ATTENDEE;CN=Jordan Avery:mailto:jordan.avery@gmail.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()
    (result,) = classify_calendar(data)
    assert result.company == "Forêt Numérique"


@pytest.mark.parametrize(
    ("address", "company"),
    [
        ("dana@harborlabs.example", "Harbor Labs"),
        ("dana@quincehealth.example", "Quince Health"),
        ("dana@atlassian.example", "Atlassian"),
    ],
)
def test_a_domain_splits_off_a_company_noun(address: str, company: str) -> None:
    assert find_company("Onsite interview", "See you then.\n", "", address, [], set()) == company


def test_a_company_noun_is_not_taken_from_a_job_title() -> None:
    text = "Recruiter phone screen - Lumenfold Data Scientist."
    assert find_company("Phone screen", text, "", "bea@lumenfold.example", [], set()) == (
        "Lumenfold"
    )


def test_an_invitations_event_text_spells_the_company() -> None:
    body = "Mira - sorry, we have to cancel Tuesday's final round.\n\nGrace\n"
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nMETHOD:CANCEL\r\nBEGIN:VEVENT\r\n"
        "UID:x@y\r\nSUMMARY:Final round interview\r\nDTSTART:20261201T140000Z\r\n"
        "DESCRIPTION:Final round. Hartley & Moss\\, 1 Quay Street\r\n"
        "ORGANIZER;CN=Grace Kim:mailto:gkim@hartleymoss.example\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    raw = (
        "From: Grace Kim <gkim@hartleymoss.example>\r\nTo: Mira <mira@mailbox.example>\r\n"
        "Subject: Canceled: Final round\r\nDate: Tue, 24 Nov 2026 10:00:00 -0500\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n--b\r\n"
        "Content-Type: text/calendar; method=CANCEL; charset=utf-8\r\n\r\n" + ics + "--b--\r\n"
    ).encode()
    result = classify_email(raw)
    assert result.kind.value == "cancelled"
    assert result.company == "Hartley & Moss"

"""The hiring company: never a person relayed by a job board, the ATS, or the candidate."""

from __future__ import annotations

from daemon.detect import classify_calendar
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

"""The daily digest: pure rendering of plain data with a given `now`."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from zoneinfo import ZoneInfo

from daemon.digest import (
    WIDTH,
    Digest,
    DigestAnswer,
    DigestData,
    OpenInvitation,
    PendingDraft,
    SentNote,
    UpcomingInterview,
    clean,
    digest_answers,
    moment_text,
    mute_requests,
    render,
)
from daemon.model import Person
from daemon.quiet import QuietState, Rule

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 3, 8, 0, tzinfo=NY)  # Thursday 3 Dec 2026, 08:00 EST
DANA = Person("Dana Lee", "dana@lumen.example")
SAM = Person("Sam Ortiz", None)
INTERVIEW = UpcomingInterview(
    start=datetime(2026, 12, 3, 15, 0, tzinfo=NY),
    end=datetime(2026, 12, 3, 16, 0, tzinfo=NY),
    company="Lumen Labs",
    role="Backend Engineer",
    people=(DANA, SAM),
    meeting_url="https://meet.example.com/abc-defg-hij",
)
DRAFT = PendingDraft(
    what="Thank-you note",
    subject="Thank you - Backend Engineer interview",
    recipients=(DANA,),
    asked_at=datetime(2026, 12, 2, 17, 0, tzinfo=NY),
    expires_at=datetime(2026, 12, 5, 17, 0, tzinfo=NY),
)
ON_YOU = QuietState(
    thread_id=12,
    rule=Rule.WAITING_ON_YOU,
    since=datetime(2026, 12, 1, 9, 12, tzinfo=NY),
    quiet_at=datetime(2026, 12, 3, 9, 12, tzinfo=NY),
    mark_message=120,
    subject="Re: Next steps",
    with_whom=DANA,
    company="Lumen Labs",
    reason="Dana Lee wrote to you and you have not answered in 2 days",
)
ON_THEM = QuietState(
    thread_id=14,
    rule=Rule.WAITING_ON_THEM,
    since=datetime(2026, 11, 24, 11, 30, tzinfo=NY),
    quiet_at=datetime(2026, 12, 1, 11, 30, tzinfo=NY),
    mark_message=140,
    subject="Application: Platform Engineer",
    with_whom=None,
    company=None,
    reason="you wrote last and nobody has answered in 5 business days",
)
SENT = SentNote(
    sent_at=datetime(2026, 12, 2, 16, 2, tzinfo=NY),
    subject="Following up on our interview",
    recipients=(Person("Pat Kim", "pat@acme.example"),),
)
INVITATION = OpenInvitation(
    arrived=datetime(2026, 12, 1, 14, 0, tzinfo=NY),
    company="Acme",
    role="Data Engineer",
    sender=Person("Pat Kim", "pat@acme.example"),
    subject="Interview invitation - Data Engineer",
)
FULL = DigestData(
    interviews=(INTERVIEW,),
    drafts=(DRAFT,),
    quiet=(ON_YOU, ON_THEM),
    sent=(SENT,),
    invitations=(INVITATION,),
    last_digest=datetime(2026, 12, 2, 8, 0, tzinfo=NY),
)
HOSTILE = '<script>alert(1)</script> "><img src=x onerror=alert(2)>'


def make(data: DigestData, **options: bool) -> Digest:
    digest = render(data, user_name="Alex", zone=NY, now=NOW, **options)
    assert digest is not None
    return digest


# -- Nothing to say -----------------------------------------------------------------------------


def test_no_digest_when_there_is_nothing_to_say() -> None:
    assert render(DigestData(), user_name="Alex", zone=NY, now=NOW) is None


def test_what_falls_outside_its_window_is_nothing_to_say() -> None:
    data = DigestData(
        interviews=(
            replace(INTERVIEW, start=NOW + timedelta(days=8), end=None),
            replace(INTERVIEW, start=NOW - timedelta(hours=1), end=None),
        ),
        sent=(replace(SENT, sent_at=NOW - timedelta(days=2)),),
        last_digest=NOW - timedelta(days=1),
    )
    assert render(data, user_name="Alex", zone=NY, now=NOW) is None


def test_an_empty_digest_when_asked_for() -> None:
    digest = make(DigestData(), send_when_empty=True)
    assert digest.subject == "[afterview] Thu 3 Dec: nothing needs you"
    assert "Nothing needs you on Thu 3 Dec 2026" in digest.text
    assert "Nothing needs you on Thu 3 Dec 2026" in digest.html
    assert "MUTE" not in digest.text  # no threads, so no word about muting them


# -- Each section -------------------------------------------------------------------------------


def test_the_subject_sums_up_every_section() -> None:
    assert make(FULL).subject == (
        "[afterview] Thu 3 Dec: 1 interview (Lumen Labs, Thu 15:00), 1 draft to approve, "
        "1 reply you owe, 1 thread waiting on them, 1 note sent, 1 invitation to answer"
    )


def test_sections_come_in_order() -> None:
    text = make(FULL).text
    headings = [
        "Upcoming interviews",
        "Drafts waiting for your approval",
        "Waiting on you",
        "Waiting on them",
        "Sent since the last digest",
        "Invitations to answer",
    ]
    positions = [text.index(f"\n{h}\n" + "-" * len(h) + "\n") for h in headings]
    assert positions == sorted(positions)


def test_upcoming_interview_with_time_people_and_link() -> None:
    text = make(DigestData(interviews=(INTERVIEW,))).text
    assert "  Thu 3 Dec, 15:00-16:00 EST (today): Lumen Labs - Backend Engineer\n" in text
    assert "    With:      Dana Lee <dana@lumen.example>, Sam Ortiz\n" in text
    assert "    https://meet.example.com/abc-defg-hij\n" in text
    page = make(DigestData(interviews=(INTERVIEW,))).html
    assert 'href="https://meet.example.com/abc-defg-hij"' in page


def test_interviews_are_shown_in_the_users_zone_and_in_order() -> None:
    later = UpcomingInterview(
        start=datetime(2026, 12, 4, 19, 30, tzinfo=ZoneInfo("UTC")),  # 14:30 in New York
        company="Acme",
        location="4 Main St, Room 2",
    )
    text = make(DigestData(interviews=(later, INTERVIEW))).text
    assert "  Fri 4 Dec, 14:30 EST (tomorrow): Acme\n" in text
    assert "    Where:     4 Main St, Room 2\n" in text
    assert text.index("Lumen Labs") < text.index("Acme")


def test_a_summer_time_shows_its_own_abbreviation() -> None:
    assert moment_text(datetime(2026, 7, 2, 19, 0, tzinfo=ZoneInfo("UTC")), NY) == (
        "Thu 2 Jul, 15:00 EDT"
    )
    assert moment_text(NOW, NY) == "Thu 3 Dec, 08:00 EST"


def test_drafts_say_how_to_answer() -> None:
    text = make(DigestData(drafts=(DRAFT,))).text
    assert "  Thank-you note to Dana Lee <dana@lumen.example>\n" in text
    assert "    Subject:   Thank you - Backend Engineer interview\n" in text
    assert "    Asked:     Wed 2 Dec, 17:00 EST\n" in text
    assert "    Expires:   Sat 5 Dec, 17:00 EST\n" in text
    assert "    -> answer its approval email with SEND, SKIP, SNOOZE 4h or NOTES\n" in text
    orphan = replace(DRAFT, recipients=())
    assert "to nobody yet (no address known)" in make(DigestData(drafts=(orphan,))).text


def test_threads_waiting_on_you_end_with_how_to_mute_them() -> None:
    text = make(DigestData(quiet=(ON_YOU,))).text
    assert "  #12 Re: Next steps\n" in text
    assert "    From:      Dana Lee <dana@lumen.example>\n" in text
    assert "    Company:   Lumen Labs\n" in text
    assert "    Since:     Tue 1 Dec, 09:12 EST\n" in text
    assert "-> answer them in that thread, or reply MUTE 12 to stop tracking it\n" in text
    assert "Waiting on them" not in text


def test_threads_waiting_on_them_end_with_how_to_mute_them() -> None:
    text = make(DigestData(quiet=(ON_THEM,))).text
    assert "  #14 Application: Platform Engineer\n" in text
    assert "    You wrote: Tue 24 Nov, 11:30 EST\n" in text
    assert "reply MUTE 14 to stop tracking it\n" in text
    assert "Waiting on you" not in text


def test_every_quiet_thread_ends_with_its_own_mute_line() -> None:
    states = tuple(replace(ON_THEM, thread_id=n) for n in (3, 30, 300))
    text = make(DigestData(quiet=states)).text
    for n in (3, 30, 300):
        assert f"reply MUTE {n} to stop tracking it" in text.replace("\n       ", " ")


def test_sent_since_the_last_digest() -> None:
    earlier = replace(SENT, sent_at=datetime(2026, 12, 1, 10, 0, tzinfo=NY), subject="Old note")
    text = make(DigestData(sent=(SENT, earlier), last_digest=FULL.last_digest)).text
    assert "Since Wed 2 Dec, 08:00 EST." in text
    assert "  Following up on our interview\n" in text
    assert "    To:        Pat Kim <pat@acme.example>\n" in text
    assert "    Sent:      Wed 2 Dec, 16:02 EST\n" in text
    assert "Old note" not in text


def test_invitations_to_answer() -> None:
    text = make(DigestData(invitations=(INVITATION,))).text
    assert "  Acme - Data Engineer\n" in text
    assert "    From:      Pat Kim <pat@acme.example>\n" in text
    assert "    Arrived:   Tue 1 Dec, 14:00 EST\n" in text
    assert "-> answer their email in its thread with the times you are free\n" in text


def test_the_greeting_uses_the_name_and_copes_without_one() -> None:
    assert make(FULL).text.startswith("Hi Alex,\n\nHere is your afterview digest for Thu 3 Dec")
    digest = render(FULL, user_name="", zone=NY, now=NOW)
    assert digest is not None and digest.text.startswith("Hi,\n")


# -- Safety -------------------------------------------------------------------------------------


def hostile_data() -> DigestData:
    person = Person(HOSTILE, "x@evil.example")
    return DigestData(
        interviews=(
            replace(
                INTERVIEW,
                company=HOSTILE,
                role=HOSTILE,
                people=(person,),
                location=HOSTILE,
                meeting_url='https://meet.example/"onmouseover="alert(3)',
            ),
            replace(INTERVIEW, meeting_url="javascript:alert(4)"),
        ),
        drafts=(replace(DRAFT, what=HOSTILE, subject=HOSTILE, recipients=(person,)),),
        quiet=(replace(ON_YOU, subject=HOSTILE, with_whom=person, company=HOSTILE),),
        sent=(replace(SENT, subject=HOSTILE, recipients=(person,)),),
        invitations=(replace(INVITATION, company=HOSTILE, subject=HOSTILE, sender=person),),
    )


def test_mail_derived_text_is_escaped_in_html() -> None:
    digest = render(hostile_data(), user_name=HOSTILE, zone=NY, now=NOW)
    assert digest is not None
    page = digest.html
    assert "<script" not in page
    assert "<img" not in page
    assert '"><img' not in page
    assert "onerror=alert(2)&gt;" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img" in page
    assert 'href="javascript' not in page
    # Only the two built-in elements carry attributes a browser runs: none at all here.
    assert not re.search(r"<[a-z]+[^>]*\son[a-z]+=", page)


def test_only_http_links_become_links() -> None:
    page = make(DigestData(interviews=(replace(INTERVIEW, meeting_url="javascript:x()"),))).html
    assert "<a " not in page
    assert "javascript:x()" in page  # shown as text, harmless
    assert (
        "Link:      javascript:x()"
        in make(DigestData(interviews=(replace(INTERVIEW, meeting_url="javascript:x()"),))).text
    )


def test_html_is_tables_with_inline_styles_only() -> None:
    page = make(FULL).html
    assert page.startswith("<!DOCTYPE html>")
    assert '<table role="presentation"' in page
    assert "<style" not in page and "class=" not in page and "<script" not in page
    assert page.count("<table") == page.count("</table>")
    assert page.count("<tr>") == page.count("</tr>")
    for needle in ("Lumen Labs", "Re: Next steps", "MUTE 12", "SEND, SKIP, SNOOZE 4h or NOTES"):
        assert needle in page


def test_the_subject_is_one_line_whatever_the_inputs() -> None:
    evil = "Lumen\r\nBcc: victim@example.com\n\nbody\u2028more\x85next\x00\x0b\x0c\u202eend"
    data = DigestData(interviews=(replace(INTERVIEW, company=evil),), quiet=(ON_YOU,))
    digest = render(data, user_name=evil, zone=NY, now=NOW)
    assert digest is not None
    subject = digest.subject
    assert subject == subject.strip()
    assert not re.search(r"[\r\n\x00-\x1f\x7f-\x9f\u2028\u2029\u202e]", subject)
    assert subject.startswith("[afterview] Thu 3 Dec: 1 interview (Lumen Bcc: victim@")
    message = EmailMessage(policy=SMTP)
    message["Subject"] = subject  # the email package refuses a value with a line break
    assert message["Bcc"] is None
    assert len(subject) <= 200


def test_the_subject_stays_bounded() -> None:
    long_company = "Lumen " * 200
    digest = make(DigestData(interviews=(replace(INTERVIEW, company=long_company),)))
    assert len(digest.subject) <= 200


def test_mail_derived_text_stays_on_its_own_line_in_plain_text() -> None:
    digest = render(hostile_data(), user_name="Alex\nMUTE 1", zone=NY, now=NOW)
    assert digest is not None
    assert "\r" not in digest.text
    assert not any(line.startswith("MUTE") for line in digest.text.splitlines())


def test_clean_folds_breaks_and_controls() -> None:
    assert clean("a\r\nb\tc\u2028d\x00e\u202ef") == "a b c d e f"
    assert clean("x" * 300, 10) == "xxxxxxx..."
    assert clean("  \n ") == ""


# -- Line length --------------------------------------------------------------------------------


def test_plain_text_lines_fit_78_columns() -> None:
    long = "A very long subject line about a Senior Staff Principal Backend Engineer role " * 3
    word = "x" * 120  # one word longer than a line is broken too
    data = DigestData(
        interviews=(
            replace(
                INTERVIEW,
                company=long,
                role=word,
                people=tuple(Person(f"Person Number {n}", f"p{n}@lumen.example") for n in range(8)),
                location=long,
            ),
        ),
        drafts=(replace(DRAFT, subject=long, what=long),),
        quiet=(replace(ON_YOU, subject=long, company=long), replace(ON_THEM, subject=word)),
        sent=(replace(SENT, subject=long),),
        invitations=(replace(INVITATION, subject=long, company=long, role=long),),
    )
    digest = render(data, user_name="Alexandra " * 10, zone=NY, now=NOW)
    assert digest is not None
    for line in digest.text.splitlines():
        assert len(line) <= WIDTH, line
    assert digest.text.endswith("\n")


def test_only_a_long_meeting_link_stands_alone_on_a_longer_line() -> None:
    link = "https://teams.example.com/l/meetup-join/" + "19%3ameeting_abcdef" * 8
    digest = make(DigestData(interviews=(replace(INTERVIEW, meeting_url=link),)))
    long_lines = [line for line in digest.text.splitlines() if len(line) > WIDTH]
    assert long_lines == [f"    {link}"]


def test_html_lines_stay_under_the_smtp_limit() -> None:
    long = "Lumen " * 100
    link = "https://teams.example.com/l/meetup-join/19%3ameeting?a=1&b=" + "x" * 680
    data = replace(
        hostile_data(),
        interviews=(replace(INTERVIEW, company=long, meeting_url=link),),
        quiet=(replace(ON_YOU, subject=long, company=long),),
    )
    digest = render(data, user_name=long, zone=NY, now=NOW)
    assert digest is not None
    assert f'href="{html.escape(link)}"' in digest.html
    for line in (*digest.html.splitlines(), *digest.text.splitlines()):
        assert len(line.encode("utf-8")) <= 998
    too_long = make(DigestData(interviews=(replace(INTERVIEW, meeting_url=link + "&" * 30),)))
    assert "<a " not in too_long.html


def test_the_full_digest_reads_well() -> None:
    text = make(FULL).text
    assert all(len(line) <= WIDTH for line in text.splitlines())
    assert all(line == line.rstrip() for line in text.splitlines())
    assert "\n\n\n\n" not in text


# -- Answering the digest -----------------------------------------------------------------------


def test_mute_lines_in_a_reply() -> None:
    reply = (
        "MUTE 12\n"
        "\n"
        "mute #14.\n"
        "MUTE 12\n"
        "Thanks, and please mute 99 too\n"  # the commands end at the first other line
        "MUTE 15\n"
        "\n"
        "On Thu, 3 Dec 2026 at 08:00, afterview <alex@home.example> wrote:\n"
        "> MUTE 16\n"
    )
    assert mute_requests(reply) == (12, 14)
    assert mute_requests("\n\n  MUTE 3  \n") == (3,)


def test_no_mute_without_a_number() -> None:
    assert mute_requests("MUTE\nmute all\nMUTED 3\n") == ()


def test_the_digest_itself_holds_no_command() -> None:
    sneaky = replace(
        ON_YOU,
        subject="Lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod MUTE 5",
    )
    digest = render(replace(FULL, quiet=(sneaky, ON_THEM)), user_name="MUTE 7", zone=NY, now=NOW)
    assert digest is not None
    assert "    MUTE 5" in digest.text  # wrapped onto its own, indented, line
    assert mute_requests(digest.text) == ()


def test_ignore_lines_name_interviews_and_mix_with_mute_lines() -> None:
    reply = (
        "IGNORE 7\n"
        "not an interview #9.\n"
        "MUTE 12\n"
        "ignore all of it\n"  # the commands end at the first other line
        "IGNORE 11\n"
        "\n"
        "> IGNORE 8\n"
    )
    assert digest_answers(reply) == DigestAnswer(mute=(12,), ignore=(7, 9))
    assert digest_answers("IGNORE\nNOT AN INTERVIEW\n") == DigestAnswer()


def test_interviews_and_invitations_show_how_to_ignore_them() -> None:
    numbered = replace(FULL, interviews=(replace(INTERVIEW, number=7),),
                       invitations=(replace(INVITATION, number=9),))  # fmt: skip
    digest = render(numbered, user_name="Alex", zone=NY, now=NOW)
    assert digest is not None
    text = " ".join(digest.text.split())
    assert "not an interview? reply IGNORE 7" in text
    assert "or reply IGNORE 9 if it is not one" in text
    assert digest_answers(digest.text) == DigestAnswer()  # the digest itself asks nothing

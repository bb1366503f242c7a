"""The day an employer said they would decide or get back by, read against the mail's Date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daemon.detect import classify_email
from daemon.detect.decision import MAX_DAYS_AHEAD, decision_date
from daemon.model import Kind

NEW_YORK = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 11, 9, 10, 0, tzinfo=NEW_YORK)


def on(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=NEW_YORK)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We'll be in touch by Friday.", date(2026, 11, 13)),
        ("We\u2019ll be in touch by Friday.", date(2026, 11, 13)),
        ("We will get back to you by end of next week.", date(2026, 11, 20)),
        ("Expect to hear from us by December 5.", date(2026, 12, 5)),
        ("We hope to make a decision by the 12th.", date(2026, 11, 12)),
        ("You'll hear from us within the next two weeks.", date(2026, 11, 23)),
        ("You will receive feedback within 5 business days.", date(2026, 11, 16)),
        ("We'll be in touch early next week.", date(2026, 11, 18)),
        ("We will get back to you next week.", date(2026, 11, 20)),
        ("We'll let you know by the end of the week.", date(2026, 11, 13)),
        ("We'll let you know by the end of the month.", date(2026, 11, 30)),
        ("We'll be in touch in the coming days.", date(2026, 11, 12)),
        ("We'll get back to you by Monday.", date(2026, 11, 16)),
        ("We'll get back to you by tomorrow.", date(2026, 11, 10)),
        ("We will get back to you by next Friday.", date(2026, 11, 20)),
        ("The team will make a final decision on 5 December.", date(2026, 12, 5)),
        ("We will get back to you by 12/15.", date(2026, 12, 15)),
        ("We should have an update for you by Dec. 5, 2026. Thanks again!", date(2026, 12, 5)),
        ("I'll follow up with you within 48 hours.", date(2026, 11, 11)),
        ("You should hear back in a week or two.", date(2026, 11, 23)),
        ("We'll come back to you in 2-3 weeks.", date(2026, 11, 30)),
        ("By Friday, we will have made a decision.", date(2026, 11, 13)),
        ("We'll be in touch before the weekend.", date(2026, 11, 13)),
        ("We'll let you know by mid-December.", date(2026, 12, 20)),
        ("Our recruiter will be in touch by Friday, December 4.", date(2026, 12, 4)),
        ("We plan to wrap up interviews this week and will be in touch the week of Nov 23.",
         date(2026, 11, 27)),
        (
            "Thank you again for taking the time to meet the team, we will get back to\n"
            "you by Friday.\n",
            date(2026, 11, 13),
        ),
        ("Hi Jordan,\n\nThanks for coming in. We'll be in touch by Friday.\n\nBest,\nDana\n",
         date(2026, 11, 13)),
        ("You will hear from us on Tuesday, 11/17.", date(2026, 11, 17)),
        ("We will notify all candidates by Dec 1.", date(2026, 12, 1)),
        ("We'll be in touch by Friday.\n\nOn Sun, Nov 8, 2026 at 9:00 AM Jordan <j@mail.example> "
         "wrote:\n> Any news? I'd love to hear by Monday.\n", date(2026, 11, 13)),
        ("Wir werden uns bis Freitag bei Ihnen melden.", date(2026, 11, 13)),
        ("Wir melden uns bis zum 20.11.", date(2026, 11, 20)),
        ("Sie erhalten Ende nächster Woche eine Rückmeldung.", date(2026, 11, 20)),
        ("Wir melden uns innerhalb von zwei Wochen.", date(2026, 11, 23)),
        ("Nous reviendrons vers vous d'ici la fin de la semaine prochaine.", date(2026, 11, 20)),
        ("Vous aurez de nos nouvelles dans les prochains jours.", date(2026, 11, 12)),
        ("Nos pondremos en contacto con usted antes del viernes.", date(2026, 11, 13)),
        ("Le daremos una respuesta la próxima semana.", date(2026, 11, 20)),
        # Letters IGNORECASE folds to ASCII: a long s, a dotless i.
        ("We'll be in touch by Monday or \u017funday.", date(2026, 11, 16)),
        ("We'll be in touch by Fr\u0131day.", date(2026, 11, 13)),
    ],
)  # fmt: skip
def test_a_promised_day_is_read_from_the_mails_monday(text: str, expected: date) -> None:
    assert decision_date(text, MONDAY) == expected


@pytest.mark.parametrize(
    ("text", "sent", "expected"),
    [
        # A weekday is the next one after the mail's day: a week on when sent on that day.
        ("We'll be in touch by Friday.", on(2026, 11, 12), date(2026, 11, 13)),
        ("We'll be in touch by Friday.", on(2026, 11, 13), date(2026, 11, 20)),
        ("We'll be in touch by this Friday.", on(2026, 11, 13), date(2026, 11, 13)),
        ("We'll be in touch by next Friday.", on(2026, 11, 13), date(2026, 11, 20)),
        ("We'll be in touch by next Monday.", on(2026, 11, 13), date(2026, 11, 16)),
        # At a weekend, "next week" is the coming one.
        ("We'll be in touch by next Friday.", on(2026, 11, 15), date(2026, 11, 20)),
        ("We'll get back to you next week.", on(2026, 11, 14), date(2026, 11, 20)),
        ("We'll get back to you within 1 business day.", on(2026, 11, 14), date(2026, 11, 16)),
        # Month and year rollover.
        ("You will hear from us within 5 business days.", on(2026, 11, 27), date(2026, 12, 4)),
        ("We'll let you know by the end of next month.", on(2026, 11, 27), date(2026, 12, 31)),
        ("We hope to make a decision by the 5th.", on(2027, 1, 30), date(2027, 2, 5)),
        ("We will make a decision within a month.", on(2027, 1, 31), date(2027, 2, 28)),
        ("We'll be in touch by Jan 5.", on(2026, 12, 28), date(2027, 1, 5)),
        ("We'll be in touch by the end of next week.", on(2026, 12, 30), date(2027, 1, 8)),
        ("We'll let you know by the end of January.", on(2026, 12, 28), date(2027, 1, 31)),
        # The sender's own date: 23:30 in New York is already the next day in UTC.
        ("We'll get back to you by tomorrow.", on(2026, 11, 9, 23), date(2026, 11, 10)),
        (
            "We'll get back to you by tomorrow.",
            datetime(2026, 11, 10, 4, 30, tzinfo=UTC),
            date(2026, 11, 11),
        ),
        ("We will get back to you by end of day.", on(2026, 11, 9), date(2026, 11, 9)),
        ("We will get back to you by end of day Friday.", on(2026, 11, 9), date(2026, 11, 13)),
    ],
)
def test_relative_days_count_from_the_senders_date(
    text: str, sent: datetime, expected: date
) -> None:
    assert decision_date(text, sent) == expected


@pytest.mark.parametrize(
    "text",
    [
        # Scheduling, and what the candidate is asked to do by a day.
        "Your interview is on Friday at 3pm.",
        "Can you do Tuesday?",
        "Please reply by Friday with your availability.",
        "Please reply by Friday with your availability so we can get back to you with a time.",
        "Can you do Tuesday? We'll be in touch.",
        "Is it OK if we get back to you by Friday?",
        "We'll be in touch to confirm your interview on Friday at 3pm.",
        "I wanted to let you know your interview has moved to Friday.",
        "Let us know your decision by Friday.",
        "We need your decision on the offer by Friday.",
        "I look forward to hearing from you by Friday.",
        "Will you be in touch with your references by Friday?",
        "Send your portfolio by Friday and we'll get back to you.",
        # Promises without a day, days that are not the promise's.
        "We'll be in touch soon.",
        "Thanks for your time today, we'll be in touch.",
        "Thanks for meeting with us this week, we'll be in touch soon.",
        "We'll get back to you after your final round on Tuesday.",
        "We will get back to you by 12/5.",  # December 5th or May 12th: nothing tells
        "We will get back to you by November 2.",  # before the mail was written
        "We'll get back to you within six months.",  # past the horizon
        # Newsletters.
        "Big news: our winter sale ends Friday! Update your preferences here.",
        "Hear from our CEO on Friday at our annual careers webinar.",
        # Quoted history and someone else's words.
        "Thanks for the note!\n\n> We'll be in touch by Friday.\n",
        "Thanks!\n\nOn Mon, Nov 9, 2026 at 9:00 AM Dana Lee <dana@acme.example> wrote:\n"
        "We'll be in touch by Friday.\n",
        "Thanks!\n\nFrom: Dana Lee <dana@acme.example>\nSent: Monday, November 9, 2026 9:00 AM\n"
        "Subject: Next steps\n\nWe'll get back to you by Friday.\n",
        'You mentioned another firm said "we\'ll get back to you by Friday", so we will move fast.',
        # A forward: its relative days count from its own Date, which the caller does not pass.
        "FYI\n\n---------- Forwarded message ---------\nFrom: Dana Lee <dana@acme.example>\n"
        "Date: Fri, Nov 6, 2026 at 4:10 PM\nSubject: Update\n\nWe'll be in touch by Friday.\n",
        # Signatures and footers.
        "Thanks again, we'll be in touch.\n\nDana Lee\nAcme Careers Fair - Friday, Dec 4\n",
        "We'll be in touch\nDana Lee | Recruiter\nOffice closed Dec 24 to Jan 2\n",
        # Nothing to read, or nothing that is a day.
        "We'll be in touch by the 0th.",
        "",
        "\x00\ud800\ufffe" * 100,
        "touch hear decision " * 2000,
    ],
)
def test_no_promised_day(text: str) -> None:
    assert decision_date(text, MONDAY) is None


def test_a_megabyte_without_a_promise_word_is_dismissed_by_the_gate() -> None:
    text = "Our quarterly newsletter: product tips, events and offices. " * 17_500
    assert len(text) > 1_000_000
    assert decision_date(text, MONDAY) is None


def test_only_the_opening_of_a_long_mail_is_read() -> None:
    padding = "Lorem ipsum dolor sit amet, consectetur adipiscing elit.\n" * 400
    assert decision_date(padding + "We'll be in touch by Friday.", MONDAY) is None


def test_a_date_header_far_outside_the_calendar_gives_nothing() -> None:
    far = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
    assert decision_date("We'll get back to you within 5 business days.", far) is None


FRAGMENTS = st.sampled_from(
    [
        "We'll be in touch ", "by ", "next ", "Friday", " within ", "2-3 ", "999 ", "weeks",
        "business days", "the 31st", "end of the month", "Dec 5", "12/5", "31/02", ". ", "\n",
        "> ", "\"", "you'll hear from us ", "décision ", "bis ", "melden ", "mañana", "?",
        "\u2019", "the 0th", "the 99th", "\u017funday", "end of \u017feptember", "\u0663 weeks",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.lists(FRAGMENTS | st.text(max_size=20), max_size=30),
    st.datetimes(
        min_value=datetime(1900, 1, 1),
        max_value=datetime(9999, 12, 30),
        timezones=st.just(NEW_YORK),
    ),
)
def test_any_text_gives_none_or_a_day_within_the_horizon(pieces: list[str], sent: datetime) -> None:
    found = decision_date("".join(pieces), sent)
    if found is not None:
        assert sent.date() <= found <= sent.date() + timedelta(days=MAX_DAYS_AHEAD)


def _mail(sender: str, body: str, extra: str = "") -> bytes:
    return (
        f"From: {sender}\r\nTo: Jordan Avery <jordan@mailbox.example>\r\n"
        "Subject: Re: Platform Engineer interview\r\nDate: Fri, 20 Nov 2026 09:00:00 +0000\r\n"
        f"{extra}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def test_the_detector_carries_the_decision_date_of_an_employer_mail() -> None:
    body = "Thanks for your time today. We'll be in touch by Wednesday with next steps."
    found = classify_email(_mail("Priya Raman <priya@northwind.example>", body))
    assert found.kind is Kind.NONE
    assert found.decision_by == date(2026, 11, 25)


def test_an_automatic_mail_carries_no_decision_date() -> None:
    body = "I am out of the office. We'll be in touch by Wednesday."
    found = classify_email(
        _mail("Priya Raman <priya@northwind.example>", body, "Auto-Submitted: auto-replied\r\n")
    )
    assert found.decision_by is None

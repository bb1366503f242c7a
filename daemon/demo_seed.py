"""The mailbox `afterview demo` starts from: what a job seeker's INBOX and Sent hold after a week.

An applicant-tracking invitation with its calendar event (the interview ended an hour ago), a
hiring manager who asked for references two days ago, a recruiter who has not answered for two
weeks, and the usual mail that is not about a job (a newsletter, a job alert, a friend, a
delivery notice). Every message is dated relative to the demo's clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

DOMAIN = "mail.example"
ME = f"alex@{DOMAIN}"
ME_NAME = "Alex Rivera"
INTERVIEWER = "dana.lee@northwind.example"
INTERVIEWER_NAME = "Dana Lee"
MANAGER = "priya.shah@lumen.example"
RECRUITER = "tom@talentbridge.example"
# Everyone with a mailbox on the demo servers (a password each, as the SMTP/IMAP login).
PEOPLE = (ME, INTERVIEWER, MANAGER, RECRUITER)


INVITE_WHAT = "an applicant-tracking invitation with a calendar event (the interview)"
ASKED_WHAT = "a hiring manager asking for references, two days ago (not answered yet)"
ANSWER_WHAT = "your answer to the recruiter, and no word from him since"


@dataclass(frozen=True)
class Seeded:
    folder: str  # INBOX or Sent
    at: datetime
    raw: bytes
    what: str  # one line for the narration


def _mail(
    sender: str, to: str, subject: str, at: datetime, body: str, msgid: str,
    reply_to: str | None = None, **headers: str,
) -> EmailMessage:  # fmt: skip
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(at)
    message["Message-ID"] = f"<{msgid}>"
    if reply_to:
        message["In-Reply-To"] = f"<{reply_to}>"
        message["References"] = f"<{reply_to}>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def _ics(start: datetime, end: datetime, stamp: datetime) -> bytes:
    fmt = "%Y%m%dT%H%M%SZ"
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Greenhouse//Scheduling//EN",
        "METHOD:REQUEST", "BEGIN:VEVENT", "UID:onsite-7731@northwind.example", "SEQUENCE:0",
        f"DTSTAMP:{stamp.strftime(fmt)}", f"DTSTART:{start.strftime(fmt)}",
        f"DTEND:{end.strftime(fmt)}",
        "SUMMARY:Interview: Platform Engineer - Northwind Robotics",
        "LOCATION:https://zoom.us/j/5551234567",
        f"ORGANIZER;CN={INTERVIEWER_NAME}:mailto:{INTERVIEWER}",
        f"ATTENDEE;CN={INTERVIEWER_NAME};ROLE=REQ-PARTICIPANT:mailto:{INTERVIEWER}",
        f"ATTENDEE;CN={ME_NAME};ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:{ME}",
        "END:VEVENT", "END:VCALENDAR", "",
    ]  # fmt: skip
    return "\r\n".join(lines).encode()


def mailbox(interview_end: datetime) -> list[Seeded]:
    """The seeded messages, oldest first; `interview_end` is a UTC datetime."""
    start = interview_end - timedelta(hours=1)
    day = timedelta(days=1)
    seeded: list[Seeded] = []

    invite_at = start - 4 * day
    invite = _mail(
        "Northwind Robotics Recruiting <no-reply@greenhouse.example>", f"{ME_NAME} <{ME}>",
        "Interview: Platform Engineer - Northwind Robotics", invite_at,
        f"Hi Alex,\n\nyou are invited to an interview for the Platform Engineer role at "
        f"Northwind Robotics with {INTERVIEWER_NAME}, Engineering Manager.\n\n"
        "Join on Zoom: https://zoom.us/j/5551234567\n\nNorthwind Robotics Recruiting",
        "invite-7731@greenhouse.example",
    )  # fmt: skip
    invite.add_alternative(_ics(start, interview_end, invite_at), maintype="text",
                           subtype="calendar", params={"method": "REQUEST"})  # fmt: skip
    seeded.append(Seeded("INBOX", invite_at, invite.as_bytes(policy=SMTP),
                         INVITE_WHAT))  # fmt: skip

    asked_at = interview_end - 2 * day - timedelta(hours=3)
    seeded.append(Seeded("INBOX", asked_at, _mail(
        f"Priya Shah <{MANAGER}>", f"{ME_NAME} <{ME}>", "Staff Engineer role: references",
        asked_at, "Hi Alex,\n\nthanks again for the conversation about the Staff Engineer role. "
        "Could you send me two references by the end of the week?\n\nBest,\nPriya Shah\n"
        "Hiring Manager, Lumen Labs", "refs-1@lumen.example",
    ).as_bytes(policy=SMTP), ASKED_WHAT))  # fmt: skip

    pitch_at = interview_end - 20 * day
    seeded.append(Seeded("INBOX", pitch_at, _mail(
        f"Tom Becker <{RECRUITER}>", f"{ME_NAME} <{ME}>",
        "Senior Backend Engineer role at a fintech client", pitch_at,
        "Hi Alex,\n\nI'm recruiting for a Senior Backend Engineer role at a fintech client. "
        "Would you be open to a chat? Happy to share the job description.\n\nTom Becker\n"
        "TalentBridge", "pitch-1@talentbridge.example",
    ).as_bytes(policy=SMTP), "a recruiter's pitch, three weeks ago"))  # fmt: skip
    answer_at = pitch_at + day
    seeded.append(Seeded("Sent", answer_at, _mail(
        f"{ME_NAME} <{ME}>", f"Tom Becker <{RECRUITER}>",
        "Re: Senior Backend Engineer role at a fintech client", answer_at,
        "Hi Tom,\n\nyes, I'd be interested. My CV is attached in spirit; when could we talk?\n\n"
        "Alex", "answer-1@mail.example", reply_to="pitch-1@talentbridge.example",
    ).as_bytes(policy=SMTP), ANSWER_WHAT))  # fmt: skip

    for days, sender, subject, body, extra, what in (
        (3, "The Pragmatic Weekly <news@pragmatic.example>", "This week: queues, caches, careers",
         "Five links about distributed systems, and a career column.",
         {"List_Unsubscribe": "<mailto:unsubscribe@pragmatic.example>",
          "List_Id": "<weekly.pragmatic.example>"}, "a newsletter"),
        (2, "JobBoard Alerts <alerts@jobboard.example>", "12 new Platform Engineer jobs for you",
         "New jobs matching your search: Platform Engineer, Berlin.",
         {"Precedence": "bulk"}, "a job alert"),
        (1, "Sam Ortiz <sam@friends.example>", "Dinner on Saturday?",
         "Hey Alex, are you free on Saturday? Sam", {}, "a friend"),
        (1, "Parcel Service <tracking@parcel.example>", "Your parcel is on its way",
         "Your parcel will arrive tomorrow between 9:00 and 12:00.", {}, "a delivery notice"),
    ):  # fmt: skip
        at = interview_end - days * day
        msgid = f"{subject.split()[0].lower()}-{days}@{sender.split('@')[1].rstrip('>')}"
        raw = _mail(sender, ME, subject, at, body, msgid, **extra).as_bytes(policy=SMTP)
        seeded.append(Seeded("INBOX", at, raw, f"{what} (not about an interview)"))
    return sorted(seeded, key=lambda s: s.at)

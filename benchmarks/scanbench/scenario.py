"""The load benchmark's mailbox and morning: five years of mail, an interview early on the
Monday the hour starts, and what arrives during that hour.

The hour runs from 07:45 to 08:45 in Berlin on Monday 2 November 2026, right after the last
seeded mail. In it: the daily digest at 08:00; ten messages from outside, one an invitation
to a new interview; the thank-you for the 07:00 interview drafted at 08:30 (its end plus
`thank_you_delay`), which the user approves by replying SEND a few minutes later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from scanbench.mailgen import ME_ADDRESS, ME_NAME, GeneratedMessage, MailboxGenerator

ZONE = ZoneInfo("Europe/Berlin")
MAILBOX_START = datetime(2021, 11, 2, tzinfo=UTC)
MAILBOX_END = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
HOUR_START = datetime(2026, 11, 2, 7, 45, tzinfo=ZONE)
HOUR_MINUTES = 60
OLD_REPLIES = 0.2  # a fifth of the replies revive a thread from the last months
MORNING_INTERVIEWER = ("Bob Tan", "bob@example.test")  # a mailbox of the harness: the note lands
MORNING_INTERVIEW = datetime(2026, 11, 2, 7, 0, tzinfo=ZONE)  # 14:00 in Singapore, 30 minutes
APPROVE_MINUTE = 49  # the user answers the approval request (drafted at minute 45) with SEND
# (minute of the hour, kind): mail from outside, built by the generator that seeded the mailbox
ARRIVALS = (
    (3, "newsletter"),
    (6, "personal"),
    (9, "notification"),
    (12, "invitation"),
    (17, "job"),
    (23, "list"),
    (31, "personal"),
    (38, "job_alert"),
    (42, "notification"),
    (55, "newsletter"),
)


def generator(seed: int, corpus: tuple[Path, ...]) -> MailboxGenerator:
    return MailboxGenerator(
        seed,
        corpus,
        start=MAILBOX_START,
        end=MAILBOX_END,
        old_replies=OLD_REPLIES,
        dated_corpus=True,
    )


def planted(mail: MailboxGenerator) -> list[GeneratedMessage]:
    """Seeded with the rest: the invitation to this morning's interview, a week ago."""
    arrived = datetime(2026, 10, 27, 9, 12, tzinfo=UTC)
    title = "Robotics Engineer - Lion City Robotics"
    raw = mail.invitation(
        arrived, MORNING_INTERVIEWER, title, MORNING_INTERVIEW, timedelta(minutes=30)
    )
    return [GeneratedMessage(arrived, "job", raw, seen=True)]


@dataclass(frozen=True)
class Arrival:
    minute: int
    kind: str
    path: Path


def write_arrivals(mail: MailboxGenerator, directory: Path) -> list[Arrival]:
    """The hour's mail from outside as files, one per message, named by minute and kind."""
    directory.mkdir()
    found = []
    for minute, kind in ARRIVALS:
        when = HOUR_START + timedelta(minutes=minute)
        if kind == "invitation":
            start = datetime(2026, 11, 5, 14, 0, tzinfo=ZONE)
            raw = mail.invitation(
                when.astimezone(UTC),
                ("Priya Raman", "priya.raman@talent.northwind.example"),
                "Platform Engineer - Northwind Analytics",
                start,
                timedelta(hours=1),
            )
        else:
            raw = mail.message(kind, when.astimezone(UTC))
        path = directory / f"{minute:02d}-{kind}.eml"
        path.write_bytes(raw)
        found.append(Arrival(minute, kind, path))
    return found


def read_arrivals(directory: Path) -> list[Arrival]:
    found = []
    for path in sorted(directory.glob("*.eml")):
        minute, kind = path.stem.split("-", 1)
        found.append(Arrival(int(minute), kind, path))
    return found


def write_calendar(path: Path) -> None:
    """The user's own calendar file: a weekly class and a few dozen appointments around now."""
    events = [
        _event("yoga-weekly@calendar.example", "Yoga class",
               datetime(2026, 1, 7, 18, 0, tzinfo=UTC), "RRULE:FREQ=WEEKLY;BYDAY=WE")
    ]  # fmt: skip
    first = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
    titles = ("Dentist", "Haircut", "Coffee with Anna", "Parent-teacher meeting", "Car service")
    for n in range(40):
        start = first + timedelta(days=3 * n, hours=n % 8)
        events.append(_event(f"appt-{n}@calendar.example", titles[n % len(titles)], start))
    body = "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//afterview benchmark//EN",
            *[line for event in events for line in event],
            "END:VCALENDAR",
            "",
        ]
    )
    path.write_text(body)


def _event(uid: str, summary: str, start: datetime, *extra: str) -> list[str]:
    stamp = "%Y%m%dT%H%M%SZ"
    return [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20260101T000000Z",
        f"DTSTART:{start.strftime(stamp)}",
        f"DTEND:{(start + timedelta(hours=1)).strftime(stamp)}",
        f"SUMMARY:{summary}",
        *extra,
        "END:VEVENT",
    ]


def write_config(
    path: Path,
    *,
    imap_port: int,
    smtp_port: int,
    user: str,
    password_file: Path,
    ca_file: Path,
    calendar: Path,
    state: Path,
) -> None:
    """The user's config: every default kept (5-minute polls, IDLE, digest at 08:00)."""
    path.write_text(f"""\
account: {{email: {ME_ADDRESS}, name: {ME_NAME}, timezone: {ZONE.key}, signature: "{ME_NAME}"}}
imap: {{host: 127.0.0.1, port: {imap_port}, username: {user}, password_file: {password_file},
        ca_file: {ca_file}}}
smtp: {{host: 127.0.0.1, port: {smtp_port}, security: starttls, username: {user},
        password_file: {password_file}, ca_file: {ca_file}}}
calendars:
  - {{type: ics_file, path: {calendar}}}
state_dir: {state}
""")  # fmt: skip
    path.chmod(0o600)

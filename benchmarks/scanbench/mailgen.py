"""A deterministic, realistic personal mailbox for the scan benchmark.

The mix follows a job seeker's inbox: personal threads (References chains, quoted history,
Gmail-style HTML alternatives), mailing lists, HTML newsletters with List-Id, receipts and
notifications (some with PDFs), photos and documents as attachments, calendar invites, job
alerts and a few hundred mails about applications and interviews (the detector's corpus,
re-stamped with fresh Message-IDs). Sizes run from 2 KB to 200 KB. The same seed gives the
same bytes; the text is built from pools made once, so 20,000 messages take seconds.

By default the mail spans two years and a reply answers one of the last hundred threads. The
load benchmark asks for more (`start`, `end`, `old_replies`, `dated_corpus`): five years, some
replies reviving threads months old, and the corpus mails dated when they arrive.
"""

from __future__ import annotations

import base64
import binascii
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

ME_NAME, ME_ADDRESS = "Alice Candidate", "alice@example.test"
MIN_SIZE, MAX_SIZE = 2_000, 200_000
START = datetime(2024, 11, 1, tzinfo=UTC)
END = datetime(2026, 11, 1, tzinfo=UTC)
RECENT_THREADS = 120  # a reply usually answers one of the last this many threads (days)
OLD_THREADS = 2_500  # an old reply reaches this far back (months, at 100,000 over 5 years)

# (kind, share of the mailbox)
MIX = (
    ("personal", 0.29),
    ("list", 0.08),
    ("newsletter", 0.33),
    ("notification", 0.17),
    ("attachment", 0.05),
    ("invite", 0.015),
    ("job_alert", 0.02),
    ("job", 0.025),
)

FIRST = (
    "Anna", "Ben", "Chloe", "David", "Elif", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kiran",
    "Lena", "Marco", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Samir", "Tessa", "Umar",
    "Vera", "Wei", "Yara", "Zoe", "Mateo", "Sofia", "Lukas", "Amara", "Noah",
)  # fmt: skip
LAST = (
    "Novak", "Okafor", "Schmidt", "Dubois", "Garcia", "Kowalski", "Nguyen", "Rossi", "Haddad",
    "Larsen", "Moreau", "Tanaka", "Weber", "Ibrahim", "Costa", "Fischer", "Jensen", "Silva",
    "Brennan", "Petrov",
)  # fmt: skip
PERSONAL_HOSTS = ("mailbox.example", "posteo.example", "fastmail.example", "webmail.example")
PERSONAL_SUBJECTS = (
    "Dinner on Saturday?", "photos from the hike", "Happy birthday!!", "moving boxes",
    "quick question", "Book recommendation", "Weekend plans", "Call later?", "Sunday brunch",
    "Your spare key", "Mum's 60th", "the recipe you asked for", "Thanks for yesterday",
    "Running club this week", "Concert tickets", "Did you see this?", "Holiday flights",
    "Catch up soon?", "Coffee next week?", "Garden stuff", "Apartment viewing Thursday",
    "Bike repair", "A podcast you'd like", "Wedding RSVP", "Babysitting Friday",
    "Long time no see", "Trip itinerary", "Board game night", "Notes from Tuesday",
    "Fwd: funny", "Fwd: article on remote work", "Christmas plans", "Lunch?", "Car pool",
    "Lost and found", "Flat warming", "the plant situation", "Recommendations for Lisbon",
    "Your jacket", "Climbing gym membership",
)  # fmt: skip
LISTS = (
    ("climbing-club", "Saturday session", "climbing.groups.example"),
    ("book-club", "Next month's pick", "lists.readers.example"),
    ("neighbours", "Lost cat on Elm Street", "elm.groups.example"),
    ("pyladies-berlin", "Venue for the next meetup", "lists.pyladies.example"),
    ("choir", "Rehearsal notes", "choir.groups.example"),
    ("parents-3b", "School trip money", "school.groups.example"),
    ("openstreetmap-de", "Import of building outlines", "lists.osm.example"),
    ("home-automation", "Zigbee stick keeps dropping", "lists.hass.example"),
)
NEWSLETTERS = (
    ("The Morning Brief", "brief@news.dailybrief.example"),
    ("Corner Books", "hello@cornerbooks.example"),
    ("Python Weekly", "editor@pyweekly.example"),
    ("Trailhead Outdoor", "news@trailhead-outdoor.example"),
    ("Kitchen Stories", "recipes@kitchenstories.example"),
    ("Lumen Cloud", "updates@lumen-cloud.example"),
    ("City Museum", "events@citymuseum.example"),
    ("Nordic Home", "shop@nordichome.example"),
    ("The Remote Worker", "team@remoteworker.example"),
    ("Fintrack", "insights@fintrack.example"),
)
NEWSLETTER_SUBJECTS = (
    "Your weekly digest: 7 stories you missed", "The Morning Brief for {day}",
    "New arrivals you'll love", "Last chance: 30% off ends tonight", "This week in Python",
    "Product update: what's new in {month}", "Webinar: scaling Postgres without tears",
    "Don't miss our spring sale", "Your {month} reading list", "Top picks for you",
    "Free shipping this weekend only", "An exclusive offer for members",
    "Event recap: what we learned at DevConf", "5 recipes for busy weeknights",
    "Join us for our annual community event", "Introducing our new app",
    "Time's running out: early-bird tickets", "Monthly roundup",
    "Tips to get more from your account",
    "You're invited: members-only preview", "Hiring? Post your first job for free",
    "The best trails for autumn", "Our biggest sale of the year starts now",
    "How to negotiate your salary (and win)", "Career advice from 5 engineering managers",
    "Meet the makers behind our new collection", "Your year in review",
)  # fmt: skip
SERVICES = (
    ("Parcelway", "no-reply@parcelway.example"),
    ("Corner Bakery", "receipts@cornerbakery.example"),
    ("Northbank", "alerts@northbank.example"),
    ("GitHub", "notifications@github.example"),
    ("Streamly", "info@streamly.example"),
    ("CityPower", "billing@citypower.example"),
    ("SkyRail", "tickets@skyrail.example"),
    ("Photobook", "orders@photobook.example"),
    ("Dr. Weber Dental", "praxis@weber-dental.example"),
    ("Hotel Aurora", "reservations@hotel-aurora.example"),
)
NOTIFICATION_SUBJECTS = (
    "Your order #{n} has shipped", "Your receipt from {name}", "Your statement is ready",
    "Security alert: new sign-in on Windows", "Password reset request",
    "Your package will arrive tomorrow", "Payment received - thank you",
    "Reminder: your appointment on {day}", "Your booking is confirmed: {name}",
    "[afterview/afterview] Pull request #{n}: fix flaky test", "[lumen/api] Issue #{n} closed",
    "Someone commented on your post", "Your monthly bill is ready", "Check-in is now open",
    "Your subscription renews soon", "Verify your email address", "Delivery update for order #{n}",
    "Your trip receipt", "New login to your account", "Your invoice {n}",
)  # fmt: skip
ATTACHMENT_SUBJECTS = (
    "Photos from the weekend", "Scanned documents", "Tax papers", "Lease agreement (signed)",
    "Vacation pictures", "Invoice March", "CV draft - feedback welcome?", "Recipe card",
    "Tickets for Saturday", "The kids' drawings", "Insurance form", "Floor plan",
)  # fmt: skip
INVITE_TITLES = (
    "Team lunch", "Book club", "Dentist", "Yoga class", "Anna's farewell drinks",
    "Parent-teacher meeting", "Climbing", "Volunteer shift", "Quarterly planning",
)  # fmt: skip
JOB_TITLES = (
    "Software Engineer", "Backend Developer", "Data Engineer", "Platform Engineer",
    "Product Designer", "Site Reliability Engineer",
)  # fmt: skip
CITIES = ("Berlin", "Hamburg", "Amsterdam", "Remote", "Lisbon", "Munich", "Vienna")

# Prose by register, so a letter from a friend reads like one and a shop's mail like a shop's.
PERSONAL = (
    "We finally made it to the lake on Sunday and the water was colder than expected.",
    "The kids loved the museum, especially the room with the old maps and the globe.",
    "I have been meaning to write for ages but the last few weeks just flew by.",
    "Let me know if the weekend works for you, otherwise we can find another date.",
    "The train was delayed again, so I spent an hour reading in the station cafe.",
    "Our landlord says the heating will be fixed by Thursday, which I doubt.",
    "I tried the recipe with less sugar and it was honestly better that way.",
    "Did you hear back from the garage about the brakes?",
    "There is a new bakery on the corner that does amazing cardamom buns.",
    "We are thinking of going to the coast in August if we can get a cheap flat.",
    "The meeting ran long, so I missed the bus and walked home in the rain.",
    "Thanks again for lending me the drill, I will bring it back on Friday.",
    "Honestly the best part of the trip was the tiny restaurant near the harbour.",
    "Mum says hello and asks whether you still have her blue casserole dish.",
    "The cat has decided the new sofa is hers, so we sit on the floor now.",
    "I finished the book you lent me; the ending made me cry on the tram.",
    "Are you still up for the hike if it rains a bit?",
    "We repainted the hallway and it looks twice as big now.",
)
LIST_PROSE = (
    "The city council will vote on the new cycle lanes at the end of the month.",
    "I attached the notes from our last session; the chord changes are on page two.",
    "Could someone bring an extension cord? The one in the hall stopped working.",
    "The library extended its opening hours until ten on weekdays.",
    "Please remember to bring the signed form and four euros for the bus.",
    "I am not sure the import script handles multipolygons correctly yet.",
    "After the firmware update the stick drops off the network every few hours.",
    "The wall at the gym has new routes on the left side, mostly easy ones.",
    "Has anyone tried the newer Zigbee coordinator with the same config?",
)
MARKETING = (
    "Our new release cuts start-up time in half and adds a dark theme everyone asked for.",
    "Members get early access to the sale and free returns for sixty days.",
    "Read the full story on our website, where you can also leave a comment.",
    "This season's collection is made from recycled wool and organic cotton.",
    "Three of our editors tried every budget laptop on the market so you don't have to.",
    "Join thousands of readers who start their morning with five minutes of news.",
    "Prices include VAT; delivery times may vary during the holiday season.",
    "The trail climbs steadily through beech forest before opening onto the ridge.",
    "Stir the onions until golden, then add the lentils and a pinch of cumin.",
    "The quarterly numbers look fine, but the forecast for spring is uncertain.",
    "Our community grew by forty percent this year, thanks to readers like you.",
)
SERVICE = (
    "Our support team is available around the clock through the chat in the app.",
    "We have updated our privacy policy to explain more clearly how we use your data.",
    "If you did not make this request, you can safely ignore this email.",
    "Your parcel is on its way and can be tracked with the number below.",
    "The amount will be charged to the card ending in 4421.",
    "You can download your documents at any time from your account page.",
    "This is an automatically generated message; replies to it are not read.",
    "Keep this receipt for your records; it includes VAT where applicable.",
)
GCAL_FOOTER = (
    "Invitation from Google Calendar\n\nYou are receiving this email because you are an "
    "attendee of this event. To stop receiving future updates for this event, decline this "
    "event.\n\nForwarding this invitation could allow any recipient to send a response to the "
    "organizer, be added to the guest list, invite others regardless of their own invitation "
    "status, or modify your RSVP. Learn more "
    "https://support.google.com/calendar/answer/37135#forwarding\n"
)
GREETINGS = ("Hi {name},", "Hey {name}!", "Hello {name},", "Dear {name},", "{name},")
CLOSINGS = ("Cheers,", "Best,", "Love,", "See you soon,", "Thanks,", "xx")
_HTML_HEAD = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" '
    'content="width=device-width"><style type="text/css">body{margin:0;padding:0;'
    "background:#f4f5f7}table{border-collapse:collapse}td{font-family:Helvetica,Arial,"
    "sans-serif;font-size:15px;line-height:22px;color:#1f2933}.button{background:#2563eb;"
    "color:#ffffff;border-radius:6px;padding:12px 20px;text-decoration:none}.muted{color:"
    "#6b7280;font-size:12px}@media only screen and (max-width:600px){.container{width:100%"
    "!important}.stack{display:block!important;width:100%!important}}</style></head><body>"
    '<table class="container" width="600" align="center" cellpadding="0" cellspacing="0">'
)
_MESSAGE_ID_LINE = re.compile(rb"^Message-ID:[^\n]*\n(?:[ \t][^\n]*\n)*", re.IGNORECASE | re.M)
_DATE_LINE = re.compile(rb"^Date:[^\n]*\n(?:[ \t][^\n]*\n)*", re.IGNORECASE | re.M)


@dataclass(frozen=True)
class GeneratedMessage:
    when: datetime
    kind: str
    raw: bytes  # LF line endings, as Dovecot keeps mail on disk
    seen: bool


@dataclass
class _Thread:
    subject: str
    people: tuple[tuple[str, str], ...]
    ids: list[str]
    mailing_list: tuple[str, str, str] | None = None


class MailboxGenerator:
    """`messages(n)` yields n messages in date order; same seed, same bytes."""

    def __init__(
        self,
        seed: int,
        corpus_dirs: tuple[Path, ...],
        *,
        start: datetime = START,
        end: datetime = END,
        old_replies: float = 0.0,
        dated_corpus: bool = False,
    ) -> None:
        """`old_replies`: the share of replies that answer a thread up to `OLD_THREADS` back
        instead of a recent one. `dated_corpus`: a corpus mail's Date header says when it
        arrives (the corpus was written in 2026)."""
        self.start, self.end = start, end
        self.old_replies = old_replies
        self.dated_corpus = dated_corpus
        self.rng = random.Random(seed)
        rng = self.rng
        self.paragraphs = {
            name: [" ".join(rng.choices(pool, k=rng.randint(2, 6))) for _ in range(200)]
            for name, pool in (
                ("personal", PERSONAL),
                ("list", LIST_PROSE),
                ("marketing", MARKETING),
                ("service", SERVICE),
            )
        }
        self.wrapped = {
            name: [_wrap(paragraph) for paragraph in paragraphs]
            for name, paragraphs in self.paragraphs.items()
        }
        self.noise = rng.randbytes(260_000)
        self.blocks = {
            name: [self._article_block(i, name) for i in range(150)]
            for name in ("marketing", "service")
        }
        self.corpus = [p.read_bytes() for d in corpus_dirs for p in sorted(d.glob("*.eml"))]
        self.threads: list[_Thread] = []
        self.counter = 0
        self._build: dict[str, Callable[[datetime], bytes]] = {
            "personal": self._personal,
            "list": self._list,
            "newsletter": self._newsletter,
            "notification": self._notification,
            "attachment": self._attachment_kind,
            "invite": self._invite,
            "job_alert": self._job_alert,
            "job": self._job,
        }

    def messages(self, count: int) -> Iterator[GeneratedMessage]:
        rng = self.rng
        kinds = [k for k, _ in MIX]
        weights = [w for _, w in MIX]
        step = (self.end - self.start) / count
        for index in range(count):
            when = self.start + step * index + timedelta(seconds=rng.randint(0, 600))
            kind = rng.choices(kinds, weights)[0]
            raw = self.message(kind, when)
            yield GeneratedMessage(when, kind, raw, seen=rng.random() < 0.85)

    def message(self, kind: str, when: datetime) -> bytes:
        """One more message of a kind in `MIX`, arriving at `when` (a reply continues one of
        the threads generated so far)."""
        return self._build[kind](when)

    def invitation(
        self,
        when: datetime,
        organizer: tuple[str, str],
        title: str,
        start: datetime,
        length: timedelta,
    ) -> bytes:
        """An interview invitation with its calendar part, as Google Calendar sends it."""
        summary = f"Interview: {title}"
        description = f"Your interview: {title}. Join: https://meet.example/x"
        return self._calendar_mail(when, organizer, summary, summary, start.astimezone(UTC),
                                   description, length)  # fmt: skip

    # Building blocks ---------------------------------------------------------------------

    def _id(self, host: str) -> str:
        self.counter += 1
        return f"{self.counter:06d}.{self.rng.getrandbits(48):012x}@{host}"

    def _person(self) -> tuple[str, str]:
        first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
        host = self.rng.choice(PERSONAL_HOSTS)
        return f"{first} {last}", f"{first.lower()}.{last.lower()}@{host}"

    def _text(self, size: int, register: str = "personal") -> str:
        parts: list[str] = []
        length = 0
        while length < size:
            paragraph = self.rng.choice(self.wrapped[register])
            parts.append(paragraph)
            length += len(paragraph) + 2
        return "\n\n".join(parts)

    def _article_block(self, n: int, register: str) -> str:
        rng = self.rng
        text = " ".join(rng.choice(self.paragraphs[register]) for _ in range(2))
        link = f"https://click.news.example/ls/click?upn={rng.getrandbits(160):040x}"
        image = f"https://cdn.news.example/img/{rng.getrandbits(64):016x}.jpg"
        return (
            '<tr><td style="padding:0 32px 16px 32px"><img src="' + image + '" width="536" '
            'alt="" style="display:block;border:0"><h2 style="margin:12px 0 4px 0">'
            + f'Story {n}</h2><p style="margin:0">{text} <a href="{link}">Read more</a></p>'
            "</td></tr>\n"
        )

    def _html(self, size: int, register: str = "marketing") -> str:
        rows = [_HTML_HEAD]
        length = len(_HTML_HEAD)
        while length < size - 800:
            block = self.rng.choice(self.blocks[register])
            rows.append(block)
            length += len(block)
        rows.append(
            '<tr><td class="muted">You receive this email because you signed up on our website. '
            '<a href="https://news.example/unsubscribe">Unsubscribe</a> | '
            '<a href="https://news.example/preferences">Preferences</a></td></tr></table>'
            "</body></html>"
        )
        return "".join(rows)

    def _headers(
        self,
        when: datetime,
        sender: tuple[str, str],
        subject: str,
        *,
        message_id: str,
        to: str = f"{ME_NAME} <{ME_ADDRESS}>",
        extra: tuple[str, ...] = (),
    ) -> str:
        rng = self.rng
        host = sender[1].rsplit("@", 1)[1]
        hop = rng.randint(10, 250)
        received = (
            f"Return-Path: <{sender[1]}>\nDelivered-To: {ME_ADDRESS}\n"
            f"Received: from mx{hop % 4}.{host} (mx{hop % 4}.{host} [192.0.2.{hop}])\n"
            f"\tby mail.example.test with ESMTPS id {rng.getrandbits(40):010x}\n"
            f"\tfor <{ME_ADDRESS}>; {format_datetime(when)}\n"
            f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={host}; s=s1;\n"
            f"\th=from:to:subject:date:message-id;\n"
            f"\tbh={base64.b64encode(rng.randbytes(32)).decode()};\n"
            f"\tb={base64.b64encode(rng.randbytes(180)).decode()}\n"
            f"Authentication-Results: mail.example.test; dkim=pass header.d={host};\n"
            f"\tspf=pass smtp.mailfrom={host}; dmarc=pass header.from={host}\n"
        )
        name = sender[0].replace('"', "")
        lines = [
            received,
            f'From: "{name}" <{sender[1]}>\n',
            f"To: {to}\n",
            f"Subject: {subject}\n",
            f"Date: {format_datetime(when)}\n",
            f"Message-ID: <{message_id}>\n",
            "MIME-Version: 1.0\n",
            *(line + "\n" for line in extra),
        ]
        return "".join(lines)

    # Kinds of mail -------------------------------------------------------------------------

    def _personal(self, when: datetime) -> bytes:
        rng = self.rng
        thread = None
        if self.threads and rng.random() < 0.45:
            back = RECENT_THREADS
            if self.old_replies and rng.random() < self.old_replies:
                back = OLD_THREADS
            thread = self.threads[-rng.randint(1, min(len(self.threads), back))]
        if thread is None or thread.mailing_list is not None:
            person = self._person()
            subject = rng.choice(PERSONAL_SUBJECTS)
            thread = _Thread(subject, (person,), [])
            self.threads.append(thread)
            subject_line, extra = subject, ()
        else:
            subject_line = f"Re: {thread.subject}"
            refs = " ".join(f"<{i}>" for i in thread.ids[-20:])
            extra = (f"In-Reply-To: <{thread.ids[-1]}>", f"References: {refs}")
        sender = rng.choice(thread.people)
        message_id = self._id(sender[1].rsplit("@", 1)[1])
        thread.ids.append(message_id)
        size = int(rng.triangular(MIN_SIZE, 14_000, 3_500))
        text = self._letter(sender, size, quoted=bool(extra))
        if rng.random() < 0.6:  # Gmail and Apple Mail send an HTML twin
            return self._alternative(when, sender, subject_line, message_id, text, extra)
        head = self._headers(when, sender, subject_line, message_id=message_id, extra=extra)
        return _single(head, "text/plain; charset=utf-8", "8bit", text)

    def _letter(
        self, sender: tuple[str, str], size: int, *, quoted: bool, register: str = "personal"
    ) -> str:
        rng = self.rng
        greeting = rng.choice(GREETINGS).format(name="Alice")
        body = self._text(max(200, size // (2 if quoted else 1)), register)
        closing = f"{rng.choice(CLOSINGS)}\n{sender[0].split()[0]}"
        text = f"{greeting}\n\n{body}\n\n{closing}\n"
        if quoted:
            history = self._text(size // 2, register)
            text += f"\nOn {rng.randint(1, 28)} Oct 2025, {ME_NAME} <{ME_ADDRESS}> wrote:\n"
            text += "".join(f"> {line}\n" for line in history.split("\n"))
        elif len(text) < MIN_SIZE:
            text += "\n" + self._text(MIN_SIZE - len(text), register)
        return text

    def _alternative(
        self,
        when: datetime,
        sender: tuple[str, str],
        subject: str,
        message_id: str,
        text: str,
        extra: tuple[str, ...],
    ) -> bytes:
        boundary = f"000000000000{self.rng.getrandbits(64):016x}"
        head = self._headers(
            when,
            sender,
            subject,
            message_id=message_id,
            extra=(*extra, f'Content-Type: multipart/alternative; boundary="{boundary}"'),
        )
        html = (
            '<div dir="ltr">'
            + "<br>".join(f"<div>{line}</div>" for line in text.split("\n"))
            + "</div>"
        )
        parts = [
            ("text/plain; charset=UTF-8", "quoted-printable", _qp(text)),
            ("text/html; charset=UTF-8", "quoted-printable", _qp(html)),
        ]
        return _multipart(head, boundary, parts)

    def _list(self, when: datetime) -> bytes:
        rng = self.rng
        name, topic, host = rng.choice(LISTS)
        open_threads = [
            t for t in self.threads[-200:] if t.mailing_list and t.mailing_list[0] == name
        ]
        if open_threads and rng.random() < 0.6:
            thread = rng.choice(open_threads)
            subject = f"Re: [{name}] {thread.subject}"
            refs = " ".join(f"<{i}>" for i in thread.ids[-20:])
            extra_refs: tuple[str, ...] = (
                f"In-Reply-To: <{thread.ids[-1]}>",
                f"References: {refs}",
            )
        else:
            people = tuple(self._person() for _ in range(4))
            thread = _Thread(topic, people, [], (name, topic, host))
            self.threads.append(thread)
            subject, extra_refs = f"[{name}] {topic}", ()
        sender = rng.choice(thread.people)
        message_id = self._id(sender[1].rsplit("@", 1)[1])
        thread.ids.append(message_id)
        extra = (
            *extra_refs,
            f"List-Id: {name} <{name}.{host}>",
            f"List-Unsubscribe: <mailto:{name}+unsubscribe@{host}>",
            "Precedence: list",
            f"Sender: {name}@{host}",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
        )
        head = self._headers(
            when, sender, subject, message_id=message_id, to=f"{name}@{host}", extra=extra
        )
        size = int(rng.triangular(MIN_SIZE, 16_000, 4_000))
        text = self._letter(sender, size, quoted=bool(extra_refs), register="list")
        text += f"\n--\nYou received this message because you are subscribed to {name}.\n"
        return (head + "\n" + text).encode()

    def _newsletter(self, when: datetime) -> bytes:
        rng = self.rng
        sender = rng.choice(NEWSLETTERS)
        subject = rng.choice(NEWSLETTER_SUBJECTS).format(
            day=when.strftime("%A, %d %B"), month=when.strftime("%B")
        )
        host = sender[1].rsplit("@", 1)[1]
        size = int(rng.triangular(12_000, 110_000, 22_000))
        html = self._html(int(size * 0.75))
        text = self._text(int(size * 0.2), "marketing")
        boundary = f"--==_mimepart_{rng.getrandbits(64):016x}"
        head = self._headers(
            when,
            sender,
            subject,
            message_id=self._id(host),
            extra=(
                f"List-Id: {sender[0]} <newsletter.{host}>",
                f"List-Unsubscribe: <https://{host}/u/{rng.getrandbits(64):x}>, <mailto:u@{host}>",
                "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
                "Precedence: bulk",
                f"Reply-To: {sender[1]}",
                f'Content-Type: multipart/alternative; boundary="{boundary}"',
            ),
        )
        encoding = rng.choices(("quoted-printable", "base64", "8bit"), (5, 2, 3))[0]
        parts = [
            ("text/plain; charset=utf-8", "quoted-printable", _qp(text)),
            ("text/html; charset=utf-8", encoding, _encode(html, encoding)),
        ]
        return _multipart(head, boundary, parts)

    def _notification(self, when: datetime) -> bytes:
        rng = self.rng
        sender = rng.choice(SERVICES)
        host = sender[1].rsplit("@", 1)[1]
        subject = rng.choice(NOTIFICATION_SUBJECTS).format(
            n=rng.randint(1000, 99999), name=sender[0], day=when.strftime("%d %B")
        )
        extra: list[str] = []
        if sender[0] == "GitHub":
            extra += [f"List-Id: lumen/api <api.lumen.{host}>", "X-GitHub-Reason: subscribed"]
        elif rng.random() < 0.5:
            extra.append(f"List-Unsubscribe: <https://{host}/unsub>")
        if rng.random() < 0.3:
            extra.append("Auto-Submitted: auto-generated")
        size = int(rng.triangular(MIN_SIZE, 40_000, 6_000))
        html = self._html(size, "service")
        message_id = self._id(host)
        if rng.random() < 0.2:  # a receipt or an invoice as a PDF
            boundary = f"----=_Part_{rng.getrandbits(48):x}"
            head = self._headers(
                when,
                sender,
                subject,
                message_id=message_id,
                extra=(*extra, f'Content-Type: multipart/mixed; boundary="{boundary}"'),
            )
            pdf = self._attachment(b"%PDF-1.5\n", int(rng.triangular(20_000, 120_000, 40_000)))
            parts = [
                ("text/html; charset=utf-8", "quoted-printable", _qp(html)),
                (
                    f'application/pdf; name="receipt-{rng.randint(1, 9999)}.pdf"\n'
                    "Content-Disposition: attachment",
                    "base64",
                    pdf,
                ),
            ]
            return _multipart(head, boundary, parts)
        head = self._headers(when, sender, subject, message_id=message_id, extra=tuple(extra))
        return _single(head, "text/html; charset=utf-8", "quoted-printable", _qp(html))

    def _attachment_mail(self, when: datetime, sender: tuple[str, str], subject: str) -> bytes:
        rng = self.rng
        boundary = f"Apple-Mail={rng.getrandbits(64):016x}"
        host = sender[1].rsplit("@", 1)[1]
        head = self._headers(
            when,
            sender,
            subject,
            message_id=self._id(host),
            extra=(f'Content-Type: multipart/mixed; boundary="{boundary}"',),
        )
        text = self._letter(sender, rng.randint(300, 1500), quoted=False)
        parts = [("text/plain; charset=utf-8", "8bit", text)]
        budget = int(rng.triangular(40_000, MAX_SIZE - 8_000, 70_000))
        files = rng.randint(1, 3)
        for n in range(files):
            if rng.random() < 0.6:
                kind, name, magic = (
                    "image/jpeg",
                    f"IMG_{rng.randint(1000, 9999)}.jpg",
                    b"\xff\xd8\xff\xe0",
                )
            else:
                kind, name, magic = "application/pdf", f"document-{n + 1}.pdf", b"%PDF-1.7\n"
            payload = self._attachment(magic, budget * 3 // 4 // files)
            parts.append(
                (f'{kind}; name="{name}"\nContent-Disposition: attachment; filename="{name}"',
                 "base64", payload)
            )  # fmt: skip
        return _multipart(head, boundary, parts)

    def _attachment(self, magic: bytes, size: int) -> str:
        start = self.rng.randrange(0, len(self.noise) - size) if size < len(self.noise) else 0
        return base64.encodebytes(magic + self.noise[start : start + size]).decode()

    def _invite(self, when: datetime) -> bytes:
        rng = self.rng
        title = rng.choice(INVITE_TITLES)
        organizer = self._person()
        start = when + timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 8))
        return self._calendar_mail(
            when,
            organizer,
            f"Invitation: {title} @ {start.strftime('%a %b %d, %Y %H:%M')} (UTC)",
            title,
            start,
            "",
        )

    def _calendar_mail(
        self,
        when: datetime,
        organizer: tuple[str, str],
        subject: str,
        summary: str,
        start: datetime,
        description: str,
        length: timedelta | None = None,
    ) -> bytes:
        rng = self.rng
        host = organizer[1].rsplit("@", 1)[1]
        uid = self._id(host)
        if length is None:
            length = timedelta(minutes=rng.choice((30, 45, 60)))
        stamp = "%Y%m%dT%H%M%SZ"
        ics = "\r\n".join(
            (
                "BEGIN:VCALENDAR",
                "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
                "VERSION:2.0",
                "CALSCALE:GREGORIAN",
                "METHOD:REQUEST",
                "BEGIN:VEVENT",
                f"DTSTART:{start.strftime(stamp)}",
                f"DTEND:{(start + length).strftime(stamp)}",
                f"DTSTAMP:{when.strftime(stamp)}",
                f"ORGANIZER;CN={organizer[0]}:mailto:{organizer[1]}",
                f"UID:{uid}",
                f"ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;"
                f"RSVP=TRUE;CN={ME_NAME}:mailto:{ME_ADDRESS}",
                f"DESCRIPTION:{description}",
                "SEQUENCE:0",
                "STATUS:CONFIRMED",
                f"SUMMARY:{summary}",
                "TRANSP:OPAQUE",
                "END:VEVENT",
                "END:VCALENDAR",
                "",
            )
        )
        boundary = f"000000000000{rng.getrandbits(64):016x}"
        head = self._headers(
            when,
            organizer,
            subject,
            message_id=self._id(host),
            extra=(f'Content-Type: multipart/alternative; boundary="{boundary}"',),
        )
        text = f"{summary}\n{start.strftime('%A %d %B %Y %H:%M')} UTC\n\n{description}\n"
        text += GCAL_FOOTER
        parts = [
            ("text/plain; charset=UTF-8", "quoted-printable", _qp(text)),
            ("text/html; charset=UTF-8", "quoted-printable", _qp(_text_as_html(text))),
            ("text/calendar; charset=UTF-8; method=REQUEST", "7bit", ics.replace("\r\n", "\n")),
        ]
        return _multipart(head, boundary, parts)

    def _job_alert(self, when: datetime) -> bytes:
        rng = self.rng
        title, city = rng.choice(JOB_TITLES), rng.choice(CITIES)
        sender = ("Job Alerts", "jobalerts-noreply@jobs.careerhub.example")
        subject = rng.choice(
            (
                f"{rng.randint(3, 30)} new jobs for '{title}' in {city}",
                f"{title} at Lumen Analytics and {rng.randint(5, 40)} more jobs in {city}",
                f"New jobs matching your search: {title}",
            )
        )
        host = sender[1].rsplit("@", 1)[1]
        head = self._headers(
            when,
            sender,
            subject,
            message_id=self._id(host),
            extra=(
                f"List-Unsubscribe: <https://{host}/alerts/off>",
                "Content-Type: text/html; charset=utf-8",
                "Content-Transfer-Encoding: quoted-printable",
            ),
        )
        size = int(rng.triangular(20_000, 80_000, 35_000))
        return (head + "\n" + _qp(self._job_listing(title, city, size))).encode()

    def _job_listing(self, title: str, city: str, size: int) -> str:
        rng = self.rng
        rows = [_HTML_HEAD]
        length = len(_HTML_HEAD)
        while length < size - 600:
            company = f"{rng.choice(LAST)} {rng.choice(('Labs', 'GmbH', 'Analytics', 'Systems'))}"
            link = f"https://jobs.careerhub.example/view/{rng.getrandbits(40):x}?trk=alert"
            row = (
                '<tr><td style="padding:12px 24px;border-bottom:1px solid #e5e7eb">'
                f'<a href="{link}" style="font-weight:bold;color:#0a66c2">'
                f"{rng.choice(('Senior ', 'Junior ', '', 'Lead '))}{title}</a><br>{company}"
                f" &middot; {city} ({rng.choice(('Hybrid', 'On-site', 'Remote'))})<br>"
                f'<span class="muted">{rng.randint(1, 30)} days ago &middot; '
                f"{rng.randint(2, 200)} applicants</span></td></tr>\n"
            )
            rows.append(row)
            length += len(row)
        rows.append(
            '<tr><td class="muted">You are receiving job alert emails. '
            '<a href="https://jobs.careerhub.example/alerts/off">Unsubscribe</a></td></tr>'
            "</table></body></html>"
        )
        return "".join(rows)

    def _job(self, when: datetime) -> bytes:
        """A mail from the detector's corpus (applications, interviews, rejections, offers, and
        the look-alikes), with a Message-ID of its own so each copy is a new message."""
        rng = self.rng
        if rng.random() < 0.12:
            organizer = ("Priya Raman", f"priya.raman@talent-{rng.randint(1, 80)}.example")
            start = when + timedelta(days=rng.randint(2, 14), hours=rng.randint(8, 16))
            title = rng.choice(JOB_TITLES)
            return self._calendar_mail(
                when,
                organizer,
                f"Interview: {title} - Northwind Analytics",
                f"Interview: {title} - Northwind Analytics",
                start,
                "Your interview with Northwind Analytics. Join: https://zoom.us/j/5551234567",
            )
        raw = rng.choice(self.corpus).replace(b"\r\n", b"\n")
        head, sep, body = raw.partition(b"\n\n")
        head = _MESSAGE_ID_LINE.sub(b"", head + b"\n").rstrip(b"\n")
        if self.dated_corpus:
            head = _DATE_LINE.sub(b"", head + b"\n").rstrip(b"\n")
            head += b"\nDate: " + format_datetime(when).encode()
        message_id = self._id("corpus.example").encode()
        return head + b"\nMessage-ID: <" + message_id + b">" + sep + body

    def _attachment_kind(self, when: datetime) -> bytes:
        sender = self._person()
        return self._attachment_mail(when, sender, self.rng.choice(ATTACHMENT_SUBJECTS))


def _text_as_html(text: str) -> str:
    lines = "".join(f"<div>{line or '<br>'}</div>" for line in text.split("\n"))
    return f'<html><head></head><body><div dir="ltr">{lines}</div></body></html>'


def _wrap(text: str, width: int = 76) -> str:
    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            if line and len(line) + len(word) + 1 > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
    return "\n".join(lines)


def _qp(text: str) -> str:
    return binascii.b2a_qp(text.encode()).decode("ascii")


def _encode(text: str, encoding: str) -> str:
    if encoding == "quoted-printable":
        return _qp(text)
    if encoding == "base64":
        return base64.encodebytes(text.encode()).decode("ascii")
    return _wrap_html(text)


def _wrap_html(html: str) -> str:
    return html.replace("</tr>", "</tr>\n").replace("<tr>", "\n<tr>")


def _single(head: str, content_type: str, encoding: str, body: str) -> bytes:
    return (
        f"{head}Content-Type: {content_type}\nContent-Transfer-Encoding: {encoding}\n\n{body}"
    ).encode()


def _multipart(head: str, boundary: str, parts: list[tuple[str, str, str]]) -> bytes:
    out = [head, "\n", "This is a multi-part message in MIME format.\n"]
    for content_type, encoding, body in parts:
        out.append(
            f"\n--{boundary}\nContent-Type: {content_type}\n"
            f"Content-Transfer-Encoding: {encoding}\n\n{body}"
        )
    out.append(f"\n--{boundary}--\n")
    return "".join(out).encode()

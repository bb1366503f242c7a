"""Decide what one email or one calendar event says about a job interview.

Pure: bytes in, `Detection` out. Calendar data in the mail is the strongest evidence; the
prose is read for the rest. Hard negatives (rejections, offers, alerts, own mail) are ruled
out by what they are, before any keyword can make them look like an invitation.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta, tzinfo

from daemon.detect import (
    cues,
    details,
    events,
    ics,
    links,
    mime,
    negatives,
    people,
    region,
    thread,
    timing,
    when,
)
from daemon.detect.company import find_company, is_agency, is_freemail
from daemon.detect.decision import decision_date
from daemon.detect.events import classify_calendar as classify_calendar  # callers import it here
from daemon.detect.fastre import Pattern
from daemon.detect.text import language, split_quoted
from daemon.model import Detection, Kind, Person

log = logging.getLogger(__name__)
MAX_MESSAGE_BYTES = 25 << 20
MAX_READ_CHARS = 6_000
# Cue words are looked for in the opening of the message's own text: that is where a mail
# says what it is about, and the cue patterns are the costliest part of reading.
CUE_CHARS = 2_000
BODY_HEAD, BODY_TAIL = 1_500, 500
_FORWARDED_FROM = re.compile(
    r"^\s*\**(?:from|von|de)\**\s*:\**\s*(.*@.*)$", re.IGNORECASE | re.MULTILINE
)
_FORWARDED_CC = re.compile(
    r"^\s*\**(?:cc|kopie|copie)\**\s*:\**\s*(.*@.*)$", re.IGNORECASE | re.MULTILINE
)
_NAMED_ADDRESS = re.compile(
    r"([^<>;\n]*?)\s*[<\[](?:mailto:)?([^<>\[\]\s]+@[^<>\[\]\s]+)[>\]]|([\w.+-]+@[\w.-]+)"
)


def _addresses_in(line: str) -> list[tuple[str, str]]:
    """Addresses in a forwarded header line; "Kim, Soo-ah <s@x>" keeps its comma."""
    found = []
    for match in _NAMED_ADDRESS.finditer(line):
        name, address = (match.group(1) or "").strip(" ;,\"'"), match.group(2) or match.group(3)
        found.append((name, address.lower().strip(".")))
    return found


# Words for a conversation the writer will most likely hold themselves.
_ONE_TO_ONE = Pattern(
    r"\b(?:phone|recruiter|intro(?:ductory)?|initial|quick|short|first)[ -]?(?:screen|call|chat|"
    r"conversation)|\bscreening\b|\b(?:call|chat|talk|speak)\b|\btelefon|\berstgespr[äa]ch|"
    r"\bkennenlern|\bappel\b|\b[ée]change t[ée]l[ée]phonique|\bllamada\b|\bcharla\b",
    re.IGNORECASE,
)
# The writer says they will be there: "with me", "Yanis and I", "moi et", "conmigo".
_TAKES_PART = Pattern(
    r"\b(?:with me|i(?:'ll| will) call you|speak with me|meet me|call me|mit mir|"
    r"avec moi|conmigo|je vous appellerai|te llamar[ée]|"
    r"our\s+(?:(?!(?:will|would|can|could|may|might|must|shall|should|to)\b)[\w-]+\s+){0,2}(?:call|chat|conversation|interview|meeting|review|session|screen|talk|"
    r"walk-?through|debrief|presentation|coffee|lunch)|"
    r"our (?:time|\d+\s?(?:pm|am))|"
    r"i(?:'d| would) (?:love|like) to (?:chat|talk|meet|speak)|"
    r"let'?s (?:chat|talk|meet)|grab \d+|i have to cancel|i need to cancel|"
    r"unser(?:en?)? (?:gespräch|telefonat|termin)|ich (?:rufe|melde)|notre (?:entretien|échange|appel|rendez-vous)|"
    r"je t'appelle|nuestra (?:entrevista|llamada|reunión)|te llamo|und ich|et moi|y yo|"
    r"me and|myself and|moi et|moi-m[êe]me|moi m[êe]me|ich und|yo y|por m[íi]|nach mir|me demander|and me|"
    r"und mir|y yo)\b",
    re.IGNORECASE,
)
# The writer arranges the interview and says so: "I'm coordinating your schedule".
_COORDINATES = Pattern(
    r"\b(?:i(?:'m| am| will be|'ll be)? coordinating|i coordinate|i(?:'m| am) (?:the|your) "
    r"(?:\w+ )?coordinator|je coordonne|ich koordiniere|coordino)\b",
    re.IGNORECASE,
)
# The writer says they will not be there: "I won't be on the call myself".
_WRITER_STAYS_OUT = Pattern(
    rf"\b(?:i|i'll|i’ll|ich|je|yo)\b[^.\n]{{0,20}}?(?:{people.STAYS_OUT})", re.IGNORECASE
)
_AND_I = Pattern(r"\b\w+ and i (?:will|would|'ll|are|look)\b", re.IGNORECASE)  # "Lena and I will"
_OUTLOOK_MEETING = re.compile(
    r"^\s*(?:\*~)+\*?\s*$|^when:.*\n\s*where:", re.IGNORECASE | re.MULTILINE
)
# Around a time, words that say it is the old plan ("from 3pm", "Former:", "geplant war")
# or the new one ("Updated:", "neuer Termin", "nueva fecha").
# A label may be padded to line its value up ("Previous time:      Thu, Oct 29"). These read
# windows of a line or two, where plain `re` answers faster than a trip to RE2.
_OLD_BEFORE = re.compile(
    r"\b(?:from|instead of|original(?:ly)?|previous(?:ly)?|prior|former(?:ly)?|old|was|statt|"
    r"anstatt|anstelle|bisher\w*|alte[rnsm]?|von|vorherige[rns]?|ursprünglich\w*|"
    r"au lieu d[eu]|initialement|ancien(?:ne)?|précédent(?:e)?|prévu|en lugar del?|en vez del?|"
    r"originalmente|inicialmente|anterior|previsto)\b\W*(?:\w+\W+){0,6}$",
    re.IGNORECASE,
)
_OLD_AFTER = re.compile(
    r"^\W{0,3}(?:[\w.]+\W{1,3}){0,4}?(?:geplant war|vorgesehen war|was (?:scheduled|planned|booked)|"
    r"[ée]tait pr[ée]vu|estaba (?:prevista|programada|agendada))",
    re.IGNORECASE,
)
# "to", and the words for it after a verb of moving: "déplacé au", "verschoben auf", "movida al".
_NEW_BEFORE = re.compile(
    r"\b(?:new|updated|now|neue[nr]?|nouvel(?:le)?|nueva|nuevo|ahora|maintenant|jetzt|to|"
    r"(?:d[ée]plac|report|d[ée]cal|avanc)[ée]e?s?\W{1,3}(?:au|à|aux|pour)|"
    r"(?:verschoben|verlegt|vorgezogen)\W{1,3}auf|"
    r"(?:(?:movid|trasladad|reprogramad|cambiad|pasad|adelantad)[ao]s?|pasamos|movemos|"
    r"cambiamos|trasladamos|adelantamos)\W{1,3}(?:al|a|para))"
    r"\W*(?:\w+\W+){0,6}$",
    re.IGNORECASE,
)


def classify_email(
    raw: bytes,
    *,
    me: Iterable[str] = (),
    default_zone: tzinfo | None = None,
    now: datetime | None = None,
) -> Detection:
    """`now` stands in for the Date header when a message has none (relative dates need one)."""
    if len(raw) > MAX_MESSAGE_BYTES:
        return Detection(Kind.NONE, error=f"message larger than {MAX_MESSAGE_BYTES >> 20} MiB")
    try:
        parsed = mime.parse(raw, MAX_READ_CHARS)
    except Exception as exc:  # the email package can fail in many ways on hostile input
        return Detection(Kind.NONE, error=f"cannot parse the message: {type(exc).__name__}: {exc}")
    if parsed.date is None and now is not None:
        parsed.date = now
    try:
        reading = _EmailReading(parsed, set(me), default_zone)
        found = reading.detect()
        if found.kind is Kind.NONE and parsed.date and not reading.is_own_or_automatic():
            # "We'll be in touch by Friday" comes in mail about no new interview.
            day = decision_date(parsed.text[:MAX_READ_CHARS], parsed.date)
            found = replace(found, decision_by=day) if day else found
        return found
    except RecursionError:
        return Detection(Kind.NONE, error="the message is nested too deeply")
    except Exception as exc:  # a detector bug must cost one message, never the daemon
        log.warning("detection failed on a message: %s: %s", type(exc).__name__, exc)
        return Detection(Kind.NONE, error=f"detection failed: {type(exc).__name__}: {exc}")


def _candidate_addresses(mail: mime.ParsedMail) -> set[str]:
    """Who the mail is for: recipients outside the sender's organisation (colleagues the
    sender also addressed are more likely interviewers than candidates)."""
    sender_domain = mail.sender.split("@")[-1]
    outside = {a for _, a in mail.to if a.split("@")[-1] != sender_domain}
    if outside:
        return outside
    return {mail.to[0][1]} if mail.to else set()


class _EmailReading:
    def __init__(self, parsed: mime.ParsedMail, me: set[str], zone: tzinfo | None) -> None:
        self.mail = parsed
        self._firm_hits: dict[int, bool] = {}
        self.me = {a.lower() for a in me} | _candidate_addresses(parsed)
        self.my_names = {name.lower() for name, address in parsed.to if name and address in self.me}
        if parsed.sender in self.me:
            self.my_names.add(parsed.sender_name.lower())
        # What decides an interview sits in the first screens of a mail; bounding the text
        # read keeps a 10 MB body from costing more than a short one.
        self.reading = split_quoted(parsed.text[:MAX_READ_CHARS], parsed.subject)
        if self.reading.forwarded:
            self._take_original_sender()
        # Cue words are read with links blanked out: "meetup-join" in a Teams URL is no meetup.
        self.fresh = f"{parsed.subject}\n{links.URL.sub(' ', self.reading.fresh[:CUE_CHARS])}"
        self.language = language(self.fresh[:1200])
        domain = parsed.sender.rpartition("@")[2]
        self.zone = zone or region.guess_zone(parsed.date, self.language, self.fresh, domain)
        self.day_first = region.day_first(self.language, domain, self.fresh, self.zone)

    def _take_original_sender(self) -> None:
        """In a forward, the person who wrote the forwarded mail is the one who matters; the
        user who forwarded it is one of `me`."""
        mail = self.mail
        for match in _FORWARDED_FROM.finditer(self.reading.fresh):
            found = _addresses_in(match.group(1))
            if found and found[0][1] != mail.sender and found[0][1] not in self.me:
                name, address = found[0]
                break
        else:
            return
        for match in _FORWARDED_CC.finditer(self.reading.fresh):
            mail.cc.extend(_addresses_in(match.group(1)))
        self.me.add(mail.sender)
        self.my_names.add(mail.sender_name.lower())
        mail.sender_name, mail.sender = name.strip(" \"'*"), address.lower()

    def detect(self) -> Detection:
        mail = self.mail
        if self.is_own_or_automatic():
            return Detection(Kind.NONE, reasons=("automatic or afterview's own mail",))
        invitations: list[ics.CalendarEvent] = []
        for data in mail.calendars:
            invitations.extend(ics.read(data, self.zone).events)
        if invitations and all(event.method in ics.ANSWER_METHODS for event in invitations):
            return Detection(Kind.NONE, reasons=("an attendee's answer to an invitation",))
        for event in invitations:
            if self._event_is_interview(event):
                return events.event_detection(event, self.fresh, self.me, self.my_names, self)
        return self._from_prose()

    def is_own_or_automatic(self) -> bool:
        mail, headers = self.mail, self.mail.headers
        if "x-afterview" in headers or mail.own_marker or "[afterview]" in mail.subject.lower():
            return True
        if mail.content_type == "multipart/report" or negatives.AUTOMATIC_SUBJECT.search(
            mail.subject
        ):
            return True
        local = mail.sender.split("@")[0]
        if local in ("mailer-daemon", "postmaster"):
            return True
        auto = headers.get("auto-submitted", "no").lower()
        return auto.startswith("auto-replied") or "x-autoreply" in headers

    def _event_is_interview(self, event: ics.CalendarEvent) -> bool:
        if negatives.REGISTRATION.search(event.text) or negatives.REGISTRATION.search(self.fresh):
            return False  # a webinar's invitation, whatever its title says about interviews
        if cues.INTERVIEW.search(event.summary) or cues.INTERVIEW.search(event.description):
            return not negatives.BULK.search(event.summary)
        return bool(cues.INTERVIEW.search(self.fresh)) and not self.negative_reason

    # -- prose -----------------------------------------------------------------

    def _from_prose(self) -> Detection:
        if not self._about_interview():
            return Detection(Kind.NONE, reasons=("no interview words",))
        negative = self.negative_reason
        firm = self._firm
        cancelled = firm(cues.CANCELLED)
        # A cancellation may come with a rejection or a word about an earlier conversation.
        softened = negative in ("a rejection", "about an interview that already happened")
        if negative and not (cancelled and softened):
            return Detection(Kind.NONE, reasons=(negative,))
        moments = self.future_moments
        rescheduled = firm(cues.RESCHEDULED)
        new_moments = [m for m in moments if not self._is_old(m, cancelled)]
        distinct = {m.start for m in moments}
        if cancelled and not (rescheduled and new_moments):
            kind = Kind.CANCELLED
        elif rescheduled and moments:
            kind = Kind.RESCHEDULED
        elif (firm(cues.ASKS_FOR_TIME) and not (len(distinct) == 1 and firm(cues.CONFIRMED))) or (
            _offers_slots(moments) and not firm(cues.CONFIRMED)
        ):
            kind = Kind.INVITATION
        elif moments and (firm(cues.CONFIRMED) or firm(cues.INVITATION) or self.job_context):
            kind = Kind.SCHEDULED
        elif firm(cues.INVITATION) or firm(cues.ASKS_FOR_TIME):
            kind = Kind.INVITATION
        elif rescheduled and self.job_context:
            kind = Kind.INVITATION  # "we need to reschedule": a new time is still to be found
        else:
            return Detection(Kind.NONE, reasons=("no arrangement for an interview",))
        if not self.job_context and kind is not Kind.CANCELLED:
            return Detection(Kind.NONE, reasons=("interview words without a job context",))
        start, end = self._when(kind, moments)
        return self.complete(kind, start, end, [])

    def _about_interview(self) -> bool:
        if cues.INTERVIEW.search(self.fresh):
            return True
        if cues.MEETING.search(self.fresh) and self.job_context:
            return True
        # "Re: Data Analyst - application" / "tomorrow at 10 it is": a person arranging a time
        # about a job is arranging an interview, whatever they call it.
        sender = self.mail.sender
        personal = bool(sender) and not people.is_robot(sender) and sender not in self.me
        about_a_job = bool(cues.JOB_TITLE.search(self.fresh)) or bool(
            re.search(
                r"\b(?:application|bewerbung|candidature|candidatura|zeugnisse)\b", self.fresh, re.I
            )
        )
        return personal and about_a_job and bool(self.future_moments)

    @functools.cached_property
    def negative_reason(self) -> str | None:
        fresh = self.fresh
        if "list-id" in self.mail.headers:
            return "mailing-list mail"
        if negatives.EVENT_FOR_MANY.search(self.mail.subject) or negatives.REGISTRATION.search(
            fresh
        ):
            return "an event for many people"
        for name, pattern in (
            ("a rejection", negatives.REJECTION),
            ("an offer", negatives.OFFER),
            ("not a hiring interview", negatives.NOT_HIRING),
        ):
            if pattern.search(fresh):
                return name
        asks = self._firm(cues.INVITATION) or self._firm(cues.ASKS_FOR_TIME)
        confirmed = self._firm(cues.CONFIRMED) and bool(self.future_moments)
        arranged = asks or confirmed
        if negatives.APPLICATION_RECEIVED.search(fresh) and not arranged:
            return "an application confirmation"
        if negatives.PAST_INTERVIEW.search(fresh) and not arranged:
            return "about an interview that already happened"
        bulk = len({hit.lower() for hit in negatives.BULK.findall(fresh)})
        listy = "list-unsubscribe" in self.mail.headers or "list-id" in self.mail.headers
        # ATS mail comes with list headers too: one such word ("Tips:") beside a confirmed
        # slot is no newsletter.
        if bulk >= 2 or (bulk and not arranged) or (bulk and listy and not confirmed):
            return "a newsletter, alert, event or appointment"
        return None

    def _is_old(self, moment: when.Moment, cancelled: bool) -> bool:
        """A time the mail says is no longer the plan: "from 3pm", "instead of", the cancelled slot."""
        text = self.moment_text
        before = text[max(0, moment.position - 60) : moment.position]
        after = text[moment.position : moment.position + 80]
        if _OLD_BEFORE.search(before) or _OLD_AFTER.search(after[after.find(" ") :]):
            return True
        return cancelled and bool(cues.CANCELLED.search(moment.line))

    @functools.cached_property
    def body(self) -> str:
        """The message's own text as read for times and people: all of it when short, else
        its opening and its closing lines (where the signature names the sender's company)."""
        fresh = self.reading.fresh
        if len(fresh) <= BODY_HEAD + BODY_TAIL:
            return fresh
        if self.cut_short:
            return fresh[:BODY_HEAD]  # its closing lines lie past what is read
        return fresh[:BODY_HEAD] + "\n\n" + fresh[-BODY_TAIL:]

    @functools.cached_property
    def cut_short(self) -> bool:
        """Whether the mail's own text runs on past what is read (no quoted history ends it
        within MAX_READ_CHARS): then its end, the signature, is not in `reading.fresh`."""
        return self.mail.text_cut and not self.reading.quoted.strip()

    @functools.cached_property
    def moment_text(self) -> str:
        return self.body + "\n" + self.mail.subject

    def _firm(self, pattern: Pattern) -> bool:
        """Whether the firm sentences match `pattern`; each pattern is searched once."""
        key = id(pattern)
        if key not in self._firm_hits:
            self._firm_hits[key] = bool(pattern.search(self.firm_text))
        return self._firm_hits[key]

    @functools.cached_property
    def firm_text(self) -> str:
        return "\n".join(self.firm_sentences)

    @functools.cached_property
    def job_context(self) -> bool:
        if cues.JOB_CONTEXT.search(self.fresh) or cues.INTERVIEW.search(self.mail.subject):
            return True
        domain = self.mail.sender.split("@")[-1]
        return cues.is_ats_domain(domain)

    @functools.cached_property
    def firm_sentences(self) -> list[str]:
        return cues.firm_sentences(self.fresh)

    @functools.cached_property
    def future_moments(self) -> list[when.Moment]:
        text = self.moment_text
        anchors = self.anchors
        moments = when.find_moments(
            text, self.mail.date, self.zone, day_first=self.day_first, anchors=anchors
        )
        moments = [
            m for m in moments if not timing.is_deadline(text, m) and not timing.is_record(text, m)
        ]
        if self.reading.quoted:
            days = {m.start.date() for m in moments}
            repeated = thread.same_time_moments(
                text, self.reading.quoted, self.mail.date, self.zone, day_first=self.day_first
            )
            moments += [m for m in repeated if m.start.date() not in days]
            moments.sort(key=lambda m: m.position)
        sent = self.mail.date
        if sent is None:
            return moments

        def written(moment: when.Moment) -> datetime:
            """When the mail that holds the moment was written (a forwarded one's own Date)."""
            dates = [d for position, d in anchors if position <= moment.position]
            return dates[-1] if dates else sent

        # A time from before the mail was written is history, not a plan.
        return [m for m in moments if m.start >= written(m) - timedelta(days=1)]

    @functools.cached_property
    def anchors(self) -> tuple[tuple[int, datetime], ...]:
        """Where in `body` each forwarded mail's text goes on, with that mail's own date."""
        found = []
        fresh, body = self.reading.fresh, self.body
        for position, line in self.reading.dated:
            if len(body) < len(fresh) and position > BODY_HEAD:
                # Past the opening: in the closing lines if they are read, else past the body.
                tail_start = len(fresh) - BODY_TAIL
                tail_read = len(body) > BODY_HEAD
                position = len(body) - (BODY_TAIL - max(0, position - tail_start)) * tail_read
            reference = when.reference_date(
                line, self.mail.date, self.zone, day_first=self.day_first
            )
            if reference is not None:
                found.append((position, reference))
        return tuple(found)

    def _when(
        self, kind: Kind, moments: list[when.Moment]
    ) -> tuple[datetime | None, datetime | None]:
        if kind is Kind.INVITATION or not moments:
            return None, None
        text = self.body + "\n" + self.mail.subject
        moments = [m for m in moments if not timing.is_arrival(text, m, moments)] or moments
        chosen = moments[0]
        if kind is Kind.RESCHEDULED:
            fresh_ones = [m for m in moments if not self._is_old(m, cancelled=False)] or moments
            # A time said to be the new one wins over one that only follows the word for
            # moving ("reporter notre entretien de vendredi 10 h ... déplacé au jeudi 10 h").
            said_new = [
                m
                for m in fresh_ones
                if _NEW_BEFORE.search(text[max(0, m.position - 60) : m.position])
            ]
            near_move = [
                m
                for m in fresh_ones
                if cues.RESCHEDULED.search(text[max(0, m.position - 120) : m.position])
            ]
            chosen = (said_new or near_move or fresh_ones)[0]
        start, end = chosen.start, chosen.end
        same_day = [m for m in moments if m.start.date() == start.date() and m.start >= start]
        if kind is Kind.SCHEDULED and len(same_day) >= 2:
            last = max(same_day, key=lambda m: m.start)
            if last.start - start <= timedelta(hours=10):
                end = last.end or end
                if last.end is None:
                    end = None
        if end is None and (kind is not Kind.SCHEDULED or len(same_day) < 2):
            length = when.find_length(self.body)
            if length is not None:
                end = start + length
        return start, end

    def complete(
        self,
        kind: Kind,
        start: datetime | None,
        end: datetime | None,
        found: list[Person],
        spelled: str = "",
    ) -> Detection:
        """The rest of a detection, read from the mail; `spelled`: more text (a calendar
        event's) read only for how the company spells its name."""
        mail = self.mail
        text = self.body
        interviewers = found or self._interviewers(mail.subject + "\n" + text)
        company = find_company(
            mail.subject,
            text,
            mail.sender_name,
            mail.sender,
            [p.email for p in interviewers if p.email] + [a for _, a in mail.reply_to + mail.cc],
            {a.split("@")[-1] for a in self.me},
            history=f"{spelled}\n{self.reading.quoted}" if spelled else self.reading.quoted,
            people_names=self.my_names,
        )
        if self._sender_takes_part(bool(interviewers)):
            interviewers = [*interviewers, Person(mail.sender_name or None, mail.sender)]
            interviewers = people.clean(interviewers, self.me)
        if company:  # "onsite with Saltmarsh Games" names the company, not a person
            company_words = set(company.lower().split())
            interviewers = [
                p
                for p in interviewers
                if p.email or not p.name or not set(p.name.lower().split()) & company_words
            ]
        meeting = links.meeting_url(self._link_candidates(text))
        return Detection(
            kind,
            company=company,
            role=details.role_in(mail.subject + "\n" + text),
            start=start,
            end=end,
            interviewers=tuple(interviewers),
            meeting_url=meeting,
            location=None if meeting else details.location_in(text),
        )

    def _link_candidates(self, text: str) -> Iterator[str]:
        """The links the mail shows, in the order a meeting link is looked for: its text,
        its HTML's anchors (read only if the text has none), the quoted history."""
        yield from links.urls_in(text)
        yield from self.mail.links
        yield from links.urls_in(self.reading.quoted)

    def _interviewers(self, text: str) -> list[Person]:
        found = people.from_prose(text, self.me, self.my_names)
        found += people.from_lists_and_titles(text, self.me, self.my_names)
        mail = self.mail
        known = [*mail.cc, *mail.to, *mail.reply_to, (mail.sender_name, mail.sender)]
        known += [("", e) for e in links.emails_in(text)]
        known = [(n, a) for n, a in known if a not in self.me and not people.is_robot(a)]
        found = people.with_known_addresses(found, known)
        # An Outlook meeting mail ("When: ... Where: ... *~*~*~*") comes from the organizer,
        # with the other attendees copied in.
        if _OUTLOOK_MEETING.search(text):
            for name, address in [(mail.sender_name, mail.sender), *mail.cc]:
                if address not in self.me and not people.is_robot(address):
                    found.append(Person(name or None, address))
        # Someone copied in and named in the text ("I've cc'd Priscilla") takes part, unless
        # the text says they stay away; an agency's consultant copied in only follows the
        # process for the client.
        for name, address in mail.cc:
            first = next(iter((people.display_name(name) or "").split()), "")
            if (
                not first
                or address in self.me
                or address == mail.sender
                or people.is_robot(address)
                or is_agency(address.rpartition("@")[2].split(".")[0])
            ):
                continue
            named = re.search(rf"\b{re.escape(first)}\b", text)
            if named and not people.stays_out(text, named.end()):
                found.append(Person(name, address))
        # The candidate's own name ("Sehr geehrte Frau Castellanos") is never an interviewer.
        mine = {word for name in self.my_names for word in name.split()}
        found = [
            p for p in found if p.email or not p.name or not set(p.name.lower().split()) <= mine
        ]
        return people.clean(found, self.me)

    def _signs_as_manager(self) -> bool:
        """Whether the sender signs with the title of someone who leads the team hiring
        ("Gerente de Operaciones", "Head of Data"): they hold the interview they write about."""
        name = people.display_name(self.mail.sender_name)  # "Dr. Sabine Vollmer" signs without
        if not name or " " not in name:
            return False
        found = re.search(
            rf"^[ \t]*{re.escape(name)}[ \t]*\n[ \t]*([^\n]{{3,80}})", self.body, re.M
        )
        if found is None:
            return False
        title = found.group(1)
        return bool(people.TITLE_WORD.search(title)) and not _RECRUITING_TITLE.search(title)

    def _sender_takes_part(self, others_named: bool) -> bool:
        """A person who writes 'chat with me' or 'I'll call you' will be on the call; so, most
        likely, is a person from the company who writes about it and names nobody else."""
        sender = self.mail.sender
        if not sender or sender in self.me or people.is_robot(sender):
            return False
        domain = sender.split("@")[-1]
        if is_agency(domain.split(".")[0]) or _COORDINATES.search(self.fresh):
            return False
        if _WRITER_STAYS_OUT.search(self.body):
            return False
        if (
            not others_named
            and not is_freemail(domain)
            and (_ONE_TO_ONE.search(self.fresh) or self._signs_as_manager())
        ):
            return True
        return bool(_TAKES_PART.search(self.body) or _AND_I.search(self.body))


# A signature's title that says its writer recruits or coordinates for the company, rather
# than leads the team that hires.
_RECRUITING_TITLE = re.compile(
    r"recruit|talent|sourc|\bhr\b|\brh\b|rrhh|people|personal|human|humain|humano|"
    r"selecci[óo]n|recrutement|reclutamiento|coordinat|coordinad|assistant|asistente",
    re.IGNORECASE,
)


def _offers_slots(moments: list[when.Moment]) -> bool:
    """Two or more times on different days, each on a line of its own: slots to choose from."""
    listed = [m for m in moments if len(m.line.strip()) <= 90]
    return len({m.start.date() for m in listed}) >= 2

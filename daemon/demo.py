"""`afterview demo`: the whole story on embedded mail servers, told step by step.

Real IMAP and SMTP servers start in this process on loopback (`demo_servers`), a job seeker's
mailbox is seeded (`demo_seed`), a temporary config points afterview at them, and the engine
the daemon uses runs pass by pass on a clock the demo moves forward. Everything shown is read
back over IMAP, as a mail program would see it. The last line is a JSON summary for scripts.
"""

from __future__ import annotations

import email
import json
import logging
import secrets
import tempfile
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from email.policy import SMTP, default
from email.utils import format_datetime, make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

import imapclient

from daemon.config import Config, FollowUpPolicy, load_config
from daemon.demo_seed import INTERVIEWER, ME, ME_NAME, PEOPLE, mailbox
from daemon.demo_servers import HOST, EmbeddedMail, MailServers
from daemon.engine import Engine, PassReport
from daemon.store import Store
from daemon.sync import describe
from daemon.tls import client_context
from daemon.tracking import preview

ZONE = ZoneInfo("Europe/Berlin")
SHOWN_HEADERS = ("From", "To", "Subject", "Date", "Message-ID", "In-Reply-To", "References")
Say = Callable[[str], None]
Ask = Callable[[str], str]


class Mailbox:
    """One person's mailbox over IMAP, as their mail program reads it (never marking read)."""

    def __init__(self, servers: MailServers, user: str) -> None:
        self.client = imapclient.IMAPClient(HOST, port=servers.imap_port, ssl=False, timeout=10)
        if servers.ca_file is not None:
            self.client.starttls(client_context(servers.ca_file))
        self.client.login(user, servers.passwords[user])

    def messages(self, folder: str = "INBOX") -> list[tuple[EmailMessage, tuple[bytes, ...]]]:
        self.client.select_folder(folder, readonly=True)
        found = self.client.fetch(self.client.search("ALL"), ["BODY.PEEK[]", "FLAGS"])
        return [
            (email.message_from_bytes(data[b"BODY[]"], policy=default), data[b"FLAGS"])
            for _, data in sorted(found.items())
        ]

    def close(self) -> None:
        self.client.logout()


def _config_text(servers: MailServers, secret: Path, state: Path) -> str:
    tls = (
        f"security: starttls, ca_file: {servers.ca_file}"
        if servers.ca_file is not None
        else "security: none"
    )
    return f"""# written by `afterview demo`: the embedded servers, for this run only
account: {{email: {ME}, name: {ME_NAME}, timezone: {ZONE.key}, signature: "{ME_NAME}"}}
imap: {{host: {HOST}, port: {servers.imap_port}, {tls}, password_file: {secret}}}
smtp: {{host: {HOST}, port: {servers.smtp_port}, {tls}, password_file: {secret}}}
quiet: {{flag: true}}
digest: {{at: "08:00"}}
sync: {{idle: false}}
state_dir: {state}
"""


def _body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    return part.get_content().rstrip() if part is not None else ""


def _show(say: Say, message: EmailMessage, headers: tuple[str, ...] = SHOWN_HEADERS) -> None:
    for name in headers:
        if message[name] is not None:
            say(f"    {name}: {message[name]}")
    say("")
    for line in _body(message).splitlines():
        say(f"    | {line}")


def _reply(request: EmailMessage, text: str, at: datetime) -> bytes:
    """A reply as a mail program writes it: to the sender, threaded, the request quoted."""
    quoted = "".join(f"> {line}\n" for line in _body(request).splitlines())
    answer = EmailMessage()
    answer["From"] = f"{ME_NAME} <{ME}>"
    answer["To"] = str(request["Reply-To"] or request["From"])
    answer["Subject"] = "Re: " + str(request["Subject"])
    answer["Date"] = format_datetime(at)
    answer["Message-ID"] = make_msgid(domain=ME.split("@")[1])
    answer["In-Reply-To"] = str(request["Message-ID"])
    answer["References"] = str(request["Message-ID"])
    answer.set_content(f"{text}\n\nafterview wrote:\n{quoted}")
    return answer.as_bytes(policy=SMTP)


def _plan_words(policy: FollowUpPolicy, end: datetime) -> list[str]:
    local = (end + policy.thank_you_delay).astimezone(ZONE)
    due = (end + policy.thank_you_due).astimezone(ZONE)
    return [
        f"thank-you to each interviewer: drafted {local:%a %H:%M}, to go out by {due:%a %H:%M}",
        f"check-in: {_words(policy.check_in_after)} after the thank-you, if nobody answers",
        f"second check-in: {_words(policy.second_check_in_after)} after that; then 'gone quiet'",
        "a reply from them, a rejection, an offer or a cancellation stops the plan",
    ]


def _words(duration: object) -> str:
    days = getattr(duration, "business_days", 0)
    return f"{days} business days" if days else str(getattr(duration, "clock", duration))


class Demo:
    """The story, one step a method; `run` tells it and returns the summary."""

    def __init__(self, say: Say, ask: Ask | None, workdir: Path) -> None:
        self.say, self.ask, self.workdir = say, ask, workdir
        today = datetime.now(ZONE).date()
        # The interview: yesterday 14:00-15:00 in Berlin; the demo starts two hours after.
        self.end = datetime.combine(today - timedelta(days=1), time(15, 0), ZONE).astimezone(UTC)
        self.clock = self.end + timedelta(hours=2)
        self.summary: dict[str, object] = {}

    def now(self) -> datetime:
        return self.clock

    def heading(self, text: str) -> None:
        self.say("")
        self.say(f"== {text}")

    def run(self) -> dict[str, object]:
        mail = EmbeddedMail(self.workdir, {p: secrets.token_urlsafe(12) for p in PEOPLE})
        servers = mail.start()
        try:
            self.seed(mail, servers)
            config = self.configure(servers)
            with Store(config.state_dir) as store:
                engine = Engine(config, store, now=self.now)
                try:
                    self.story(engine, servers, store)
                finally:
                    engine.close()
        finally:
            mail.stop()
        return self.summary

    def seed(self, mail: EmbeddedMail, servers: MailServers) -> None:
        how = "STARTTLS, a throwaway CA" if servers.ca_file else "plain text on loopback"
        self.say(f"afterview demo: mail servers in this process: IMAP {HOST}:{servers.imap_port} "
                 f"(pymap), SMTP {HOST}:{servers.smtp_port} (aiosmtpd), {how}")  # fmt: skip
        self.heading(f"The mailbox of {ME_NAME} <{ME}>")
        for item in mailbox(self.end):
            mail.put(ME, item.raw, item.folder, item.at)
            self.say(f"  {item.folder:<5}  {item.at.astimezone(ZONE):%a %d %b %H:%M}  {item.what}")

    def configure(self, servers: MailServers) -> Config:
        secret = self.workdir / "password"
        secret.write_text(servers.passwords[ME] + "\n")
        secret.chmod(0o600)
        path = self.workdir / "config.yaml"
        path.write_text(_config_text(servers, secret, self.workdir / "state"))
        path.chmod(0o600)
        self.say(f"  (afterview's config for this run: {path})")
        return load_config(path)

    def pass_at(self, engine: Engine, moment: datetime, why: str) -> PassReport:
        self.clock = moment
        self.heading(f"afterview run --once --now {moment.astimezone(ZONE).isoformat()}  ({why})")
        return engine.run_once()

    def story(self, engine: Engine, servers: MailServers, store: Store) -> None:
        report = self.pass_at(engine, self.clock, "two hours after the interview ended")
        self.say("  Interviews found:")
        for interview in store.interviews():
            self.say(f"    {describe(interview)}")
        self.say("  The plan:")
        for line in _plan_words(engine.config.followup, self.end):
            self.say(f"    {line}")
        for line in report.followups.proposed:
            self.say(f"  Proposed: {line}")
        self.quiet(report)
        self.summary["interviews"] = len(store.interviews())
        alex = Mailbox(servers, ME)
        try:
            requests = [m for m, _ in alex.messages() if m["X-Afterview"] == "approval"]
            self.summary["approval_requests"] = len(requests)
            if not requests:
                raise DemoFailed("no approval email arrived in the INBOX")
            request = requests[0]
            self.heading("The approval email in your INBOX, as your mail program shows it")
            _show(self.say, request, ("From", "To", "Subject", "Date"))
            answer = self.answer()
            self.summary["answer"] = answer.split()[0].upper()
            self.clock += timedelta(minutes=5)
            raw = _reply(request, answer, self.clock)
            self.say(f"  Your reply '{answer}' goes out through SMTP, as a mail program sends it.")
            _submit(servers, raw, str(request["From"]))
            report = self.pass_at(engine, self.clock + timedelta(minutes=1), "your reply arrived")
            for line in report.followups.replies + report.followups.sent:
                self.say(f"  {line}")
            for line in report.followups.problems:
                self.say(f"  problem: {line}")
            self.delivered(servers)
            self.marks(alex)
        finally:
            alex.close()
        self.digest(engine, servers, store)

    def answer(self) -> str:
        if self.ask is None:
            self.say("  > SEND   (--yes answers for you)")
            return "SEND"
        while True:
            text = self.ask("  Reply to it: SEND, SKIP or SNOOZE 2d > ").strip()
            if text:
                return text

    def quiet(self, report: PassReport) -> None:
        self.say(f"  Quiet threads ({report.quiet.marked} newly marked in your mailbox):")
        for state in report.quiet.states:
            self.say(f"    {state.subject}: {state.reason}")
        self.summary["quiet_threads"] = len(report.quiet.states)

    def delivered(self, servers: MailServers) -> None:
        self.heading(f"In the interviewer's INBOX ({INTERVIEWER}), as delivered")
        dana = Mailbox(servers, INTERVIEWER)
        try:
            notes = [m for m, _ in dana.messages()]
        finally:
            dana.close()
        for note in notes:
            _show(self.say, note, (*SHOWN_HEADERS, "X-Afterview-Send-Id"))
        self.summary["notes_delivered"] = len(notes)
        self.summary["note_to"] = [str(n["To"]) for n in notes]

    def marks(self, alex: Mailbox) -> None:
        self.heading("Your mailbox now: what afterview marked, and the copy in Sent")
        marked = 0
        for folder in ("INBOX", "Sent"):
            for message, flags in alex.messages(folder):
                shown = [f.decode() for f in flags if f.lower() in (b"\\flagged", b"$followup")]
                if shown:
                    marked += 1
                    self.say(f"  {folder:<5}  {' '.join(shown):<10}  {message['Subject']}")
                elif folder == "Sent" and message["X-Afterview-Send-Id"]:
                    self.say(f"  Sent   (your copy)  {message['Subject']}")
        self.summary["quiet_marked"] = marked

    def digest(self, engine: Engine, servers: MailServers, store: Store) -> None:
        morning = datetime.combine(
            self.clock.astimezone(ZONE).date() + timedelta(days=1), time(8, 5), ZONE
        )
        found = preview(engine.config, store, morning)
        report = self.pass_at(engine, morning, "the next morning: the daily digest is due")
        self.say(f"  digest: {report.digest}")
        alex = Mailbox(servers, ME)
        try:
            digests = [m for m, _ in alex.messages() if m["X-Afterview"] == "digest"]
        finally:
            alex.close()
        self.summary["digests_in_inbox"] = len(digests)
        if digests:
            self.heading("The daily digest in your INBOX")
            _show(self.say, digests[-1], ("From", "To", "Subject", "Date"))
        elif found is not None:
            self.heading("The daily digest (preview)")
            self.say(found.text)


class DemoFailed(Exception):
    pass


def _submit(servers: MailServers, raw: bytes, to: str) -> None:
    """Send as the user's mail program does: SMTP submission with STARTTLS and a login."""
    import smtplib
    from email.utils import parseaddr

    with smtplib.SMTP(HOST, servers.smtp_port, timeout=10) as client:
        if servers.ca_file is not None:
            client.starttls(context=client_context(servers.ca_file))
        client.login(ME, servers.passwords[ME])
        client.sendmail(ME, [parseaddr(to)[1]], raw)


def run(*, yes: bool, say: Say = print, ask: Ask = input) -> int:
    """Tell the story; 0 when what reached the interviewer is what the answer asked for."""
    logging.getLogger("pymap").setLevel(logging.ERROR)
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="afterview-demo-") as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # aiosmtpd's own login_data
        try:
            summary = Demo(say, None if yes else ask, Path(tmp)).run()
        except DemoFailed as exc:
            say(f"afterview demo: {exc}")
            summary = {"ok": False}
    # SEND must deliver the note; any other answer (SKIP, SNOOZE) must deliver nothing.
    expected = 1 if summary.get("answer") == "SEND" else 0
    ok = "answer" in summary and summary.get("notes_delivered") == expected
    summary["ok"] = ok
    say("")
    say("demo-summary " + json.dumps(summary, sort_keys=True))
    return 0 if ok else 1

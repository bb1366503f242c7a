"""The YAML config file, validated once at start into frozen objects that are passed around.

Every default lives here and in `config.example.yaml` (a test keeps the two in step). Every
problem names the file, the line and the dotted key, and all problems are reported together.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import shlex
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tzlocal

from daemon import credentials
from daemon.configreader import REQUIRED, Invalid, Problem, Section, describe
from daemon.credentials import Secret, SecretUnavailable
from daemon.durations import Duration, format_timedelta
from daemon.yamlsource import (
    MAX_FILE_BYTES,
    Mapping,
    Scalar,
    Sequence,
    Unreadable,
    Value,
    YamlError,
    parse,
)

SECRET_KEYS = ("password_command", "password_env", "password_file", "password")
LOG_LEVELS = ("debug", "info", "warning", "error")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_EMAIL = re.compile(r"^[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+$")
_HOST = re.compile(r"^[A-Za-z0-9._:\[\]-]+$")


class Security(StrEnum):
    SSL = "ssl"
    STARTTLS = "starttls"
    NONE = "none"


@dataclass(frozen=True, kw_only=True)
class Account:
    email: str
    name: str
    signature: str
    timezone: ZoneInfo


@dataclass(frozen=True, kw_only=True)
class MailServer:
    host: str
    port: int
    security: Security
    username: str
    secret: Secret
    ca_file: Path | None
    insecure: bool
    # XOAUTH2 (Gmail, Microsoft 365): a command printing a fresh access token, run at each login.
    oauth2_token_command: tuple[str, ...] | None = None


@dataclass(frozen=True, kw_only=True)
class ImapFolders:
    inbox: str
    sent: str | None  # None: found by SPECIAL-USE \Sent, then by common names
    extra: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class ImapConfig(MailServer):
    folders: ImapFolders


@dataclass(frozen=True, kw_only=True)
class SmtpConfig(MailServer):
    saves_sent_copy: bool


@dataclass(frozen=True, kw_only=True)
class RemoteCalendar:
    """A calendar fetched over HTTP(S): the settings CalDAV and ICS URLs share."""

    url: str
    username: str | None
    secret: Secret | None
    ca_file: Path | None
    insecure: bool


@dataclass(frozen=True, kw_only=True)
class CaldavCalendar(RemoteCalendar):
    type: Literal["caldav"] = "caldav"


@dataclass(frozen=True, kw_only=True)
class IcsUrlCalendar(RemoteCalendar):
    type: Literal["ics_url"] = "ics_url"


@dataclass(frozen=True, kw_only=True)
class IcsFileCalendar:
    type: Literal["ics_file"] = "ics_file"
    path: Path


CalendarSource = CaldavCalendar | IcsUrlCalendar | IcsFileCalendar
CALENDAR_TYPES = ("caldav", "ics_url", "ics_file")


@dataclass(frozen=True, kw_only=True)
class ApprovalPolicy:
    approvers: tuple[str, ...]
    token_ttl: timedelta
    trusted_authserv_id: str | None


@dataclass(frozen=True, kw_only=True)
class FollowUpPolicy:
    thank_you_delay: timedelta
    thank_you_due: timedelta
    thank_you_to: Literal["each", "all"]
    check_in_after: Duration
    second_check_in_after: Duration
    invitation_reminder_after: timedelta
    daily_send_cap: int
    weekend: tuple[int, ...]  # 0 is Monday, as in date.weekday()
    holidays: tuple[date, ...]
    templates_dir: Path | None


DEFAULT_LABEL: str | None = "Follow up"  # the Gmail label of quiet threads


@dataclass(frozen=True, kw_only=True)
class QuietPolicy:
    quiet_after: Duration
    owe_reply_after: Duration
    keyword: str
    flag: bool
    track_keyword: str | None
    label: str | None = DEFAULT_LABEL  # on Gmail, a label set beside the keyword
    mute: tuple[str, ...] = ()  # senders (addresses or domains) whose threads are never quiet


@dataclass(frozen=True, kw_only=True)
class DigestPolicy:
    enabled: bool
    at: time
    send_when_empty: bool


@dataclass(frozen=True, kw_only=True)
class SyncPolicy:
    poll_interval: timedelta
    calendar_interval: timedelta
    backfill: timedelta
    idle: bool


@dataclass(frozen=True, kw_only=True)
class Config:
    path: Path
    account: Account
    imap: ImapConfig
    smtp: SmtpConfig
    calendars: tuple[CalendarSource, ...]
    approval: ApprovalPolicy
    followup: FollowUpPolicy
    quiet: QuietPolicy
    digest: DigestPolicy
    sync: SyncPolicy
    state_dir: Path
    log_level: str
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def my_addresses(self) -> frozenset[str]:
        """The user's own addresses: the account's, and the IMAP login when it is one."""
        return frozenset(a.lower() for a in (self.account.email, self.imap.username) if "@" in a)

    def secrets(self) -> tuple[str, ...]:
        """Every secret value the config holds, for the log formatter to mask."""
        forms = []
        for server in (self.imap, self.smtp):
            value = server.secret.reveal()
            # SASL PLAIN carries "\0user\0secret" base64-encoded: mask that whole form too.
            forms += [value, f"\0{server.username}\0{value}"]
        for source in self.calendars:
            if not isinstance(source, IcsFileCalendar) and source.secret is not None:
                forms.append(source.secret.reveal())
        return tuple(forms)


class ConfigError(Exception):
    """The config cannot be used; `str()` lists every problem, one per line."""

    def __init__(self, path: Path | str, problems: list[Problem]) -> None:
        self.path = str(path)
        self.problems = sorted(problems, key=lambda p: p.line)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        lines = []
        for problem in self.problems:
            where = f"{self.path}:{problem.line}" if problem.line else self.path
            key = f" {problem.key}:" if problem.key else ""
            lines.append(f"{where}:{key} {problem.message}")
        return lines


def default_config_path() -> Path:
    """`$AFTERVIEW_CONFIG`, else the XDG config path."""
    explicit = os.environ.get("AFTERVIEW_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "afterview" / "config.yaml"


def default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "afterview"


def load_config(path: Path | str) -> Config:
    """Read and validate the config at `path`, resolving its secrets; raise ConfigError."""
    shown = str(path)
    file_path = Path(path).expanduser()
    try:
        with file_path.open("rb") as handle:  # no further than the cap: /dev/zero is no config
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(
            shown, [_whole("no such file (copy config.example.yaml to start)")]
        ) from None
    except IsADirectoryError:
        raise ConfigError(shown, [_whole("is a folder, expected the YAML config file")]) from None
    except PermissionError:
        raise ConfigError(shown, [_whole("cannot read the file (permission denied)")]) from None
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(shown, [_whole(f"the file is larger than {MAX_FILE_BYTES // 1024} KiB")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            shown, [Problem(line, "", f"not UTF-8 text (byte {exc.start})")]
        ) from None
    try:
        root = parse(text)
    except YamlError as exc:
        raise ConfigError(shown, [Problem(exc.line, "", exc.message)]) from None
    if root is None:
        expected = "a mapping with the sections account, imap and smtp"
        raise ConfigError(shown, [Problem(1, "", f"the file is empty: expected {expected}")])
    if not isinstance(root, Mapping):
        message = f"expected a mapping of sections (account, imap, smtp, ...), got {describe(root)}"
        raise ConfigError(shown, [Problem(root.line, "", message)])
    return _Loader(file_path, root).load(shown)


def _whole(message: str) -> Problem:
    return Problem(0, "", message)


class _Loader:
    """One pass over the file's mapping; problems and warnings accumulate on the way."""

    def __init__(self, path: Path, root: Mapping) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        self.top = Section(root, "", 1, self.problems, path.parent.absolute())
        self._command_cache: dict[tuple[str, ...], str] = {}

    def load(self, shown: str) -> Config:
        self.shown = shown
        account = self._account(self.top.section("account"))
        imap = self._imap(self.top.section("imap"), account.email)
        smtp = self._smtp(self.top.section("smtp"), account.email)
        calendars = tuple(self._calendar(s) for s in self.top.sections("calendars"))
        config = Config(
            path=self.path,
            account=account,
            imap=imap,
            smtp=smtp,
            calendars=tuple(c for c in calendars if c is not None),
            approval=self._approval(self.top.section("approval"), account.email),
            followup=self._followup(self.top.section("followup")),
            quiet=self._quiet(self.top.section("quiet")),
            digest=self._digest(self.top.section("digest")),
            sync=self._sync(self.top.section("sync")),
            state_dir=self.top.path("state_dir", default_state_dir()),
            log_level=self.top.choice("log_level", "info", LOG_LEVELS),
            warnings=tuple(self.warnings),
        )
        self.top.finish()
        if self.problems:
            raise ConfigError(self.shown, self.problems)
        return config

    # -- sections ---------------------------------------------------------------

    def _account(self, s: Section) -> Account:
        email = s.value("email", REQUIRED, _email, "an email address like you@example.com")
        account = Account(
            email=email if email is not REQUIRED else "",
            name=s.string("name", ""),
            signature=s.string("signature", ""),
            timezone=s.value(
                "timezone", _system_zone(), _zone, "an IANA time zone like 'Europe/Berlin'"
            ),
        )
        s.finish()
        return account

    def _server(
        self, s: Section, default_user: str, ports: dict[Security, int]
    ) -> dict[str, object]:
        security = Security(s.choice("security", "ssl", tuple(m.value for m in Security)))
        host = s.value("host", REQUIRED, _host, "a host name like mail.example.com")
        insecure = self._insecure(s, "your mail")
        if (
            security is Security.NONE
            and isinstance(host, str)
            and not insecure
            and not _loopback(host)
        ):
            s.problem(
                "security",
                f"'none' would send your password unencrypted to {host}: "
                "use ssl or starttls, or set insecure: true to allow it",
            )
        oauth2 = s.value(
            "oauth2_token_command",
            None,
            self._argv,
            "a command that prints an OAuth2 access token, as a list, "
            "like [oama, access, you@gmail.com]",
        )
        if oauth2 and any(s.has(key) for key in SECRET_KEYS):
            s.problem(
                "oauth2_token_command",
                "give either oauth2_token_command (XOAUTH2) or a password option, not both",
            )
        if oauth2 and credentials.writable_by_others(self.path):
            s.problem(
                "oauth2_token_command",
                f"group or others can change {self.shown}, and it names a command to run: "
                f"run 'chmod 600 {self.shown}'",
            )
        return {
            "host": host if isinstance(host, str) else "",
            "port": s.integer("port", ports[security], 1, 65535),
            "security": security,
            "username": s.string("username", default_user),
            "secret": self._secret(s, required=not s.has("oauth2_token_command"))
            or Secret("nowhere", ""),
            "ca_file": s.path("ca_file", None),
            "insecure": insecure,
            "oauth2_token_command": oauth2,
        }

    def _imap(self, s: Section, email: str) -> ImapConfig:
        server = self._server(
            s, email, {Security.SSL: 993, Security.STARTTLS: 143, Security.NONE: 143}
        )
        f = s.section("folders")
        folders = ImapFolders(
            inbox=f.string("inbox", "INBOX", "a folder name"),
            sent=f.string("sent", None, "a folder name, or null to find it by SPECIAL-USE"),
            extra=f.string_list("extra", (), "a list of folder names"),
        )
        f.finish()
        s.finish()
        return ImapConfig(folders=folders, **server)  # type: ignore[arg-type]

    def _smtp(self, s: Section, email: str) -> SmtpConfig:
        ports = {Security.SSL: 465, Security.STARTTLS: 587, Security.NONE: 25}
        server = self._server(s, email, ports)
        saves = s.boolean("saves_sent_copy", False)
        s.finish()
        return SmtpConfig(saves_sent_copy=saves, **server)  # type: ignore[arg-type]

    def _calendar(self, s: Section) -> CalendarSource | None:
        kind = s.choice("type", REQUIRED, CALENDAR_TYPES)
        result: CalendarSource | None = None
        if kind == "ics_file":
            path = s.path("path", REQUIRED)
            result = IcsFileCalendar(path=path) if isinstance(path, Path) else None
        elif kind in ("caldav", "ics_url"):
            url = s.value("url", REQUIRED, _url, "an http:// or https:// URL")
            fields = {
                "url": url if isinstance(url, str) else "",
                "username": s.string("username", None),
                "secret": self._secret(s, required=False),
                "ca_file": s.path("ca_file", None),
                "insecure": self._insecure(s, "your calendar"),
            }
            kind_class = CaldavCalendar if kind == "caldav" else IcsUrlCalendar
            result = kind_class(**fields)
        known = ("url", "path", "username", "ca_file", "insecure", *SECRET_KEYS)
        s.finish(known if kind is REQUIRED else ())
        return result

    def _insecure(self, s: Section, what: str) -> bool:
        """`insecure: true`, the one way to turn certificate checks off: warned at every load."""
        insecure: bool = s.boolean("insecure", False)
        if insecure:
            self.warnings.append(
                f"{self.shown}:{s.line_of('insecure')}: {s.key('insecure')}: TLS certificate "
                f"checks are off for this server; anyone on the network path can read {what}"
            )
        return insecure

    def _approval(self, s: Section, email: str) -> ApprovalPolicy:
        own: tuple[str, ...] = (email,)
        approvers = s.value("approvers", own, _emails, "a list of email addresses")
        policy = ApprovalPolicy(
            approvers=approvers,
            token_ttl=s.duration(
                "token_ttl", Duration(clock=timedelta(hours=72)), business_days=False
            ).clock,
            trusted_authserv_id=s.string(
                "trusted_authserv_id", None, "a server name like mx.example.com"
            ),
        )
        s.finish()
        return policy

    def _followup(self, s: Section) -> FollowUpPolicy:
        clock = {"business_days": False}
        policy = FollowUpPolicy(
            thank_you_delay=s.duration(
                "thank_you_delay", Duration(clock=timedelta(hours=1)), **clock
            ).clock,
            thank_you_due=s.duration(
                "thank_you_due", Duration(clock=timedelta(hours=24)), **clock
            ).clock,
            thank_you_to=s.choice("thank_you_to", "each", ("each", "all")),
            check_in_after=s.duration("check_in_after", Duration(business_days=5)),
            second_check_in_after=s.duration("second_check_in_after", Duration(business_days=7)),
            invitation_reminder_after=s.duration(
                "invitation_reminder_after", Duration(clock=timedelta(hours=24)), **clock
            ).clock,
            daily_send_cap=s.integer("daily_send_cap", 20, 1, 1000),
            weekend=s.value("weekend", (5, 6), _weekdays, "a list of day names like [sat, sun]"),
            holidays=s.value("holidays", (), _dates, "a list of dates like 2026-12-25"),
            templates_dir=s.path("templates_dir", None),
        )
        s.finish()
        return policy

    def _quiet(self, s: Section) -> QuietPolicy:
        policy = QuietPolicy(
            quiet_after=s.duration("quiet_after", Duration(business_days=5)),
            owe_reply_after=s.duration("owe_reply_after", Duration(clock=timedelta(days=2))),
            keyword=s.value("keyword", "$FollowUp", _keyword, "an IMAP keyword like $FollowUp"),
            flag=s.boolean("flag", False),
            track_keyword=s.value("track_keyword", None, _keyword, "an IMAP keyword like $Job"),
            label=s.value("label", DEFAULT_LABEL, _label, "a Gmail label like 'Follow up'"),
            mute=s.value("mute", (), _senders, "a list of addresses or domains"),
        )
        s.finish()
        return policy

    def _digest(self, s: Section) -> DigestPolicy:
        policy = DigestPolicy(
            enabled=s.boolean("enabled", True),
            at=s.value("at", time(8, 0), _clock_time, "a time of day like '08:00'"),
            send_when_empty=s.boolean("send_when_empty", False),
        )
        s.finish()
        return policy

    def _sync(self, s: Section) -> SyncPolicy:
        def clock(name: str, default: timedelta, least: timedelta) -> timedelta:
            value: timedelta = s.duration(name, Duration(clock=default), business_days=False).clock
            if value < least:
                least_text, got = format_timedelta(least), format_timedelta(value)
                s.problem(name, f"expected at least {least_text}, got {got}")
                return default
            return value

        policy = SyncPolicy(
            poll_interval=clock("poll_interval", timedelta(minutes=5), timedelta(seconds=10)),
            calendar_interval=clock(
                "calendar_interval", timedelta(minutes=15), timedelta(minutes=1)
            ),
            backfill=clock("backfill", timedelta(days=60), timedelta(0)),
            idle=s.boolean("idle", True),
        )
        s.finish()
        return policy

    # -- secrets ----------------------------------------------------------------

    def _argv(self, found: Value) -> tuple[str, ...]:
        """The command; a relative program path ('./pw.sh') is relative to the config file."""
        argv = _command(found)
        program = argv[0]
        if "/" in program and not program.startswith(("/", "~")):
            program = str(self.path.parent.absolute() / program)
        return (str(Path(program).expanduser()), *argv[1:])

    def _secret(self, s: Section, *, required: bool) -> Secret | None:
        given = [key for key in SECRET_KEYS if s.has(key)]
        for key in SECRET_KEYS:
            s.raw(key)  # mark as known
        if not given:
            if required:
                s.report(
                    "no password given: expected one of password_command, password_env "
                    "or password_file (or oauth2_token_command for XOAUTH2)"
                )
            return None
        if len(given) > 1:
            s.problem(given[1], f"give only one of {', '.join(given)}")
            return None
        key = given[0]
        found = s.raw(key)
        if isinstance(found, Scalar) and found.value is None:
            s.problem(key, "no value given")
            return None
        try:
            return self._resolve(s, key)
        except Invalid as exc:
            s.problem(key, str(exc))
        except SecretUnavailable as exc:
            s.problem(key, f"no secret: {exc}")
        return None

    def _resolve(self, s: Section, key: str) -> Secret | None:
        if key == "password_command":
            argv = s.value(
                "password_command", None, self._argv, "a command as a list, like [pass, show, mail]"
            )
            if argv is None:
                return None
            if credentials.writable_by_others(self.path):
                raise Invalid(
                    f"group or others can change {self.shown}, and it names a command to run: "
                    f"run 'chmod 600 {self.shown}'"
                )
            if argv not in self._command_cache:
                self._command_cache[argv] = credentials.from_command(list(argv))
            return Secret(f"{s.key(key)} ({argv[0]})", self._command_cache[argv])
        if key == "password_env":
            name = s.value("password_env", None, _env_name, "an environment variable name")
            return None if name is None else Secret(f"${name}", credentials.from_env(name))
        if key == "password_file":
            path = s.path("password_file", None)
            if path is None:
                return None
            if credentials.readable_by_others(path):
                self.warnings.append(
                    f"{self.shown}:{s.line_of(key)}: {s.key(key)}: {path} can be read by "
                    f"group or others; run 'chmod 600 {path}'"
                )
            return Secret(str(path), credentials.from_file(path))
        plain = s.value("password", None, _password, "the password in quotes", secret=True)
        if plain is None:
            return None
        if credentials.readable_by_others(self.path):
            mode = oct(self.path.stat().st_mode & 0o777)[2:]
            raise Invalid(
                f"the file holds a plain password but group or others can read it (mode {mode}): "
                f"run 'chmod 600 {self.shown}', or use password_command, password_env or "
                "password_file"
            )
        self.warnings.append(
            f"{self.shown}:{s.line_of(key)}: {s.key(key)}: a plain password in the config file; "
            "password_command, password_env or password_file keep it out of the file"
        )
        return Secret(s.key(key), plain)


# -- value readers: each takes the YAML value and returns it typed, or raises Invalid -----------


def _scalar(found: Value) -> object:
    return found.value if isinstance(found, Scalar) else None


def is_email_address(text: str) -> bool:
    """Whether `text` is one plain address (`name@domain`), as the config expects them."""
    return _EMAIL.match(text.strip()) is not None


def _email(found: Value) -> str:
    value = _scalar(found)
    if not isinstance(value, str) or not is_email_address(value):
        raise Invalid()
    return value.strip()


def _emails(found: Value) -> tuple[str, ...]:
    items = found.items if isinstance(found, Sequence) else (found,)
    if not items:
        raise Invalid("the list is empty")
    addresses = []
    for item in items:
        try:
            addresses.append(_email(item))
        except Invalid:
            raise Invalid(f"{describe(item)} is not an email address") from None
    return tuple(addresses)


def _password(found: Value) -> str:
    """A plain password; YAML may have read `12345678` as a number, so take the text."""
    if not isinstance(found, Scalar) or isinstance(found.value, Unreadable):
        raise Invalid("cannot read it; put the password in quotes")
    value = found.value if isinstance(found.value, str) else found.text
    if not value:
        raise Invalid("empty")
    return value


def _host(found: Value) -> str:
    value = _scalar(found)
    if not isinstance(value, str) or not _HOST.match(value):
        raise Invalid("without a scheme or path" if isinstance(value, str) and "/" in value else "")
    if value.count(":") == 1:
        raise Invalid("without ':port'; the port has its own key")
    return value


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _url(found: Value) -> str:
    value = _scalar(found)
    if not isinstance(value, str) or not re.match(r"^https?://[^\s/]+\S*$", value):
        raise Invalid()
    return value


def _zone(found: Value) -> ZoneInfo:
    value = _scalar(found)
    if not isinstance(value, str):
        raise Invalid()
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise Invalid("unknown time zone") from None


def _system_zone() -> ZoneInfo:
    try:
        return ZoneInfo(tzlocal.get_localzone_name() or "UTC")
    except (ZoneInfoNotFoundError, ValueError, LookupError):
        return ZoneInfo("UTC")


def _command(found: Value) -> tuple[str, ...]:
    value = _scalar(found)
    if isinstance(value, str):
        try:
            argv = tuple(shlex.split(value))
        except ValueError as exc:
            raise Invalid(str(exc)) from None
    elif isinstance(found, Sequence) and all(
        isinstance(item, Scalar) and isinstance(item.value, str | int) for item in found.items
    ):
        argv = tuple(str(_scalar(item)) for item in found.items)
    else:
        raise Invalid()
    if not argv:
        raise Invalid("the command is empty")
    return argv


def _env_name(found: Value) -> str:
    value = _scalar(found)
    if not isinstance(value, str) or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", value):
        raise Invalid()
    return value


def _keyword(found: Value) -> str:
    value = _scalar(found)
    if not isinstance(value, str) or not re.match(r"^\\?[A-Za-z0-9$_.-]+$", value):
        raise Invalid()
    return value


def _label(found: Value) -> str | None:
    value = _scalar(found)
    if value is None or value is False:
        return None  # `label: false`: no label
    if not isinstance(value, str) or not value.strip() or any(c in value for c in '"\\\r\n'):
        raise Invalid()
    return value.strip()


def _senders(found: Value) -> tuple[str, ...]:
    if not isinstance(found, Sequence):
        raise Invalid()
    senders = []
    for item in found.items:
        value = _scalar(item)
        text = value.strip().lower().lstrip("@") if isinstance(value, str) else ""
        if not re.match(r"^(?:[^@\s]+@)?[a-z0-9-]+(?:\.[a-z0-9-]+)+$", text):
            raise Invalid(f"{describe(item)} is neither an address nor a domain")
        senders.append(text)
    return tuple(senders)


def _weekdays(found: Value) -> tuple[int, ...]:
    if not isinstance(found, Sequence):
        raise Invalid()
    days = []
    for item in found.items:
        value = _scalar(item)
        name = value.strip().lower() if isinstance(value, str) else ""
        matches = [i for i, day in enumerate(WEEKDAYS) if name in (day, _DAY_NAMES[i])]
        if not matches:
            raise Invalid(f"{describe(item)} is not a day name")
        days.append(matches[0])
    if len(set(days)) == len(WEEKDAYS):
        raise Invalid("that leaves no business days")
    return tuple(sorted(set(days)))


def _dates(found: Value) -> tuple[date, ...]:
    if not isinstance(found, Sequence):
        raise Invalid()
    days = []
    for item in found.items:
        value = _scalar(item)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = date.fromisoformat(value)
        if not isinstance(value, date):
            raise Invalid(f"{describe(item)} on line {item.line} is not a date")
        days.append(value.date() if isinstance(value, datetime) else value)
    return tuple(sorted(days))


def _clock_time(found: Value) -> time:
    # The text as written: YAML 1.1 reads an unquoted 8:30 as the base-60 number 510.
    text = found.text if isinstance(found, Scalar) else ""
    match = re.match(r"^(\d{1,2}):(\d{2})$", text.strip())
    if match and int(match.group(1)) < 24 and int(match.group(2)) < 60:
        return time(int(match.group(1)), int(match.group(2)))
    raise Invalid()

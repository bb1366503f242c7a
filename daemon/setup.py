"""`afterview init`: provider presets, the answers a first config needs, and the commented YAML
written from them. The file never holds a secret, only where afterview finds it.
"""

from __future__ import annotations

import os
import re
import shlex
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tzlocal
import yaml

from daemon.config import Security, is_email_address
from daemon.errors import AfterviewError

DEFAULT_PASSWORD_ENV = "AFTERVIEW_PASSWORD"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# A question to the user: (prompt, default) -> the answer, "" taking the default.
Ask = Callable[[str, str], str]
SecretKind = Literal["password_env", "password_command", "oauth2_token_command"]


class SetupError(AfterviewError):
    """An answer or flag `afterview init` cannot use; the message says what to give instead."""


@dataclass(frozen=True, kw_only=True)
class Endpoint:
    host: str
    port: int
    security: Security


@dataclass(frozen=True, kw_only=True)
class Provider:
    key: str
    title: str
    imap: Endpoint | None  # None: the user names the servers (generic IMAP)
    smtp: Endpoint | None
    sent: str | None  # None: found by SPECIAL-USE \Sent, then by common names
    saves_sent_copy: bool
    login_notes: tuple[str, ...]  # written as comments above the secrets
    domains: tuple[str, ...] = ()


def _ssl(host: str, port: int) -> Endpoint:
    return Endpoint(host=host, port=port, security=Security.SSL)


def _starttls(host: str, port: int = 587) -> Endpoint:
    return Endpoint(host=host, port=port, security=Security.STARTTLS)


PROVIDERS: dict[str, Provider] = {
    p.key: p
    for p in (
        Provider(
            key="gmail",
            title="Gmail / Google Workspace",
            imap=_ssl("imap.gmail.com", 993),
            smtp=_ssl("smtp.gmail.com", 465),
            sent=None,  # "[Gmail]/Sent Mail" in English only: SPECIAL-USE finds it in any
            saves_sent_copy=True,
            login_notes=(
                "Gmail refuses your normal password here. Use an app password (needs 2-Step",
                "Verification; https://myaccount.google.com/apppasswords), or OAuth2 with",
                "oauth2_token_command (e.g. [oama, access, you@gmail.com]) instead of password_*.",
            ),
            domains=("gmail.com", "googlemail.com"),
        ),
        Provider(
            key="outlook",
            title="Outlook.com / Microsoft 365",
            imap=_ssl("outlook.office365.com", 993),
            smtp=_starttls("smtp.office365.com"),
            sent="Sent Items",
            saves_sent_copy=True,
            login_notes=(
                "Microsoft refuses your normal password here. Use OAuth2 (oauth2_token_command,",
                "e.g. [oama, access, you@outlook.com]) or, where your account or admin still",
                "allows it, an app password (https://account.live.com/proofs/AppPassword).",
            ),
            domains=("outlook.com", "hotmail.com", "live.com", "msn.com"),
        ),
        Provider(
            key="fastmail",
            title="Fastmail",
            imap=_ssl("imap.fastmail.com", 993),
            smtp=_ssl("smtp.fastmail.com", 465),
            sent="Sent",
            saves_sent_copy=False,
            login_notes=(
                "Fastmail needs an app password with IMAP and SMTP access",
                "(Settings > Privacy & Security > Manage app passwords).",
            ),
            domains=("fastmail.com", "fastmail.fm"),
        ),
        Provider(
            key="icloud",
            title="iCloud Mail",
            imap=_ssl("imap.mail.me.com", 993),
            smtp=_starttls("smtp.mail.me.com"),
            sent="Sent Messages",
            saves_sent_copy=False,
            login_notes=(
                "iCloud needs an app-specific password (https://account.apple.com, Sign-In and",
                "Security > App-Specific Passwords). If the IMAP login fails with your full",
                "address, set imap.username to the part before the @.",
            ),
            domains=("icloud.com", "me.com", "mac.com"),
        ),
        Provider(
            key="yahoo",
            title="Yahoo Mail",
            imap=_ssl("imap.mail.yahoo.com", 993),
            smtp=_ssl("smtp.mail.yahoo.com", 465),
            sent="Sent",
            saves_sent_copy=False,
            login_notes=(
                "Yahoo needs an app password (Account Security > Generate app password).",
            ),
            domains=("yahoo.com", "ymail.com", "rocketmail.com"),
        ),
        Provider(
            key="imap",
            title="another provider (IMAP and SMTP)",
            imap=None,
            smtp=None,
            sent=None,
            saves_sent_copy=False,
            login_notes=("Your provider may want an app password rather than your usual one.",),
        ),
    )
}


@dataclass(frozen=True, kw_only=True)
class SecretRef:
    """Where afterview finds the password or token: never the secret itself."""

    kind: SecretKind
    env: str = ""
    command: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Answers:
    provider: Provider
    email: str
    name: str
    timezone: str
    approvers: tuple[str, ...]
    imap: Endpoint
    smtp: Endpoint
    secret: SecretRef
    calendars: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Flags:
    """What was given on the command line; None (or empty) for what was not."""

    provider: str | None = None
    email: str | None = None
    name: str | None = None
    timezone: str | None = None
    approvers: tuple[str, ...] = ()
    imap_host: str | None = None
    imap_port: int | None = None
    imap_security: str | None = None
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_security: str | None = None
    password_env: str | None = None
    password_command: str | None = None
    oauth2_token_command: str | None = None
    calendars: tuple[str, ...] = ()


def guess_provider(email: str) -> str | None:
    domain = email.rpartition("@")[2].lower()
    for provider in PROVIDERS.values():
        if domain in provider.domains:
            return provider.key
    return None


def system_timezone() -> str:
    try:
        name = tzlocal.get_localzone_name() or "UTC"
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, LookupError):
        return "UTC"
    return name


def gather(flags: Flags, ask: Ask | None) -> Answers:
    """The answers from the flags, asking (when `ask` is given) for what they leave open."""
    secrets = [
        v for v in (flags.password_env, flags.password_command, flags.oauth2_token_command) if v
    ]
    if len(secrets) > 1:
        raise SetupError(
            "give only one of --password-env, --password-command and --oauth2-token-command"
        )
    email = _email(flags.email, ask)
    provider = _provider(flags.provider, guess_provider(email) or "imap", ask)
    name = flags.name if flags.name is not None else _ask(ask, "Your name (in From:)", "")
    timezone = _timezone(flags.timezone, ask)
    imap = _endpoint("imap", provider, flags.imap_host, flags.imap_port, flags.imap_security, ask)
    smtp = _endpoint("smtp", provider, flags.smtp_host, flags.smtp_port, flags.smtp_security, ask)
    secret = _secret(flags, provider, email, ask)
    approvers = flags.approvers or _approvers(email, ask)
    for address in approvers:
        if address != address.strip() or not is_email_address(address):  # written as given
            raise SetupError(f"approver {address!r} is not an email address")
    calendars = flags.calendars or _calendars(ask)
    for url in calendars:
        _calendar_kind(url)  # raises for what is neither a URL nor a file
    return Answers(
        provider=provider,
        email=email,
        name=name,
        timezone=timezone,
        approvers=approvers,
        imap=imap,
        smtp=smtp,
        secret=secret,
        calendars=calendars,
    )


def _ask(ask: Ask | None, prompt: str, default: str) -> str:
    if ask is None:
        return default
    return ask(prompt, default).strip() or default


def _email(given: str | None, ask: Ask | None) -> str:
    while True:
        email = (given if given is not None else _ask(ask, "Your email address", "")).strip()
        if is_email_address(email):  # stripped above
            return email
        if ask is None or given is not None:
            raise SetupError(
                f"--email: expected an address like you@example.com, got {email!r}"
                if email
                else "--email is needed (the address you job-hunt from)"
            )
        print("  that is not an email address, e.g. you@example.com")


def _provider(given: str | None, guess: str, ask: Ask | None) -> Provider:
    """The flag's provider, else the one the address suggests (asked to confirm)."""
    choices = "/".join(PROVIDERS)
    if given is None and ask is not None:
        for provider in PROVIDERS.values():
            print(f"  {provider.key:<9} {provider.title}")
        given = _ask(ask, f"Provider ({choices})", guess)
    key = (given or guess).strip().lower()
    while key not in PROVIDERS:
        if ask is None:
            raise SetupError(f"--provider: expected one of {choices}, got {key!r}")
        key = _ask(ask, f"Provider ({choices})", guess).lower()
    return PROVIDERS[key]


def _timezone(given: str | None, ask: Ask | None) -> str:
    zone = given if given is not None else _ask(ask, "Time zone", system_timezone())
    while True:
        try:
            ZoneInfo(zone)
            return zone
        except (ZoneInfoNotFoundError, ValueError, OSError):
            if ask is None or given is not None:
                raise SetupError(
                    f"--timezone: unknown time zone {zone!r} (e.g. Europe/Berlin)"
                ) from None
            print("  unknown time zone; an IANA name like Europe/Berlin or America/New_York")
            zone = _ask(ask, "Time zone", system_timezone())


_SECURITY_BY_PORT = {
    993: Security.SSL,
    465: Security.SSL,
    143: Security.STARTTLS,
    587: Security.STARTTLS,
    25: Security.STARTTLS,
}
_PORT_BY_SECURITY = {
    "imap": {Security.SSL: 993, Security.STARTTLS: 143, Security.NONE: 143},
    "smtp": {Security.SSL: 465, Security.STARTTLS: 587, Security.NONE: 25},
}


def _endpoint(
    kind: Literal["imap", "smtp"],
    provider: Provider,
    host: str | None,
    port: int | None,
    security: str | None,
    ask: Ask | None,
) -> Endpoint:
    """The preset, with what the flags change; for generic IMAP, asked when not given."""
    preset = provider.imap if kind == "imap" else provider.smtp
    if host is None and preset is None:
        if ask is None:
            raise SetupError(f"--provider imap needs --{kind}-host (e.g. {kind}.example.com)")
        while not host:
            host = _ask(ask, f"{kind.upper()} server", "")
    host = host or (preset.host if preset else "")
    chosen: Security | None = None
    if security is not None:
        try:
            chosen = Security(security)
        except ValueError:
            raise SetupError(f"--{kind}-security: expected ssl, starttls or none") from None
    elif port is not None:
        chosen = _SECURITY_BY_PORT.get(port, Security.SSL)
    elif preset is not None:
        chosen = preset.security
    elif ask is not None:
        answer = _ask(ask, f"{kind.upper()} security (ssl/starttls)", "ssl").lower()
        chosen = Security.STARTTLS if answer == "starttls" else Security.SSL
    chosen = chosen or Security.SSL
    if port is None:
        same = preset is not None and preset.security is chosen
        port = preset.port if preset is not None and same else _PORT_BY_SECURITY[kind][chosen]
    if not 0 < port < 65536:
        raise SetupError(f"--{kind}-port: expected 1-65535, got {port}")
    return Endpoint(host=host, port=port, security=chosen)


def _secret(flags: Flags, provider: Provider, email: str, ask: Ask | None) -> SecretRef:
    if flags.password_env:
        return _env_ref(flags.password_env)
    if flags.password_command:
        return SecretRef(kind="password_command", command=_argv(flags.password_command))
    if flags.oauth2_token_command:
        return SecretRef(kind="oauth2_token_command", command=_argv(flags.oauth2_token_command))
    if ask is None:
        return SecretRef(kind="password_env", env=DEFAULT_PASSWORD_ENV)
    for note in provider.login_notes:
        print(f"  {note}")
    how = _ask(ask, "Where is the password: env, command or oauth2", "env").lower()
    if how.startswith("c"):
        example = f"pass show mail/{email}"
        command = _ask(ask, "Command that prints the password", example)
        return SecretRef(kind="password_command", command=_argv(command))
    if how.startswith("o"):
        command = _ask(ask, "Command that prints an OAuth2 token", f"oama access {email}")
        return SecretRef(kind="oauth2_token_command", command=_argv(command))
    return _env_ref(_ask(ask, "Environment variable holding it", DEFAULT_PASSWORD_ENV))


def _env_ref(name: str) -> SecretRef:
    if not _ENV_NAME.match(name):
        raise SetupError(
            f"--password-env: expected a variable name like AFTERVIEW_PASSWORD, got {name!r}"
        )
    return SecretRef(kind="password_env", env=name)


def _argv(command: str) -> tuple[str, ...]:
    try:
        argv = tuple(shlex.split(command))
    except ValueError as exc:
        raise SetupError(f"cannot read the command {command!r}: {exc}") from None
    if not argv:
        raise SetupError("the command is empty")
    return argv


def _approvers(email: str, ask: Ask | None) -> tuple[str, ...]:
    answer = _ask(ask, "Who approves sends by reply (addresses, comma-separated)", email)
    return tuple(a.strip() for a in answer.split(",") if a.strip())


def _calendars(ask: Ask | None) -> tuple[str, ...]:
    found: list[str] = []
    while True:
        url = _ask(ask, "A calendar to watch (CalDAV or ICS URL; empty when done)", "")
        if not url:
            return tuple(found)
        found.append(url)


def _calendar_kind(url: str) -> Literal["caldav", "ics_url", "ics_file"]:
    lower = url.lower()
    if lower.startswith("webcal://") or (
        lower.startswith(("http://", "https://")) and lower.split("?")[0].endswith(".ics")
    ):
        return "ics_url"
    if lower.startswith(("http://", "https://")):
        return "caldav"
    if "://" in url:
        raise SetupError(f"--calendar-url: expected an http(s) URL or an .ics file, got {url!r}")
    return "ics_file"


# -- the file -------------------------------------------------------------------------


def _q(value: str) -> str:
    """A YAML double-quoted scalar that reads back as exactly `value`."""
    dumped: str = yaml.safe_dump(value, default_style='"', allow_unicode=True, width=1 << 30)
    return dumped.strip().removesuffix("...").strip()


def _flow(items: Sequence[str]) -> str:
    return "[" + ", ".join(_q(item) for item in items) + "]"


def _secret_lines(secret: SecretRef) -> list[str]:
    if secret.kind == "password_env":
        return [f"  password_env: {secret.env}"]
    return [f"  {secret.kind}: {_flow(secret.command)}"]


def render(answers: Answers) -> str:
    """The commented config; every key is one `load_config` accepts."""
    p = answers.provider
    lines = [
        f"# afterview configuration for {p.title}, written by `afterview init`.",
        "# Every option and its default: config.example.yaml. Check it with:",
        "#   afterview check-config --connect",
        "# No secret is kept in this file, only where afterview finds it.",
        "",
        "account:",
        f"  email: {_q(answers.email)}",
        f"  name: {_q(answers.name)}",
        f"  timezone: {_q(answers.timezone)}",
        "",
        "# " + "\n# ".join(p.login_notes),
    ]
    if answers.secret.kind == "password_env":
        lines.append(
            f"# Put the password in ${answers.secret.env} (IMAP and SMTP use the same one)."
        )
    for kind, endpoint in (("imap", answers.imap), ("smtp", answers.smtp)):
        lines += [
            f"{kind}:",
            f"  host: {_q(endpoint.host)}",
            f"  port: {endpoint.port}",
            f"  security: {endpoint.security.value}",
            f"  username: {_q(answers.email)}",
            *_secret_lines(answers.secret),
        ]
        if kind == "imap":
            sent = _q(p.sent) if p.sent else "null"
            comment = "# null: found by SPECIAL-USE \\Sent"
            if p.key == "gmail":
                comment = '# null: found by SPECIAL-USE ("[Gmail]/Sent Mail" in English)'
            lines += ["  folders:", f"    sent: {sent}  {comment}"]
        else:
            why = "the provider files sent mail itself" if p.saves_sent_copy else "afterview files"
            lines.append(
                f"  saves_sent_copy: {'true' if p.saves_sent_copy else 'false'}  # {why}"
                + ("" if p.saves_sent_copy else " a copy in Sent")
            )
        lines.append("")
    lines += _calendar_lines(answers)
    lines += [
        "approval:",
        "  # only replies from these addresses can approve a send",
        f"  approvers: {_flow(answers.approvers)}",
        "",
    ]
    return "\n".join(lines)


def _calendar_lines(answers: Answers) -> list[str]:
    if not answers.calendars:
        return ["calendars: []  # e.g. - {type: ics_url, url: https://.../private.ics}", ""]
    lines = ["calendars:"]
    for url in answers.calendars:
        kind = _calendar_kind(url)
        if kind == "ics_file":
            lines.append(f"  - {{type: ics_file, path: {_q(url)}}}")
            continue
        if url.lower().startswith("webcal://"):
            url = "https://" + url[len("webcal://") :]
        lines += [f"  - type: {kind}", f"    url: {_q(url)}"]
        if kind == "caldav":
            lines.append(f"    username: {_q(answers.email)}")
            if answers.secret.kind == "oauth2_token_command":
                lines.append("    # add password_env, password_command or password_file")
            else:
                lines.append("    # the mail password; change it if the calendar has its own")
                lines += ["  " + line for line in _secret_lines(answers.secret)]
    return [*lines, ""]


def check_target(path: Path, *, force: bool) -> None:
    """Raise SetupError when `path` cannot take the config (asked before any question)."""
    if path.is_dir():
        raise SetupError(f"{path} is a folder; --config names the file to write")
    if path.exists() and not force:
        raise SetupError(f"{path} exists already: afterview init --force replaces it")


def write(path: Path, text: str, *, force: bool) -> None:
    """Write the file readable by its owner only (folder 0700 when created here)."""
    check_target(path, force=force)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".yaml")
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def next_steps(answers: Answers, path: Path, *, secret_ready: bool) -> list[str]:
    """What to do after the file is written, in order."""
    steps = []
    config = f" --config {shlex.quote(str(path))}"
    if answers.secret.kind == "password_env" and not secret_ready:
        steps.append(
            f"Set the password: export {answers.secret.env}='...' (for the service, put "
            f"{answers.secret.env}=... in a file only you read and name it in the unit's "
            "EnvironmentFile=)"
        )
    elif answers.secret.kind != "password_env" and not secret_ready:
        steps.append(f"Make sure `{shlex.join(answers.secret.command)}` prints the secret")
    steps += [
        f"Check the login: afterview{config} check-config --connect",
        f"Try one pass: afterview{config} run --once",
        'Run it as a service: see "Running as a service" in the README '
        "(systemctl --user enable --now afterview)",
    ]
    return steps

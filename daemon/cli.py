"""The `afterview` command line: parse arguments, load the config, call in, print the outcome.

Exit codes: 0 success, 1 the command ran and found a problem (invalid config, a server that
refused), 2 wrong usage.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TypeVar

from daemon import __version__, calendars, logs, service, setup
from daemon import status as status_report
from daemon.config import CalendarSource, Config, ConfigError, default_config_path, load_config
from daemon.detect import classify_calendar, classify_email
from daemon.durations import parse_duration
from daemon.engine import Engine
from daemon.errors import AfterviewError, PermanentError
from daemon.followup import plans as followup_plans
from daemon.logs import MaskingFormatter
from daemon.mail import imap, smtp
from daemon.model import Detection, Kind
from daemon.store import Store
from daemon.tracking import preview

log = logging.getLogger(__name__)
T = TypeVar("T")

Handler = Callable[[argparse.Namespace, MaskingFormatter], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="afterview",
        description=(
            "Follow through after job interviews: afterview watches your mailbox and calendars, "
            "drafts thank-you and check-in notes, and sends them only when you reply SEND."
        ),
    )
    parser.add_argument("--version", action="version", version=f"afterview {__version__}")
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="PATH",
        help="the YAML config file (default: $AFTERVIEW_CONFIG, else "
        "~/.config/afterview/config.yaml)",
    )
    parser.add_argument(
        "--log-level",
        choices=("debug", "info", "warning", "error"),
        default=None,
        help="how much to log on stderr (default: the config's log_level, else info)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    check = commands.add_parser(
        "check-config",
        help="validate the config file; with --connect also log in to every server",
        description="Validate the config file and report every problem with its line and key.",
    )
    check.add_argument(
        "--connect",
        action="store_true",
        help="also log in to IMAP, SMTP and each calendar source; one line per component",
    )
    check.set_defaults(handler=check_config)
    classify = commands.add_parser(
        "classify",
        help="say whether .eml and .ics files are about a job interview, and what they hold",
        description="Classify RFC 5322 .eml files (one result each) and .ics files (one result "
        "per event). Exit 1 if any file could not be read or parsed.",
    )
    classify.add_argument("files", nargs="+", type=Path, metavar="FILE")
    classify.add_argument("--json", action="store_true", help="one JSON object per line")
    _add_now(
        classify, "the moment relative dates are read against when a message has no Date header"
    )
    classify.set_defaults(handler=classify_files)
    run = commands.add_parser(
        "run",
        help="watch the mailbox and calendars (the service); --once for a single pass",
        description="Sync the watched folders and calendar sources, detect interviews and keep "
        "them in the state database. Without --once it keeps running: IDLE wakes it when mail "
        "arrives, and it polls on the configured intervals.",
    )
    run.add_argument("--once", action="store_true", help="one full pass, then exit 0")
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="read and detect, but write nothing to the state and send nothing",
    )
    _add_now(run, "pretend it is this moment (for trying things out and for tests)")
    run.add_argument(
        "--backfill",
        type=_backfill,
        default=None,
        metavar="DURATION",
        help="how far back to read: '60d', '1y' or 'all' (default: the config's sync.backfill); "
        "further back than before reads the older mail too",
    )
    run.set_defaults(handler=run_daemon)
    status = commands.add_parser(
        "status",
        help="interviews, tracked threads, last sync per folder and source, last error",
        description="Print what afterview knows from its state database (safe while the "
        "daemon runs). --json prints the stable document described in the README.",
    )
    status.add_argument("--json", action="store_true", help="the JSON document")
    _add_now(status, "what counts as upcoming (default: now)")
    status.set_defaults(handler=show_status)
    digest = commands.add_parser(
        "digest",
        help="print the daily digest as it would go out now",
        description="Print the digest email (upcoming interviews, drafts waiting for you, "
        "quiet threads, notes sent) from the state, without sending it: the daemon sends it "
        "at digest.at.",
    )
    digest.add_argument("--preview", action="store_true", required=True,
                        help="print it; nothing is sent")  # fmt: skip
    digest.add_argument("--html", action="store_true", help="print the HTML part, not the text")
    _add_now(digest, "the moment the digest is for (default: now)")
    digest.set_defaults(handler=preview_digest)
    demo = commands.add_parser(
        "demo",
        help="show afterview at work on mail servers it starts in this process; needs no config",
        description="Start real IMAP and SMTP servers on loopback, seed a job seeker's mailbox, "
        "and run the engine against it step by step: the interview found, the approval email, "
        "your SEND, the note delivered, the quiet threads marked, the digest. Cleans up after "
        "itself.",
    )
    demo.add_argument("--yes", action="store_true", help="answer SEND for you (no prompt)")
    demo.set_defaults(handler=run_demo)
    _add_init(commands)
    from daemon import corrections, waiting_notes  # they build on this module's `load`

    corrections.add_parsers(commands, _add_now)
    waiting_notes.add_parsers(commands, _add_now)
    return parser


def _add_init(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    init = commands.add_parser(
        "init",
        help="write a first config for your provider (asks on a terminal; or all by flags)",
        description="Write a commented config for Gmail, Outlook, Fastmail, iCloud, Yahoo or "
        "any IMAP provider, check it, log in (unless --no-connect) and say what to do next. "
        "The file names where the password is found; it never holds one.",
    )
    init.add_argument(
        "--provider",
        choices=tuple(setup.PROVIDERS),
        default=None,
        help="the mail provider (default: guessed from --email, else imap)",
    )
    init.add_argument("--email", default=None, help="the address you job-hunt from")
    init.add_argument("--name", default=None, help="your name, shown in From:")
    init.add_argument("--timezone", default=None, help="IANA zone (default: the system's)")
    init.add_argument(
        "--approver",
        action="append",
        default=[],
        metavar="EMAIL",
        help="who may approve a send by reply; repeatable (default: --email)",
    )
    for kind in ("imap", "smtp"):
        init.add_argument(
            f"--{kind}-host",
            default=None,
            metavar="HOST",
            help=f"the {kind.upper()} server (for --provider imap)",
        )
        init.add_argument(f"--{kind}-port", type=int, default=None, metavar="PORT")
        init.add_argument(f"--{kind}-security", choices=("ssl", "starttls", "none"), default=None)
    secret = init.add_mutually_exclusive_group()
    secret.add_argument(
        "--password-env",
        metavar="VAR",
        help=f"the environment variable with the password (default: {setup.DEFAULT_PASSWORD_ENV})",
    )
    secret.add_argument(
        "--password-command",
        metavar="CMD",
        help="a command printing the password, e.g. 'pass show mail'",
    )
    secret.add_argument(
        "--oauth2-token-command",
        metavar="CMD",
        help="a command printing an OAuth2 access token (XOAUTH2)",
    )
    init.add_argument(
        "--calendar-url",
        action="append",
        default=[],
        metavar="URL",
        help="a CalDAV or ICS URL to watch; repeatable",
    )
    init.add_argument("--yes", action="store_true", help="take the defaults; ask nothing")
    init.add_argument("--force", action="store_true", help="replace an existing config")
    init.add_argument("--no-connect", action="store_true", help="do not log in to the servers")
    init.set_defaults(handler=init_config)


def _backfill(text: str) -> timedelta:
    if text.strip().lower() == "all":
        return timedelta(0)
    try:
        found = parse_duration(text, business_days=False)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a duration like '60d', '26w' or '1y', or 'all'; got {text!r}"
        ) from None
    return found.clock


def _add_now(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("--now", type=_iso_datetime, default=None, metavar="ISO8601", help=help)


def _iso_datetime(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an ISO 8601 time, got {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    formatter = logs.setup(args.log_level or "info")
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return handler(args, formatter)
    except KeyboardInterrupt:
        return 130


def config_path(args: argparse.Namespace) -> Path:
    return args.config if args.config is not None else default_config_path()


def load(
    args: argparse.Namespace, formatter: MaskingFormatter, *, reloading: bool = False
) -> Config | None:
    """Load the config for a command; print its problems and return None when invalid.
    `reloading` (SIGHUP in the daemon): the problems go to the log instead."""
    path = config_path(args)
    try:
        config = load_config(path)
    except ConfigError as exc:
        if reloading:
            for line in exc.lines():
                log.error("%s", line)
            return None
        for line in exc.lines():
            print(formatter.mask(line), file=sys.stderr)
        count = len(exc.problems)
        print(f"{path}: {count} problem{'s' if count != 1 else ''} found", file=sys.stderr)
        return None
    formatter.add_secrets(config.secrets())
    if args.log_level is None:
        logs.set_level(config.log_level)
    for warning in config.warnings:
        log.warning("%s", warning)
    return config


def check_config(args: argparse.Namespace, formatter: MaskingFormatter) -> int:
    config = load(args, formatter)
    if config is None:
        return 1
    calendars_note = f", {len(config.calendars)} calendar source(s)" if config.calendars else ""
    print(
        f"{config_path(args)}: ok (account {config.account.email}, "
        f"IMAP {config.imap.host}:{config.imap.port} {config.imap.security}, "
        f"SMTP {config.smtp.host}:{config.smtp.port} {config.smtp.security}{calendars_note})"
    )
    if not args.connect:
        return 0
    return check_connections(config, formatter)


def check_connections(config: Config, formatter: MaskingFormatter) -> int:
    """Log in to IMAP, SMTP and every calendar; one ok/FAIL line each; 1 if any failed."""
    checks: list[tuple[str, Callable[[], str]]] = [
        ("imap", lambda: _check_imap(config, formatter)),
        ("smtp", lambda: _check_smtp(config, formatter)),
    ]
    for index, source in enumerate(config.calendars):
        checks.append((f"calendars[{index}]", partial(_check_calendar, source)))
    width = max(len(name) for name, _ in checks)
    failures = 0
    for name, check in checks:
        try:
            ok, detail = True, check()
        except AfterviewError as exc:
            ok, detail = False, str(exc)
        except Exception as exc:  # a bug or a library surprise: report it, check the rest
            log.debug("%s check failed", name, exc_info=True)
            ok, detail = False, f"unexpected error: {type(exc).__name__}: {exc}"
        failures += not ok
        print(formatter.mask(f"{name:<{width}}  {'ok  ' if ok else 'FAIL'}  {detail}"), flush=True)
    return 1 if failures else 0


def _check_imap(config: Config, formatter: MaskingFormatter) -> str:
    where = f"{config.imap.host}:{config.imap.port} ({config.imap.security})"
    client = imap.connect(config.imap, on_secret=lambda token: formatter.add_secrets([token]))
    try:
        summary = imap.summarize(client, config.imap)
    finally:
        imap.logout(client)
    if summary.sent is None:
        raise PermanentError(
            f"{where}: logged in, but the Sent folder was {summary.sent_found_by}: "
            "set imap.folders.sent"
        )
    return (
        f"{where} as {config.imap.username}; {summary.inbox} has {summary.inbox_messages} "
        f"messages; Sent: {summary.sent!r} ({summary.sent_found_by})"
    )


def _check_smtp(config: Config, formatter: MaskingFormatter) -> str:
    token = smtp.oauth2_token(config.smtp)
    if token is not None:
        formatter.add_secrets([token])
    asyncio.run(smtp.check_login(config.smtp, token=token))
    where = f"{config.smtp.host}:{config.smtp.port} ({config.smtp.security})"
    return f"{where} as {config.smtp.username}"


def _check_calendar(source: CalendarSource) -> str:
    try:
        return f"{calendars.describe(source)}: {calendars.check(source)}"
    except AfterviewError as exc:
        raise type(exc)(f"{calendars.describe(source)}: {exc}") from None


def classify_files(args: argparse.Namespace, formatter: MaskingFormatter) -> int:
    failed = False
    rows: list[list[str]] = []
    for path in args.files:
        for result in classify_path(path, args.now):
            failed = failed or result.error is not None
            if args.json:
                print(json.dumps(result.to_json(str(path)), ensure_ascii=False), flush=True)
            else:
                rows.append(_table_row(str(path), result))
    if not args.json:
        header = ["FILE", "KIND", "START", "COMPANY", "ROLE", "PEOPLE / NOTE"]
        for line in table([header, *rows], widest=48):
            print(line)
    return 1 if failed else 0


MAX_FILE_BYTES = 25 << 20


def classify_path(path: Path, now: datetime | None) -> list[Detection]:
    """Read one file and classify it; a file that cannot be read gives one `error` result."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return [Detection(Kind.NONE, error=f"cannot read the file: {exc.strerror or exc}")]
    if len(data) > MAX_FILE_BYTES:
        return [Detection(Kind.NONE, error=f"larger than {MAX_FILE_BYTES >> 20} MiB")]
    try:
        if path.suffix.lower() in (".ics", ".ical", ".ifb", ".icalendar"):
            zone = now.tzinfo if now and now.tzinfo else UTC
            return classify_calendar(data, default_zone=zone)
        return [classify_email(data, now=now)]
    except Exception as exc:  # one file must never stop the others
        log.warning("classifying %s failed: %s: %s", path, type(exc).__name__, exc)
        return [Detection(Kind.NONE, error=f"detection failed: {type(exc).__name__}")]


def _table_row(file: str, result: Detection) -> list[str]:
    people = ", ".join(p.name or p.email or "" for p in result.interviewers)
    return [
        file,
        result.kind.value,
        result.start.isoformat(timespec="minutes") if result.start else "-",
        result.company or "-",
        result.role or "-",
        f"error: {result.error}" if result.error else people or "-",
    ]


def table(rows: list[list[str]], widest: int | None = None) -> list[str]:
    """Rows in aligned columns; the last column, the longest, as it is. A cell wider than
    `widest` (when given) is cut to it with an ellipsis."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    if widest is not None:
        widths = [min(widest, width) for width in widths]
    return [
        "  ".join(
            (cell if len(cell) <= width else cell[: width - 1] + "…").ljust(width)
            for cell, width in zip(row, widths, strict=False)
        )
        + f"  {row[-1]}"
        for row in rows
    ]


def run_daemon(args: argparse.Namespace, formatter: MaskingFormatter) -> int:
    config = load_state_config(args, formatter)
    if config is None:
        notifier = service.Notifier.from_environ()
        notifier.send("STATUS=the config is not valid: see the log")
        notifier.close()
        return 1
    now = (lambda: args.now) if args.now is not None else None
    try:
        with Store(config.state_dir) as store:
            known = {cursor.folder: cursor for cursor, _ in store.cursors()}

            def engine_for(config: Config, first: bool) -> Engine:
                return Engine(
                    config,
                    store,
                    now=now,
                    dry_run=args.dry_run,
                    backfill=args.backfill,
                    reach_back=first and args.backfill is not None and bool(known),
                    on_secret=lambda secret: formatter.add_secrets([secret]),
                )

            if args.once:
                engine = engine_for(config, True)
                report = engine.run_once()
                engine.close()
                for line in report.interviews:
                    print(line)
                for error in report.errors:
                    print(formatter.mask(f"error: {error}"), file=sys.stderr)
                return 1 if report.errors else 0
            reload = partial(load_state_config, args, formatter, reloading=True)
            return service.Service(config, engine_for, reload).serve()
    except AfterviewError as exc:
        print(formatter.mask(f"afterview: {exc}"), file=sys.stderr)
        return 1


def load_state_config(
    args: argparse.Namespace, formatter: MaskingFormatter, *, reloading: bool = False
) -> Config | None:
    """`load` for a command that opens the state: its state_dir as the service finds it
    ($STATE_DIRECTORY). `reloading`: SIGHUP's read, each problem logged."""
    config = load(args, formatter, reloading=reloading)
    return service.with_state_directory(config) if config is not None else None


def read_state(
    args: argparse.Namespace,
    formatter: MaskingFormatter,
    read: Callable[[Config, Store, datetime], T],
) -> tuple[Config, T] | None:
    """What a reading command reads from the state (safe while the daemon runs), with the
    config; None, the problem printed, when the config or the state cannot be read."""
    config = load_state_config(args, formatter)
    if config is None:
        return None
    now = args.now or datetime.now(UTC)
    try:
        with Store(config.state_dir).open_read_only() as store:
            return config, read(config, store, now)
    except AfterviewError as exc:
        print(formatter.mask(f"afterview: {exc}"), file=sys.stderr)
        return None


def show_status(args: argparse.Namespace, formatter: MaskingFormatter) -> int:
    found = read_state(
        args, formatter, lambda c, s, now: status_report.collect(s, now, followup_plans(c, s, now))
    )
    if found is None:
        return 1
    document = found[1]
    if args.json:
        print(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        for line in status_report.render(document):
            print(formatter.mask(line))
    return 0


def run_demo(args: argparse.Namespace, formatter: MaskingFormatter) -> int:
    from daemon import demo  # the embedded servers load only for this command

    if args.log_level is None:
        logs.set_level("warning")  # the demo narrates; the log keeps to problems
    return demo.run(yes=args.yes)


def preview_digest(args: argparse.Namespace, formatter: MaskingFormatter) -> int:
    read = read_state(args, formatter, preview)
    if read is None:
        return 1
    found = read[1]
    if found is None:
        print("nothing to say: no digest would go out (digest.send_when_empty is off)")
        return 0
    print(formatter.mask(f"Subject: {found.subject}"))
    print()
    print(formatter.mask(found.html if args.html else found.text))
    return 0


def init_config(args: argparse.Namespace, formatter: MaskingFormatter) -> int:
    path = config_path(args).expanduser()
    flags = setup.Flags(
        provider=args.provider,
        email=args.email,
        name=args.name,
        timezone=args.timezone,
        approvers=tuple(args.approver),
        imap_host=args.imap_host,
        imap_port=args.imap_port,
        imap_security=args.imap_security,
        smtp_host=args.smtp_host,
        smtp_port=args.smtp_port,
        smtp_security=args.smtp_security,
        password_env=args.password_env,
        password_command=args.password_command,
        oauth2_token_command=args.oauth2_token_command,
        calendars=tuple(args.calendar_url),
    )
    interactive = not args.yes and sys.stdin.isatty()
    try:
        setup.check_target(path, force=args.force)  # before any question
        answers = setup.gather(flags, _prompt if interactive else None)
        setup.write(path, setup.render(answers), force=args.force)
    except setup.SetupError as exc:
        print(f"afterview init: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {path} ({answers.provider.title}, mode 600)")
    secret_ready = True
    try:
        config = load_config(path)
    except ConfigError as exc:
        waiting = [p for p in exc.problems if p.message.startswith("no secret:")]
        if len(waiting) != len(exc.problems):
            for line in exc.lines():
                print(formatter.mask(line), file=sys.stderr)
            return 1
        secret_ready, config = False, None
        print(f"{path}: valid; the secret is not there yet ({waiting[0].message})")
    status = 0
    if config is not None:
        formatter.add_secrets(config.secrets())
        print(f"{path}: ok")
        if not args.no_connect:
            status = check_connections(config, formatter)
    print("Next:")
    for number, step in enumerate(setup.next_steps(answers, path, secret_ready=secret_ready), 1):
        print(f"  {number}. {step}")
    return status


def _prompt(question: str, default: str) -> str:
    shown = f" [{default}]" if default else ""
    try:
        return input(f"{question}{shown}: ")
    except EOFError:
        return ""

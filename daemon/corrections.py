"""The commands that show and correct what afterview believes: `interviews`, `interview
ignore|done`, `thread mute|unmute` and `export`.

Reading commands open the state read-only (safe while the daemon runs). Correcting ones take
the state lock as the daemon does, so they refuse while it runs: the user stops the service,
corrects, starts it again. One writer keeps the daemon's view of the state its own.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from daemon import service
from daemon import status as status_report
from daemon.cli import Handler, load, read_state
from daemon.config import Config
from daemon.errors import AfterviewError
from daemon.export import to_csv, to_ics
from daemon.followup import plans as followup_plans
from daemon.logs import MaskingFormatter
from daemon.store import AlreadyRunning, Store
from daemon.store.followup import notes_overview
from daemon.store.quiet import QuietRecords

STOP_FIRST = (
    "stop the service first ('systemctl --user stop afterview'), run this again, "
    "then start it ('systemctl --user start afterview')"
)

AddNow = Callable[[argparse.ArgumentParser, str], None]


def add_parsers(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], add_now: AddNow
) -> None:
    listing = commands.add_parser(
        "interviews",
        help="a table of the interviews afterview knows (safe while the daemon runs)",
        description="Every interview with its time in your zone, company, role, status and "
        "interviewers. --json prints the INTERVIEW entries of `status --json`, as a list.",
    )
    listing.add_argument("--json", action="store_true", help="a JSON list")
    add_now(listing, "the moment the plans are read at (default: now)")
    listing.set_defaults(handler=list_interviews)

    interview = commands.add_parser(
        "interview",
        help="correct an interview: ignore (not an interview) or done (its plan stops)",
        description="Correct what detection found. The daemon must be stopped: these write "
        "to the state.",
    )
    actions = interview.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, text in (
        ("ignore", "not an interview: cancelled, no note for it, never brought back"),
        ("done", "the follow-up is over: no further note is drafted for it"),
    ):
        action = actions.add_parser(name, help=text, description=text)
        action.add_argument("id", type=int, metavar="ID")
        action.set_defaults(handler=_correct_interview(name))

    thread = commands.add_parser(
        "thread",
        help="mute or unmute a thread: a muted one is never marked quiet nor followed up",
        description="As replying MUTE does. The daemon must be stopped: these write to the state.",
    )
    moves = thread.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name in ("mute", "unmute"):
        action = moves.add_parser(name, help=f"{name} the thread with this id (see `status`)")
        action.add_argument("id", type=int, metavar="ID")
        action.set_defaults(handler=_mute_thread(name == "mute"))

    export = commands.add_parser(
        "export",
        help="everything as CSV, or upcoming interviews and follow-ups as an .ics calendar",
        description="--csv: one table of interviews, plan steps and notes (column `kind`). "
        "--ics: upcoming interviews and follow-up dates with stable UIDs, for a calendar to "
        "subscribe to. Safe while the daemon runs.",
    )
    form = export.add_mutually_exclusive_group(required=True)
    form.add_argument("--csv", action="store_true", help="CSV")
    form.add_argument("--ics", action="store_true", help="iCalendar")
    export.add_argument("--out", type=Path, default=None, metavar="FILE",
                        help="write here (default: standard output)")  # fmt: skip
    add_now(export, "what counts as upcoming (default: now)")
    export.set_defaults(handler=export_state)


def _state(args: argparse.Namespace, formatter: MaskingFormatter) -> Config | None:
    config = load(args, formatter)
    return service.with_state_directory(config) if config is not None else None


def list_interviews(args: argparse.Namespace, formatter: MaskingFormatter) -> int:
    found = read_state(
        args,
        formatter,
        lambda c, s, now: status_report.interview_entries(s, followup_plans(c, s, now)),
    )
    if found is None:
        return 1
    config, entries = found[0], [entry for _, entry in found[1]]
    if args.json:
        print(json.dumps(entries, indent=2, ensure_ascii=False))
        return 0
    zone = config.account.timezone
    rows = [["ID", "WHEN", "COMPANY", "ROLE", "STATUS", "INTERVIEWERS"]]
    for entry in entries:
        start = datetime.fromisoformat(entry["start"]) if entry["start"] else None
        status = entry["status"] + (f" ({entry['closed']})" if entry["closed"] else "")
        rows.append(
            [
                str(entry["id"]),
                f"{start.astimezone(zone):%a %Y-%m-%d %H:%M %Z}" if start else "no time yet",
                entry["company"] or "-",
                entry["role"] or "-",
                status,
                ", ".join(p["name"] or p["email"] for p in entry["interviewers"]) or "-",
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
        print(formatter.mask(f"{cells}  {row[-1]}"))
    if not entries:
        print("no interviews yet")
    return 0


def _writing(
    args: argparse.Namespace, formatter: MaskingFormatter, change: Callable[[Store], str | None]
) -> int:
    """Open the state for writing, as the daemon does; `change` returns the line to print, or
    None when the id is unknown."""
    config = _state(args, formatter)
    if config is None:
        return 1
    try:
        with Store(config.state_dir) as store:
            line = change(store)
    except AlreadyRunning as exc:
        print(f"afterview: {exc}; {STOP_FIRST}", file=sys.stderr)
        return 1
    except AfterviewError as exc:
        print(formatter.mask(f"afterview: {exc}"), file=sys.stderr)
        return 1
    if line is None:
        print(f"afterview: no {args.command} with id {args.id}", file=sys.stderr)
        return 1
    print(line)
    return 0


def _correct_interview(action: str) -> Handler:
    def handler(args: argparse.Namespace, formatter: MaskingFormatter) -> int:
        def change(store: Store) -> str | None:
            at = datetime.now(UTC).isoformat(timespec="seconds")
            if action == "ignore":
                if not store.ignore_interview(args.id, at):
                    return None
                return f"interview {args.id} ignored: not an interview, nothing will follow"
            if not store.finish_interview(args.id, at):
                return None
            return f"interview {args.id} done: no further note is drafted for it"

        return _writing(args, formatter, change)

    return handler


def _mute_thread(mute: bool) -> Handler:
    def handler(args: argparse.Namespace, formatter: MaskingFormatter) -> int:
        def change(store: Store) -> str | None:
            quiet = QuietRecords(store)
            if not (quiet.mute(args.id) if mute else quiet.unmute(args.id)):
                return None
            return f"thread {args.id} {'muted' if mute else 'unmuted'}"

        return _writing(args, formatter, change)

    return handler


def export_state(args: argparse.Namespace, formatter: MaskingFormatter) -> int:
    def read(config: Config, store: Store, now: datetime) -> bytes:
        plans = followup_plans(config, store, now)
        if args.csv:
            return to_csv(store.interviews(), plans, notes_overview(store)).encode()
        return to_ics(store.interviews(), plans, now)

    found = read_state(args, formatter, read)
    if found is None:
        return 1
    data = found[1]
    if args.out is None:
        sys.stdout.buffer.write(data)
        return 0
    try:
        args.out.write_bytes(data)
    except OSError as exc:
        print(f"afterview: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}", file=sys.stderr)
    return 0

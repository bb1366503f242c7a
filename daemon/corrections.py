"""The commands that show and correct what afterview believes: `interviews`, `interview
add|edit|ignore|done`, `thread mute|unmute` and `export`.

Reading commands open the state read-only (safe while the daemon runs). Correcting ones take
the state lock as the daemon does, so they refuse while it runs: the user stops the service,
corrects, starts it again. One writer keeps the daemon's view of the state its own.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from daemon import by_hand
from daemon import status as status_report
from daemon.cli import Handler, load_state_config, read_state, table
from daemon.config import Config
from daemon.errors import AfterviewError, Refused
from daemon.export import to_csv, to_ics
from daemon.followup import plans as followup_plans
from daemon.logs import MaskingFormatter
from daemon.outbox import State
from daemon.store import AlreadyRunning, Store
from daemon.store.followup import FollowUpRecords, notes_overview
from daemon.store.quiet import QuietRecords
from daemon.sync import describe

T = TypeVar("T")

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
        help="add an interview detection missed, edit one, ignore it or mark it done",
        description="Correct what detection found. The daemon must be stopped: these write "
        "to the state.",
    )
    actions = interview.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add",
        help="an interview detection missed; it gets a follow-up plan like any other",
        description="Add an interview by hand. --company and --start are needed. What you "
        "give here is never changed by a later email or calendar event about it.",
    )
    _interview_flags(add, adding=True)
    add.set_defaults(handler=add_interview)
    edit = actions.add_parser(
        "edit",
        help="correct what detection read; a later sighting never undoes your correction",
        description="Set the fields given, keep the others. What you set here is never "
        "changed by a later email or calendar event about the interview (the log says when "
        "one disagrees). An empty value (--role '') clears a field.",
    )
    edit.add_argument("id", type=int, metavar="ID")
    _interview_flags(edit, adding=False)
    edit.set_defaults(handler=edit_interview)
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


def _interview_flags(parser: argparse.ArgumentParser, *, adding: bool) -> None:
    clears = "" if adding else "; '' clears it"
    parser.add_argument("--company", type=flag(by_hand.read_name), required=adding,
                        metavar="NAME", help="the employer")  # fmt: skip
    parser.add_argument("--role", type=flag(by_hand.read_text), metavar="TITLE",
                        help=f"the job{clears}")  # fmt: skip
    parser.add_argument(
        "--start",
        type=flag(by_hand.read_start),
        required=adding,
        metavar="WHEN",
        help="like 2026-12-03T15:00, in your time zone (account.timezone) unless it has an "
        "offset (2026-12-03T15:00+01:00)",
    )
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--end", type=flag(by_hand.read_end), metavar="WHEN",
                        help="16:00 (the start's day) or a date and time")  # fmt: skip
    length.add_argument(
        "--duration",
        type=flag(by_hand.read_duration),
        metavar="LENGTH",
        help="like 45m or 1h30m" + (" (without --end or --duration: an hour)" if adding else ""),
    )
    people = parser.add_mutually_exclusive_group()
    people.add_argument(
        "--interviewer",
        action="append",
        type=flag(by_hand.read_person),
        metavar="'NAME <EMAIL>'",
        help="who you meet (the thank-you goes to them); repeatable"
        + ("" if adding else "; the ones given replace those known"),
    )
    if not adding:
        people.add_argument("--no-interviewers", action="store_true",
                            help="forget the interviewers known")  # fmt: skip
    parser.add_argument("--url", type=flag(by_hand.read_url), metavar="URL",
                        help=f"the meeting link{clears}")  # fmt: skip
    parser.add_argument("--location", type=flag(by_hand.read_text), metavar="PLACE",
                        help=f"where it takes place{clears}")  # fmt: skip
    thread = parser.add_mutually_exclusive_group()
    thread.add_argument("--thread", type=int, metavar="ID",
                        help="the email thread it belongs to (its id in `status`)")  # fmt: skip
    thread.add_argument("--message", metavar="MESSAGE-ID",
                        help="the thread of this message (its Message-ID header)")  # fmt: skip


def flag(read: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse `type` that shows the reader's own message (its ValueError's) when the
    text is refused."""

    def convert(text: str) -> T:
        try:
            return read(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return convert


def _typed(args: argparse.Namespace) -> by_hand.Typed:
    interviewers = tuple(args.interviewer) if args.interviewer else None
    if getattr(args, "no_interviewers", False):
        interviewers = ()
    return by_hand.Typed(
        company=args.company,
        role=args.role,
        start=args.start,
        end=args.end,
        duration=args.duration,
        interviewers=interviewers,
        meeting_url=args.url,
        location=args.location,
    )


def _thread_of(args: argparse.Namespace, store: Store) -> int | None:
    """The thread --thread or --message names; None when neither is given."""
    if args.thread is not None:
        if not store.thread_known(args.thread):
            raise Refused(f"no thread with id {args.thread} (see `afterview status`)")
        return int(args.thread)
    if args.message is not None:
        found = store.message_row(args.message.strip().strip("<>"))
        if found is None:
            raise Refused(f"no message with the Message-ID {args.message!r} is known")
        return found[1]
    return None


def add_interview(args: argparse.Namespace, formatter: MaskingFormatter) -> int:
    def change(config: Config, store: Store) -> str:
        typed = replace(_typed(args), thread_id=_thread_of(args, store))
        interview = by_hand.added(typed, config.account.timezone)
        interview_id = store.save_by_hand(interview, ["added"], _now())
        zone = config.account.timezone
        return f"interview {interview_id} added: {describe(interview, zone)}"

    return writing(args, formatter, change)


def edit_interview(args: argparse.Namespace, formatter: MaskingFormatter) -> int:
    def change(config: Config, store: Store) -> str | None:
        known = store.interview(args.id)
        if known is None:
            return None
        if store.interview_closed(args.id) == "ignored":
            raise Refused(f"interview {args.id} was ignored (not an interview)")
        typed = replace(_typed(args), thread_id=_thread_of(args, store))
        interview = by_hand.edited(known, typed, config.account.timezone)
        changed = sorted(typed.corrected()) + (["thread"] if typed.thread_id else [])
        store.save_by_hand(interview, changed, _now())
        zone = config.account.timezone
        lines = [f"interview {args.id} corrected: {describe(interview, zone)}"]
        for note in FollowUpRecords(store).open_notes():
            if note.draft.interview_id == args.id and note.state is State.AWAITING_APPROVAL:
                lines.append(f"draft {note.draft.id} was written before: read it with "
                             f"`afterview drafts show {note.draft.id}`; if it needs changing, "
                             "approve your own text with --text-file")  # fmt: skip
        return "\n".join(lines)

    return writing(args, formatter, change)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


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
                by_hand.local_text(start, zone) if start else "no time yet",
                entry["company"] or "-",
                entry["role"] or "-",
                status,
                ", ".join(p["name"] or p["email"] for p in entry["interviewers"]) or "-",
            ]
        )
    for line in table(rows):
        print(formatter.mask(line))
    if not entries:
        print("no interviews yet")
    return 0


def writing(
    args: argparse.Namespace,
    formatter: MaskingFormatter,
    change: Callable[[Config, Store], str | None],
    noun: str | None = None,
) -> int:
    """Open the state for writing, as the daemon does; `change` returns the line to print, or
    None when there is no `noun` (default: the command's name) with `args.id`. It raises
    `Refused` for anything else it cannot do, having changed nothing."""
    config = load_state_config(args, formatter)
    if config is None:
        return 1
    try:
        with Store(config.state_dir) as store:
            line = change(config, store)
    except AlreadyRunning as exc:
        print(f"afterview: {exc}; {STOP_FIRST}", file=sys.stderr)
        return 1
    except AfterviewError as exc:
        print(formatter.mask(f"afterview: {exc}"), file=sys.stderr)
        return 1
    if line is None:
        print(f"afterview: no {noun or args.command} with id {args.id}", file=sys.stderr)
        return 1
    print(line)
    return 0


def _correct_interview(action: str) -> Handler:
    def handler(args: argparse.Namespace, formatter: MaskingFormatter) -> int:
        def change(config: Config, store: Store) -> str | None:
            at = _now()
            if action == "ignore":
                if not store.ignore_interview(args.id, at):
                    return None
                return f"interview {args.id} ignored: not an interview, nothing will follow"
            if not store.finish_interview(args.id, at):
                return None
            return f"interview {args.id} done: no further note is drafted for it"

        return writing(args, formatter, change)

    return handler


def _mute_thread(mute: bool) -> Handler:
    def handler(args: argparse.Namespace, formatter: MaskingFormatter) -> int:
        def change(config: Config, store: Store) -> str | None:
            quiet = QuietRecords(store)
            if not (quiet.mute(args.id) if mute else quiet.unmute(args.id)):
                return None
            return f"thread {args.id} {'muted' if mute else 'unmuted'}"

        return writing(args, formatter, change)

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

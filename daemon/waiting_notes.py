"""`afterview drafts`: the notes waiting for you, read and answered at the terminal.

Listing and showing only read the state (safe while the daemon runs). An answer typed here acts
through the code a reply by mail goes through (`FollowUps.act`): a token is recorded for the
draft's current version, which retires the ones mailed to you (a later reply to them does
nothing), and is used at once. Like every correction it needs the daemon stopped, and it sends
nothing itself: an approved note goes out at the daemon's next pass, through the outbox, with
its daily cap and its fresh look at the thread just before.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from daemon import approval
from daemon.approval import Action, Command
from daemon.by_hand import local_text
from daemon.cli import Handler, read_state, table
from daemon.config import Config, is_email_address
from daemon.corrections import AddNow, flag, writing
from daemon.drafts import read_note
from daemon.errors import Refused
from daemon.followup import FollowUpReport, offline, step_title
from daemon.followup import plans as followup_plans
from daemon.logs import MaskingFormatter
from daemon.outbox import State, allowed
from daemon.plan import FollowUpPlan
from daemon.store import Store
from daemon.store.followup import FollowUpRecords, Note

TERMINAL = "terminal"  # the request id kept for a token used at the terminal
STATE_WORDS = {
    State.DRAFTED: "drafted (its approval request is not sent yet)",
    State.AWAITING_APPROVAL: "waiting for you",
    State.APPROVED: "approved: it goes out at the daemon's next pass",
    State.SENDING: "being sent",
    State.SENT: "sent",
    State.UNKNOWN: "perhaps sent (the connection broke after it was handed over)",
    State.SKIPPED: "skipped",
    State.EXPIRED: "expired unanswered",
    State.FAILED: "refused by the mail server",
}
# What each answer can act on; a failed note's approval is a RESEND.
ANSWERABLE: dict[Action, frozenset[State]] = {
    Action.SEND: frozenset({State.DRAFTED, State.AWAITING_APPROVAL}),
    Action.RESEND: frozenset({State.FAILED}),
    Action.SKIP: frozenset(state for state in State if allowed(state, State.SKIPPED)),
    Action.SNOOZE: frozenset({State.DRAFTED, State.AWAITING_APPROVAL}),
}
_DONE = {
    Action.SEND: "approved: it goes out at the daemon's next pass (start the service, or run "
    "'afterview run --once')",
    Action.RESEND: "approved again: it is sent again at the daemon's next pass",
    Action.SKIP: "skipped: it will not be sent",
}


def add_parsers(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], add_now: AddNow
) -> None:
    drafts = commands.add_parser(
        "drafts",
        help="the notes waiting for your approval; show, approve, skip or snooze one",
        description="Without an action: the notes not sent, skipped nor expired, with whom "
        "they go to, when each is due and where it stands (safe while the daemon runs). The "
        "actions answer a note as a reply to its approval email would; they need the daemon "
        "stopped, and the emailed request for that note does nothing afterwards.",
    )
    drafts.add_argument("--json", action="store_true", help="a JSON list")
    add_now(drafts, "when notes are due from (default: now)")
    drafts.set_defaults(handler=list_notes)
    actions = drafts.add_subparsers(dest="action", metavar="[ACTION]")
    show = actions.add_parser("show", help="one note in full (safe while the daemon runs)")
    show.add_argument("id", type=int, metavar="ID")
    add_now(show, "when the note is due from (default: now)")
    show.set_defaults(handler=show_note)
    approve = actions.add_parser(
        "approve",
        help="as replying SEND: the daemon sends it at its next pass",
        description="As replying SEND: the note is approved, and the daemon sends it at its "
        "next pass (daily cap, and a fresh look at the thread first, as for any note). A "
        "note the mail server refused is sent again (as replying RESEND).",
    )
    approve.add_argument("id", type=int, metavar="ID")
    approve.add_argument("--text-file", type=Path, metavar="FILE",
                         help="send this text instead, exactly as written ('-': standard "
                         "input)")  # fmt: skip
    approve.add_argument("--to", type=flag(_address), metavar="EMAIL",
                         help="for a note with no address: send it there (as SEND to)")  # fmt: skip
    add_now(approve, "the moment of the answer (default: now)")
    approve.set_defaults(handler=_answering(Action.SEND))
    skip = actions.add_parser("skip", help="as replying SKIP: it is never sent")
    skip.add_argument("id", type=int, metavar="ID")
    add_now(skip, "the moment of the answer (default: now)")
    skip.set_defaults(handler=_answering(Action.SKIP))
    snooze = actions.add_parser("snooze", help="as replying SNOOZE: you are asked again later")
    snooze.add_argument("id", type=int, metavar="ID")
    snooze.add_argument("length", type=flag(approval.snooze_length), metavar="LENGTH",
                        help="like 4h or 2d; at most 14 days")  # fmt: skip
    add_now(snooze, "the moment of the answer (default: now)")
    snooze.set_defaults(handler=_answering(Action.SNOOZE))


def _address(text: str) -> str:
    if not is_email_address(text):
        raise ValueError(f"{text!r} is not an email address")
    return text.strip().lower()


# -- Reading ------------------------------------------------------------------------------------


def note_entry(note: Note, company: str | None, plan: FollowUpPlan | None) -> dict[str, Any]:
    """One note as `drafts --json` prints it."""
    steps = plan.steps if plan is not None else ()
    due = next((step.due for step in steps if step.kind.value == note.draft.step), None)
    return {
        "id": note.draft.id,
        "interview_id": note.draft.interview_id,
        "company": company,
        "step": note.draft.step,
        "recipients": [p.to_json() for p in note.draft.recipients],
        "subject": read_note(note.message)[0] if note.message else note.draft.subject,
        "state": note.state.value,
        "due": _iso(due),
        "snoozed_until": _iso(note.snoozed_until),
        "request_expires": _iso(note.expires_at),
        "detail": note.detail,
    }


Entries = Callable[[Config, Store, datetime], list[dict[str, Any]]]


def _read(notes: Callable[[FollowUpRecords], list[Note]]) -> Entries:
    """What `read_state` reads for these notes: each one's entry, with its plan's due time."""

    def read(config: Config, store: Store, now: datetime) -> list[dict[str, Any]]:
        plans = followup_plans(config, store, now)
        entries = []
        for note in notes(FollowUpRecords(store)):
            interview = store.interview(note.draft.interview_id)
            plan = plans(interview) if interview is not None else None
            entries.append(note_entry(note, interview.company if interview else None, plan))
        return entries

    return read


def list_notes(args: argparse.Namespace, formatter: MaskingFormatter) -> int:
    found = read_state(args, formatter, _read(lambda records: records.open_notes()))
    if found is None:
        return 1
    config, entries = found
    if args.json:
        print(json.dumps(entries, indent=2, ensure_ascii=False))
        return 0
    zone, now = config.account.timezone, args.now or datetime.now(UTC)
    rows = [["ID", "NOTE", "TO", "DUE", "STATE", "SUBJECT"]]
    for entry in entries:
        rows.append([
            str(entry["id"]),
            step_title(entry["step"]) + (f" ({entry['company']})" if entry["company"] else ""),
            _people(entry["recipients"]),
            _when(entry["due"], zone),
            _state(entry, zone, now),
            entry["subject"],
        ])  # fmt: skip
    for line in table(rows):
        print(formatter.mask(line))
    if not entries:
        print("no note is waiting")
    return 0


def show_note(args: argparse.Namespace, formatter: MaskingFormatter) -> int:
    def read(config: Config, store: Store, now: datetime) -> tuple[dict[str, Any], str] | None:
        note = FollowUpRecords(store).note(args.id)
        if note is None:
            return None
        [entry] = _read(lambda _: [note])(config, store, now)
        text = read_note(note.message)[1] if note.message else note.draft.body
        return entry, text

    found = read_state(args, formatter, read)
    if found is None:
        return 1
    config, shown = found
    if shown is None:
        print(f"afterview: no draft with id {args.id}", file=sys.stderr)
        return 1
    entry, text = shown
    zone, now = config.account.timezone, args.now or datetime.now(UTC)
    lines = [
        f"Draft {entry['id']}: {step_title(entry['step'])} to {_people(entry['recipients'])}",
        f"Interview: {entry['interview_id']} ({entry['company'] or 'unknown company'})",
        f"State:     {_state(entry, zone, now)}",
        f"Due:       {_when(entry['due'], zone)}",
        f"Subject:   {entry['subject']}",
        "",
        text.rstrip("\n"),
    ]
    for line in lines:
        print(formatter.mask(line))
    return 0


def _state(entry: dict[str, Any], zone: tzinfo, now: datetime) -> str:
    words = STATE_WORDS[State(entry["state"])]
    snoozed = entry["snoozed_until"]
    if snoozed and datetime.fromisoformat(snoozed) > now:
        words += f", snoozed until {_when(snoozed, zone)}"
    if entry["state"] in (State.FAILED.value, State.UNKNOWN.value) and entry["detail"]:
        words += f": {entry['detail']}"
    return words


def _people(people: list[dict[str, str | None]]) -> str:
    shown = [f"{p['name']} <{p['email']}>" if p["name"] else str(p["email"]) for p in people]
    return ", ".join(shown) or "nobody yet (no address known)"


def _when(moment: str | None, zone: tzinfo) -> str:
    return local_text(datetime.fromisoformat(moment), zone) if moment else "-"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


# -- Answering ----------------------------------------------------------------------------------


def answer(config: Config, store: Store, draft_id: int, command: Command, now: datetime) -> str:
    """Act on an answer typed at the terminal as on an accepted reply; the line to print.
    `Refused`, with nothing changed, when the note cannot take this answer."""
    followups = offline(config, store, now, dry_run=False)
    note = followups.records.note(draft_id)
    if note is None:
        raise Refused(f"no draft with id {draft_id}")
    if command.action is Action.SEND and note.state is State.FAILED:
        if command.text or command.send_to:
            raise Refused(f"draft {draft_id} was refused by the mail server: approving it sends "
                          "it again as it was, without --text-file or --to")  # fmt: skip
        command = replace(command, action=Action.RESEND)
    if note.state not in ANSWERABLE[command.action]:
        verb = {Action.SNOOZE: "snoozed", Action.SKIP: "skipped"}.get(command.action, "approved")
        hint = ""
        if note.state is State.UNKNOWN:
            hint = (f"; check with the recipient, then answer the RESEND email, or "
                    f"'afterview drafts skip {draft_id}'")  # fmt: skip
        raise Refused(f"draft {draft_id} cannot be {verb}: it is {STATE_WORDS[note.state]}{hint}")
    refused = followups.refusal(command, note.draft)
    if refused is not None:
        raise Refused(f"draft {draft_id}: {refused}")
    what = command.action.value + (" with your text" if command.text else "")
    what += f" to {command.send_to}" if command.send_to else ""
    at = now.astimezone(UTC).isoformat(timespec="seconds")
    store.audit(
        at, "answer at the terminal", f"draft {draft_id} version {note.draft.version}: {what}"
    )
    token = approval.new_token()
    expires = now + config.approval.token_ttl
    followups.records.request_approval(draft_id, token.digest, TERMINAL, expires, now)
    version = note.draft.version
    pending = approval.PendingApproval(token.digest, draft_id, version, version, expires, False)
    why = followups.act(command, pending, FollowUpReport())
    if why is not None:  # checked above: only a bug gets here
        raise Refused(f"draft {draft_id}: {why or 'the note moved on'}")
    if command.snooze is not None:
        return f"draft {draft_id} snoozed: you are asked again by email from " + local_text(
            now + command.snooze, config.account.timezone
        )
    return f"draft {draft_id} {_DONE[command.action]}"


def _answering(action: Action) -> Handler:
    def handler(args: argparse.Namespace, formatter: MaskingFormatter) -> int:
        try:
            text = _text(args.text_file) if getattr(args, "text_file", None) else ""
        except Refused as exc:
            print(f"afterview: {exc}", file=sys.stderr)
            return 1
        command = Command(action, text=text, send_to=getattr(args, "to", None),
                          snooze=getattr(args, "length", None))  # fmt: skip
        now = args.now or datetime.now(UTC)
        return writing(args, formatter,
                       lambda config, store: answer(config, store, args.id, command, now),
                       "draft")  # fmt: skip

    return handler


def _text(path: Path) -> str:
    """The note's new text, from a file or standard input: UTF-8, not empty, not huge."""
    try:
        data = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
        text = data.decode("utf-8")
    except OSError as exc:
        raise Refused(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise Refused(f"{path} is not UTF-8 text") from None
    if not text.strip():
        raise Refused(f"{path} is empty: without --text-file the note goes as drafted")
    if len(text) > approval.MAX_COMMAND_TEXT:
        raise Refused(f"{path} is longer than {approval.MAX_COMMAND_TEXT} characters")
    return text

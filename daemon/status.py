"""`afterview status`: what afterview knows, as a stable JSON document and as a short text.

The JSON form is documented in the README ("Status JSON"); fields are only ever added.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from daemon.interviews import Interview, Status
from daemon.plan import FollowUpPlan, StepState
from daemon.store import Store
from daemon.store.followup import notes_overview

STATUS_VERSION = 1


def interview_entries(
    store: Store, plans: Callable[[Interview], FollowUpPlan] | None = None
) -> list[tuple[Interview, dict[str, Any]]]:
    """Every interview with its JSON entry (and its plan, when `plans` is given)."""
    found = []
    for interview in store.interviews():
        entry = interview_entry(store, interview)
        if plans is not None:
            entry["plan"] = plan_entry(plans(interview))
        found.append((interview, entry))
    return found


def collect(
    store: Store, now: datetime, plans: Callable[[Interview], FollowUpPlan] | None = None
) -> dict[str, Any]:
    """`plans`: each interview's follow-up plan, shown with it when given."""
    upcoming, past = [], []
    for interview, entry in interview_entries(store, plans):
        is_past = interview.start is not None and interview.start < now
        if interview.status is Status.CANCELLED or is_past:
            past.append(entry)
        else:
            upcoming.append(entry)
    counts = store.counts()
    components = [
        {"component": name, "ok_at": ok_at, "error": error, "error_at": error_at}
        for name, ok_at, error, error_at in store.component_status()
    ]
    errors = [c for c in components if c["error_at"]]
    last_error = max(errors, key=lambda c: c["error_at"] or "") if errors else None
    return {
        "version": STATUS_VERSION,
        "now": now.isoformat(timespec="seconds"),
        "interviews": {"upcoming": upcoming, "past": past},
        "threads": {"total": counts["threads"], "job_related": counts["job_threads"]},
        "messages": {"stored": counts["messages"], "skipped": counts["skipped"]},
        "folders": [
            {
                "folder": cursor.folder,
                "uidvalidity": cursor.uidvalidity,
                "last_uid": cursor.last_uid,
                "synced_at": synced_at,
            }
            for cursor, synced_at in store.cursors()
        ],
        "notes": notes_overview(store),
        "components": components,
        "last_error": (
            {
                "component": last_error["component"],
                "error": last_error["error"],
                "at": last_error["error_at"],
            }
            if last_error
            else None
        ),
    }


def interview_entry(store: Store, interview: Interview) -> dict[str, Any]:
    """One interview as `status --json` and `interviews --json` print it."""
    assert interview.id is not None
    return {
        "id": interview.id,
        "status": interview.status.value,
        "company": interview.company,
        "role": interview.role,
        "start": interview.start.isoformat() if interview.start else None,
        "end": interview.end.isoformat() if interview.end else None,
        "interviewers": [p.to_json() for p in interview.interviewers],
        "meeting_url": interview.meeting_url,
        "location": interview.location,
        "thread_id": interview.thread_id,
        "closed": store.interview_closed(interview.id),
        "corrected": sorted(interview.corrected),
        "seen_in": [
            {"source": source, "kind": kind, "at": at}
            for source, kind, at in store.interview_sources(interview.id)
        ],
    }


def plan_entry(found: FollowUpPlan) -> dict[str, Any]:
    waiting = [s for s in found.steps if s.state in (StepState.WAITING, StepState.DUE)]
    step = min(waiting, key=lambda s: s.draft_at) if waiting else None
    return {
        "next": {"step": step.kind.value, "at": step.draft_at.isoformat(timespec="seconds")}
        if step
        else None,
        "stopped": found.stopped,
        "gone_quiet": found.gone_quiet,
    }


def render(document: dict[str, Any]) -> list[str]:
    """The human form: interviews first, then sync health."""
    lines = []
    for title, key in (("Upcoming interviews", "upcoming"), ("Past and cancelled", "past")):
        items = document["interviews"][key]
        lines.append(f"{title}: {len(items)}")
        for item in items:
            when = item["start"] or "no time yet"
            who = ", ".join(p["name"] or p["email"] for p in item["interviewers"]) or "-"
            company = item["company"] or "unknown company"
            role = f" ({item['role']})" if item["role"] else ""
            lines.append(f"  #{item['id']} {when}  {company}{role}  [{item['status']}]  with {who}")
            plan = item.get("plan")
            if plan and plan["gone_quiet"]:
                lines.append("      gone quiet: no answer after two check-ins")
            elif plan and plan["next"]:
                lines.append(f"      next: {plan['next']['step']} from {plan['next']['at']}")
            elif plan and plan["stopped"]:
                lines.append(f"      plan stopped: {plan['stopped']}")
    notes = document.get("notes", [])
    lines.append(f"Notes: {len(notes)}")
    for note in notes:
        to = ", ".join(r for r in note["recipients"] if r) or "nobody yet"
        lines.append(f"  draft {note['draft_id']} {note['step']} to {to}: {note['state']}")
    threads = document["threads"]
    lines.append(f"Threads: {threads['total']} ({threads['job_related']} about a job)")
    messages = document["messages"]
    lines.append(f"Messages stored: {messages['stored']}, skipped: {messages['skipped']}")
    for folder in document["folders"]:
        lines.append(
            f"Folder {folder['folder']}: up to UID {folder['last_uid']}, "
            f"synced {folder['synced_at'] or 'never'}"
        )
    for component in document["components"]:
        state = f"ok {component['ok_at']}" if component["ok_at"] else "never ok"
        if component["error_at"] and (
            not component["ok_at"] or component["error_at"] > component["ok_at"]
        ):
            state = f"FAILING since {component['error_at']}: {component['error']}"
        lines.append(f"{component['component']}: {state}")
    last = document["last_error"]
    lines.append(
        f"Last error: {last['at']} {last['component']}: {last['error']}"
        if last
        else "Last error: none"
    )
    return lines

"""What the daemon does with one input, step by step, reduced to facts a test can check.

A config goes through the loader `afterview check-config` and start-up use. A mail goes where
the sync sends it: the header triage (`parse_headers`, `triage`), the
detector (`classify_email`), the approval-reply reader, and the calendar reader (an .ics file
and a mail reach it the same way). A calendar goes through the detector, through the
expansion the engine reads a calendar source with, through the detector again for every item,
and, wrapped in an invitation mail, through `classify_email`. A step that raises is recorded
with its traceback; the rest still run.
"""

from __future__ import annotations

import contextlib
import os
import traceback
from collections import Counter
from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from daemon import calendars
from daemon.approval import read_reply
from daemon.config import ConfigError, IcsFileCalendar, load_config
from daemon.detect import classify_calendar, classify_email
from daemon.envelope import parse_headers
from daemon.errors import AfterviewError
from daemon.model import Detection
from daemon.triage import triage

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
# As the engine reads a calendar source: a month back, a year ahead.
WINDOW = (NOW - timedelta(days=30), NOW + timedelta(days=365))
ITEMS_CLASSIFIED = 100  # of a calendar's items, this many go through the detector again
CONFIG_SECRET = "pw-Hostile-4711"  # what AV_HOSTILE_PW, named by the hostile configs, holds

Facts = dict[str, Any]


@contextlib.contextmanager
def step(facts: Facts, name: str) -> Iterator[None]:
    try:
        yield
    except Exception:
        facts.setdefault("raised", {})[name] = traceback.format_exc(limit=-12)


def _longest_text(detections: list[Detection]) -> int:
    """The longest text any detection carries: what reaches the state and the drafts."""
    longest = 0
    for detection in detections:
        for field in fields(detection):
            value = getattr(detection, field.name)
            values = value if isinstance(value, tuple) else (value,)
            for item in values:
                texts = (item.name, item.email) if hasattr(item, "email") else (item,)
                longest = max([longest, *(len(t) for t in texts if isinstance(t, str))])
    return longest


def read_mail(raw: bytes) -> Facts:
    facts: Facts = {"size": len(raw)}
    with step(facts, "classify_email"):
        detection = classify_email(raw, now=NOW)
        facts["kind"], facts["error"] = detection.kind.value, detection.error
        facts["longest_text"] = _longest_text([detection])
    with step(facts, "parse_headers+triage"):
        envelope = parse_headers(raw, "INBOX/1")
        for from_me in (False, True):
            triage(envelope, from_me=from_me, in_job_thread=not from_me)
        facts["references"] = len(envelope.references)
        facts["addresses"] = len(envelope.participants)
    with step(facts, "read_reply"):
        reply = read_reply(raw)
        facts["reply_action"] = reply.command.action.value
    with step(facts, "classify_calendar"):
        detections = classify_calendar(raw)
        facts["calendar_detections"] = len(detections)
        facts["longest_text"] = max(facts.get("longest_text", 0), _longest_text(detections))
    return facts


def read_calendar(raw: bytes, folder: Path) -> Facts:
    facts: Facts = {"size": len(raw)}
    with step(facts, "classify_calendar"):
        detections = classify_calendar(raw)
        facts["detections"] = len(detections)
        facts["longest_text"] = _longest_text(detections)
    with step(facts, "calendars.read"):
        path = folder / "hostile.ics"
        path.write_bytes(raw)
        try:
            read = calendars.read(
                IcsFileCalendar(path=path), window_start=WINDOW[0], window_end=WINDOW[1]
            )
        except AfterviewError as exc:  # a file that is no calendar at all: the source's fault
            facts["refused"] = str(exc)
        else:
            facts["items"] = len(read.items)
            facts["most_occurrences"] = max(Counter(i.uid for i in read.items).values(), default=0)
            facts["problems"] = len(read.problems)
            facts["longest_problem"] = max(map(len, read.problems), default=0)
            with step(facts, "classify_calendar(item)"):
                for item in read.items[:ITEMS_CLASSIFIED]:
                    found = classify_calendar(item.data)
                    longest = max(facts.get("longest_text", 0), _longest_text(found))
                    facts["longest_text"] = longest
    with step(facts, "classify_email(invitation)"):
        headers = b"Subject: Interview\r\nContent-Type: text/calendar; method=REQUEST\r\n\r\n"
        detection = classify_email(headers + raw, now=NOW)
        facts["mail_kind"], facts["mail_error"] = detection.kind.value, detection.error
    return facts


def read_config(raw: bytes, folder: Path) -> Facts:
    """`facts["lines"]`: the ConfigError's lines; none for a config that loaded. Run from
    `folder`, where a tag that ran code would leave a file."""
    facts: Facts = {"size": len(raw), "longest_text": 0}
    os.chdir(folder)
    os.environ["AV_HOSTILE_PW"] = CONFIG_SECRET
    path = folder / "config.yaml"
    path.write_bytes(raw)
    path.chmod(0o600)
    facts["path"] = str(path)
    with step(facts, "load_config"):
        try:
            load_config(path)
            facts["lines"] = []
        except ConfigError as exc:
            facts["lines"] = exc.lines()
    facts["left_behind"] = sorted(p.name for p in folder.iterdir() if p.name != "config.yaml")
    return facts

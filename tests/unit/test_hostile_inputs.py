"""Every hostile mail and calendar in tests/hostile/ through the daemon's readers: nothing raises,
what comes out is bounded, memory stays bounded, nothing hangs (issue 9, "Bad input").

The inputs run in a worker process, each in a fork of it (tests/hostile/worker.py, which also
states the memory bound and the hang guard); no time is checked here.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

from daemon.calendars import occurrences
from daemon.detect import ics
from daemon.model import Kind
from tests.hostile import cases, worker

MAIL = sorted(cases("mail"))
CALENDAR = sorted(cases("calendar"))

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the worker forks and reads ru_maxrss in KiB"
)


@pytest.fixture(scope="module")
def read() -> dict[str, dict[str, dict[str, Any]]]:
    """The mail and the calendars, their workers side by side (the suite has two cores)."""
    started = {kind: worker.start(kind) for kind in ("mail", "calendar")}
    return {kind: worker.finish(process) for kind, process in started.items()}


@pytest.mark.parametrize("case", MAIL)
def test_a_hostile_mail_is_read_or_set_aside(case: str, read: dict[str, Any]) -> None:
    facts = worker.survived(read["mail"], case)
    assert Kind(facts["kind"]) in Kind
    assert facts["calendar_detections"] <= ics.MAX_EVENTS
    assert facts["references"] <= 50 and facts["addresses"] <= 400


@pytest.mark.parametrize("case", CALENDAR)
def test_a_hostile_calendar_is_read_or_refused(case: str, read: dict[str, Any]) -> None:
    facts = worker.survived(read["calendar"], case)
    assert facts["detections"] <= ics.MAX_EVENTS
    if "refused" in facts:  # not a calendar at all, or too many lines: the source's problem
        assert "hostile.ics" in facts["refused"]
        return
    assert facts["items"] <= occurrences.MAX_ITEMS
    assert facts["most_occurrences"] <= occurrences.MAX_OCCURRENCES
    assert facts["problems"] <= occurrences.MAX_PROBLEMS + 1
    assert facts["longest_problem"] <= 400


def test_the_corpus_is_as_large_as_the_issue_asks() -> None:
    names = set(MAIL) | set(CALENDAR) | set(cases("config"))
    assert len(names) >= 100
    assert {
        "mail/generated/body-10mb-text",
        "mail/generated/attachment-10mb-base64",
        "mail/generated/nested-1000-deep-multipart",
        "mail/generated/parts-5000",
        "calendar/generated/vevents-10000",
        "config/billion-laughs.yaml",
    } <= names

"""`afterview interviews`, `interview ignore|done`, `thread mute|unmute` and `export`, run as
the user runs them, on a state built with the store's own API."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
import pytest

from daemon.interviews import Sighting
from daemon.model import Detection, Kind, Person
from daemon.store import Store
from daemon.store.quiet import QuietRecords
from daemon.sync import apply_sighting
from tests.cli import afterview

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
LUMEN_AT = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # 15:00 in Berlin
DANA = Person("Dana Reyes", "dana@lumen.example")


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    secret = tmp_path / "pw"
    secret.write_text("pw\n")
    secret.chmod(0o600)
    path = tmp_path / "config.yaml"
    path.write_text(f"""
account: {{email: carol@example.test, name: Carol Candidate, timezone: Europe/Berlin}}
imap: {{host: imap.example.test, password_file: {secret}}}
smtp: {{host: smtp.example.test, password_file: {secret}}}
state_dir: {tmp_path / "state"}
""")  # fmt: skip
    path.chmod(0o600)
    return path


def sighting(uid: str, start: datetime, company: str, thread: int | None) -> Sighting:
    detection = Detection(
        Kind.SCHEDULED,
        company=company,
        role="Data Engineer" if company == "Lumen Labs" else None,
        start=start,
        end=start + timedelta(hours=1),
        interviewers=(DANA,) if company == "Lumen Labs" else (),
        uid=uid,
    )
    return Sighting(detection, f"calendar:work|{uid}|", thread, 0)


def see(store: Store, found: Sighting) -> None:
    with store.transaction() as db:
        apply_sighting(store, db, store.interviews(), found, NOW.isoformat())


@pytest.fixture
def state(tmp_path: Path, config_file: Path) -> Path:
    """Two interviews: Lumen Labs (#1, in its thread #1) and a dentist's 'interview' (#2)."""
    with Store(tmp_path / "state") as store:
        with store.transaction() as db:
            thread = store.new_thread(db, "Interview at Lumen Labs", "interview at lumen", None)
        see(store, sighting("lumen-1", LUMEN_AT, "Lumen Labs", thread))
        see(store, sighting("dentist-1", LUMEN_AT + timedelta(days=1), "Smile Dental", None))
    return tmp_path / "state"


def run(config_file: Path, *args: str) -> tuple[int, str, str]:
    result = afterview("--config", str(config_file), *args)
    return result.returncode, result.stdout, result.stderr


def test_interviews_lists_each_in_the_users_zone(state: Path, config_file: Path) -> None:
    code, out, err = run(config_file, "interviews", "--now", NOW.isoformat())
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "WHEN", "COMPANY", "ROLE", "STATUS", "INTERVIEWERS"]
    assert "Tue 2026-11-24 15:00 CET" in lines[1]
    assert "Lumen Labs" in lines[1] and "Data Engineer" in lines[1] and "Dana Reyes" in lines[1]
    assert lines[2].startswith("2 ") and "Smile Dental" in lines[2]


def test_interviews_json_reuses_the_status_entries(state: Path, config_file: Path) -> None:
    code, out, err = run(config_file, "interviews", "--json", "--now", NOW.isoformat())
    assert code == 0, err
    entries = json.loads(out)
    code, status_out, _ = run(config_file, "status", "--json", "--now", NOW.isoformat())
    upcoming = json.loads(status_out)["interviews"]["upcoming"]
    assert entries == upcoming
    assert entries[0]["closed"] is None and entries[0]["plan"]["stopped"] is None


def test_ignore_cancels_and_no_later_sighting_brings_it_back(
    state: Path, config_file: Path
) -> None:
    code, out, err = run(config_file, "interview", "ignore", "2")
    assert code == 0, err
    assert "interview 2 ignored" in out
    with Store(state) as store:
        interview = store.interview(2)
        assert interview is not None and interview.status.value == "cancelled"
        assert store.interview_closed(2) == "ignored"
        # the calendar serves the event again, moved: still ignored, still cancelled
        see(store, sighting("dentist-1", LUMEN_AT + timedelta(days=3), "Smile Dental", None))
        assert store.interview(2) == interview
        # and an email about the same event (another source, the same UID) neither
        by_mail = sighting("dentist-1", LUMEN_AT + timedelta(days=4), "Smile Dental", None)
        see(store, Sighting(by_mail.detection, "mail:<reminder@smile.example>", None, 1))
        assert store.interview(2) == interview
        assert store.source_ignored("mail:<reminder@smile.example>")
        assert len(store.interviews()) == 2
    code, out, _ = run(config_file, "interviews", "--now", NOW.isoformat())
    assert "cancelled (ignored)" in out.splitlines()[2]


def test_done_stops_the_plan(state: Path, config_file: Path) -> None:
    code, out, err = run(config_file, "interview", "done", "1")
    assert code == 0, err
    assert "interview 1 done" in out
    code, out, _ = run(config_file, "interviews", "--json", "--now", NOW.isoformat())
    first = json.loads(out)[0]
    assert first["closed"] == "done"
    assert first["plan"] == {"next": None, "stopped": "you marked it done", "gone_quiet": False}
    assert first["status"] == "scheduled"


def test_an_unknown_id_is_refused(state: Path, config_file: Path) -> None:
    code, _, err = run(config_file, "interview", "ignore", "99")
    assert code == 1
    assert "no interview with id 99" in err
    code, _, err = run(config_file, "thread", "mute", "42")
    assert code == 1 and "no thread with id 42" in err


def test_corrections_refuse_while_the_daemon_holds_the_state(
    state: Path, config_file: Path
) -> None:
    with Store(state):  # the daemon's lock
        code, _, err = run(config_file, "interview", "done", "1")
    assert code == 1
    assert "already running" in err and "systemctl --user stop afterview" in err
    with Store(state) as store:
        assert store.interview_closed(1) is None


def test_thread_mute_and_unmute(state: Path, config_file: Path) -> None:
    code, out, err = run(config_file, "thread", "mute", "1")
    assert (code, out.strip()) == (0, "thread 1 muted"), err
    with Store(state) as store:
        assert QuietRecords(store).is_muted(1)
    code, out, err = run(config_file, "thread", "unmute", "1")
    assert (code, out.strip()) == (0, "thread 1 unmuted"), err
    with Store(state) as store:
        assert not QuietRecords(store).is_muted(1)


def test_export_csv(state: Path, config_file: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "all.csv"
    code, _, err = run(
        config_file, "export", "--csv", "--out", str(out_file), "--now", NOW.isoformat()
    )
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out_file.read_text())))
    interviews = [r for r in rows if r["kind"] == "interview"]
    assert [r["company"] for r in interviews] == ["Lumen Labs", "Smile Dental"]
    assert interviews[0]["at"] == LUMEN_AT.isoformat()
    assert interviews[0]["people"] == "Dana Reyes <dana@lumen.example>"
    steps = [r for r in rows if r["kind"] == "plan_step" and r["interview_id"] == "1"]
    assert steps and steps[0]["step"] == "thank_you" and steps[0]["status"] == "waiting"


def test_export_ics_has_stable_uids_and_times(state: Path, config_file: Path) -> None:
    code, out, err = run(config_file, "export", "--ics", "--now", NOW.isoformat())
    assert code == 0, err
    calendar = icalendar.Calendar.from_ical(out)
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    lumen = events["afterview-interview-1@afterview"]
    assert lumen.decoded("dtstart") == LUMEN_AT
    assert lumen.decoded("dtend") == LUMEN_AT + timedelta(hours=1)
    assert str(lumen["summary"]) == "Interview: Lumen Labs (Data Engineer)"
    assert "afterview-interview-2@afterview" in events
    thank_you = events["afterview-followup-1-thank_you@afterview"]
    assert thank_you.decoded("dtstart") > LUMEN_AT
    # the same state exported again gives the same events: a subscriber sees no duplicate
    _, again, _ = run(config_file, "export", "--ics", "--now", NOW.isoformat())
    assert again == out
    run(config_file, "interview", "ignore", "2")
    _, after, _ = run(config_file, "export", "--ics", "--now", NOW.isoformat())
    uids = {str(e["uid"]) for e in icalendar.Calendar.from_ical(after).walk("VEVENT")}
    assert "afterview-interview-2@afterview" not in uids
    assert "afterview-interview-1@afterview" in uids


def test_interview_add_records_it_with_a_plan_and_says_where_it_came_from(
    state: Path, config_file: Path
) -> None:
    code, out, err = run(
        config_file, "interview", "add", "--company", "Acme", "--role", "Data Engineer",
        "--start", "2026-12-03T15:00", "--duration", "45m",
        "--interviewer", "Dana Lee <dana@acme.example>", "--interviewer", "omar@acme.example",
        "--url", "https://meet.example/acme", "--location", "Room 4", "--thread", "1",
    )  # fmt: skip
    assert code == 0, err
    assert out.strip() == (
        "interview 3 added: Acme (Data Engineer), Thu 2026-12-03 15:00 CET, scheduled"
    )
    code, out, _ = run(config_file, "interviews", "--json", "--now", NOW.isoformat())
    [acme] = [entry for entry in json.loads(out) if entry["id"] == 3]
    assert acme["start"] == "2026-12-03T14:00:00+00:00"  # 15:00 in Berlin
    assert acme["end"] == "2026-12-03T14:45:00+00:00"
    assert acme["interviewers"] == [
        {"name": "Dana Lee", "email": "dana@acme.example"},
        {"name": None, "email": "omar@acme.example"},
    ]
    assert (acme["meeting_url"], acme["location"], acme["thread_id"]) == (
        "https://meet.example/acme", "Room 4", 1,
    )  # fmt: skip
    assert [s["source"] for s in acme["seen_in"]] == ["user:3"]
    assert acme["corrected"] == ["company", "interviewers", "location", "meeting_url", "role",
                                 "time"]  # fmt: skip
    # A thank-you an hour after it ends, as for any interview.
    assert acme["plan"]["next"] == {"step": "thank_you", "at": "2026-12-03T15:45:00+00:00"}
    with Store(state) as store:
        [(detail,)] = store.db.execute(
            "SELECT detail FROM audit_log WHERE event = 'interview added'"
        ).fetchall()
        assert detail == "interview 3: added"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--start", "2026-12-03"], "argument --start: '2026-12-03' has no time of day"),
        (["--start", "Thursday"], "expected a date and time like 2026-12-03T15:00"),
        (["--interviewer", "Dana <dana@acme>"], "'dana@acme' is not an email address"),
        (["--duration", "forever"], "argument --duration: expected a duration like"),
        (["--url", "meet.example/x"], "expected a web address"),
        (["--end", "16:00", "--duration", "1h"], "not allowed with argument --end"),
    ],
)
def test_interview_add_refuses_what_cannot_be_read_as_usage(
    state: Path, config_file: Path, flags: list[str], message: str
) -> None:
    base = {"--company": "Acme", "--start": "2026-12-03T15:00"}
    for name in flags[::2]:
        base.pop(name, None)
    args = [item for pair in base.items() for item in pair] + flags
    code, out, err = run(config_file, "interview", "add", *args)
    assert code == 2 and out == ""
    assert message in err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--end", "14:00"], "the interview would end (Thu 2026-12-03 14:00 CET) before it "
                             "starts (Thu 2026-12-03 15:00 CET)"),
        (["--thread", "9"], "no thread with id 9"),
        (["--message", "<nowhere@x.example>"], "no message with the Message-ID"),
    ],
)  # fmt: skip
def test_interview_add_refuses_what_cannot_be_and_writes_nothing(
    state: Path, config_file: Path, flags: list[str], message: str
) -> None:
    args = ["--company", "Acme", "--start", "2026-12-03T15:00", *flags]
    code, _, err = run(config_file, "interview", "add", *args)
    assert code == 1
    assert f"afterview: {message}" in err
    with Store(state) as store:
        assert len(store.interviews()) == 2
        assert store.db.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0] == 0


def test_a_correction_by_hand_wins_over_a_later_sighting(state: Path, config_file: Path) -> None:
    code, out, err = run(
        config_file, "interview", "edit", "1", "--start", "2026-11-24T16:00",
        "--interviewer", "Dana Reyes <dana.reyes@lumen.example>", "--role", "",
    )  # fmt: skip
    assert code == 0, err
    assert out.splitlines() == [
        "interview 1 corrected: Lumen Labs, Tue 2026-11-24 16:00 CET, scheduled"
    ]
    with Store(state) as store:
        fixed = store.interview(1)
        assert fixed is not None
        assert fixed.end == LUMEN_AT + timedelta(hours=2)  # its hour-long length is kept
        assert fixed.corrected == {"time", "interviewers", "role"}
        # The calendar serves the same event again, as it was read before the correction.
        see(store, sighting("lumen-1", LUMEN_AT, "Lumen Labs", 1))
        assert store.interview(1) == fixed
        [(detail,)] = store.db.execute(
            "SELECT detail FROM audit_log WHERE event = 'interview corrected'"
        ).fetchall()
        assert detail == "interview 1: interviewers, role, time"


def test_interview_edit_of_an_unknown_or_ignored_interview_is_refused(
    state: Path, config_file: Path
) -> None:
    code, _, err = run(config_file, "interview", "edit", "99", "--company", "Acme")
    assert code == 1 and "no interview with id 99" in err
    run(config_file, "interview", "ignore", "2")
    code, _, err = run(config_file, "interview", "edit", "2", "--company", "Smile")
    assert code == 1 and "interview 2 was ignored (not an interview)" in err
    code, _, err = run(config_file, "interview", "edit", "1")
    assert code == 1 and "nothing to change" in err

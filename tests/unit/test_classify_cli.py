"""`afterview classify` as a user runs it: JSON lines, the table, errors, --now."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli import ROOT, afterview

CORPUS = ROOT / "tests" / "corpus"
KEYS = {
    "file", "kind", "company", "role", "start", "end", "interviewers", "meeting_url",
    "location", "uid", "error",
}  # fmt: skip


def lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_json_has_one_object_per_email_and_per_event_in_order(tmp_path: Path) -> None:
    email = CORPUS / "positive" / "002-en-greenhouse-confirmation-ics.eml"
    calendar = CORPUS / "positive" / "404-en-virtual-onsite-three-sessions.ics"
    negative = next((CORPUS / "negative").glob("*.eml"))
    result = afterview("classify", "--json", str(email), str(calendar), str(negative))
    assert result.returncode == 0, result.stderr
    objects = lines(result.stdout)
    assert [o["file"] for o in objects] == [str(email), *[str(calendar)] * 3, str(negative)]
    assert all(set(o) == KEYS for o in objects)
    assert objects[0]["kind"] == "scheduled" and objects[-1]["kind"] == "none"
    assert all(o["error"] is None for o in objects)


def test_unreadable_files_report_an_error_and_exit_1(tmp_path: Path) -> None:
    missing = tmp_path / "missing.eml"
    broken = tmp_path / "broken.ics"
    broken.write_bytes(b"\x00\xffnot a calendar")
    good = CORPUS / "positive" / "002-en-greenhouse-confirmation-ics.eml"
    result = afterview("classify", "--json", str(missing), str(broken), str(good))
    assert result.returncode == 1
    objects = lines(result.stdout)
    assert [o["file"] for o in objects] == [str(missing), str(broken), str(good)]
    assert objects[0]["kind"] == "none" and "cannot read the file" in str(objects[0]["error"])
    assert objects[1]["kind"] == "none" and objects[1]["error"]
    assert objects[2]["error"] is None


def test_now_resolves_relative_dates_when_the_mail_has_no_date(tmp_path: Path) -> None:
    mail = tmp_path / "no-date.eml"
    mail.write_text(
        "From: Dana Lee <dana.lee@northwind-robotics.example>\n"
        "To: Jordan Avery <jordan@mailbox.example>\n"
        "Subject: Interview tomorrow\n\n"
        "Hi Jordan, confirming your interview for the Platform Engineer role tomorrow at 3pm ET.\n"
    )
    result = afterview("classify", "--json", "--now", "2026-12-02T09:00:00-05:00", str(mail))
    (found,) = lines(result.stdout)
    assert found["kind"] == "scheduled"
    assert found["start"] == "2026-12-03T15:00:00-05:00"


def test_table_for_people() -> None:
    email = CORPUS / "positive" / "002-en-greenhouse-confirmation-ics.eml"
    result = afterview("classify", str(email))
    assert result.returncode == 0
    header, row = result.stdout.splitlines()[:2]
    assert header.split()[:5] == ["FILE", "KIND", "START", "COMPANY", "ROLE"]
    assert "scheduled" in row and "Northwind Robotics" in row

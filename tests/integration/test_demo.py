"""`afterview demo --yes`, as a newcomer runs it: it tells the story and delivers one note."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def test_demo_delivers_the_approved_thank_you_and_cleans_up() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "daemon", "demo", "--yes"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    summary = json.loads(lines[-1].removeprefix("demo-summary "))
    assert summary["ok"] is True
    assert summary["interviews"] == 1
    assert summary["approval_requests"] == 1
    assert summary["notes_delivered"] == 1
    assert summary["note_to"] == ["Dana Lee <dana.lee@northwind.example>"]
    assert summary["quiet_threads"] == 2
    assert summary["quiet_marked"] == 2
    assert summary["digests_in_inbox"] >= 1
    out = done.stdout
    assert "Northwind Robotics (Platform Engineer)" in out
    assert "[afterview] Send? Thank-you note to Dana Lee" in out
    assert "In-Reply-To: <invite-7731@greenhouse.example>" in out
    assert "Traceback" not in done.stderr
    # The temporary directory (config, state, certificates) is gone.
    config_line = next(line for line in lines if "afterview's config for this run" in line)
    path = config_line.split(": ", 1)[1].rstrip(")")
    assert not Path(path).parent.exists()

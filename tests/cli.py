"""Run the `afterview` command as a user would: a subprocess, from the project folder."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def afterview(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m daemon ARGS` with `env` added to this process's environment."""
    return subprocess.run(
        [sys.executable, "-m", "daemon", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )


def run_once(config_file: Path, now: datetime) -> str:
    """`afterview run --once --now NOW`, which must succeed; its log (stderr)."""
    result = afterview("--config", str(config_file), "run", "--once", "--now", now.isoformat())
    assert result.returncode == 0, result.stderr
    return result.stderr

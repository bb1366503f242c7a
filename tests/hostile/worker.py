"""Run hostile inputs through the daemon's readers, each in a fork of one warmed-up process.

    python -m tests.hostile.worker mail|calendar|config [CASE ...]

prints one JSON object per case: its facts (see `reading.py`), `peak_kib`, how far the peak
resident memory grew while the case ran, and `seconds`. A case that had to be stopped has
`died` instead, with what it printed (a hang: the traceback where it hung). The tests
`start(kind)` it, `finish` it, and check each case with `survived(facts)`.

A fork per case, so each is measured alone and one that hangs or crashes takes only itself
down. The hang guard (`HANG_SECONDS`) only catches a hang; it is no timing: cases take a
second or two, and none of their times is checked. Memory is bounded generously:
MEMORY_FACTOR times the input plus MEMORY_BASE.
"""

from __future__ import annotations

import faulthandler
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.hostile import cases, reading

HANG_SECONDS = 60
RUN_SECONDS = 600  # the whole run, a few hung cases included
MEMORY_FACTOR = 20
MEMORY_BASE = 64 << 20
ROOT = Path(__file__).resolve().parents[2]


def start(kind: str) -> subprocess.Popen[str]:
    """Every case of `kind` through this worker, in a process of its own (see `finish`)."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, "-m", "tests.hostile.worker", kind],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": path},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> dict[str, dict[str, Any]]:
    """The facts of every case a started worker ran, by case; under "worker", why it stopped
    before the end, if it did."""
    try:
        out, err = process.communicate(timeout=RUN_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    found = {facts["case"]: facts for facts in map(json.loads, out.splitlines())}
    if process.returncode != 0:
        found["worker"] = {"died": f"exit status {process.returncode}:\n{err[-4000:]}"}
    return found


def survived(found: dict[str, dict[str, Any]], case: str) -> dict[str, Any]:
    """The facts of `case`, which finished without an exception, within the memory bound, and
    gave no text longer than its input."""
    stopped = found.get("worker", {}).get("died", "")
    assert case in found, f"the worker gave no result for this case; {stopped}"
    facts = found[case]
    assert "died" not in facts, facts["died"]
    assert not facts.get("raised"), "\n".join(facts["raised"].values())
    grown, bound = facts["peak_kib"] << 10, MEMORY_FACTOR * facts["size"] + MEMORY_BASE
    assert grown <= bound, f"peak memory grew {grown >> 20} MiB, more than {bound >> 20} MiB"
    # What reaches the state: no text longer than the input (a 1 MB UID stays 1 MB).
    assert facts["longest_text"] <= max(facts["size"], 1_000)
    return facts


def _warm_up(kind: str, folder: Path) -> None:
    """Read ordinary input once before forking: patterns compiled and modules loaded on first
    use are then shared, and not counted against the first case."""
    if kind == "mail":
        for path in sorted((ROOT / "tests" / "corpus" / "positive").glob("00*.eml")):
            reading.read_mail(path.read_bytes())
    elif kind == "config":
        reading.read_config((ROOT / "config.example.yaml").read_bytes(), folder)
    else:
        for path in sorted((ROOT / "tests" / "corpus" / "positive").glob("40*.ics")):
            reading.read_calendar(path.read_bytes(), folder)


def _child(kind: str, make: Callable[[], bytes], folder: Path, out: int, errors: Path) -> None:
    with errors.open("w") as err:
        faulthandler.dump_traceback_later(HANG_SECONDS, exit=True, file=err)
        began, start = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        raw = make()
        if kind == "mail":
            facts = reading.read_mail(raw)
        elif kind == "config":
            facts = reading.read_config(raw, folder / "config")
        else:
            facts = reading.read_calendar(raw, folder)
        facts["peak_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - start
        facts["seconds"] = round(time.perf_counter() - began, 2)
        faulthandler.cancel_dump_traceback_later()
    with os.fdopen(out, "w") as pipe:
        json.dump(facts, pipe)


def run_one(kind: str, name: str, make: Callable[[], bytes], folder: Path) -> dict[str, object]:
    errors = folder / "stderr"
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        code = 0
        try:
            _child(kind, make, folder, write_end, errors)
        except BaseException:
            with errors.open("a") as err:
                traceback.print_exc(file=err)
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        text = pipe.read()
    _, status = os.waitpid(pid, 0)
    result: dict[str, object] = {"case": name}
    if text:
        result.update(json.loads(text))
    else:
        printed = errors.read_text(errors="replace") if errors.exists() else ""
        result["died"] = f"wait status {status}:\n{printed[-4000:]}"
    return result


def main(argv: list[str]) -> int:
    kind, *names = argv
    chosen = cases(kind)
    if names:
        chosen = {name: chosen[name] for name in names}
    with tempfile.TemporaryDirectory(prefix="afterview-hostile-") as tmp:
        folder = Path(tmp)
        (folder / "config").mkdir()
        _warm_up(kind, folder)
        gc.freeze()  # the forks then leave the warmed-up objects alone: no copy on write
        for name, make in chosen.items():
            print(json.dumps(run_one(kind, name, make, folder)), flush=True)
            for left in (folder / "config").iterdir():
                left.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

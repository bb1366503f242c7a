"""Run every benchmark in this folder, one after the other; exit non-zero if one fails.

Not `load.py`: it takes four to five minutes and 3.5 GB of /tmp, so it has its own target
(`make bench-load`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SEPARATE = {"run.py", "load.py"}


def main() -> int:
    here = Path(__file__).resolve().parent
    failed = []
    for script in sorted(here.glob("*.py")):
        if script.name in SEPARATE:
            continue
        print(f"== {script.stem}", flush=True)
        if subprocess.run([sys.executable, str(script)], cwd=here.parent, check=False).returncode:
            failed.append(script.stem)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

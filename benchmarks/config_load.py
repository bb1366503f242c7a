"""Config start-up cost: afterview's validated load of config.example.yaml against a bare
`yaml.safe_load` of the same text, measured in the same run. Target: at most 5x the baseline
(the file is read at start and on every reload, so it must stay cheap)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from daemon.config import load_config

TARGET_RATIO = 5.0
ROUNDS = 200


def best_of(function: Callable[[], object], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    example = Path(__file__).resolve().parents[1] / "config.example.yaml"
    os.environ.setdefault("AFTERVIEW_IMAP_PASSWORD", "bench")
    os.environ.setdefault("AFTERVIEW_SMTP_PASSWORD", "bench")
    text = example.read_text()
    baseline = best_of(lambda: yaml.safe_load(text), ROUNDS)
    ours = best_of(lambda: load_config(example), ROUNDS)
    ratio = ours / baseline
    print(f"yaml.safe_load baseline: {baseline * 1e3:.2f} ms")
    print(f"afterview load_config:   {ours * 1e3:.2f} ms")
    print(f"ratio: {ratio:.2f}x (target <= {TARGET_RATIO:.0f}x)")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())

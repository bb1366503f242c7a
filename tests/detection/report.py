"""Print the detector's corpus scores and every miss: `python -m tests.detection.report`."""

from __future__ import annotations

import sys

from tests.detection.scoring import BLIND_SETS, DEVELOPMENT_SETS, TUNED_SETS, score


def main() -> int:
    """`report [tuned|blind] [TEXT]`: a set's scores, and its misses matching TEXT."""
    args = sys.argv[1:]
    sets = DEVELOPMENT_SETS
    if args and args[0] in ("tuned", "blind"):
        sets, args = (TUNED_SETS if args[0] == "tuned" else BLIND_SETS), args[1:]
    scores = score(sets)
    for metric, value in scores.table().items():
        print(f"{metric}: {value:.3f}")
    print(f"{scores.items} items, {scores.positives} positives")
    wanted = args[0] if args else ""
    for miss in scores.misses:
        if wanted in miss:
            print(miss)
    return 0


if __name__ == "__main__":
    sys.exit(main())

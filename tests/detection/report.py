"""Print the detector's corpus scores and every miss: `python -m tests.detection.report`."""

from __future__ import annotations

import sys

from tests.detection.scoring import score


def main() -> int:
    scores = score()
    for metric, value in scores.table().items():
        print(f"{metric}: {value:.3f}")
    print(f"{scores.items} items, {scores.positives} positives")
    wanted = sys.argv[1] if len(sys.argv) > 1 else ""
    for miss in scores.misses:
        if wanted in miss:
            print(miss)
    return 0


if __name__ == "__main__":
    sys.exit(main())

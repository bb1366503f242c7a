"""Score the detector on the labelled corpus (tests/corpus/) against the issue's bars.

The bars hold for the development sets (positive/, negative/). The blind set (heldout/),
written later by an author who saw neither the detector nor those sets, is scored and
printed beside them: it is the honest estimate for mail the detector has never seen.
"""

from __future__ import annotations

import pytest

from tests.detection.scoring import BLIND_SETS, SCORES_KEY, Scores, score

BARS = {
    "detection_f1": 0.97,
    "kind_accuracy": 0.95,
    "start_accuracy": 0.95,
    "meeting_url_accuracy": 0.95,
    "company_accuracy": 0.90,
    "interviewer_email_recall": 0.95,
}


@pytest.fixture(scope="module")
def scores(request: pytest.FixtureRequest) -> Scores:
    result = score()
    blind = score(BLIND_SETS)
    request.config.stash[SCORES_KEY] = {"development": result.table(), "blind": blind.table()}
    return result


def test_corpus_is_large_and_balanced(scores: Scores) -> None:
    assert scores.items >= 200
    negatives = scores.items - scores.positives
    assert negatives >= scores.items / 3


@pytest.mark.parametrize("metric", sorted(BARS))
def test_metric_meets_its_bar(scores: Scores, metric: str) -> None:
    table = scores.table()
    print(f"{metric}: {table[metric]:.3f} (bar {BARS[metric]:.2f})")
    assert table[metric] >= BARS[metric], "\n".join(scores.misses)

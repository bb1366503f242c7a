"""Show the corpus scores in the test run's summary, whether the bars are met or not."""

from __future__ import annotations

import pytest

from tests.detection.scoring import SCORES_KEY


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    table = config.stash.get(SCORES_KEY, None)
    if table is None:
        return
    terminalreporter.section("detection corpus scores")
    for metric, value in table.items():
        terminalreporter.write_line(f"{metric}: {value:.3f}")

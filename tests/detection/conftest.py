"""Show the corpus scores in the test run's summary, whether the bars are met or not."""

from __future__ import annotations

import pytest

from tests.detection.scoring import SCORES_KEY


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    tables = config.stash.get(SCORES_KEY, None)
    if not tables:
        return
    terminalreporter.section("detection corpus scores")
    names = list(tables)
    terminalreporter.write_line(f"{'metric':30}" + "".join(f"{name:>18}" for name in names))
    for metric in tables[names[0]]:
        row = "".join(f"{tables[name][metric]:>18.3f}" for name in names)
        terminalreporter.write_line(f"{metric:30}{row}")

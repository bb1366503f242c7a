"""Every hostile config in tests/hostile/config/ through the real loader: a valid config, or a
ConfigError whose every line names the file and a line; never another exception, never a
secret in the message, never code run from a tag, and memory bounded (billion laughs included).

They run in tests/hostile/worker.py, a fork each, within the same memory bound as the mail.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import pytest

from tests.hostile import cases, worker
from tests.hostile.reading import CONFIG_SECRET

CONFIG = sorted(cases("config"))
SECRETS_WRITTEN = ("hunter2-secret",)  # passwords written in the files themselves
WHOLE_FILE = re.compile(r": the file is larger than 1024 KiB$")  # no line to name
# Files that are a valid config, odd as they look.
VALID = {
    "config/alias-to-secret-section.yaml",
    "config/bom-then-valid.yaml",
    "config/cr-only-line-ends.yaml",
    "config/unicode-line-separators.yaml",
    "config/valid-with-odd-quoting.yaml",
    "config/newline-in-name.yaml",
}

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the worker forks and reads ru_maxrss in KiB"
)


@pytest.fixture(scope="module")
def config_read() -> dict[str, dict[str, Any]]:
    return worker.finish(worker.start("config"))


@pytest.mark.parametrize("case", CONFIG)
def test_a_hostile_config_loads_or_is_refused_with_its_place(
    case: str, config_read: dict[str, Any]
) -> None:
    facts = worker.survived(config_read, case)
    assert facts["left_behind"] == []  # no tag ran code
    lines = facts["lines"]
    if case in VALID:
        assert lines == []
        return
    assert lines, "neither a config nor an error"
    for line in lines:
        assert CONFIG_SECRET not in line and not any(s in line for s in SECRETS_WRITTEN)
        place = re.match(re.escape(facts["path"] + ":") + r"(\d+): ", line)
        assert place is not None or WHOLE_FILE.search(line), line
        assert place is None or 1 <= int(place[1]) <= facts["size"] + 1, line

"""Typed reading of one YAML mapping, collecting every problem instead of stopping at the first.

`config.py` says what the file must hold; this module knows how to read a value of each kind,
how to describe what was found, and how to name the place (line and dotted key).
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from daemon.durations import EXPECTED, EXPECTED_CLOCK, Duration, parse_duration
from daemon.yamlsource import Mapping, Scalar, Sequence, Unreadable, Value

T = TypeVar("T")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Problem:
    line: int
    key: str
    message: str


class Invalid(Exception):
    """Raised inside a value reader; turned into a `Problem` at the key being read."""


class _Missing:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Missing()


def describe(value: Any) -> str:
    """How a found value reads in an error message: 'imap', 70000, a list, null."""
    if isinstance(value, Scalar):
        if isinstance(value.value, Unreadable):
            return f"{value.text!r} ({value.value.reason})" if value.text else value.value.reason
        if not isinstance(value.value, str) and value.text:
            return value.text  # as written: `25:00`, not the base-60 number YAML 1.1 makes of it
        value = value.value
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, Sequence):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return repr(shown)
    return str(value)


class Section:
    """One mapping of the config file being read; remembers which keys were used."""

    def __init__(
        self,
        node: Mapping | None,
        dotted: str,
        line: int,
        problems: list[Problem],
        base_dir: Path,
        *,
        broken: bool = False,
    ) -> None:
        self.node = node
        self.dotted = dotted
        self.line = line
        self.problems = problems
        self.base_dir = base_dir
        self.broken = broken  # already reported as not a mapping: report nothing inside it
        self._used: set[str] = set()

    # -- places and problems -------------------------------------------------

    def key(self, name: str) -> str:
        return f"{self.dotted}.{name}" if self.dotted else name

    def line_of(self, name: str) -> int:
        """The line of the key `name` (block-style values start on the next line)."""
        if self.node is not None and name in self.node.key_lines:
            return self.node.key_lines[name]
        return self.line

    def problem(self, name: str, message: str, line: int | None = None) -> None:
        if self.broken:
            return
        where = self.line_of(name) if line is None else line
        self.problems.append(Problem(where, self.key(name), message))

    def report(self, message: str) -> None:
        """A problem with this section as a whole, named by its own key."""
        if not self.broken:
            self.problems.append(Problem(self.line, self.dotted, message))

    def has(self, name: str) -> bool:
        return self.node is not None and name in self.node.items

    def raw(self, name: str) -> Value | None:
        self._used.add(name)
        if self.node is None:
            return None
        return self.node.items.get(name)

    # -- typed readers --------------------------------------------------------

    def value(
        self,
        name: str,
        default: T,
        read: Callable[[Any], T],
        expected: str,
        *,
        secret: bool = False,
    ) -> T:
        """Read key `name` with `read`; on a problem record it and return `default`.

        A `secret` value is never quoted back in the message.
        """
        found = self.raw(name)
        if found is None or (isinstance(found, Scalar) and found.value is None):
            if default is REQUIRED:
                self.problem(name, f"required: expected {expected}")
            return default
        try:
            return read(found)
        except Invalid as exc:
            detail = str(exc)
            message = (
                f"expected {expected}" if secret else f"expected {expected}, got {describe(found)}"
            )
            self.problem(name, f"{message} ({detail})" if detail else message)
            return default

    def string(self, name: str, default: Any, expected: str = "a text") -> Any:
        return self.value(name, default, _text, expected)

    def choice(self, name: str, default: Any, choices: tuple[str, ...]) -> Any:
        expected = "one of " + ", ".join(choices)

        def read(found: Value) -> str:
            text = _text(found)
            if text not in choices:
                raise Invalid()
            return text

        return self.value(name, default, read, expected)

    def integer(self, name: str, default: Any, low: int, high: int) -> Any:
        def read(found: Value) -> int:
            value = found.value if isinstance(found, Scalar) else None
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise Invalid()
            return value

        return self.value(name, default, read, f"an integer {low}-{high}")

    def boolean(self, name: str, default: Any) -> Any:
        def read(found: Value) -> bool:
            value = found.value if isinstance(found, Scalar) else None
            if not isinstance(value, bool):
                raise Invalid()
            return value

        return self.value(name, default, read, "true or false")

    def duration(self, name: str, default: Any, *, business_days: bool = True) -> Any:
        def read(found: Value) -> Duration:
            value = found.value if isinstance(found, Scalar) else None
            if not isinstance(value, str):
                raise Invalid()
            try:
                return parse_duration(value, business_days=business_days)
            except ValueError as exc:
                raise Invalid(str(exc)) from None

        return self.value(name, default, read, EXPECTED if business_days else EXPECTED_CLOCK)

    def path(self, name: str, default: Any) -> Any:
        return self.value(name, default, self.read_path, "a file or folder path")

    def read_path(self, found: Value) -> Path:
        text = _text(found)
        if not text.strip():
            raise Invalid("empty")
        expanded = expand_env(text)
        path = Path(expanded).expanduser()
        return path if path.is_absolute() else self.base_dir / path

    def string_list(self, name: str, default: Any, expected: str = "a list of texts") -> Any:
        def read(found: Value) -> tuple[str, ...]:
            if isinstance(found, Scalar) and isinstance(found.value, str):
                return (found.value,)
            if not isinstance(found, Sequence):
                raise Invalid()
            items = []
            for item in found.items:
                if not isinstance(item, Scalar) or not isinstance(item.value, str):
                    raise Invalid(f"item {describe(item)} on line {item.line} is not a text")
                items.append(item.value)
            return tuple(items)

        return self.value(name, default, read, expected)

    def section(self, name: str) -> Section:
        found = self.raw(name)
        line = self.line_of(name)
        if found is None or (isinstance(found, Scalar) and found.value is None):
            return Section(None, self.key(name), line, self.problems, self.base_dir)
        if not isinstance(found, Mapping):
            self.problem(name, f"expected a mapping of settings, got {describe(found)}")
            return Section(None, self.key(name), line, self.problems, self.base_dir, broken=True)
        return Section(found, self.key(name), line, self.problems, self.base_dir)

    def sections(self, name: str) -> Iterator[Section]:
        """The mappings of a list under `name` (like `calendars:`), each named `name[i]`."""
        found = self.raw(name)
        if found is None or (isinstance(found, Scalar) and found.value is None):
            return
        if not isinstance(found, Sequence):
            self.problem(name, f"expected a list, got {describe(found)}")
            return
        for index, item in enumerate(found.items):
            dotted = f"{self.key(name)}[{index}]"
            if not isinstance(item, Mapping):
                self.problems.append(
                    Problem(item.line, dotted, f"expected a mapping, got {describe(item)}")
                )
                continue
            yield Section(item, dotted, item.line, self.problems, self.base_dir)

    def finish(self, known: tuple[str, ...] = ()) -> None:
        """Report keys nobody read, and keys given twice, with a suggestion where one fits."""
        if self.node is None:
            return
        for key, line in self.node.duplicates:
            first = self.node.key_lines[key]
            self.problem(key, f"given twice (first on line {first})", line)
        candidates = tuple(self._used) + known
        for key in self.node.items:
            if key in self._used or key in known:
                continue
            close = difflib.get_close_matches(key, candidates, n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            self.problem(key, f"unknown key{hint}", self.node.key_lines[key])


def expand_env(text: str) -> str:
    """Replace `${NAME}` with the environment's value; an unset name is an error."""

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise Invalid(f"environment variable {name} is not set")
        return os.environ[name]

    return _ENV_REF.sub(substitute, text)


def _text(found: Value) -> str:
    if isinstance(found, Scalar) and isinstance(found.value, str):
        return found.value
    raise Invalid()

"""Read a YAML file into plain values that remember their line, so config errors can name it.

PyYAML's composer gives nodes with positions; this module turns them into `Mapping`,
`Sequence` and `Scalar` values, refusing what a config file never needs and what would make
a hostile file expensive: duplicate keys, non-string keys, tags that name a type, NUL and lone
surrogates, alias bombs, deep nesting, floods of values and huge files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

MAX_FILE_BYTES = 1 << 20
MAX_VALUES = 20_000
MAX_DEPTH = 50
_SECRET_LINE = re.compile(r"password|secret|token", re.IGNORECASE)
_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_SURROGATE = re.compile("[\ud800-\udfff]")
_LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")  # what YAML counts as a line's end


class YamlError(Exception):
    """The file is not YAML we can read; `line` is 1-based, 0 when the file as a whole fails."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Scalar:
    """A typed value as YAML 1.1 reads it, with the text as written (`8:00` is 480 in YAML)."""

    value: Any
    line: int
    text: str = ""


@dataclass(frozen=True)
class Sequence:
    items: tuple[Value, ...]
    line: int


@dataclass(frozen=True)
class Mapping:
    """A YAML mapping with string keys; `key_lines` gives the line of each key."""

    items: dict[str, Value]
    key_lines: dict[str, int]
    line: int
    duplicates: tuple[tuple[str, int], ...] = field(default=())


Value = Scalar | Sequence | Mapping


def parse(text: str) -> Value | None:
    """Parse one YAML document; None for an empty document."""
    if len(text) > MAX_FILE_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise YamlError(0, f"the file is larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        node = yaml.compose(text, Loader=_CountingLoader)
    except yaml.MarkedYAMLError as exc:
        raise YamlError(*_syntax_problem(exc, text)) from None
    except yaml.reader.ReaderError as exc:  # a character YAML refuses (NUL, U+FFFE): no mark
        line = len(_LINE_BREAK.split(text[: exc.position])) if exc.position >= 0 else 0
        raise YamlError(line, f"not valid YAML: {_first_line(exc)}") from None
    except yaml.YAMLError as exc:
        raise YamlError(0, f"not valid YAML: {_first_line(exc)}") from None
    except RecursionError:  # the composer recurses: it gives up before the converter's check
        raise YamlError(
            _too_deep(text), f"values nested more than {MAX_DEPTH} levels deep"
        ) from None
    if node is None:
        return None
    return _Converter().convert(node, 0)


class _CountingLoader(yaml.SafeLoader):
    """SafeLoader's composer, refusing the file past MAX_VALUES nodes: each costs some 400
    bytes, and a megabyte of `k: 1` lines makes a hundred thousand before any check below."""

    nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self.nodes += 1
        if self.nodes > MAX_VALUES:
            line = self.get_mark().line + 1  # where the reader is: at most a line ahead
            raise YamlError(line, f"the file holds more than {MAX_VALUES} values")
        return super().compose_node(parent, index)


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str) -> tuple[int, str]:
    """The line to blame and a one-line reason; quoted text is hidden where secrets live."""
    mark = exc.problem_mark or exc.context_mark
    context = exc.context or ""
    if exc.context_mark is not None and ("quoted scalar" in context or "flow" in context):
        mark = exc.context_mark  # where the quote or bracket opened, not where parsing gave up
    lines = text.splitlines() or [""]
    line = min(mark.line + 1, len(lines)) if mark is not None else 0
    problem = exc.problem or exc.context or "not valid YAML"
    marks = (m for m in (exc.problem_mark, exc.context_mark, mark) if m is not None)
    if any(_SECRET_LINE.search(lines[min(m.line, len(lines) - 1)]) for m in marks):
        problem = re.sub(r"'[^']*'", "'...'", problem)
    return line, f"not valid YAML: {problem}"


def _too_deep(text: str) -> int:
    """The line where values nest deeper than MAX_DEPTH, read from the parser's events (it
    keeps a stack, not a recursion); 0 when it cannot be found."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH and event.start_mark is not None:
                    return event.start_mark.line + 1
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except (yaml.YAMLError, RecursionError):
        pass
    return 0


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _odd_character(text: str) -> str | None:
    """Why a text the file spells with an escape ("\\0", "\\ud800") cannot be used: no path,
    command or header holds a NUL, and a lone surrogate cannot even be printed."""
    if "\x00" in text:
        return "contains a NUL character"
    if _SURROGATE.search(text):
        return "contains a lone surrogate (an escape like \\ud800)"
    return None


class Unreadable:
    """A scalar YAML could not construct (an impossible date, an unknown tag)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"Unreadable({self.reason!r})"


class _Converter:
    """Walks the node graph once; counting values bounds what aliases can expand to."""

    def __init__(self) -> None:
        self._count = 0
        self._path: set[int] = set()
        self._constructor = yaml.SafeLoader("")

    def convert(self, node: yaml.Node, depth: int) -> Value:
        line = node.start_mark.line + 1
        self._count += 1
        if self._count > MAX_VALUES:
            message = (
                f"the file expands to more than {MAX_VALUES} values (aliases nested too deep?)"
            )
            raise YamlError(line, message)
        if depth > MAX_DEPTH:
            raise YamlError(line, f"values nested more than {MAX_DEPTH} levels deep")
        if id(node) in self._path:
            raise YamlError(line, "an alias refers to the value that contains it")
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, line)
        if node.tag not in (_MAP_TAG, _SEQ_TAG):  # !!python/object/new:..., !!set, !!omap
            return Scalar(
                Unreadable(f"could not determine a constructor for the tag {node.tag!r}"), line
            )
        self._path.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, line, depth)
            return Sequence(tuple(self.convert(item, depth + 1) for item in node.value), line)
        finally:
            self._path.discard(id(node))

    def _scalar(self, node: yaml.ScalarNode, line: int) -> Scalar:
        try:
            value = self._constructor.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as exc:
            value = Unreadable(exc.problem or _first_line(exc))
        except (yaml.YAMLError, ValueError, OverflowError, TypeError) as exc:
            value = Unreadable(_first_line(exc))
        if isinstance(value, str) and (odd := _odd_character(value)):
            value = Unreadable(odd)
        return Scalar(value, line, str(node.value))

    def _mapping(self, node: yaml.MappingNode, line: int, depth: int) -> Mapping:
        items: dict[str, Value] = {}
        key_lines: dict[str, int] = {}
        duplicates: list[tuple[str, int]] = []
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlError(key_line, "merge keys ('<<') are not supported in the config")
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STR_TAG:
                raise YamlError(key_line, "keys must be plain names")
            key = key_node.value
            if odd := _odd_character(key):
                raise YamlError(key_line, f"a key that {odd}")
            if key in items:
                duplicates.append((key, key_line))
                continue
            items[key] = self.convert(value_node, depth + 1)
            key_lines[key] = key_line
        return Mapping(items, key_lines, line, tuple(duplicates))

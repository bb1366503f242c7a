"""Read a YAML file into plain values that remember their line, so config errors can name it.

PyYAML's composer gives nodes with positions; this module turns them into `Mapping`,
`Sequence` and `Scalar` values, refusing what a config file never needs and what would make
a hostile file expensive: duplicate keys, non-string keys, alias bombs and huge files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

MAX_FILE_BYTES = 1 << 20
MAX_VALUES = 20_000
_STR_TAG = "tag:yaml.org,2002:str"


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
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise YamlError(0, f"the file is larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        problem = exc.problem or exc.context or "not valid YAML"
        raise YamlError(line, f"not valid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise YamlError(0, f"not valid YAML: {exc}") from None
    if node is None:
        return None
    return _Converter().convert(node)


class _Converter:
    """Walks the node graph once; counting values bounds what aliases can expand to."""

    def __init__(self) -> None:
        self._count = 0
        self._constructor = yaml.SafeLoader("")

    def convert(self, node: yaml.Node) -> Value:
        self._count += 1
        if self._count > MAX_VALUES:
            raise YamlError(
                node.start_mark.line + 1,
                f"the file expands to more than {MAX_VALUES} values (aliases nested too deep?)",
            )
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, line)
        if isinstance(node, yaml.SequenceNode):
            return Sequence(tuple(self.convert(item) for item in node.value), line)
        try:
            value = self._constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            raise YamlError(line, f"cannot read value: {exc}") from None
        return Scalar(value, line, str(node.value))

    def _mapping(self, node: yaml.MappingNode, line: int) -> Mapping:
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
            if key in items:
                duplicates.append((key, key_line))
                continue
            items[key] = self.convert(value_node)
            key_lines[key] = key_line
        return Mapping(items, key_lines, line, tuple(duplicates))

"""Long word alternations, answered fast: RE2 says where a pattern can first match, and
Python's `re` (the reference) looks only from there.

Python's backtracking engine tries every branch of a forty-word alternation at every
position of the text; RE2's automaton reads the text once. RE2 lacks look-arounds and reads
\\b, \\w, \\d and \\s as ASCII, so the RE2 pattern is a loosened copy whose matches include
every match of the original: assertions dropped, character classes widened to Unicode.
A "no" from RE2 is then final, and `re` confirms every "yes" from the place RE2 names, so
results never differ from `re`'s. Without the google-re2 package everything runs on `re` alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

try:
    import re2 as _re2
except ImportError:  # pragma: no cover - the package is a declared dependency
    _re2 = None

MAX_JUMPS = 8

# Inside a character class / outside one: Unicode-wide forms RE2 understands.
_WIDE_IN = {"w": r"\pL\pN\pM_", "d": r"\pN", "s": r"\s\pZ\x0b\x1c-\x1f\x85"}
_WIDE_OUT = {"w": r"[\pL\pN\pM_]", "d": r"\pN", "s": r"[\s\pZ\x0b\x1c-\x1f\x85]"}
# Characters Python's re.IGNORECASE folds to ASCII letters and RE2 does not (dotless and
# dotted i, long s, Kelvin sign, capital sharp s), and the separators Python counts as \s
# in a way RE2's classes may miss. RE2 reads a copy of the text with these replaced one for
# one, so positions do not move.
_FOLD = str.maketrans({"ı": "i", "İ": "I", "ſ": "s", "\u212a": "K", "ẞ": "ß"})
_last_text: list[str] = ["", ""]


def _for_re2(text: str) -> str:
    if _last_text[0] is not text:
        _last_text[0], _last_text[1] = text, text.translate(_FOLD)
    return _last_text[1]


class Pattern:
    """A compiled pattern with `re`'s results and, where possible, RE2's speed."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.reference = re.compile(pattern, flags)
        self._gate = _compile_gate(pattern, flags)

    def _next_start(self, text: str, pos: int) -> int | None:
        """Where `re` can first match at or after `pos`, as far as RE2 can tell; None: nowhere.

        Every match of the pattern is a match of the loosened copy starting at the same
        place, so the loosened copy's leftmost start is never later than the real one."""
        if self._gate is None:
            return pos
        try:
            found = self._gate.search(_for_re2(text), pos)
        except Exception:  # an RE2 surprise must never cost a result
            return pos
        return None if found is None else found.start()

    def search(self, text: str) -> re.Match[str] | None:
        start = self._next_start(text, 0)
        return None if start is None else self.reference.search(text, start)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        # RE2 is asked again after each match, to skip to the next place one can start; each
        # question re-reads the text, so after a few `re` carries on alone (linear at worst).
        pos = 0
        for _ in range(MAX_JUMPS):
            start = self._next_start(text, pos)
            if start is None:
                return
            match = self.reference.search(text, start)
            if match is None:
                return
            yield match
            pos = match.end() if match.end() > match.start() else match.end() + 1
            if pos > len(text):
                return
        yield from self.reference.finditer(text, pos)

    def findall(self, text: str) -> list[Any]:
        start = self._next_start(text, 0)
        return [] if start is None else self.reference.findall(text, start)


def _compile_gate(pattern: str, flags: int) -> Any:
    if _re2 is None:
        return None
    prefix = "(?i)" if flags & re.IGNORECASE else ""
    prefix += "(?m)" if flags & re.MULTILINE else ""
    try:
        loosened = loosen(pattern)
        options = _re2.Options()
        options.log_errors = False
        return _re2.compile(prefix + loosened, options=options)
    except Exception:
        return None


def loosen(pattern: str) -> str:
    """An RE2 pattern matching at least what `pattern` matches under Python's `re`."""
    out: list[str] = []
    index, in_class, negated = 0, False, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            code = pattern[index + 1]
            if code in "bB" and not in_class:
                # RE2's ASCII \b beside an ASCII word character of the pattern finds every
                # boundary Python's Unicode \b finds there (and a few more): keep it. Anywhere
                # else drop it, so that the match set only grows.
                following = pattern[index + 2 : index + 3]
                if pattern[index + 3 : index + 4] in ("?", "*", "{"):
                    following = ""  # an optional character may give way to a non-ASCII one
                preceding = pattern[index - 1 : index] if index else ""
                escaped_before = index >= 2 and pattern[index - 2] == "\\"
                if following == "(" and _alternatives_start_ascii(pattern, index + 2):
                    following = "a"  # "\b(?:with me|our call|...)": every branch starts ASCII
                if code == "b" and (
                    _ascii_word(following) or (_ascii_word(preceding) and not escaped_before)
                ):
                    out.append("\\b")
                index += 2
                continue
            if code in _WIDE_IN or code in "WDS":
                if in_class and negated:
                    # Widening inside [^...] would narrow the match set: keep `re` alone.
                    raise ValueError("class shorthand inside a negated class")
                if code in "WDS":
                    if in_class:
                        raise ValueError("negated shorthand inside a class")
                    out.append("\\" + code)  # RE2's ASCII reading is the wider one here
                else:
                    out.append(_WIDE_IN[code] if in_class else _WIDE_OUT[code])
            else:
                out.append(pattern[index : index + 2])
            index += 2
            continue
        if in_class:
            if char == "]" and out and out[-1] not in ("[", "[^"):
                in_class = False
            out.append(char)
            index += 1
            continue
        if char == "[":
            in_class = True
            negated = pattern.startswith("[^", index)
            if negated:
                out.append("[^")
                index += 2
                continue
            out.append("[")
            index += 1
            continue
        if (
            pattern.startswith("(?<=", index)
            or pattern.startswith("(?<!", index)
            or pattern.startswith("(?=", index)
            or pattern.startswith("(?!", index)
        ):
            index = _skip_group(pattern, index)  # a look-around: dropped
            continue
        out.append(char)
        index += 1
    return "".join(out)


def _alternatives_start_ascii(pattern: str, start: int) -> bool:
    """Whether every branch of the non-capturing group at `start` opens with a required
    ASCII word character (and the group itself is required)."""
    if not pattern.startswith("(?:", start):
        return False
    try:
        end = _skip_group(pattern, start)
    except ValueError:
        return False
    if pattern[end : end + 1] in ("?", "*", "{"):
        return False
    branch_start, starts = start + 3, []
    for index, char, depth in _walk(pattern, start):
        if index >= end - 1:
            break
        if char == "|" and depth == 1:  # a bar directly inside the group
            starts.append(branch_start)
            branch_start = index + 1
    starts.append(branch_start)
    return all(
        _ascii_word(pattern[i : i + 1]) and pattern[i + 1 : i + 2] not in ("?", "*", "{")
        for i in starts
    )


def _ascii_word(char: str) -> bool:
    return len(char) == 1 and (char.isascii() and (char.isalnum() or char == "_"))


def _walk(pattern: str, start: int) -> Iterator[tuple[int, str, int]]:
    """Each unescaped character from `start` with the group depth after reading it."""
    depth, index = 0, start
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        depth += (char == "(") - (char == ")")
        yield index, char, depth
        index += 1


def _skip_group(pattern: str, start: int) -> int:
    """The index just past the group that opens at `start`."""
    for index, char, depth in _walk(pattern, start):
        if char == ")" and depth == 0:
            return index + 1
    raise ValueError("unbalanced group")

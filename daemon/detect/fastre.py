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

MAX_JUMPS = 32
MAX_TRIES = 16

# Inside a character class / outside one: Unicode-wide forms RE2 understands.
_WIDE_IN = {"w": r"\pL\pN\pM_", "d": r"\pN", "s": r"\s\pZ\x0b\x1c-\x1f\x85"}
_WIDE_OUT = {"w": r"[\pL\pN\pM_]", "d": r"\pN", "s": r"[\s\pZ\x0b\x1c-\x1f\x85]"}
# Characters Python's re.IGNORECASE folds to ASCII letters and RE2 does not (dotless and
# dotted i, long s, Kelvin sign, capital sharp s), and the separators Python counts as \s
# in a way RE2's classes may miss. RE2 reads a copy of the text with these replaced one for
# one, so positions do not move.
_FOLDED = ("ı", "İ", "ſ", "\u212a", "ẞ")
_FOLD = str.maketrans(dict(zip(_FOLDED, ("i", "I", "s", "K", "ß"), strict=True)))
# The texts last prepared for RE2, with what RE2 reads: a mail's few texts (its subject and
# opening, its body, its firm sentences) are asked about in turn. One tuple, replaced whole,
# so threads never see a mismatched pair.
_RECENT = 4
_last: list[tuple[tuple[str, str | bytes], ...]] = [()]


def _for_re2(text: str) -> str | bytes:
    """ASCII text as bytes (RE2 then reports character positions without converting them),
    other text with the characters RE2 folds differently replaced (when it has any: looking
    for five characters costs far less than translating every one)."""
    recent = _last[0]
    for seen, data in recent:
        if seen is text:
            return data
    if text.isascii():
        data = text.encode("ascii")
    elif any(char in text for char in _FOLDED):
        data = text.translate(_FOLD)
    else:
        data = text
    _last[0] = ((text, data), *recent[: _RECENT - 1])
    return data


class Pattern:
    """A compiled pattern with `re`'s results and, where possible, RE2's speed."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.reference = re.compile(pattern, flags)
        self._gate = _compile_gate(pattern, flags)

    def _match_from(self, text: str, pos: int) -> re.Match[str] | None:
        """`re`'s leftmost match at or after `pos`, tried only where RE2 says one can start.

        Every match of the pattern is a match of the loosened copy starting at the same
        place, so trying `re` anchored at each place RE2 names, in order, finds the same
        match as `re` searching alone, without running its alternations over the text in
        between. After MAX_TRIES places that come to nothing, `re` searches alone."""
        gate = self._gate
        if gate is None:
            return self.reference.search(text, pos)
        recent = _last[0]  # the text just asked about, most often: no call to find it
        folded = recent[0][1] if recent and recent[0][0] is text else _for_re2(text)
        direct = gate.direct if isinstance(folded, bytes) else None
        for _ in range(MAX_TRIES):
            try:
                if direct is not None:  # the hot path, inlined: this runs ~80 times a mail
                    found: int = direct(_UNANCHORED, folded, pos, len(folded))[0][0]
                    start = None if found < 0 else found
                else:
                    start = gate.first(folded, pos)
            except Exception:  # an RE2 surprise must never cost a result
                break
            if start is None:
                return None
            match = self.reference.match(text, start)
            if match is not None:
                return match
            pos = start + 1
            if pos > len(text):
                return None
        return self.reference.search(text, pos)

    def search(self, text: str) -> re.Match[str] | None:
        return self._match_from(text, 0)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        # Each question to RE2 costs a call; after MAX_JUMPS matches `re` carries on alone.
        pos = 0
        for _ in range(MAX_JUMPS):
            match = self._match_from(text, pos)
            if match is None:
                return
            yield match
            pos = match.end() if match.end() > match.start() else match.end() + 1
            if pos > len(text):
                return
        yield from self.reference.finditer(text, pos)

    def findall(self, text: str) -> list[Any]:
        groups = self.reference.groups
        found: list[Any] = []
        for match in self.finditer(text):
            if groups == 0:
                found.append(match.group(0))
            elif groups == 1:
                found.append(match.group(1) or "")
            else:
                found.append(match.groups(""))
        return found


class _Gate:
    """RE2's answer to "where can the pattern first match, at or after `pos`?"."""

    def __init__(self, compiled: Any) -> None:
        self._compiled = compiled
        self.direct = _direct_matcher(compiled)

    def first(self, data: str | bytes, pos: int) -> int | None:
        if self.direct is not None and isinstance(data, bytes):
            start: int = self.direct(_UNANCHORED, data, pos, len(data))[0][0]
            return None if start < 0 else start
        found = self._compiled.search(data, pos)
        return None if found is None else int(found.start())


_UNANCHORED = getattr(getattr(_re2, "_Anchor", None), "UNANCHORED", None)
_PROBES = (b"", b"a", b"interview with Dana on 3/12 at 3pm", b"\n\nAm 3. Dezember um 15 Uhr\n")


def _direct_matcher(compiled: Any) -> Any:
    """The C++ matcher under google-re2's Python wrapper, which reads bytes as they are and
    spares a wrapper call per question. It is a private attribute: it is used only if it
    answers a few probes exactly as the public search does."""
    try:
        direct = compiled._regexp.Match
        for probe in _PROBES:
            for pos in {0, 1, len(probe) // 2, len(probe)}:
                found = compiled.search(probe, pos)
                expected = -1 if found is None else found.start()
                if direct(_UNANCHORED, probe, pos, len(probe))[0][0] != expected:
                    return None
    except Exception:
        return None
    return direct


def _compile_gate(pattern: str, flags: int) -> _Gate | None:
    if _re2 is None:
        return None
    prefix = "(?i)" if flags & re.IGNORECASE else ""
    prefix += "(?m)" if flags & re.MULTILINE else ""
    try:
        loosened = loosen(pattern)
        options = _re2.Options()
        options.log_errors = False
        return _Gate(_re2.compile(prefix + loosened, options=options))
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
                if following == "(":
                    # "\b(?:with me|our call|...)": kept when every branch starts ASCII (the
                    # "?" of "(?:" is no quantifier; the group's own one is checked there).
                    following = "a" if _alternatives_start_ascii(pattern, index + 2) else ""
                elif pattern[index + 3 : index + 4] in ("?", "*", "{"):
                    following = ""  # an optional character may give way to a non-ASCII one
                preceding = pattern[index - 1 : index] if index else ""
                escaped_before = index >= 2 and pattern[index - 2] == "\\"
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
        if char == "(" and not pattern.startswith("(?", index):
            # Only where a match starts is asked: a capturing group would make RE2 find its
            # bounds too, a second, slower pass over every match.
            out.append("(?:")
            index += 1
            continue
        if pattern.startswith("(?P<", index):
            index = pattern.index(">", index) + 1
            out.append("(?:")
            continue
        counted = _COUNTED.match(pattern, index)
        if counted is not None and int(counted.group(2)) >= _MANY:
            # "[^.\n]{0,60}": RE2 builds states for every count, and a mail's few questions
            # then walk a large automaton; "at least 0" matches more and is far smaller.
            out.append("{" + counted.group(1) + ",}")
            index = counted.end()
            continue
        out.append(char)
        index += 1
    return "".join(out)


_COUNTED = re.compile(r"\{(\d+),(\d+)\}")
_MANY = 10


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

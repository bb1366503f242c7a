"""The RE2 gate never changes a result: the gated pattern finds exactly what `re` finds."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daemon.detect import (
    classify,
    company,
    cues,
    details,
    negatives,
    people,
    text,
    thread,
    when,
    zones,
)
from daemon.detect.fastre import Pattern, loosen

PATTERNS = (
    [
        value
        for module in (cues, negatives, people, when, classify, zones, text, details, thread)
        for value in vars(module).values()
        if isinstance(value, Pattern)
    ]
    + list(company._COMPILED)
    + list(details._ROLE)
)

WORDS = st.sampled_from(
    [
        "interview",
        "Interview",
        "entretien",
        "Vorstellungsgespräch",
        "entrevista",
        "cancel",
        "cancelled",
        "rescheduled",
        "verschoben",
        "reporté",
        "reprogramada",
        "tomorrow",
        "morgen",
        "demain",
        "mañana",
        "with",
        "mit",
        "avec",
        "con",
        "call",
        "chat",
        "meeting",
        "Termin",
        "Zoom",
        "availability",
        "disponibilités",
        "Verfügbarkeit",
        "if",
        "si",
        "falls",
        "Dana",
        "Lee",
        "Émilie",
        "Ünal",
        "Ørsted",
        "3pm",
        "15:00",
        "15h",
        "15",
        "Uhr",
        "Dec",
        "3",
        "3.",
        "Dezember",
        "décembre",
        "diciembre",
        "position",
        "role",
        "Stelle",
        "poste",
        "puesto",
        "application",
        "Bewerbung",
        "candidature",
        "webinar",
        "offer",
        "rejection",
        "leider",
        "malheureusement",
        "lamentablemente",
        "at",
        "on",
        "the",
        "a",
        "de",
        "la",
        "el",
        "der",
        "die",
    ]
)
GLUE = st.sampled_from([" ", "  ", "\n", ", ", ". ", "\u00a0", "-", "é", "\u2019", "\t", ": "])


@st.composite
def texts(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.tuples(WORDS, GLUE), max_size=40))
    noise = draw(st.text(max_size=20))
    return "".join(word + glue for word, glue in parts) + noise


def test_every_cue_has_an_re2_gate() -> None:
    gated = [p for p in PATTERNS if p._gate is not None]
    assert len(gated) >= len(PATTERNS) - 2  # a pattern RE2 cannot loosen keeps `re` alone


@settings(max_examples=300, deadline=None)
@given(texts())
def test_gate_never_hides_a_match(text: str) -> None:
    for pattern in PATTERNS:
        found, expected = pattern.search(text), pattern.reference.search(text)
        assert (found and found.span()) == (expected and expected.span()), pattern.pattern
        assert pattern.findall(text) == pattern.reference.findall(text)
        spans = [m.span() for m in pattern.finditer(text)]
        assert spans == [m.span() for m in pattern.reference.finditer(text)], pattern.pattern


@pytest.mark.parametrize(
    ("pattern", "loosened"),
    [
        (r"\binterview\b", r"\binterview\b"),  # ASCII \b beside ASCII letters: kept
        (r"\b(?:a|b)\b", r"\b(?:a|b)"),  # before a group of ASCII branches: kept
        (r"\b(?:a|é)\b", "(?:a|é)"),  # a branch may start with a non-ASCII letter: dropped
        (r"\b[ée]change", "[ée]change"),
        (r"\ba?b", "a?b"),
        (r"(?<![\d:])(\d{1,2})", r"(?:\pN{1,2})"),  # groups: only where a match starts counts
        (r"(?P<day>\d)", r"(?:\pN)"),
        (r"a\sb", r"a[\s\pZ\x0b\x1c-\x1f\x85]b"),
        (r"[\w.-]+", r"[\pL\pN\pM_.-]+"),
        (r"x(?!\w)", "x"),
        (r"a[^.\n]{0,60}b", r"a[^.\n]{0,}b"),  # a long count: any count, a small automaton
        (r"a[^,]{3,40}?b", r"a[^,]{3,}?b"),
        (r"\d{4}", r"\pN{4}"),  # exact and short counts stay
    ],
)
def test_loosen(pattern: str, loosened: str) -> None:
    assert loosen(pattern) == loosened


def test_negated_classes_are_left_to_re() -> None:
    with pytest.raises(ValueError):
        loosen(r"[^\w]")
    assert Pattern(r"[^\w]x", re.IGNORECASE)._gate is None


@pytest.mark.parametrize(
    "text",
    [
        "İnterview on Monday",
        "\u0131nterview on Monday",
        "\u017fcreening call",
        "\u212aennenlernen morgen",
        "position\x1c: Engineer",
        "with\x1fme",
        "meet with Dana Lee " * 50,
    ],
)
def test_case_folding_and_separators_re2_reads_differently(text: str) -> None:
    for pattern in PATTERNS:
        expected = [m.span() for m in pattern.reference.finditer(text)]
        assert [m.span() for m in pattern.finditer(text)] == expected, pattern.pattern


def test_word_boundary_before_a_group_of_ascii_branches_is_kept() -> None:
    # Item 14: the "?" of "(?:" is no quantifier on the character after \b.
    assert loosen(r"\b(?:with me|our call)") == r"\b(?:with me|our call)"
    assert loosen(r"\b(?:with me|our call)?x") == "(?:with me|our call)?x"
    assert loosen(r"\b(?:é|a)") == "(?:é|a)"


@settings(max_examples=100, deadline=None)
@given(st.lists(texts(), min_size=2, max_size=7))
def test_texts_asked_about_in_turn_keep_their_own_results(batch: list[str]) -> None:
    """RE2 keeps a few texts prepared at once; asking about them in turn, twice, changes no
    result (the folded characters included)."""
    batch = [*batch, "K\u0131ss \u0130stanbul \u017fo \u212aelvin STRA\u1e9eE interview"]
    pattern = next(p for p in PATTERNS if p.pattern == cues.INTERVIEW.pattern)
    for _ in range(2):
        for sample in batch:
            found, expected = pattern.search(sample), pattern.reference.search(sample)
            assert (found and found.span()) == (expected and expected.span())

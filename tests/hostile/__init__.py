"""Hostile inputs (issue 9, "Bad input"): broken and abusive mail, calendars and configs.

Small inputs are files here (`mail/*.eml`, `calendar/*.ics`, `config/*.yaml`), each named for
what is wrong with it; the big ones are made by `generate.py` when a test asks for them.
`cases(kind)` gives both, by a name that says which one failed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.hostile import generate

HERE = Path(__file__).resolve().parent
SUFFIXES = {"mail": ".eml", "calendar": ".ics", "config": ".yaml"}
GENERATED = {"mail": generate.MAIL, "calendar": generate.CALENDAR, "config": generate.CONFIG}


def cases(kind: str) -> dict[str, Callable[[], bytes]]:
    """Every input of one kind ("mail", "calendar" or "config") by name, as a maker of its
    bytes: "mail/boundary-empty.eml", "mail/generated/body-10mb-text"."""
    found: dict[str, Callable[[], bytes]] = {
        f"{kind}/{path.name}": path.read_bytes
        for path in sorted((HERE / kind).glob("*" + SUFFIXES[kind]))
    }
    found.update({f"{kind}/generated/{name}": make for name, make in GENERATED[kind].items()})
    return found

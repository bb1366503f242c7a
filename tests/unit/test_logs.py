"""Logging: one line per event, journald priorities under systemd, secrets never shown."""

from __future__ import annotations

import base64
import io
import logging

import pytest

from daemon import logs


@pytest.fixture
def stream() -> io.StringIO:
    return io.StringIO()


def test_secrets_are_masked_plain_and_base64(stream: io.StringIO) -> None:
    formatter = logs.setup("debug", stream)
    formatter.add_secrets(["s3cret-Pa55", "\0alice\0s3cret-Pa55"])
    log = logging.getLogger("daemon.test")
    plain_auth = base64.b64encode(b"\0alice\0s3cret-Pa55").decode()
    log.debug("LOGIN alice s3cret-Pa55")
    log.debug("AUTH PLAIN %s", plain_auth)
    log.debug("AUTH LOGIN %s", base64.b64encode(b"s3cret-Pa55").decode())
    try:
        raise ValueError("bad password s3cret-Pa55")
    except ValueError:
        log.exception("failed")
    text = stream.getvalue()
    assert "s3cret-Pa55" not in text
    assert plain_auth not in text
    assert text.count(logs.MASK) == 5


def test_journald_lines_carry_priority(
    stream: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOURNAL_STREAM", "8:1234")
    logs.setup("info", stream)
    logging.getLogger("daemon.x").warning("careful")
    logging.getLogger("daemon.x").info("fine")
    logging.getLogger("daemon.x").debug("hidden")
    assert stream.getvalue().splitlines() == [
        "<4>WARNING daemon.x: careful",
        "<6>INFO daemon.x: fine",
    ]


def test_terminal_lines_start_with_the_time(
    stream: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    logs.setup("warning", stream)
    logging.getLogger("daemon.y").error("one line")
    (line,) = stream.getvalue().splitlines()
    assert line.endswith(" ERROR daemon.y: one line")
    assert line[:4].isdigit()

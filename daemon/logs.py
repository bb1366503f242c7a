"""Logging set up once at the entry point: one line per event on stderr, secrets masked.

When stderr is the journal (`$JOURNAL_STREAM` names its device and inode) lines carry `<N>`
priority prefixes instead of a time stamp, so journald stores the right level; elsewhere they
start with the local time.
"""

from __future__ import annotations

import base64
import io
import logging
import os
import sys
from collections.abc import Iterable, Mapping
from typing import TextIO

MASK = "********"
_MIN_SECRET_LENGTH = 3
# Loggers whose debug lines are whole IMAP responses: the user's mail, and the approval tokens
# in it. They stay at info whatever the level, so no log holds a token.
_RAW_PROTOCOL_LOGGERS = ("imapclient.imaplib",)
_PRIORITIES = {
    logging.CRITICAL: 2,
    logging.ERROR: 3,
    logging.WARNING: 4,
    logging.INFO: 6,
    logging.DEBUG: 7,
}


class MaskingFormatter(logging.Formatter):
    """Formats a record, then replaces every known secret in the whole text (traceback too)."""

    def __init__(self, *, journal: bool) -> None:
        fmt = "%(levelname)s %(name)s: %(message)s"
        super().__init__(fmt if journal else "%(asctime)s " + fmt, datefmt="%Y-%m-%d %H:%M:%S")
        self.journal = journal
        self._secrets: tuple[str, ...] = ()

    def add_secrets(self, secrets: Iterable[str]) -> None:
        """Mask each secret as written and base64-encoded (as SASL PLAIN and LOGIN send it)."""
        known = set(self._secrets)
        for secret in secrets:
            if len(secret.strip("\0")) < _MIN_SECRET_LENGTH:
                continue
            known.add(base64.b64encode(secret.encode()).decode())
            if "\0" not in secret:
                known.add(secret)
        # Longest first, so a secret that contains another is masked whole.
        self._secrets = tuple(sorted(known, key=len, reverse=True))

    def mask(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    def format(self, record: logging.LogRecord) -> str:
        text = self.mask(super().format(record))
        if self.journal:
            priority = _PRIORITIES.get(record.levelno, 6)
            text = "\n".join(f"<{priority}>{line}" for line in text.splitlines())
        return text


def setup(level: str = "info", stream: TextIO | None = None) -> MaskingFormatter:
    """Send all logging to `stream` (stderr) at `level`; returns the formatter to add secrets to."""
    stream = stream or sys.stderr
    formatter = MaskingFormatter(journal=writes_to_journal(stream))
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    for name in _RAW_PROTOCOL_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    set_level(level)
    logging.captureWarnings(True)
    return formatter


def writes_to_journal(stream: TextIO, environ: Mapping[str, str] = os.environ) -> bool:
    """Whether `stream` is the journal stream systemd connected. As systemd.exec(5) advises,
    the device and inode in `$JOURNAL_STREAM` must be the stream's: a process started by a
    service inherits the variable even when its stderr goes elsewhere. A stream without a
    file descriptor cannot be checked, so there the variable alone decides."""
    value = environ.get("JOURNAL_STREAM", "")
    if not value:
        return False
    try:
        info = os.fstat(stream.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        return True
    device, _, inode = value.partition(":")
    try:
        return (info.st_dev, info.st_ino) == (int(device), int(inode))
    except ValueError:
        return False


def set_level(level: str) -> None:
    logging.getLogger().setLevel(level.upper())

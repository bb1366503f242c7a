"""Where secrets come from (a command, the environment, a file) and how they stay out of sight.

A `Secret` never shows its value in `repr`, `str` or f-strings; code that needs the value calls
`reveal()`, and the log formatter masks every revealed value it was told about.
"""

from __future__ import annotations

import os
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

COMMAND_TIMEOUT_SECONDS = 30


class SecretUnavailable(Exception):
    """The configured source did not give a secret; the message says why, never the secret."""


@dataclass(frozen=True)
class Secret:
    """A secret value and a description of where it came from (for messages)."""

    source: str
    _value: str = field(repr=False, compare=False)

    def reveal(self) -> str:
        return self._value

    def __str__(self) -> str:
        return f"<secret from {self.source}>"

    __repr__ = __str__


def from_command(argv: list[str]) -> str:
    """Run `argv` without a shell; the first line of its standard output is the secret."""
    if not argv or not argv[0]:
        raise SecretUnavailable("the command is empty")
    try:
        result = subprocess.run(
            argv,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=COMMAND_TIMEOUT_SECONDS,
            check=False,
        )
    except FileNotFoundError:
        raise SecretUnavailable(f"cannot run '{argv[0]}': no such program") from None
    except PermissionError:
        raise SecretUnavailable(f"cannot run '{argv[0]}': permission denied") from None
    except subprocess.TimeoutExpired:
        raise SecretUnavailable(
            f"'{argv[0]}' did not finish within {COMMAND_TIMEOUT_SECONDS} s"
        ) from None
    except OSError as exc:
        raise SecretUnavailable(f"cannot run '{argv[0]}': {exc.strerror}") from None
    if result.returncode != 0:
        reason = _first_line(result.stderr.decode("utf-8", "replace")).strip()[:200]
        detail = f": {reason}" if reason else ""
        raise SecretUnavailable(f"'{argv[0]}' exited with status {result.returncode}{detail}")
    value = _first_line(result.stdout.decode("utf-8", "replace"))
    if not value:
        raise SecretUnavailable(f"'{argv[0]}' printed nothing on its first line")
    return value


def from_env(name: str) -> str:
    value = os.environ.get(name)
    if value is None:
        raise SecretUnavailable(f"environment variable {name} is not set")
    if not value.strip():
        raise SecretUnavailable(f"environment variable {name} is empty")
    return value


def from_file(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SecretUnavailable(f"{path} does not exist") from None
    except PermissionError:
        raise SecretUnavailable(f"{path} is not readable (permission denied)") from None
    except IsADirectoryError:
        raise SecretUnavailable(f"{path} is a directory") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretUnavailable(f"cannot read {path}: {exc}") from None
    value = _first_line(text)
    if not value:
        raise SecretUnavailable(f"{path} is empty")
    return value


def readable_by_others(path: Path) -> bool:
    """True when group or others may read the file (the owner alone should)."""
    return _mode_has(path, stat.S_IRGRP | stat.S_IROTH)


def writable_by_others(path: Path) -> bool:
    """True when group or others may change the file."""
    return _mode_has(path, stat.S_IWGRP | stat.S_IWOTH)


def _mode_has(path: Path, bits: int) -> bool:
    try:
        return bool(path.stat().st_mode & bits)
    except OSError:
        return False


def _first_line(text: str) -> str:
    """The first line without its line ending; "" when it holds only white space."""
    lines = text.splitlines()
    return lines[0] if lines and lines[0].strip() else ""

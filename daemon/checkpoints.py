"""Named steps of a send where the crash tests kill the process (SIGKILL), to prove that a
restart after any of them never sends twice. Shared by the outbox and the SMTP adapter.

A test sets `AFTERVIEW_TEST_KILL_AT` to one step's name; unset, a step costs one lookup.
The SMTP steps are passed by every SMTP session, a note's or a mail to the user's alike: a
crash test kills at the first session that reaches the step.
"""

from __future__ import annotations

import os
import signal

KILL_AT_ENV = "AFTERVIEW_TEST_KILL_AT"


def checkpoint(name: str) -> None:
    """A step the crash tests can kill the process at (see KILL_AT_ENV)."""
    if os.environ.get(KILL_AT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)

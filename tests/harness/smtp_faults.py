"""Scripted failures for the test SMTP server's answers to MAIL FROM, RCPT TO and DATA.

Tests script them from the test thread; the server's event-loop thread
consumes them, so each script is guarded by a lock. A scripted ``421``
reply closes the connection after it is sent, as RFC 5321 (3.8) says a
server shutting down does.
"""

import threading
from collections import deque
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class DataFault:
    """How to answer one DATA command instead of ``250``.

    ``code`` is the SMTP reply code to send after the final dot (e.g. 451 for
    a temporary, 550/554 for a permanent failure); ``None`` drops the
    connection without any reply, like a server crash or a network cut.
    With ``deliver=True`` the message is first delivered and recorded as
    usual, so the mailbox holds it although the client sees a failure (the
    "accepted but the reply got lost" case that tempts clients to resend).
    """

    code: int | None = 451
    message: str = "4.3.0 Injected temporary failure"
    deliver: bool = False

    @property
    def drops_connection(self) -> bool:
        """True when the client gets no reply at all."""
        return self.code is None

    def reply(self) -> str:
        """The SMTP reply line for a failing (non-dropping) fault."""
        return f"{self.code} {self.message}"


class _Script(Generic[T]):
    """A FIFO of scripted answers: each command takes the next one, if any."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: deque[T] = deque()

    def _add(self, answer: T, times: int) -> None:
        with self._lock:
            self._pending.extend([answer] * times)

    def take(self) -> T | None:
        """The answer for the command being answered now, or None for the usual one."""
        with self._lock:
            return self._pending.popleft() if self._pending else None

    def pending(self) -> int:
        """How many answers are still queued."""
        with self._lock:
            return len(self._pending)

    def clear(self) -> None:
        """Forget all queued answers (fixtures call this between tests)."""
        with self._lock:
            self._pending.clear()


class DataFaultScript(_Script[DataFault]):
    """A FIFO of ``DataFault`` s; each DATA command takes the next one, if any."""

    def inject(self, fault: DataFault, times: int = 1) -> None:
        """Make the next ``times`` DATA commands (after already queued faults) fail so."""
        self._add(fault, times)

    def fail_next(self, code: int = 451, message: str | None = None, times: int = 1) -> None:
        """Answer the next ``times`` DATA commands with ``code`` (nothing is delivered)."""
        default = "4.3.0 Injected temporary failure" if code < 500 else "5.0.0 Injected failure"
        self.inject(DataFault(code=code, message=message or default), times)

    def drop_next(self, times: int = 1, deliver: bool = False) -> None:
        """Close the connection after the final dot of the next ``times`` messages."""
        self.inject(DataFault(code=None, message="", deliver=deliver), times)


def closes_connection(reply: str) -> bool:
    """Whether the server hangs up after sending this reply (``421``: service closing)."""
    return reply.startswith("421")


class SenderRefusals(_Script[str]):
    """A FIFO of replies for the next MAIL FROM commands; once it is empty, senders are accepted.

    For a server that cannot take mail now (``421`` closing, ``452`` out of storage) or
    refuses the sender for good (``550``, ``553``).
    """

    def refuse(self, reply: str, times: int = 1) -> None:
        """Answer the next ``times`` MAIL FROM commands (after those queued) with ``reply``."""
        if reply[:1] not in ("4", "5"):
            raise ValueError(f"a refusal needs a 4xx or 5xx reply, not {reply!r}")
        self._add(reply, times)


class RecipientRefusals:
    """Addresses the server refuses at RCPT TO, each with its own reply; others are accepted.

    The transaction goes on with the accepted recipients, as a real server's does
    when one mailbox is unknown (``550``) or full for now (``450``).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._replies: dict[str, tuple[str, int | None]] = {}
        self._given: list[tuple[str, str]] = []
        self._asked: list[str] = []

    def refuse(
        self, address: str, reply: str = "550 5.1.1 No such user", times: int | None = None
    ) -> None:
        """Answer RCPT TO:<address> with ``reply`` the next ``times`` times (None: always)."""
        if reply[:1] not in ("4", "5"):
            raise ValueError(f"a refusal needs a 4xx or 5xx reply, not {reply!r}")
        with self._lock:
            self._replies[address.lower()] = (reply, times)

    def take(self, address: str) -> str | None:
        """The reply to RCPT TO:<address> now, or None to accept the recipient."""
        key = address.lower()
        with self._lock:
            self._asked.append(address)
            found = self._replies.get(key)
            if found is None:
                return None
            reply, times = found
            if times is not None and times <= 1:
                del self._replies[key]
            elif times is not None:
                self._replies[key] = (reply, times - 1)
            self._given.append((address, reply))
            return reply

    def given(self) -> list[tuple[str, str]]:
        """Every refusal answered so far, oldest first: (address, reply)."""
        with self._lock:
            return list(self._given)

    def asked(self) -> list[str]:
        """Every address given in RCPT TO so far, refused or not, oldest first: how often a
        client tried to send to someone."""
        with self._lock:
            return list(self._asked)

    def clear(self) -> None:
        """Accept everyone again and forget past refusals (fixtures call this between tests)."""
        with self._lock:
            self._replies.clear()
            self._given.clear()
            self._asked.clear()

"""One root for afterview's errors; retry logic is an `except` on the branch it cares about.

AfterviewError
├── TransientError (also ConnectionError)   try again later: network down, timeout, 4xx
│   └── ServerUnavailable                    could not reach or lost the server
├── StateNotWritten (daemon.store)           the disk refused a state write (full): rolled back
└── PermanentError                           needs the user: fix the config or the account
    ├── AuthenticationFailed                 the server refused the login
    ├── CertificateRejected                  the server's TLS certificate is not trusted
    ├── Refused                              a command the state does not allow (nothing done)
    └── StateError (daemon.store)            the state cannot be opened or migrated
"""

from __future__ import annotations


class AfterviewError(Exception):
    """Anything afterview reports with a message meant for the user."""


class TransientError(AfterviewError, ConnectionError):
    """Worth retrying with backoff."""


class ServerUnavailable(TransientError):
    """The server could not be reached, or the connection broke."""


class PermanentError(AfterviewError):
    """Retrying will not help until the user changes something."""


class AuthenticationFailed(PermanentError):
    """The server refused the username or secret."""


class CertificateRejected(PermanentError):
    """TLS verification failed; never retried silently, never accepted."""


class Refused(PermanentError):
    """A correction or an answer typed at the terminal that cannot be made: an unknown id,
    a note already sent, a date that cannot be. Nothing was changed."""


def network_reason(exc: BaseException) -> str:
    """A short, stable phrase for a network failure, from the innermost cause."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return "connection lost"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower() if exc.errno else exc.strerror
    text = str(exc)
    if text.startswith(("b'", 'b"')):
        text = text[2:-1]
    return text or type(exc).__name__

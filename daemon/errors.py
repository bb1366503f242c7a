"""One root for afterview's errors; retry logic is an `except` on the branch it cares about.

AfterviewError
├── TransientError (also ConnectionError)   try again later: network down, timeout, 4xx
│   └── ServerUnavailable                    could not reach or lost the server
└── PermanentError                           needs the user: fix the config or the account
    ├── AuthenticationFailed                 the server refused the login
    └── CertificateRejected                  the server's TLS certificate is not trusted
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

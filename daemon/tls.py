"""One way to build TLS contexts: the system's trust store, or the configured CA file.

Certificate checks are on unless the config says `insecure: true` (which logs a warning at
every start); there is no other way to turn them off.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from daemon.errors import CertificateRejected


def client_context(ca_file: Path | None = None, *, insecure: bool = False) -> ssl.SSLContext:
    """A client context that verifies the server against `ca_file` or the system's CAs."""
    try:
        context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    except (OSError, ssl.SSLError) as exc:
        raise CertificateRejected(f"cannot load the CA file {ca_file}: {exc}") from None
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def describe_verification_error(exc: ssl.SSLCertVerificationError, host: str) -> str:
    reason = exc.verify_message or exc.reason or str(exc)
    return (
        f"the TLS certificate of {host} is not trusted ({reason}); if the server uses its own "
        "CA, set ca_file to that CA's certificate"
    )

"""SMTP adapter (aiosmtplib): connect and authenticate; sending lands with the outbox."""

from __future__ import annotations

import logging
import ssl

import aiosmtplib

from daemon.config import Security, SmtpConfig
from daemon.errors import (
    AuthenticationFailed,
    CertificateRejected,
    ServerUnavailable,
    network_reason,
)
from daemon.tls import client_context, describe_verification_error

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 30.0


def client(config: SmtpConfig, timeout: float = TIMEOUT_SECONDS) -> aiosmtplib.SMTP:
    """An unconnected client for the configured security; STARTTLS is required, not hoped for."""
    return aiosmtplib.SMTP(
        hostname=config.host,
        port=config.port,
        use_tls=config.security is Security.SSL,
        start_tls=config.security is Security.STARTTLS,
        tls_context=client_context(config.ca_file, insecure=config.insecure),
        timeout=timeout,
    )


async def check_login(config: SmtpConfig, timeout: float = TIMEOUT_SECONDS) -> str:
    """Connect, authenticate and quit; returns the server's greeting line."""
    where = f"{config.host}:{config.port}"
    smtp = client(config, timeout)
    try:
        response = await smtp.connect()
        await smtp.login(config.username, config.secret.reveal())
    except aiosmtplib.SMTPAuthenticationError as exc:
        raise AuthenticationFailed(
            f"SMTP server {where} refused the login for {config.username}: {exc.code} {exc.message}"
        ) from None
    except aiosmtplib.SMTPException as exc:
        cause = _root_cause(exc)
        if isinstance(cause, ssl.SSLCertVerificationError):
            raise CertificateRejected(describe_verification_error(cause, where)) from None
        raise ServerUnavailable(f"SMTP server {where}: {network_reason(exc)}") from None
    except ssl.SSLCertVerificationError as exc:
        raise CertificateRejected(describe_verification_error(exc, where)) from None
    except (TimeoutError, OSError, ssl.SSLError) as exc:
        raise ServerUnavailable(f"SMTP server {where}: {network_reason(exc)}") from None
    finally:
        if smtp.is_connected:
            try:
                await smtp.quit()
            except aiosmtplib.SMTPException:
                smtp.close()
    log.debug("logged in to SMTP %s as %s", where, config.username)
    return response.message


def _root_cause(exc: BaseException) -> BaseException:
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return exc

"""SMTP adapter (aiosmtplib): log in, and send one message step by step.

`send` knows which phase failed, because the outbox's safety depends on it: a failure before the
message data was handed over, or an explicit reply code to it, means "not sent"; a lost
connection or a timeout after the data went out means "unknown" and is never retried blindly.
A recipient refused for good at RCPT TO (5xx) is left out and reported with the others' success;
one refused for now (4xx) holds the message back from everyone until the retry.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import aiosmtplib
import aiosmtplib.protocol as protocol_module

from daemon import credentials
from daemon.checkpoints import checkpoint
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


async def check_login(
    config: SmtpConfig, timeout: float = TIMEOUT_SECONDS, token: str | None = None
) -> str:
    """Connect, authenticate (XOAUTH2 when given a token) and quit; returns the greeting."""
    where = f"{config.host}:{config.port}"
    smtp = client(config, timeout)
    try:
        response = await smtp.connect()
        if token is not None:
            await _xoauth2(smtp, config.username, token)
        else:
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


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # not sent, and worth trying again (4xx, connection trouble before DATA)
    FAILED = "failed"  # not sent, refused for good (5xx)
    UNKNOWN = "unknown"  # the data went out and the answer was lost: maybe delivered


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    detail: str
    accepted: tuple[str, ...] = ()
    refused: dict[str, str] = field(default_factory=dict)  # recipient -> the server's reply


async def send(
    config: SmtpConfig,
    sender: str,
    recipients: Sequence[str],
    message: bytes,
    *,
    before_data: Callable[[], None] = lambda: None,
    token: str | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> SendResult:
    """Send one message. `before_data` runs (and may commit state) just before DATA."""
    where = f"{config.host}:{config.port}"
    smtp = client(config, timeout)
    phase = "connect"
    raw_socket = None
    try:
        await smtp.connect()
        if smtp.transport is not None:
            raw_socket = smtp.transport.get_extra_info("socket")
        checkpoint("smtp-connected")  # greeted; with STARTTLS, EHLO and the upgrade done too
        phase = "login"
        if token is not None:
            await _xoauth2(smtp, config.username, token)
        else:
            await smtp.login(config.username, config.secret.reveal())
        checkpoint("smtp-authenticated")
        phase = "envelope"
        await smtp.mail(sender)
        checkpoint("smtp-mail-from")
        accepted, refused = [], {}
        for recipient in recipients:
            try:
                await smtp.rcpt(recipient)
                accepted.append(recipient)
            except aiosmtplib.SMTPRecipientRefused as exc:
                refused[recipient] = f"{exc.code} {exc.message}"
        checkpoint("smtp-rcpt-to")
        if not accepted:
            transient = any(reply.startswith("4") for reply in refused.values())
            outcome = Outcome.RETRY if transient else Outcome.FAILED
            return SendResult(outcome, f"every recipient was refused: {refused}", (), refused)
        deferred = {r: why for r, why in refused.items() if why.startswith("4")}
        if deferred:
            # Refused for now: nothing is handed over, and the whole note waits for the retry.
            # Sent to the others now, it could reach the deferred one only by a second send,
            # which would resend it to the others, or by none, which would lose it.
            said = ", ".join(f"{r} ({why})" for r, why in deferred.items())
            return SendResult(
                Outcome.RETRY, f"refused for now: {said}; sent to nobody", (), refused
            )
        phase = "message"  # until the final dot, the server can only drop what it got
        dot: list[bool] = []

        def at_the_dot() -> None:
            before_data()
            dot.append(True)

        try:
            response = await _data(smtp, message, at_the_dot, timeout)
        finally:
            if dot:
                phase = "data"  # the dot may have reached the server: an answer decides
        detail = f"{response.code} {response.message}".strip()
        if refused:  # recorded with the note, and told to the user in the confirmation
            detail += "; refused: " + ", ".join(f"{r} ({why})" for r, why in refused.items())
        return SendResult(Outcome.SENT, detail, tuple(accepted), refused)
    except aiosmtplib.SMTPAuthenticationError as exc:
        raise AuthenticationFailed(
            f"SMTP server {where} refused the login for {config.username}: {exc.code} {exc.message}"
        ) from None
    except aiosmtplib.SMTPResponseException as exc:
        # The server answered with a code: whatever the phase, it did not take the message.
        outcome = Outcome.RETRY if 400 <= exc.code < 500 else Outcome.FAILED
        return SendResult(outcome, f"{phase}: {exc.code} {exc.message}")
    except (aiosmtplib.SMTPException, TimeoutError, OSError, ssl.SSLError) as exc:
        cause = _root_cause(exc)
        if isinstance(cause, ssl.SSLCertVerificationError):
            raise CertificateRejected(describe_verification_error(cause, where)) from None
        reason = f"{phase}: {network_reason(exc)}"
        if phase == "data":
            return SendResult(Outcome.UNKNOWN, reason)
        return SendResult(Outcome.RETRY, reason)
    finally:
        await _disconnect(smtp, raw_socket)


async def _data(
    smtp: aiosmtplib.SMTP, message: bytes, before_dot: Callable[[], None], timeout: float
) -> aiosmtplib.SMTPResponse:
    """DATA, the message, then `before_dot()`, then the final dot and the answer.

    Until the final ".", a server keeps nothing, so a crash before `before_dot` (which commits
    the "data" phase) can be retried safely; only the instant between that commit and the
    server's answer is uncertain. aiosmtplib's own `data()` sends message and dot in one write,
    so this uses its protocol object the same way `execute_data_command` does.
    """
    protocol = smtp.protocol
    if protocol is None or not hasattr(protocol, "_response_pending"):
        before_dot()  # an aiosmtplib whose insides differ: commit first, as before
        return await smtp.data(message)
    body = protocol_module.normalize_message_line_endings(message)
    body = protocol_module.PERIOD_REGEX.sub(b"..", body)
    start = await smtp.execute_command(b"DATA", timeout=timeout)
    if start.code != 354:
        raise aiosmtplib.SMTPDataError(start.code, start.message)
    checkpoint("smtp-data-accepted")  # the server waits for the message; nothing written yet
    protocol.write(body)
    try:
        before_dot()
    except BaseException:
        # No final dot: the server drops what it got. Hang up rather than QUIT, which the
        # server would read as a line of the message, then wait for the dot until timeout.
        smtp.close()
        raise
    protocol._response_pending = True  # the answer to the dot must not be dropped
    protocol.write(b".\r\n")
    response = await protocol.read_response(timeout=timeout)
    if response.code != 250:
        raise aiosmtplib.SMTPDataError(response.code, response.message)
    return response


def oauth2_token(config: SmtpConfig) -> str | None:
    """A fresh token from `oauth2_token_command`, or None when the config uses a password."""
    if not config.oauth2_token_command:
        return None
    try:
        return credentials.from_command(list(config.oauth2_token_command))
    except credentials.SecretUnavailable as exc:
        where = f"{config.host}:{config.port}"
        raise AuthenticationFailed(f"SMTP server {where}: no OAuth2 token: {exc}") from None


async def _xoauth2(smtp: aiosmtplib.SMTP, username: str, token: str) -> None:
    if smtp.last_ehlo_response is None:
        await smtp.ehlo()  # execute_command does not greet by itself, unlike login()
    blob = base64.b64encode(f"user={username}\x01auth=Bearer {token}\x01\x01".encode()).decode()
    response = await smtp.execute_command(b"AUTH", b"XOAUTH2", blob.encode())
    if response.code != 235:
        raise aiosmtplib.SMTPAuthenticationError(response.code, response.message)


async def _disconnect(smtp: aiosmtplib.SMTP, raw_socket: object) -> None:
    """QUIT, and wait until the socket is really closed (aiosmtplib does not wait for TLS)."""
    if smtp.is_connected:
        try:
            await smtp.quit()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            smtp.close()
    fileno = getattr(raw_socket, "fileno", None)
    for _ in range(200):
        if fileno is None or fileno() == -1:
            break
        await asyncio.sleep(0.01)

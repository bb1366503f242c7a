"""Delivering one message to one recipient over LMTP."""

import smtplib

from tests.harness.errors import HarnessError


class LmtpRefused(HarnessError):
    """Dovecot's LMTP server refused a recipient or the message.

    ``code`` is the LMTP reply code, so the SMTP server can map a temporary
    (4xx) refusal to a temporary SMTP error.
    """

    def __init__(self, recipient: str, code: int, reply: str) -> None:
        super().__init__(f"LMTP refused {recipient}: {code} {reply}")
        self.recipient = recipient
        self.code = code
        self.reply = reply


def deliver_over_lmtp(
    host: str, port: int, sender: str, recipient: str, raw_message: bytes
) -> None:
    """Deliver ``raw_message`` to one ``recipient`` in its own LMTP transaction.

    One recipient per transaction because ``smtplib.LMTP`` reads a single
    reply after DATA while LMTP answers once per recipient.
    """
    with smtplib.LMTP(host, port, local_hostname="localhost", timeout=10) as lmtp:
        try:
            lmtp.sendmail(sender, [recipient], raw_message)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = error.recipients[recipient]
            raise LmtpRefused(recipient, code, reply.decode(errors="replace")) from error
        except smtplib.SMTPResponseException as error:
            raw_reply = error.smtp_error
            text = raw_reply.decode(errors="replace") if isinstance(raw_reply, bytes) else raw_reply
            raise LmtpRefused(recipient, error.smtp_code, text) from error

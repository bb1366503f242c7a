"""Real mail and calendar servers that the integration tests start on loopback.

Each server lives in its own module and owns one temporary directory; pytest
fixtures in ``tests/integration/conftest.py`` start them lazily and stop them
at the end of the session.
"""

from tests.harness.certs import CertBundle, create_cert_bundle
from tests.harness.cutting_relay import Cut, CuttingRelay
from tests.harness.dovecot import DovecotServer
from tests.harness.errors import HarnessError
from tests.harness.keyword_refusing import KeywordRefusingDovecot
from tests.harness.radicale_server import RadicaleServer
from tests.harness.smtp_faults import (
    DataFault,
    DataFaultScript,
    RecipientRefusals,
    SenderRefusals,
)
from tests.harness.smtp_handler import SubmittedMessage
from tests.harness.smtp_server import SubmissionServer
from tests.harness.users import MAIL_DOMAIN, MAIL_USERS, MailUser, user_named

__all__ = [
    "MAIL_DOMAIN",
    "MAIL_USERS",
    "CertBundle",
    "Cut",
    "CuttingRelay",
    "DataFault",
    "DataFaultScript",
    "DovecotServer",
    "HarnessError",
    "KeywordRefusingDovecot",
    "MailUser",
    "RadicaleServer",
    "RecipientRefusals",
    "SenderRefusals",
    "SubmissionServer",
    "SubmittedMessage",
    "create_cert_bundle",
    "user_named",
]

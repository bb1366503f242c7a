"""A throwaway CA and a ``localhost`` server certificate, so tests verify TLS for real."""

import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme

SERVER_IDENTITIES = ("localhost", "127.0.0.1")


@dataclass(frozen=True)
class CertBundle:
    """PEM files of a test CA and the server certificate it signed.

    ``ca_pem`` is what clients trust; every server in the harness presents
    ``cert_pem`` (leaf followed by chain) with ``key_pem``.
    """

    ca_pem: Path
    cert_pem: Path
    key_pem: Path

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts only the test CA."""
        return ssl.create_default_context(cafile=str(self.ca_pem))

    def server_context(self) -> ssl.SSLContext:
        """A server context presenting the ``localhost`` certificate."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(self.cert_pem), str(self.key_pem))
        return context


def create_cert_bundle(directory: Path) -> CertBundle:
    """Generate a CA and a server certificate for localhost/127.0.0.1 into ``directory``.

    Files are world-readable: Dovecot's master reads them as root, but nothing
    here is a secret worth protecting.
    """
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA()
    leaf = ca.issue_cert(*SERVER_IDENTITIES)
    bundle = CertBundle(
        ca_pem=directory / "ca.pem",
        cert_pem=directory / "server-cert.pem",
        key_pem=directory / "server-key.pem",
    )
    ca.cert_pem.write_to_path(str(bundle.ca_pem))
    bundle.cert_pem.write_bytes(b"".join(pem.bytes() for pem in leaf.cert_chain_pems))
    leaf.private_key_pem.write_to_path(str(bundle.key_pem))
    for path in (bundle.ca_pem, bundle.cert_pem, bundle.key_pem):
        path.chmod(0o644)
    return bundle

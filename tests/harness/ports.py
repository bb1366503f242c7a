"""Free loopback ports and waiting for a server to listen on them."""

import socket
import time
from collections.abc import Callable, Iterable

LOOPBACK = "127.0.0.1"


def free_port(host: str = LOOPBACK) -> int:
    """Ask the kernel for an unused TCP port.

    Servers that take their port from a config file (Dovecot, Radicale) cannot
    bind port 0 themselves; the small race until they bind it is accepted.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def distinct_free_ports(count: int, host: str = LOOPBACK) -> list[int]:
    """Several free ports, all different (the kernel may hand out a port twice)."""
    ports: list[int] = []
    while len(ports) < count:
        port = free_port(host)
        if port not in ports:
            ports.append(port)
    return ports


def is_listening(host: str, port: int) -> bool:
    """True when a TCP connect to host:port succeeds right now."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_until_listening(
    host: str,
    ports: Iterable[int],
    timeout: float,
    still_starting: Callable[[], bool],
) -> list[int]:
    """Poll until every port accepts connections; return the ports that never did.

    ``still_starting`` returns False once the server process has died, which
    ends the wait early instead of burning the whole timeout.
    """
    pending = list(ports)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        pending = [port for port in pending if not is_listening(host, port)]
        if pending:
            if not still_starting():
                break
            time.sleep(0.02)
    return pending

"""The one exception the harness raises, so a broken server fails tests loudly."""


class HarnessError(RuntimeError):
    """A test server could not be prepared, started or stopped.

    Raised instead of skipping: a suite that silently skips its real-server
    tests would report green while proving nothing.
    """

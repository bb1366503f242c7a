"""An asyncio event loop in a thread of its own, for the harness servers written with asyncio.

Synchronous tests, and tests with their own ``asyncio.run``, can then both talk to them.
"""

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
LOOP_CALL_TIMEOUT = 10.0
Step = Callable[[], Coroutine[Any, Any, None]]


class LoopThread:
    """A loop running in a daemon thread. ``running(name, setup, teardown)`` starts one and runs
    ``setup`` on it (``teardown`` too, when setup fails); ``call(coroutine)`` runs a coroutine
    there and returns its result; ``close()`` runs ``teardown``, then ends loop and thread."""

    def __init__(self, name: str, teardown: Step) -> None:
        self.loop = asyncio.new_event_loop()
        self._teardown = teardown
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    @classmethod
    def running(cls, name: str, setup: Step, teardown: Step) -> "LoopThread":
        started = cls(name, teardown)
        started._thread.start()
        try:
            started.call(setup())
        except BaseException:
            started.close()
            raise
        return started

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout=LOOP_CALL_TIMEOUT)

    def close(self) -> None:
        try:
            self.call(self._teardown())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=LOOP_CALL_TIMEOUT)
            self.loop.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

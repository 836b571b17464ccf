"""A value computed off the request path: ``Background(compute, ttl)`` runs ``compute`` in a
thread of its own and keeps the result; ``get`` answers at once with the latest result (None
before the first one) and, when that result is older than ``ttl`` seconds, starts the next
computation, which replaces it when done. A request never waits for a computation, and at most
one runs at a time.

The web service keeps its collaborative model this way (``Services.collaborative``): fitting it
reads every listener's taste weights and takes seconds on a large database, which no request may
pay for. A computation that fails is logged and tried again after ``retry`` seconds, the last
result staying in use meanwhile.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from moodtune.errors import UsageError

__all__ = ["Background"]

log = logging.getLogger("moodtune.web")

T = TypeVar("T")


class Background(Generic[T]):
    """A value recomputed in a background thread every ``ttl`` seconds (see the module docstring)."""

    def __init__(
        self, compute: Callable[[], T], ttl: float, retry: float = 30.0, name: str = "background"
    ) -> None:
        for what, seconds in (("ttl", ttl), ("retry", retry)):
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds >= 0:
                raise UsageError(f"{what} must be a number of seconds >= 0, but got {seconds!r}")
        self._compute = compute
        self._ttl = float(ttl)
        self._retry = float(retry)
        self._name = name
        self._lock = threading.Lock()
        self._value: T | None = None
        self._due = -math.inf  # time.monotonic() when the next computation is due
        self._thread: threading.Thread | None = None
        self._closed = False

    def get(self) -> T | None:
        """The latest result, None before the first; starts the next computation when one is due
        and none is running. Never waits."""
        with self._lock:
            if not self._closed and self._thread is None and time.monotonic() >= self._due:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            return self._value

    def refresh(self) -> None:
        """Make the next computation due now: it starts at the next ``get``."""
        with self._lock:
            self._due = -math.inf

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the running computation, if any, is done; whether none runs now. For
        benchmarks, tests and shutdown: requests call ``get``."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def close(self, timeout: float = 5.0) -> None:
        """Start no more computations, and wait up to ``timeout`` seconds for the running one."""
        with self._lock:
            self._closed = True
        self.wait(timeout)

    def _run(self) -> None:
        started = time.monotonic()
        try:
            value = self._compute()
        except Exception:
            log.exception("%s failed; trying again in %.0f s", self._name, self._retry)
            with self._lock:
                self._due, self._thread = started + self._retry, None
            return
        with self._lock:
            self._value, self._due, self._thread = value, started + self._ttl, None

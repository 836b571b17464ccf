"""The health check's view of the database, answered without waiting on the work of others.

``/readyz`` (``probes``) is what a load balancer or an orchestrator polls to decide whether to send
the service traffic; it must answer in milliseconds while the service is busy, or a busy service
is taken out of rotation.
``DatabaseHealth`` pings the database on a thread of its own (not the pool that serves the
routes), at most once every ``max_age`` seconds, and answers from the latest result; a ping that
has not come back after ``stuck_after`` seconds is itself the answer (the database hangs).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from moodtune.errors import MoodtuneError, StoreError


class DatabaseHealth:
    def __init__(
        self,
        ping: Callable[[], None],
        max_age: float = 1.0,
        stuck_after: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ping = ping
        self.max_age = max_age
        self.stuck_after = stuck_after
        self._clock = clock
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="moodtune-health")
        self._probe: Future[None] | None = None
        self._probe_started = 0.0
        self._result: MoodtuneError | None = None
        self._result_at = -float("inf")

    def _start(self) -> Future[None]:
        self._probe_started = self._clock()
        probe = self._executor.submit(self._ping)
        probe.add_done_callback(self._finished)
        self._probe = probe
        return probe

    def _finished(self, probe: Future[None]) -> None:
        error = probe.exception()
        self._result = (
            error
            if isinstance(error, MoodtuneError) or error is None
            else StoreError(f"the database check failed: {type(error).__name__}: {str(error)[:200]}")
        )
        self._result_at = self._clock()

    async def check(self) -> MoodtuneError | None:
        """None when the database answered its latest ping, else why not."""
        now = self._clock()
        probe = self._probe
        if probe is None or (probe.done() and now - self._result_at > self.max_age):
            probe = self._start()
        if self._result_at == -float("inf"):  # no answer yet: the first check waits for one
            # A timeout or the ping's own error: either is read below (_finished keeps the error).
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(probe)), self.stuck_after)
        if not probe.done() and now - self._probe_started > self.stuck_after:
            return StoreError(f"the database has not answered a ping for {now - self._probe_started:.0f} s")
        if self._result_at == -float("inf"):
            return StoreError(f"the database has not answered a ping within {self.stuck_after:g} s")
        return self._result

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

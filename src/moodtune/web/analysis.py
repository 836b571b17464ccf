"""Face analysis off the event loop, with a bounded queue.

``threads`` analyzers (detector + ONNX model each; OpenCV's DNN nets are not thread-safe, so
each thread owns one) serve at most ``threads + queue`` requests at a time. A request beyond that
is refused at once with ``Overloaded`` (503, ``Retry-After``): a burst slows the service down
instead of toppling it, and a client is told quickly rather than timing out.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from moodtune.errors import Overloaded
from moodtune.vision.engine import Analyzer

T = TypeVar("T")


class AnalysisPool:
    def __init__(self, make_analyzer: Callable[[], Analyzer], threads: int, queue_size: int) -> None:
        self.threads = max(1, threads)
        self.capacity = self.threads + max(0, queue_size)
        self._analyzers: queue.SimpleQueue[Analyzer] = queue.SimpleQueue()
        for _ in range(self.threads):
            self._analyzers.put(make_analyzer())
        self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="moodtune-analyze")
        self._lock = threading.Lock()
        self.in_flight = 0
        self.rejected = 0

    def _admit(self) -> None:
        with self._lock:
            if self.in_flight >= self.capacity:
                self.rejected += 1
                raise Overloaded(
                    f"the service is analysing {self.in_flight} images already (its limit); "
                    "retry in a second",
                    retry_after=1.0,
                )
            self.in_flight += 1

    def _release(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _call(self, fn: Callable[[Analyzer], T]) -> T:
        analyzer = self._analyzers.get()
        try:
            return fn(analyzer)
        finally:
            self._analyzers.put(analyzer)

    async def run(self, fn: Callable[[Analyzer], T]) -> T:
        """``fn(analyzer)`` on a pool thread; ``Overloaded`` when the queue is full."""
        self._admit()
        try:
            return await asyncio.wrap_future(self._executor.submit(self._call, fn))
        finally:
            self._release()

    def sample(self) -> Analyzer:
        """One analyzer's metadata holder (for the model version and labels); do not run it."""
        analyzer = self._analyzers.get()
        self._analyzers.put(analyzer)
        return analyzer

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

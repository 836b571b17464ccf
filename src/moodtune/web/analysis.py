"""Face analysis off the event loop, with a bounded queue.

``threads`` workers (an ``Analyzer`` - detector + ONNX model - and a camera detector each;
OpenCV's DNN nets are not thread-safe, so each thread owns its own) serve at most
``threads + queue`` requests at a time. A request beyond that is refused at once with
``Overloaded`` (503, ``Retry-After``): a burst slows the service down instead of toppling it,
and a client is told quickly rather than timing out.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from moodtune.errors import Overloaded
from moodtune.vision.detection import FaceDetector, create_detector
from moodtune.vision.engine import Analyzer

T = TypeVar("T")


@dataclass(frozen=True)
class Worker:
    """What one analysis thread owns. ``camera`` is BlazeFace short range alone: made for faces
    near the camera (a webcam, a selfie), it reads a live frame at a fraction of the cost of
    ``auto``, which also runs full range whenever the faces are small for the frame."""

    analyzer: Analyzer
    camera: FaceDetector

    @classmethod
    def build(
        cls, detector: str = "auto", model_path: str | Path | None = None, flip_average: bool = False
    ) -> Worker:
        analyzer = Analyzer(detector=detector, model_path=model_path, threads=1, flip_average=flip_average)
        return cls(analyzer, create_detector("blazeface"))


class AnalysisPool:
    def __init__(self, make_worker: Callable[[], Worker], threads: int, queue_size: int) -> None:
        self.threads = max(1, threads)
        self.capacity = self.threads + max(0, queue_size)
        self._workers: queue.SimpleQueue[Worker] = queue.SimpleQueue()
        for _ in range(self.threads):
            self._workers.put(make_worker())
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

    def _call(self, fn: Callable[[Worker], T]) -> T:
        worker = self._workers.get()
        try:
            return fn(worker)
        finally:
            self._workers.put(worker)

    def check_room(self) -> None:
        """``Overloaded`` at once when the queue is full, holding nothing: the web route asks before
        it reads an upload, so uploads beyond the queue are refused before any of their bytes are
        held, and takes its place (``admission``) once the upload is in, so that a client that
        uploads slowly never holds a place that others' analyses need."""
        with self._lock:
            full = self.in_flight >= self.capacity
        if full:
            self._admit()  # raises Overloaded, counted

    @contextmanager
    def admission(self) -> Iterator[None]:
        """A place in the pool, held for the block: ``Overloaded`` at once when the queue is full."""
        self._admit()
        try:
            yield
        finally:
            self._release()

    async def execute(self, fn: Callable[[Worker], T]) -> T:
        """``fn(worker)`` on a pool thread, for a caller inside ``admission``."""
        return await asyncio.wrap_future(self._executor.submit(self._call, fn))

    async def run(self, fn: Callable[[Worker], T]) -> T:
        """``fn(worker)`` on a pool thread; ``Overloaded`` when the queue is full."""
        with self.admission():
            return await self.execute(fn)

    def sample(self) -> Analyzer:
        """One worker's analyzer, for its metadata (model version, labels); do not run it."""
        worker = self._workers.get()
        self._workers.put(worker)
        return worker.analyzer

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

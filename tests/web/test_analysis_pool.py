"""The bounded analysis pool: at most threads + queue at once, the rest refused at once."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from moodtune.errors import Overloaded
from moodtune.web.analysis import AnalysisPool


class SlowWorker:
    """Stands in for an analysis worker: each job takes 0.2 s."""

    def __init__(self) -> None:
        self.seen_threads: set[int] = set()


def test_a_burst_beyond_capacity_is_refused_quickly_and_the_rest_served() -> None:
    pool = AnalysisPool(SlowWorker, threads=2, queue_size=2)  # type: ignore[arg-type]

    def job(worker: Any) -> str:
        worker.seen_threads.add(threading.get_ident())
        time.sleep(0.2)
        return "done"

    async def one() -> tuple[str, float]:
        t = time.perf_counter()
        try:
            return await pool.run(job), time.perf_counter() - t
        except Overloaded as exc:
            assert exc.status == 503 and exc.retry_after >= 1
            return "refused", time.perf_counter() - t

    async def burst() -> list[tuple[str, float]]:
        return await asyncio.gather(*(one() for _ in range(10)))

    # on a thread of its own: the browser tests' Playwright keeps an event loop in the main thread
    with ThreadPoolExecutor(1) as runner:
        results = runner.submit(asyncio.run, burst()).result()
    served = [t for r, t in results if r == "done"]
    refused = [t for r, t in results if r == "refused"]
    assert len(served) == 4  # 2 running + 2 queued
    assert len(refused) == 6
    assert max(refused) < 0.05  # told at once, not after waiting
    assert max(served) == pytest.approx(0.4, abs=0.15)  # the queued pair ran after the first pair
    assert pool.in_flight == 0
    assert pool.rejected == 6
    pool.close()

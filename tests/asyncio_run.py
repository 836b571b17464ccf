"""Run a coroutine to its end from a test, whatever event loop the test's thread already runs.

Playwright's synchronous API (the browser tests) leaves an event loop running in the main thread,
where ``asyncio.run`` refuses to start another: the coroutine runs on a thread of its own instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()

"""/readyz's database check answers from its own thread at once, however busy the service is."""

from __future__ import annotations

import asyncio
import threading
import time

from moodtune.errors import StoreError
from moodtune.web.health import DatabaseHealth
from tests.asyncio_run import run as run_to_end


def test_the_first_check_waits_for_a_ping_then_checks_answer_at_once_while_the_next_ping_runs() -> None:
    calls: list[float] = []
    release = threading.Event()
    release.set()

    def ping() -> None:
        calls.append(time.monotonic())
        release.wait(5)

    health = DatabaseHealth(ping, max_age=0.0, stuck_after=2.0)

    async def run() -> list[float]:
        assert await health.check() is None  # waited for the first ping
        release.clear()  # the next ping hangs, as on a pool with every connection busy
        took = []
        for _ in range(20):
            started = time.monotonic()
            assert await health.check() is None  # the latest answer, without waiting
            took.append(time.monotonic() - started)
        for _ in range(100):  # let the hanging ping start
            if len(calls) == 2:
                break
            await asyncio.sleep(0.01)
        release.set()
        return took

    try:
        took = run_to_end(run())
    finally:
        health.close()
    assert max(took) < 0.05
    assert len(calls) == 2  # one ping at a time, never a pile of them


def test_a_failing_database_is_reported_with_its_error() -> None:
    def ping() -> None:
        raise StoreError("cannot use the database at sqlite:///x.db: unable to open database file")

    health = DatabaseHealth(ping, max_age=0.0)
    try:
        problem = run_to_end(health.check())
    finally:
        health.close()
    assert isinstance(problem, StoreError) and "unable to open" in problem.message


def test_a_ping_that_never_returns_is_itself_the_answer() -> None:
    hang = threading.Event()
    health = DatabaseHealth(lambda: hang.wait(5) and None, max_age=0.0, stuck_after=0.2)
    try:
        started = time.monotonic()
        problem = run_to_end(health.check())
        assert time.monotonic() - started < 1.0
        assert problem is not None and problem.code == "database_error" and "not answered" in problem.message
    finally:
        hang.set()
        health.close()

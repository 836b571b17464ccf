"""``Background``: a value recomputed in a thread of its own, which no caller waits for."""

from __future__ import annotations

import itertools
import logging
import threading
import time

import pytest

from moodtune.errors import UsageError
from moodtune.web.background import Background


def test_get_never_waits_and_gives_the_result_once_there() -> None:
    release = threading.Event()
    counter = itertools.count(1)

    def compute() -> int:
        release.wait(30)
        return next(counter)

    value = Background(compute, ttl=3600)
    start = time.perf_counter()
    assert value.get() is None  # the first computation runs, nobody waits for it
    assert value.get() is None  # and a second one is not started meanwhile
    assert time.perf_counter() - start < 1
    release.set()
    assert value.wait(30)
    assert value.get() == 1
    assert value.get() == 1  # not due again for an hour
    value.close()


def test_a_result_older_than_ttl_is_recomputed_while_the_old_one_serves() -> None:
    counter = itertools.count(1)
    value = Background(lambda: next(counter), ttl=0.0)
    value.get()
    value.wait(30)
    assert value.get() == 1  # due at once (ttl 0): the next computation starts, 1 still serves
    value.wait(30)
    assert value.get() == 2
    value.close()
    value.wait(30)
    assert value.get() in (2, 3)  # closed: nothing new starts
    assert value.get() == value.get()


def test_refresh_makes_the_next_computation_due_at_once() -> None:
    counter = itertools.count(1)
    value = Background(lambda: next(counter), ttl=3600)
    value.get()
    value.wait(30)
    assert value.get() == 1
    value.refresh()
    assert value.get() == 1  # starts the computation, the old result serves meanwhile
    value.wait(30)
    assert value.get() == 2
    value.close()


def test_a_failed_computation_is_logged_and_tried_again_later(caplog: pytest.LogCaptureFixture) -> None:
    calls = itertools.count()

    def compute() -> str:
        if next(calls) == 0:
            raise RuntimeError("database away")
        return "model"

    value = Background(compute, ttl=3600, retry=0.0, name="model fit")
    with caplog.at_level(logging.ERROR, logger="moodtune.web"):
        assert value.get() is None
        value.wait(30)
    assert "model fit failed" in caplog.text and "database away" in caplog.text
    assert value.get() is None  # the retry starts now
    value.wait(30)
    assert value.get() == "model"
    value.close()


@pytest.mark.parametrize(("ttl", "retry"), [(-1.0, 1.0), (1.0, float("nan")), ("soon", 1.0)])
def test_bad_intervals_are_refused(ttl: object, retry: object) -> None:
    with pytest.raises(UsageError, match="must be a number of seconds >= 0"):
        Background(lambda: 1, ttl=ttl, retry=retry)  # type: ignore[arg-type]

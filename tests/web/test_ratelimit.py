"""The per-client token bucket: bursts allowed, then the rate; clients apart; bounded memory."""

from __future__ import annotations

import pytest

from moodtune.errors import RateLimited, UsageError
from moodtune.web.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_passes_then_the_next_request_is_refused_with_the_wait() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=2, burst=4, clock=clock)
    for _ in range(4):
        limiter.check("a")
    with pytest.raises(RateLimited) as info:
        limiter.check("a")
    assert info.value.status == 429
    assert info.value.retry_after == pytest.approx(0.5)
    assert "2 per second" in info.value.message


def test_tokens_come_back_at_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=2, burst=2, clock=clock)
    limiter.check("a")
    limiter.check("a")
    clock.now = 0.5  # one token back
    limiter.check("a")
    with pytest.raises(RateLimited):
        limiter.check("a")


def test_clients_are_counted_apart() -> None:
    limiter = RateLimiter(rate=1, burst=1, clock=Clock())
    limiter.check("a")
    limiter.check("b")
    with pytest.raises(RateLimited):
        limiter.check("a")


def test_zero_means_no_limit() -> None:
    limiter = RateLimiter(rate=0, clock=Clock())
    for _ in range(1000):
        limiter.check("a")


def test_idle_clients_are_dropped_beyond_max_clients() -> None:
    limiter = RateLimiter(rate=1, burst=1, max_clients=10, clock=Clock())
    for i in range(100):
        limiter.check(f"client-{i}")
    assert len(limiter._buckets) == 10


def test_a_negative_rate_is_refused() -> None:
    with pytest.raises(UsageError, match="rate must be >= 0"):
        RateLimiter(rate=-1)

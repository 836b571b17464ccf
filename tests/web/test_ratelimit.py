"""The per-client token bucket: bursts allowed, then the rate; clients apart; bounded memory."""

from __future__ import annotations

from pathlib import Path

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


def test_an_expensive_request_takes_its_cost_in_tokens() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=10, burst=20, clock=clock)
    for _ in range(4):
        limiter.check("a", cost=5)  # 4 reports empty the burst of 20
    with pytest.raises(RateLimited) as info:
        limiter.check("a", cost=5)
    assert info.value.retry_after == pytest.approx(0.5)  # 5 tokens at 10 per second
    assert "counts 5" in info.value.message
    limiter.check("b")  # another client is untouched


def test_a_cost_above_the_burst_is_charged_as_the_burst_and_can_pass() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=1, burst=2, clock=clock)
    limiter.check("a", cost=50)
    with pytest.raises(RateLimited):
        limiter.check("a")


def test_through_the_api_a_route_costs_what_it_is_declared_to(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from moodtune.settings import Settings
    from moodtune.web.app import create_app

    settings = Settings(data_dir=tmp_path, rate_limit=2, analyze_threads=1, secret_key="k")  # burst 4
    with TestClient(create_app(settings)) as client:
        for _ in range(3):  # a lookup counts 1: three pass in a burst of 4
            assert client.get("/api/v1/songs", params={"query": "love"}).status_code == 200
    with TestClient(create_app(settings)) as client:
        first = client.post("/api/v1/videos/dQw4w9WgXcQ/unplayable", json={"code": 150})
        assert first.status_code != 429  # counted 5, charged as the whole burst of 4
        r = client.post("/api/v1/videos/dQw4w9WgXcQ/unplayable", json={"code": 150})
        assert r.status_code == 429  # nothing left for 2 s
        assert "counts 5" in r.json()["error"]["message"] and r.headers["retry-after"]

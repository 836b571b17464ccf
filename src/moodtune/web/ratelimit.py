"""A per-client token bucket: ``rate`` requests per second, bursts of ``burst``; a request may
cost more than one token (an expensive route), so a client's share of the service is counted in
work, not in requests.

Plain logic with an injectable clock (tested without sleeping). Buckets live in memory, so the
limit is counted per server process; idle buckets are dropped so memory stays bounded however
many clients come and go.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from moodtune.errors import RateLimited, UsageError


class RateLimiter:
    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        max_clients: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate < 0:
            raise UsageError(f"rate must be >= 0 requests per second (0: no limit), but got {rate!r}")
        self.rate = float(rate)
        self.burst = float(burst if burst is not None else max(1.0, 2 * rate))
        self.max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def check(self, key: str, cost: float = 1.0) -> None:
        """Take ``cost`` tokens for ``key`` or raise ``RateLimited`` with the seconds until there
        are enough (a cost above the burst is charged as the whole burst)."""
        if not self.enabled:
            return
        charge = min(max(cost, 0.0), self.burst)
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            if tokens < charge:
                self._buckets[key] = (tokens, now)
                wait = (charge - tokens) / self.rate
                raise RateLimited(
                    f"too many requests from this client (the limit is {self.rate:g} per second, "
                    f"this kind of request counts {cost:g}); retry in {wait:.1f} s",
                    retry_after=wait,
                )
            self._buckets[key] = (tokens - charge, now)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)

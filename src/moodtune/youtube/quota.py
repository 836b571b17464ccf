"""The YouTube Data API's daily quota, counted by moodtune so that it stops before Google does.

Every project gets 10,000 units a day by default; each request costs a fixed number of units
whatever it returns ("even invalid requests incur a quota cost of at least one point"), and the
count resets at midnight Pacific Time (https://developers.google.com/youtube/v3/determine_quota_cost).
``COSTS`` holds the costs of the methods moodtune calls: one ``search.list`` costs as much as 100
``videos.list`` calls, so the defaults allow about 100 searches a day.

``Quota`` keeps the count per Pacific day in the database (``QuotaBook``, implemented by
``moodtune.store.Store``), split into buckets (``resolve``: the CLI, ``live``: the web service's
searches for a replacement video, ``playlists``: saving playlists), so every process and a second
run the same day see what is left. When Google answers ``quotaExceeded`` anyway (the project's key
is shared, or the count was lost), the day is marked exhausted and nothing is asked until it ends.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from moodtune.youtube.errors import YouTubeQuotaExceeded

COSTS: dict[str, int] = {
    "search.list": 100,
    "videos.list": 1,
    "playlists.insert": 50,
    "playlistItems.insert": 50,
}
"""Units per request (https://developers.google.com/youtube/v3/determine_quota_cost)."""

DEFAULT_DAILY_QUOTA = 10_000
BUCKETS: tuple[str, ...] = ("resolve", "live", "playlists")

try:
    PACIFIC: dt.tzinfo = ZoneInfo("America/Los_Angeles")
except ZoneInfoNotFoundError:  # no tz database: standard time all year (resets an hour late in summer)
    PACIFIC = dt.timezone(dt.timedelta(hours=-8), "PST")


def quota_day(now: float) -> str:
    """The Pacific date (``YYYY-MM-DD``) whose quota a request at ``now`` (epoch seconds) spends."""
    return dt.datetime.fromtimestamp(now, PACIFIC).date().isoformat()


def seconds_to_reset(now: float) -> float:
    """Seconds from ``now`` until the next midnight Pacific Time, when the quota resets."""
    local = dt.datetime.fromtimestamp(now, PACIFIC)
    midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), PACIFIC)
    return max(0.0, midnight.timestamp() - now)


class QuotaBook(Protocol):
    """Where the count is kept (``moodtune.store.Store`` implements it; ``MemoryQuotaBook`` too)."""

    def quota_units(self, day: str) -> dict[str, int]: ...

    def add_quota(self, day: str, bucket: str, units: int) -> None: ...

    def quota_exhausted(self, day: str) -> bool: ...

    def set_quota_exhausted(self, day: str) -> None: ...


class MemoryQuotaBook:
    """A ``QuotaBook`` in memory: for one process that needs no persistence (tests, benchmarks)."""

    def __init__(self) -> None:
        self._units: dict[tuple[str, str], int] = {}
        self._exhausted: set[str] = set()
        self._lock = threading.Lock()

    def quota_units(self, day: str) -> dict[str, int]:
        return {b: n for (d, b), n in self._units.items() if d == day}

    def add_quota(self, day: str, bucket: str, units: int) -> None:
        with self._lock:
            self._units[day, bucket] = self._units.get((day, bucket), 0) + units

    def quota_exhausted(self, day: str) -> bool:
        return day in self._exhausted

    def set_quota_exhausted(self, day: str) -> None:
        self._exhausted.add(day)


class Quota:
    """The day's count against ``limit`` (see the module docstring). ``caps`` limits a bucket's own
    share of the day (the web service's live searches must leave most of it to ``resolve``)."""

    def __init__(
        self,
        limit: int = DEFAULT_DAILY_QUOTA,
        book: QuotaBook | None = None,
        *,
        caps: dict[str, int] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if limit < 0:
            raise ValueError(f"the daily quota must be >= 0 units, but got {limit}")
        self.limit = limit
        self.book: QuotaBook = book if book is not None else MemoryQuotaBook()
        self.caps = dict(caps or {})
        self.clock = clock

    def day(self) -> str:
        return quota_day(self.clock())

    def spent(self, bucket: str | None = None) -> int:
        """Units spent today, in all buckets or in one."""
        units = self.book.quota_units(self.day())
        return sum(units.values()) if bucket is None else units.get(bucket, 0)

    def left(self, bucket: str | None = None) -> int:
        """Units that may still be spent today (in ``bucket``: also within its cap)."""
        day = self.day()
        if self.book.quota_exhausted(day):
            return 0
        units = self.book.quota_units(day)
        left = self.limit - sum(units.values())
        if bucket is not None and bucket in self.caps:
            left = min(left, self.caps[bucket] - units.get(bucket, 0))
        return max(0, left)

    def allows(self, method: str, bucket: str, times: int = 1) -> bool:
        return self.left(bucket) >= COSTS[method] * times

    def reserve(self, method: str, bucket: str) -> None:
        """Raise ``YouTubeQuotaExceeded`` unless one ``method`` request fits in what is left."""
        if not self.allows(method, bucket):
            raise YouTubeQuotaExceeded(self.exceeded_message(method, bucket))

    def charge(self, method: str, bucket: str) -> None:
        self.book.add_quota(self.day(), bucket, COSTS[method])

    def exhaust(self) -> None:
        """Google said ``quotaExceeded``: nothing more today."""
        self.book.set_quota_exhausted(self.day())

    def exceeded_message(self, method: str, bucket: str) -> str:
        hours = seconds_to_reset(self.clock()) / 3600
        capped = bucket in self.caps and self.left() >= COSTS[method]
        google = "; Google says it is exhausted" if self.book.quota_exhausted(self.day()) else ""
        what = (
            f"the {bucket!r} share of today's YouTube quota ({self.caps.get(bucket)} units) is spent"
            if capped
            else f"today's YouTube Data API quota is spent ({self.spent()} of {self.limit} units by "
            f"moodtune's count{google})"
        )
        return (
            f"{what}: a {method} request costs {COSTS[method]} units. It resets at midnight Pacific Time "
            f"(in {hours:.1f} h); run again then, or ask Google for more quota and raise "
            "MOODTUNE_YOUTUBE_DAILY_QUOTA"
        )

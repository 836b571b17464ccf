"""The Data API client against the fake: the request shapes, batches of 50, the quota counted and
kept across runs, retries with backoff, and one clear error for each way Google says no."""

from __future__ import annotations

import socket
import time

import pytest

from moodtune.store import Store
from moodtune.youtube.api import NO_RETRY, Retry, Video, YouTubeClient, parse_duration
from moodtune.youtube.errors import (
    YouTubeKeyInvalid,
    YouTubeNotConfigured,
    YouTubeQuotaExceeded,
    YouTubeUnavailable,
)
from moodtune.youtube.quota import Quota, quota_day, seconds_to_reset
from tests.youtube.fake import API_KEY, FakeGoogle
from tests.youtube.world import World


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT3M45S", 225),
        ("PT45S", 45),
        ("PT4M", 240),
        ("PT1H2S", 3602),
        ("PT1H2M3S", 3723),
        ("P1DT2M", 86520),
        ("P0D", 0),  # a live stream
        ("PT3M45.5S", 226),  # fractions round
    ],
)
def test_iso_8601_durations_are_read_as_youtube_writes_them(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "3:45", "PT", "P", "PT3X", "T3M", "PT3M45"])
def test_a_malformed_duration_says_what_was_expected(text: str) -> None:
    with pytest.raises(ValueError, match="PT3M45S"):
        parse_duration(text)


def test_search_asks_for_embeddable_music_videos_and_unescapes_titles(
    client: YouTubeClient, google: FakeGoogle, world: World
) -> None:
    escaped = next(v for v in world.videos.values() if "'" in v.title and v.kind == "official")
    hits = client.search(escaped.title, max_results=10)
    assert escaped.id in [h.video_id for h in hits]
    assert next(h for h in hits if h.video_id == escaped.id).title == escaped.title  # &#x27; undone
    (params,) = google.calls("search.list")
    assert params["part"] == "snippet"
    assert params["type"] == "video"
    assert params["videoEmbeddable"] == "true"
    assert params["videoCategoryId"] == "10"
    assert params["maxResults"] == "10"
    assert params["key"] == API_KEY


def test_videos_are_asked_50_ids_a_call_and_missing_ones_are_gone(
    client: YouTubeClient, google: FakeGoogle, world: World
) -> None:
    ids = sorted(world.videos)[:120]
    found = client.videos(ids)
    calls = google.calls("videos.list")
    assert [len(c["id"].split(",")) for c in calls] == [50, 50, 20]
    assert all(c["part"] == "status,contentDetails,snippet" for c in calls)
    gone = {i for i in ids if world.videos[i].deleted or world.videos[i].privacy == "private"}
    assert set(found) == set(ids) - gone
    some = found[next(iter(found))]
    assert isinstance(some, Video) and some.duration_s == world.videos[some.id].duration_s


def test_a_video_reads_every_field_the_resolver_judges(world: World) -> None:
    restricted = next(v for v in world.videos.values() if v.age_restricted)
    video = Video.from_api(restricted.resource())
    assert video.age_restricted and video.embeddable and video.privacy == "public"
    blocked = next(v for v in world.videos.values() if not v.embeddable and not v.deleted)
    assert Video.from_api(blocked.resource()).embeddable is False
    item = blocked.resource()
    item["contentDetails"]["regionRestriction"] = {"blocked": ["KR", "JP"]}
    assert Video.from_api(item).region_blocked == {"KR", "JP"}
    assert Video.from_dict(Video.from_api(item).to_dict()) == Video.from_api(item)


def test_every_request_is_counted_at_its_documented_cost(
    client: YouTubeClient, google: FakeGoogle, world: World, store: Store
) -> None:
    client.search("BTS Spring Day")
    client.videos(sorted(world.videos)[:60])
    assert client.units_spent == 100 + 2 == google.quota_used
    assert store.quota_units(quota_day(time.time())) == {"resolve": 102}


def test_the_count_is_kept_so_a_second_run_the_same_day_knows_what_is_left(
    google: FakeGoogle, store: Store
) -> None:
    with YouTubeClient(API_KEY, quota=Quota(250, store), base=google.api_base) as first:
        first.search("first run")
        first.search("first run again")
    with YouTubeClient(API_KEY, quota=Quota(250, store), base=google.api_base) as second:
        assert second.quota.left() == 50
        with pytest.raises(YouTubeQuotaExceeded, match=r"search\.list request costs 100 units"):
            second.search("no units for this")
    assert len(google.calls("search.list")) == 2  # the third was never sent


def test_quota_exceeded_from_google_stops_at_once_and_for_the_rest_of_the_day(
    client: YouTubeClient, google: FakeGoogle, store: Store, sleeps: list[float]
) -> None:
    google.quota_limit = 150  # Google's count is lower than moodtune's (another app shares the key)
    client.search("one")
    with pytest.raises(YouTubeQuotaExceeded, match="midnight Pacific Time") as raised:
        client.search("two")
    assert "quotaExceeded" in raised.value.reasons
    assert sleeps == []  # not retried
    assert Quota(10_000, store).left() == 0  # a new process the same day asks nothing
    with pytest.raises(YouTubeQuotaExceeded):
        client.videos(["dQw4w9WgXcQ"])
    assert len(google.requests) == 2


def test_the_quota_resets_at_midnight_pacific_time() -> None:
    # 2026-12-02 07:59:59 UTC is 23:59:59 on the 1st in Los Angeles (PST, UTC-8).
    before = 1_796_198_399.0
    assert quota_day(before) == "2026-12-01"
    assert quota_day(before + 1) == "2026-12-02"
    assert seconds_to_reset(before) == pytest.approx(1.0)


def test_5xx_bursts_are_retried_with_exponential_backoff(
    client: YouTubeClient, google: FakeGoogle, sleeps: list[float]
) -> None:
    google.fail_next(3, status=503)
    assert client.search("BTS") is not None
    assert sleeps == [0.5, 1.0, 2.0]  # base * 2**n (the jitter source returned its maximum)
    assert len(google.calls("search.list")) == 4


def test_backoff_is_capped_and_jittered() -> None:
    retry = Retry(tries=10, base=0.5, cap=8.0)
    assert [retry.delay(n, None, lambda: 1.0) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert [retry.delay(n, None, lambda: 0.0) for n in range(3)] == [0.25, 0.5, 1.0]  # half is random
    assert retry.delay(0, 30.0, lambda: 1.0) == 8.0  # Retry-After, capped


def test_a_429_or_rate_limit_is_retried_but_too_many_failures_are_one_clear_error(
    client: YouTubeClient, google: FakeGoogle, sleeps: list[float]
) -> None:
    google.fail_next(1, status=429, reason="rateLimitExceeded")
    google.fail_next(1, status=403, reason="userRateLimitExceeded")
    client.search("ok after two")
    assert len(sleeps) == 2
    google.fail_next(10, status=500)
    with pytest.raises(YouTubeUnavailable, match=r"failed 4 time\(s\).*500.*try again later"):
        client.search("never")


@pytest.mark.parametrize(
    ("key", "disabled", "error", "words"),
    [
        (
            "not-the-key",
            False,
            YouTubeKeyInvalid,
            "MOODTUNE_YOUTUBE_API_KEY.*API key not valid",
        ),  # keyInvalid
        (API_KEY, True, YouTubeKeyInvalid, "enable the YouTube Data API v3"),  # accessNotConfigured
        (None, False, YouTubeNotConfigured, "set MOODTUNE_YOUTUBE_API_KEY"),  # no key: nothing sent
    ],
)
def test_a_bad_or_missing_key_is_one_error_that_says_what_to_do(
    google: FakeGoogle, store: Store, key: str | None, disabled: bool, error: type, words: str
) -> None:
    google.api_disabled = disabled
    quota = Quota(10_000, store)
    with (
        YouTubeClient(key, quota=quota, base=google.api_base, sleep=lambda s: None) as c,
        pytest.raises(error, match=words),
    ):
        c.search("anything")
    assert len(google.requests) == (0 if key is None else 1)  # never retried


def test_an_unreachable_server_is_youtube_unavailable_and_costs_nothing(store: Store) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    quota = Quota(10_000, store)
    with (
        YouTubeClient(API_KEY, quota=quota, base=f"http://127.0.0.1:{port}", retry=NO_RETRY) as c,
        pytest.raises(YouTubeUnavailable, match="cannot connect"),
    ):
        c.search("x")
    assert quota.spent() == 0


def test_a_slow_server_times_out_quickly(google: FakeGoogle, store: Store) -> None:
    google.delay_s = 0.5
    with (
        YouTubeClient(
            API_KEY, quota=Quota(10_000, store), base=google.api_base, timeout=0.1, retry=NO_RETRY
        ) as c,
        pytest.raises(YouTubeUnavailable, match="Timeout"),
    ):
        c.search("slow")


def test_a_request_given_up_on_is_charged_and_does_not_leak_into_the_next_test(
    google: FakeGoogle, store: Store
) -> None:
    google.delay_s = 0.3
    quota = Quota(10_000, store)
    with (
        YouTubeClient(API_KEY, quota=quota, base=google.api_base, timeout=0.05, retry=NO_RETRY) as c,
        pytest.raises(YouTubeUnavailable, match="Timeout"),
    ):
        c.search("slow")
    assert quota.spent() == 100  # it reached Google, which charges it when it answers
    google.reset()  # what the fixture does before the next test: waits for that answer first
    time.sleep(0.4)  # past the delay: nothing of this test is charged after the reset
    assert google.quota_used == 0 and google.requests == []

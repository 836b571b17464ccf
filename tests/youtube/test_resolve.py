"""The resolver against the fake world: right videos with their reasons, nothing cached asked
twice, a clean and resumable stop when the quota runs out, and re-checks that mark dead videos
and bring working ones back."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from moodtune.music.catalog import Catalog, Song
from moodtune.store import Store, VideoCheck
from moodtune.youtube.api import Retry, YouTubeClient
from moodtune.youtube.match import search_query
from moodtune.youtube.quota import Quota
from moodtune.youtube.resolve import DAY, Resolver
from moodtune.youtube.service import YouTube
from tests.youtube.conftest import fake_settings
from tests.youtube.fake import API_KEY, FakeGoogle
from tests.youtube.world import FakeVideo, World, video_id


@dataclass
class Clock:
    now: float = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Bars:
    started: dict[str, int] = field(default_factory=dict)
    done: dict[str, int] = field(default_factory=dict)

    def start(self, phase: str, total: int) -> None:
        self.started[phase] = total

    def advance(self, phase: str, done: int) -> None:
        self.done[phase] = self.done.get(phase, 0) + done


def songs_of(world: World, *scenarios: str, n: int = 4, with_ids: bool = False) -> list[Song]:
    return [s for s in world.songs if world.scenario[s.id] in scenarios and bool(s.youtube_id) == with_ids][
        :n
    ]


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_resolver(google: FakeGoogle, store: Store, clock: Clock, limit: int = 10_000) -> Resolver:
    quota = Quota(limit, store, clock=clock)
    client = YouTubeClient(API_KEY, quota=quota, base=google.api_base, retry=Retry(tries=2, base=0.001))
    return Resolver(client, store, clock=clock)


@pytest.fixture
def resolver(google: FakeGoogle, store: Store, clock: Clock) -> Iterator[Resolver]:
    r = make_resolver(google, store, clock)
    yield r
    r.client.close()


def test_songs_get_their_right_video_with_the_reason_recorded(
    resolver: Resolver, world: World, store: Store
) -> None:
    songs = songs_of(world, "full", "topic_only", "official_only", n=9)
    summary = resolver.run(Catalog(songs))
    assert summary.songs_searched == summary.songs_resolved == 9
    resolutions = store.resolutions()
    for song in songs:
        found = resolutions[song.id]
        assert found.status == "confirmed"
        assert found.youtube_id in world.acceptable(song.id), found.reason
        assert "title match" in found.reason and "duration" in found.reason
        assert found.details is not None and found.details["query"] and found.details["candidates"]
    assert set(store.confirmed_videos()) == {s.id for s in songs}
    # 9 searches and, for 10 candidates a song, one videos.list per 5 songs
    assert summary.quota_spent == 9 * 100 + 2


def test_songs_without_a_right_video_get_no_match_and_no_decoy(
    resolver: Resolver, world: World, store: Store
) -> None:
    songs = songs_of(world, "blocked", "restricted", "deleted", "none", "decoys_only", n=20)
    songs = [s for s in songs if not world.acceptable(s.id)]
    summary = resolver.run(Catalog(songs))
    assert summary.songs_no_match == len(songs) and summary.songs_resolved == 0
    assert all(r.status == "no_match" for r in store.resolutions().values())
    assert store.confirmed_videos() == {}


def test_nothing_cached_and_fresh_is_asked_again(
    resolver: Resolver, world: World, google: FakeGoogle, clock: Clock
) -> None:
    found = songs_of(world, "full", n=3)
    missing = songs_of(world, "decoys_only", n=2)
    catalog = Catalog(found + missing)
    resolver.run(catalog)
    google.requests.clear()
    again = resolver.run(catalog)
    assert google.requests == [] and again.songs_searched == 0 and again.quota_spent == 0
    clock.now += 8 * DAY  # a no_match is fresh for 7 days, a confirmation for 30
    later = resolver.run(catalog)
    assert later.songs_searched == 2
    assert sorted(c["q"] for c in google.calls("search.list")) == sorted(search_query(s) for s in missing)


def test_a_stale_confirmation_is_re_checked_not_searched_again(
    resolver: Resolver, world: World, google: FakeGoogle, clock: Clock, store: Store
) -> None:
    songs = songs_of(world, "full", n=3)
    resolver.run(Catalog(songs))
    clock.now += 31 * DAY
    google.requests.clear()
    summary = resolver.run(Catalog(songs), recheck=True)
    assert google.calls("search.list") == []
    (call,) = google.calls("videos.list")
    assert set(call["id"].split(",")) == {store.resolutions()[s.id].youtube_id for s in songs}
    assert summary.videos_confirmed == 3


def test_a_video_reported_unplayable_is_replaced_and_refused_candidates_are_not_asked_again(
    resolver: Resolver, world: World, google: FakeGoogle, store: Store
) -> None:
    song = songs_of(world, "full", n=1)[0]
    resolver.run(Catalog([song]))
    first = store.resolutions()[song.id].youtube_id
    assert first is not None
    store.mark_video(first, 150, song.id)  # the page's player could not play it
    google.requests.clear()
    summary = resolver.run(Catalog([song]))
    assert summary.songs_resolved == 1
    second = store.resolutions()[song.id].youtube_id
    assert second != first and second in world.acceptable(song.id)
    assert google.calls("videos.list") == []  # every candidate's answer was cached by the first run
    assert len(google.calls("search.list")) == 1


def test_when_the_quota_runs_out_the_run_stops_cleanly_and_the_next_day_resumes(
    google: FakeGoogle, world: World, store: Store, clock: Clock
) -> None:
    songs = songs_of(world, "full", "topic_only", n=6)
    catalog = Catalog(songs)
    today = make_resolver(google, store, clock, limit=350)
    summary = today.run(catalog)
    today.client.close()
    assert summary.stopped_on_quota and "midnight Pacific Time" in (summary.stop_reason or "")
    assert summary.songs_searched == 3 and summary.quota_spent == 301 and summary.quota_left == 49
    assert summary.songs_left == 3 and summary.resume is not None
    assert "run `moodtune youtube resolve` again after midnight Pacific Time" in summary.resume
    assert len(store.resolutions()) == 3  # kept

    again = make_resolver(google, store, clock, limit=350)  # the same day, another process
    assert again.run(catalog).songs_searched == 0  # it knows the day's quota is spent
    again.client.close()

    clock.now += DAY
    tomorrow = make_resolver(google, store, clock, limit=350)
    summary = tomorrow.run(catalog)
    tomorrow.client.close()
    assert summary.songs_searched == 3 and not summary.songs_left
    queries = [c["q"] for c in google.calls("search.list")]
    assert len(queries) == len(set(queries)) == 6  # nobody searched twice


def test_google_saying_quota_exceeded_stops_the_run_and_the_day(
    resolver: Resolver, world: World, google: FakeGoogle, store: Store
) -> None:
    google.quota_limit = 250  # another app spent the rest of the project's quota
    summary = resolver.run(Catalog(songs_of(world, "full", n=4)))
    assert summary.stopped_on_quota and "Google says" in (summary.stop_reason or "")
    assert resolver.client.quota.left() == 0
    # The two songs searched could not be confirmed (videos.list is refused too): not cached as
    # no_match, but their searches are kept for the next day to check.
    assert [r.status for r in store.resolutions().values()] == ["searched", "searched"]
    assert summary.songs_searched == 0 and summary.searches_pending == 2


def test_recheck_marks_dead_catalog_ids_and_brings_back_working_ones(
    resolver: Resolver, world: World, google: FakeGoogle, store: Store, clock: Clock
) -> None:
    songs = [s for s in world.songs if s.youtube_id]
    valid = [
        s.youtube_id
        for s in songs
        if world.videos[s.youtube_id].embeddable and not world.videos[s.youtube_id].deleted
    ]
    deleted = [s.youtube_id for s in songs if world.videos[s.youtube_id].deleted]
    blocked = [s.youtube_id for s in songs if not world.videos[s.youtube_id].embeddable]
    assert valid and deleted and blocked
    store.mark_video(
        valid[0], 150, at=clock.now - 60
    )  # a player said it would not play; YouTube says it does now
    bars = Bars()
    summary = resolver.run(Catalog(songs), recheck=True, limit=0, progress=bars)

    # every video the catalog knows: each song's own and the other uploads in its other_ids
    known = {s.youtube_id for s in songs} | {
        o.removeprefix("youtube:") for s in songs for o in s.other_ids if o.startswith("youtube:")
    }
    assert summary.videos_checked == len(known) and summary.marks_cleared == 1
    assert store.video_mark(valid[0]).status == "playable"  # type: ignore[union-attr]
    assert valid[0] not in store.unplayable_videos()
    for video in deleted:
        assert store.video_mark(video).code == 100  # type: ignore[union-attr]
    for video in blocked:
        mark = store.video_mark(video)
        assert mark is not None and mark.code == 150 and mark.status == "unplayable"
    assert store.video_checks(deleted)[deleted[0]].reason.startswith("not found")
    calls = google.calls("videos.list")
    assert len(calls) == math.ceil(len(known) / 50) and all(len(c["id"].split(",")) <= 50 for c in calls)
    assert bars.started == {"recheck": len(known), "resolve": 0} and bars.done == {"recheck": len(known)}

    google.requests.clear()
    resolver.run(Catalog(songs), recheck=True, limit=0)
    assert google.requests == []  # every check is fresh
    store.mark_video(valid[1], 101, at=clock.now + 60)  # reported after its check: asked again
    resolver.run(Catalog(songs), recheck=True, limit=0)
    (call,) = google.calls("videos.list")
    assert call["id"] == valid[1]


def test_songs_whose_catalog_video_died_are_searched_after_the_recheck(
    resolver: Resolver, world: World, store: Store
) -> None:
    # Songs that YouTube has good uploads of, whose catalog video has since been deleted.
    alive = [s for s in world.songs if world.scenario[s.id] in ("full", "topic_only")][:3]
    assert alive, "the fake world always has songs with good uploads"
    dead: list[Song] = []
    added: list[str] = []
    try:
        for song in alive:
            gone = video_id(song.id, "catalog-deleted")
            world.videos[gone] = FakeVideo(
                id=gone,
                title=f"{song.artist} - {song.title} MV",
                channel_title=song.artist,
                duration_s=200,
                song_id=song.id,
                kind="catalog",
                deleted=True,
            )
            added.append(gone)
            dead.append(replace(song, youtube_id=gone))
        summary = resolver.run(Catalog(dead), recheck=True)
    finally:
        for gone in added:
            world.videos.pop(gone, None)
    assert summary.videos_marked == len(dead)  # each dead catalog video found and marked
    assert summary.songs_resolved == len(dead)
    assert all(store.resolutions()[s.id].youtube_id in world.acceptable(s.id) for s in dead)


def test_the_plan_searches_the_most_popular_songs_first_and_honours_limit(
    resolver: Resolver, world: World
) -> None:
    songs = [s for s in world.songs if not s.youtube_id][:30]
    plan = resolver.plan(Catalog(songs), limit=5)
    assert plan.needing == 30 and len(plan.songs) == 5
    popularity = [s.popularity or 0 for s in plan.songs]
    assert popularity == sorted(popularity, reverse=True)
    assert min(popularity) >= max((s.popularity or 0) for s in songs if s not in plan.songs)


def test_a_catalog_id_found_unplayable_by_a_search_is_marked_by_the_next_recheck(
    resolver: Resolver, world: World, google: FakeGoogle, store: Store, clock: Clock
) -> None:
    songs = [s for s in world.songs if s.youtube_id]
    blocked = next(s.youtube_id for s in songs if not world.videos[s.youtube_id].embeddable)
    fine = next(s.youtube_id for s in songs if world.videos[s.youtube_id].embeddable)
    assert blocked and fine
    # what a search's candidates leave in the cache: no song, no mark
    store.save_video_checks(
        [
            VideoCheck(blocked, None, "unplayable", "the owner does not allow embedding", clock.now),
            VideoCheck(fine, None, "playable", "plays embedded; chosen for no song", clock.now),
        ]
    )
    plan = resolver.plan(Catalog(songs), recheck=True)
    assert blocked in plan.recheck and fine not in plan.recheck
    resolver.run(Catalog(songs), recheck=True, limit=0)
    assert store.video_mark(blocked) is not None and blocked in store.unplayable_videos()


def outcomes(store: Store) -> dict[str, tuple[str, str | None]]:
    return {song: (r.status, r.youtube_id) for song, r in store.resolutions().items()}


def test_searches_made_before_google_says_quota_exceeded_are_kept_and_not_made_again(
    google: FakeGoogle, world: World, store: Store, clock: Clock, tmp_path: Path
) -> None:
    songs = songs_of(world, "full", "topic_only", "decoys_only", n=7)
    catalog = Catalog(songs)
    google.quota_limit = 250  # two searches, then quotaExceeded in the middle of the first chunk
    today = make_resolver(google, store, clock)
    summary = today.run(catalog)
    today.client.close()
    assert summary.stopped_on_quota and summary.songs_searched == 0 and summary.songs_left == 7
    paid = [c["q"] for c in google.calls("search.list")][:2]  # the third was refused
    kept = store.resolutions()
    assert len(kept) == 2 and all(r.status == "searched" for r in kept.values())
    assert sorted(r.details["query"] for r in kept.values() if r.details) == sorted(paid)
    assert all(r.details and r.details["candidate_ids"] for r in kept.values())
    assert summary.searches_pending == 2 and "2 of them" in (summary.resume or "")

    clock.now += DAY  # the quota is back
    google.quota_limit, google.quota_used = 10_000, 0
    google.requests.clear()
    tomorrow = make_resolver(google, store, clock)
    summary = tomorrow.run(catalog)
    tomorrow.client.close()
    assert summary.songs_searched == 7 and summary.songs_left == 0 and summary.searches_reused == 2
    queries = [c["q"] for c in google.calls("search.list")]
    assert len(queries) == 5 and not set(queries) & set(paid)  # the 2 kept searches are not made again
    kept_ids = {v for r in kept.values() if r.details for v in r.details["candidate_ids"]}
    assert kept_ids <= set(google.calls("videos.list")[0]["id"].split(","))  # checked in the first chunk
    assert summary.quota_spent == 5 * 100 + 2  # two videos.list: 7 songs, 5 a call

    # the same resolutions as a run the quota never stopped
    google.quota_used = 0
    with Store(f"sqlite:///{tmp_path / 'straight.db'}") as straight_store:
        straight = make_resolver(google, straight_store, clock)
        straight.run(catalog)
        straight.client.close()
        assert outcomes(store) == outcomes(straight_store)
    assert {s for s, (status, _) in outcomes(store).items() if status == "confirmed"}


def test_a_live_search_whose_check_google_refused_is_kept_and_only_checked_next_time(
    google: FakeGoogle, world: World, store: Store, clock: Clock, tmp_path: Path
) -> None:
    youtube = YouTube(fake_settings(google, tmp_path), store, clock=clock)
    song = songs_of(world, "full", n=1)[0]
    try:
        google.quota_limit = 100  # the search, then quotaExceeded for its videos.list
        assert youtube.find_live(song, ()) is None
        kept = store.resolutions()[song.id]
        assert kept.status == "searched" and kept.details and kept.details["query"] == search_query(song)

        clock.now += DAY  # the quota is back
        google.quota_limit, google.quota_used = 10_000, 0
        google.requests.clear()
        # The live share has too little left for a search, enough for the kept search's check.
        youtube.quota.book.add_quota(youtube.quota.day(), "live", 1_950)
        found = youtube.find_live(song, ())
    finally:
        youtube.close()
    assert found is not None and found.youtube_id in world.acceptable(song.id)
    assert [method for method, _ in google.requests] == ["videos.list"]
    assert store.resolutions()[song.id].status == "confirmed"

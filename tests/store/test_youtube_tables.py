"""The store's YouTube tables on each backend: the cache of the Data API's answers, the daily quota
count shared by processes, listeners' encrypted tokens (forgotten with the listener), and clearing
an unplayable mark."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from moodtune.store import Resolution, Store, VideoCheck
from moodtune.store.validation import InvalidStoreInput, InvalidVideoMark
from tests.store.builders import sql

VIDEO, OTHER, THIRD = "dQw4w9WgXcQ", "xEeFrLSkMm8", "AAAAAAAAAAA"


def test_video_checks_are_kept_and_replaced(store: Store) -> None:
    store.save_video_checks(
        [
            VideoCheck(VIDEO, "s_1", "confirmed", "topic channel", 10.0, {"video": {"title": "봄날"}}),
            VideoCheck(OTHER, None, "unplayable", "the owner does not allow embedding", 11.0),
        ]
    )
    store.save_video_checks([VideoCheck(VIDEO, "s_1", "unplayable", "not found", 20.0)])
    checks = store.video_checks()
    assert checks[VIDEO].status == "unplayable" and checks[VIDEO].checked_at == 20.0
    assert checks[VIDEO].details is None
    assert store.video_checks([OTHER]) == {OTHER: checks[OTHER]}
    assert store.video_checks([]) == {}


def test_a_resolution_and_its_video_are_saved_together(store: Store) -> None:
    details = {"query": "BTS Spring Day", "candidates": [{"youtube_id": VIDEO, "accepted": True}]}
    store.save_resolution(
        Resolution("s_1", "confirmed", VIDEO, "topic channel, title match 1.00", 0.99, 5.0, details),
        VideoCheck(VIDEO, "s_1", "confirmed", "topic channel", 5.0),
    )
    store.save_resolution(Resolution("s_2", "no_match", None, "no candidate accepted", None, 6.0))
    found = store.resolutions()
    assert found["s_1"].details == details and found["s_2"].status == "no_match"
    assert store.resolutions(["s_2"]) == {"s_2": found["s_2"]}
    assert store.confirmed_videos() == {"s_1": (VIDEO,)}


def test_a_search_is_kept_until_its_candidates_are_judged(store: Store) -> None:
    searched = {"query": "BTS Spring Day", "candidate_ids": [VIDEO, OTHER]}
    store.save_resolution(Resolution("s_1", "searched", None, "not checked yet", None, 5.0, searched))
    store.save_resolution(Resolution("s_2", "no_match", None, "no candidate accepted", None, 6.0))
    assert list(store.resolutions(status="searched")) == ["s_1"]
    assert store.resolutions(status="searched")["s_1"].details == searched
    assert store.confirmed_videos() == {}
    store.save_resolution(
        Resolution("s_1", "confirmed", VIDEO, "topic channel", 0.99, 7.0),
        VideoCheck(VIDEO, "s_1", "confirmed", "topic channel", 7.0),
    )
    assert store.resolutions(status="searched") == {}
    with pytest.raises(InvalidStoreInput, match="status must be one of confirmed, no_match, searched"):
        store.resolutions(status="pending")


def test_confirmed_videos_list_the_chosen_one_first_then_the_newest(store: Store) -> None:
    store.save_video_checks(
        [
            VideoCheck(OTHER, "s_1", "confirmed", "re-checked", 30.0),
            VideoCheck(THIRD, "s_1", "confirmed", "re-checked", 20.0),
            VideoCheck("BBBBBBBBBBB", "s_1", "unplayable", "deleted", 40.0),
        ]
    )
    store.save_resolution(
        Resolution("s_1", "confirmed", VIDEO, "topic", 1.0, 1.0),
        VideoCheck(VIDEO, "s_1", "confirmed", "topic", 1.0),
    )
    assert store.confirmed_videos() == {"s_1": (VIDEO, OTHER, THIRD)}


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (lambda: VideoCheck("short", None, "confirmed", "r", 1.0), "youtube_id"),  # not an id
        (lambda: VideoCheck(VIDEO, None, "maybe", "r", 1.0), "status must be one of"),
        (lambda: VideoCheck(VIDEO, None, "confirmed", "", 1.0), "reason"),
        (lambda: Resolution("s_1", "confirmed", None, "r", 1.0, 1.0), "names its video"),
        (lambda: Resolution("s_1", "no_match", VIDEO, "r", None, 1.0), "names its video"),
        (lambda: Resolution("s_1", "searched", VIDEO, "r", None, 1.0), "the others name none"),
        (lambda: VideoCheck(VIDEO, None, "confirmed", "r", float("nan")), "finite time"),
    ],
)
def test_malformed_cache_entries_are_refused(build: Any, words: str) -> None:
    with pytest.raises((InvalidStoreInput, InvalidVideoMark), match=words):
        build()


def test_a_long_reason_is_shortened_not_refused() -> None:
    assert len(VideoCheck(VIDEO, None, "confirmed", "x" * 900, 1.0).reason) == 500


def test_the_quota_count_adds_up_across_threads_and_marks_the_day_exhausted(store: Store) -> None:
    def spend() -> None:
        for _ in range(10):
            store.add_quota("2026-12-02", "resolve", 100)

    threads = [threading.Thread(target=spend) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store.add_quota("2026-12-02", "live", 101)
    assert store.quota_units("2026-12-02") == {"resolve": 4000, "live": 101}
    assert store.quota_units("2026-12-03") == {}
    assert not store.quota_exhausted("2026-12-02")
    store.set_quota_exhausted("2026-12-02")
    assert store.quota_exhausted("2026-12-02") and not store.quota_exhausted("2026-12-03")
    assert store.quota_units("2026-12-02") == {"resolve": 4000, "live": 101}  # the count stays
    store.set_quota_exhausted("2026-12-04")  # a day nothing was spent on
    assert store.quota_exhausted("2026-12-04")


def test_tokens_are_kept_per_listener_and_a_refresh_keeps_the_refresh_token(store: Store) -> None:
    with pytest.raises(InvalidStoreInput, match="refresh token"):
        store.save_youtube_token("a", refresh_token=None, scope="s", access_token="x", access_expires_at=1.0)
    first = store.save_youtube_token(
        "a", refresh_token="enc-r", scope="s", access_token="enc-1", access_expires_at=1.0
    )
    assert store.listener("a").id == "a" and first.refresh_token == "enc-r"
    second = store.save_youtube_token(
        "a", refresh_token=None, scope="s", access_token="enc-2", access_expires_at=2.0
    )
    assert (second.refresh_token, second.access_token, second.access_expires_at) == ("enc-r", "enc-2", 2.0)
    assert store.youtube_token("b") is None
    assert store.delete_youtube_token("a") is True and store.delete_youtube_token("a") is False


def test_forget_deletes_the_youtube_connection(store: Store) -> None:
    store.save_youtube_token("a", refresh_token="enc", scope="s", access_token=None, access_expires_at=None)
    store.save_youtube_token("b", refresh_token="enc", scope="s", access_token=None, access_expires_at=None)
    assert store.forget("a") == {
        "listeners": 1,
        "feedback": 0,
        "readings": 0,
        "video_reports": 0,
        "youtube_tokens": 1,
    }
    assert store.youtube_token("a") is None and store.youtube_token("b") is not None
    assert store.counts()["youtube_tokens"] == 1
    sql(store, "DELETE FROM listeners WHERE id = 'b'")  # and the schema cascades
    assert sql(store, "SELECT count(*) FROM youtube_tokens") == [(0,)]


def test_a_re_check_clears_an_unplayable_mark(store: Store) -> None:
    store.mark_video(VIDEO, 150, "s_1", at=1.0)
    store.mark_video(OTHER, 100, None, at=2.0)
    assert [m.youtube_id for m in store.video_marks()] == [VIDEO, OTHER]
    assert store.set_video_playable(VIDEO) is True
    assert store.set_video_playable(VIDEO) is False  # already playable
    assert store.video_mark(VIDEO).status == "playable"  # type: ignore[union-attr]
    assert store.unplayable_videos() == {OTHER}
    assert [m.youtube_id for m in store.video_marks("playable")] == [VIDEO]
    assert len(store.video_marks(None)) == 2
    store.mark_video(VIDEO, 101, at=3.0)  # reported again: unplayable again
    assert store.unplayable_videos() == {VIDEO, OTHER}
    with pytest.raises(InvalidVideoMark):
        store.video_marks("gone")

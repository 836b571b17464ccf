"""Many requests at once: no write is lost, whether the threads share one Store (the web service's
thread pool) or two Stores write to one database (two worker processes)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from moodtune.store import Store
from tests.store.builders import reading, sql

THREADS = 20
POSTS_PER_THREAD = 10
VIDEO = "dQw4w9WgXcQ"


def _run_at_once(work: Callable[[int], None], threads: int = THREADS) -> None:
    """Run ``work(0) .. work(threads - 1)`` on as many threads, released together; re-raise any error."""
    barrier = threading.Barrier(threads)

    def task(n: int) -> None:
        barrier.wait(timeout=30)
        work(n)

    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(task, n) for n in range(threads)]:
            future.result(timeout=120)


def test_200_feedback_posts_from_20_threads_are_all_stored(store: Store) -> None:
    # 4 listeners, each first seen by 5 threads at once: the listener rows are created concurrently too.
    def post(n: int) -> None:
        for i in range(POSTS_PER_THREAD):
            store.add_feedback(f"listener-{n % 4}", f"s_{n}_{i}", "like", at=float(i))

    _run_at_once(post)

    events = store.feedback()
    assert len(events) == THREADS * POSTS_PER_THREAD
    assert len({e.song_id for e in events}) == THREADS * POSTS_PER_THREAD  # each exactly once
    assert Counter(e.listener for e in events) == {f"listener-{k}": 50 for k in range(4)}
    assert store.counts()["listeners"] == 4


def test_concurrent_reports_of_one_video_are_all_counted(store: Store) -> None:
    _run_at_once(lambda n: store.mark_video(VIDEO, 150, song_id=f"s_{n}"))
    mark = store.video_mark(VIDEO)
    assert mark is not None and mark.reports == THREADS


def test_reads_and_writes_interleave_without_errors(store: Store) -> None:
    store.update_listener("a", history_enabled=True)

    def work(n: int) -> None:
        for i in range(5):
            if n % 2:
                store.add_reading("a", reading(at=float(n * 10 + i)))
            else:
                store.history("a")
                store.listener("a")

    _run_at_once(work, threads=10)
    assert store.listener("a").readings_count == 25


def test_two_stores_on_one_database_lose_no_feedback(database_url: str) -> None:
    # Two Stores do not share the in-process SQLite lock: like two worker processes, they rely on
    # BEGIN IMMEDIATE and the busy timeout (SQLite) or on row locks and upserts (PostgreSQL).
    with Store(database_url) as first, Store(database_url) as second:

        def post(n: int) -> None:
            target = first if n % 2 else second
            for i in range(POSTS_PER_THREAD):
                target.add_feedback("shared-listener", f"s_{n}_{i}", "complete", at=float(i))

        _run_at_once(post)
        assert first.listener("shared-listener").feedback_count == THREADS * POSTS_PER_THREAD


def test_concurrent_events_on_one_song_all_count_in_the_kept_taste(database_url: str) -> None:
    # Each event updates the listener's taste_weights row for the song: two Stores (two worker
    # processes) and 20 threads adding events on one song must lose none of them.
    with Store(database_url) as first, Store(database_url) as second:

        def post(n: int) -> None:
            target = first if n % 2 else second
            for i in range(POSTS_PER_THREAD):
                target.add_feedback(
                    "shared-listener", "s_1", "skip" if n % 4 == 0 else "complete", at=float(i)
                )

        _run_at_once(post)
        assert first.taste_weights("shared-listener").events == THREADS * POSTS_PER_THREAD
        plays = sql(first, "SELECT plays FROM taste_weights WHERE listener_id = 'shared-listener'")
        assert plays == [(150.0 - 50.0,)]  # 15 threads x 10 plays, 5 threads x 10 skips

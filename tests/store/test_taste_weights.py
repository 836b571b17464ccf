"""The taste the store keeps (``taste_weights``), on SQLite and on PostgreSQL: after any sequence of
events it equals what ``moodtune.music.taste`` computes from the raw events; it is read without
the feedback table, forgotten with the listener, and filled from the stored feedback when the
schema is upgraded to it."""

from __future__ import annotations

import random

import pytest
from alembic import command

from moodtune.music.taste import EVENTS, Feedback, SongTaste, song_weights
from moodtune.store import KeptTaste, Store, make_engine
from moodtune.store.db import WRITE, alembic_config
from tests.store.builders import sql

LISTENERS = ("ana", "ben", "cy")
SONGS = tuple(f"s_{i}" for i in range(6))


def random_events(seed: int, count: int) -> list[Feedback]:
    """Events of a few listeners on a few songs, so that songs get many events each: times often
    equal and out of order (a client's clock, a retried request), every kind of event."""
    rng = random.Random(seed)
    return [
        Feedback(rng.choice(LISTENERS), rng.choice(SONGS), rng.choice(EVENTS), float(rng.randint(0, 12)))  # type: ignore[arg-type]
        for _ in range(count)
    ]


def expected(events: list[Feedback], listener: str) -> KeptTaste:
    """What taste.py computes from the raw events."""
    return KeptTaste(song_weights(events, listener), sum(e.listener == listener for e in events))


def kept_rows(store: Store, listener: str) -> dict[str, SongTaste]:
    rows = sql(
        store,
        "SELECT song_id, answer, answer_at, plays, events FROM taste_weights WHERE listener_id = :l",
        l=listener,
    )
    return {
        song: SongTaste(answer, answer_at, plays, events) for song, answer, answer_at, plays, events in rows
    }


def folded(events: list[Feedback], listener: str) -> dict[str, SongTaste]:
    out: dict[str, SongTaste] = {}
    for e in events:
        if e.listener == listener:
            out[e.song_id] = out.get(e.song_id, SongTaste()).add(e)
    return out


@pytest.mark.parametrize("seed", range(4))
def test_the_kept_weights_equal_what_taste_computes_from_the_events(store: Store, seed: int) -> None:
    events = random_events(seed, 120)
    for i, e in enumerate(events):
        store.add_feedback(e.listener, e.song_id, e.event, at=e.at)
        if i % 30 == 29:  # along the way too, not only at the end
            for listener in LISTENERS:
                assert store.taste_weights(listener) == expected(events[: i + 1], listener)
    for listener in LISTENERS:
        assert store.taste_weights(listener) == expected(events, listener)
        # and the stored events say the same: the table never drifts from the feedback it sums
        assert store.taste_weights(listener) == expected(store.feedback(listener), listener)
        assert kept_rows(store, listener) == folded(events, listener)


def test_a_later_answer_replaces_an_earlier_one_whatever_order_they_arrive_in(store: Store) -> None:
    store.add_feedback("ana", "s_1", "dislike", at=20.0)
    store.add_feedback("ana", "s_1", "like", at=10.0)  # arrives late, but was given earlier
    store.add_feedback("ana", "s_1", "complete", at=30.0)
    store.add_feedback("ana", "s_2", "like", at=5.0)
    store.add_feedback("ana", "s_2", "dislike", at=5.0)  # same time, recorded later: it counts
    assert store.taste_weights("ana") == KeptTaste({"s_1": -2.0, "s_2": -3.0}, 5)
    for _ in range(6):
        store.add_feedback("ana", "s_3", "complete", at=1.0)
    assert store.taste_weights("ana").weights["s_3"] == 3.0  # clipped
    assert kept_rows(store, "ana")["s_3"] == SongTaste(None, None, 6.0, 6)


def test_a_listener_without_feedback_has_no_kept_taste(store: Store) -> None:
    store.add_feedback("ben", "s_1", "like", at=1.0)
    assert store.taste_weights("ana") == KeptTaste({}, 0)
    assert store.counts()["listeners"] == 1  # reading wrote nothing


def test_reading_the_kept_taste_touches_one_table_and_one_listener(store: Store) -> None:
    from sqlalchemy import event

    for listener in LISTENERS:
        for song in SONGS:
            store.add_feedback(listener, song, "like", at=1.0)
    statements: list[tuple[str, object]] = []

    def seen(conn: object, cursor: object, statement: str, parameters: object, *_: object) -> None:
        statements.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        store.taste_weights("ana")
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
    queries = [(s, p) for s, p in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(queries) == 1, statements
    statement, parameters = queries[0]
    assert "taste_weights" in statement and "feedback" not in statement.replace("taste_weights", "")
    assert "ana" in str(parameters) and "WHERE" in statement.upper()


def test_forget_deletes_the_kept_taste_and_keeps_its_counts(store: Store) -> None:
    for song in SONGS[:3]:
        store.add_feedback("ana", song, "like", at=1.0)
        store.add_feedback("ben", song, "skip", at=1.0)
    assert store.forget("ana") == {
        "listeners": 1,
        "feedback": 3,
        "readings": 0,
        "video_reports": 0,
        "youtube_tokens": 0,
    }
    assert store.taste_weights("ana") == KeptTaste({}, 0)
    assert sql(store, "SELECT count(*) FROM taste_weights WHERE listener_id = 'ana'") == [(0,)]
    assert store.taste_weights("ben") == KeptTaste(dict.fromkeys(SONGS[:3], -1.0), 3)
    assert store.counts()["taste_weights"] == 3


def test_positive_weights_are_every_listeners_liked_songs(store: Store) -> None:
    store.add_feedback("ana", "s_1", "like", at=1.0)
    store.add_feedback("ana", "s_2", "dislike", at=1.0)
    store.add_feedback("ben", "s_1", "complete", at=1.0)
    store.add_feedback("ben", "s_3", "skip", at=1.0)
    assert sorted(store.positive_weights()) == [("ana", "s_1", 3.0), ("ben", "s_1", 1.0)]


# -- the migration that adds the table fills it from the feedback already stored -----------------


def test_upgrading_fills_the_kept_taste_from_the_stored_feedback(database_url: str) -> None:
    engine = make_engine(database_url)
    config = alembic_config()
    try:
        with engine.execution_options(**{WRITE: True}).begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0004")  # the schema before taste_weights
        events = random_events(7, 200)
        with engine.begin() as connection:
            for listener in LISTENERS:
                connection.exec_driver_sql(
                    "INSERT INTO listeners (id, created_at, last_seen_at, history_enabled, "
                    f"calibration_enabled) VALUES ('{listener}', 0, 0, false, false)"
                )
            for e in events:
                connection.exec_driver_sql(
                    "INSERT INTO feedback (listener_id, song_id, event, at) "
                    f"VALUES ('{e.listener}', '{e.song_id}', '{e.event}', {e.at})"
                )
    finally:
        engine.dispose()
    with Store(database_url) as store:  # upgrades to the newest schema
        for listener in LISTENERS:
            assert store.taste_weights(listener) == expected(events, listener)
            assert kept_rows(store, listener) == folded(events, listener)
        # and the next event continues from the filled state
        store.add_feedback("ana", "s_0", "like", at=100.0)
        assert store.taste_weights("ana") == expected([*events, Feedback("ana", "s_0", "like", 100.0)], "ana")

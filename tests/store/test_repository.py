"""The Store's contract, on SQLite and on PostgreSQL: what each method keeps, returns and refuses."""

from __future__ import annotations

import math
from typing import Any

import pytest

from moodtune.emotions import EMOTIONS
from moodtune.errors import InvalidMoodInput, UsageError
from moodtune.music.taste import Feedback
from moodtune.store import (
    InvalidListenerId,
    InvalidStoreInput,
    InvalidVideoMark,
    ListenerState,
    Store,
    StoredReading,
    VideoMark,
    VideoReported,
)
from tests.store.builders import EMPTY, probabilities, reading, sql

VIDEO = "dQw4w9WgXcQ"
OTHER_VIDEO = "9bZkp7q19f0"


# -- listeners ------------------------------------------------------------------------------------


def test_a_listener_never_seen_has_the_defaults_and_reading_them_writes_nothing(store: Store) -> None:
    assert store.listener("new-listener") == ListenerState("new-listener", False, False, None, 0, 0)
    assert store.counts() == EMPTY


def test_update_listener_creates_the_listener_and_changes_only_the_settings_given(store: Store) -> None:
    state = store.update_listener("a", history_enabled=True)
    assert (state.history_enabled, state.calibration_enabled) == (True, False)
    state = store.update_listener("a", calibration_enabled=True)
    assert (state.history_enabled, state.calibration_enabled) == (True, True)  # history untouched
    state = store.update_listener("a", history_enabled=False)
    assert (state.history_enabled, state.calibration_enabled) == (False, True)
    assert store.listener("a") == state
    assert store.counts()["listeners"] == 1


def test_writes_update_last_seen_at_and_keep_created_at(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = iter([100.0, 200.0, 300.0])
    monkeypatch.setattr("moodtune.store.repository._now", lambda: next(clock))
    store.update_listener("a")
    assert sql(store, "SELECT created_at, last_seen_at FROM listeners") == [(100.0, 100.0)]
    store.add_feedback("a", "s_1", "like", at=5.0)  # the event's own time is 5; the listener was seen now
    assert sql(store, "SELECT created_at, last_seen_at FROM listeners") == [(100.0, 200.0)]


@pytest.mark.parametrize(
    "settings",
    [
        {"history_enabled": 1},  # an int is not a setting
        {"calibration_enabled": "yes"},  # nor a string
    ],
)
def test_update_listener_accepts_only_booleans(sqlite_store: Store, settings: dict[str, Any]) -> None:
    with pytest.raises(InvalidStoreInput, match="must be True, False or None"):
        sqlite_store.update_listener("a", **settings)
    assert sqlite_store.counts()["listeners"] == 0


# -- calibration ----------------------------------------------------------------------------------


def test_set_calibration_normalises_the_baseline_and_turns_calibration_on(store: Store) -> None:
    state = store.set_calibration("a", probabilities(neutral=3, happiness=1))
    assert state.calibration_enabled
    assert state.calibration is not None
    assert list(state.calibration) == list(EMOTIONS)
    assert state.calibration["neutral"] == pytest.approx(0.75)
    assert state.calibration["happiness"] == pytest.approx(0.25)
    assert store.listener("a").calibration == state.calibration


def test_clear_calibration_deletes_the_baseline_and_turns_calibration_off(store: Store) -> None:
    store.set_calibration("a", probabilities())
    state = store.clear_calibration("a")
    assert (state.calibration, state.calibration_enabled) == (None, False)
    assert sql(store, "SELECT count(*) FROM listeners WHERE calibration IS NULL") == [(1,)]  # not JSON null


def test_clear_calibration_of_a_listener_never_seen_creates_nothing(store: Store) -> None:
    assert store.clear_calibration("stranger") == ListenerState.default("stranger")
    assert store.counts()["listeners"] == 0


@pytest.mark.parametrize(
    ("baseline", "match"),
    [
        ({k: 1.0 for k in EMOTIONS if k != "contempt"}, "'contempt'.* missing"),  # an emotion missing
        ({**probabilities(), "joy": 0.1}, "'joy'.* unknown"),  # a label that is not an emotion
        (probabilities(neutral=-0.1, happiness=1), "finite number >= 0"),  # negative
        (probabilities(neutral=math.nan), "finite number >= 0"),  # NaN
        (probabilities(neutral=math.inf), "finite number >= 0"),  # infinite
        (probabilities(neutral="0.5"), "finite number >= 0"),  # a string
        (probabilities(neutral=True), "finite number >= 0"),  # a bool is not a number
        (dict.fromkeys(EMOTIONS, 0.0), "must not be all zeros"),  # nothing to normalise
        ({}, "non-empty mapping"),  # empty
        ([0.125] * 8, "non-empty mapping"),  # a list: which value is which emotion?
    ],
)
def test_set_calibration_refuses_what_is_not_8_emotion_probabilities(
    sqlite_store: Store, baseline: Any, match: str
) -> None:
    with pytest.raises(InvalidMoodInput, match=match):
        sqlite_store.set_calibration("a", baseline)
    assert sqlite_store.counts()["listeners"] == 0


# -- feedback -------------------------------------------------------------------------------------


def test_add_feedback_returns_the_event_and_feedback_lists_it(store: Store) -> None:
    event = store.add_feedback("a", "s_1", "like", at=10.0)
    assert event == Feedback("a", "s_1", "like", 10.0)
    assert store.feedback("a") == [event]
    assert store.listener("a").feedback_count == 1


def test_add_feedback_without_a_time_stamps_it_now(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("moodtune.store.repository._now", lambda: 1234.5)
    assert store.add_feedback("a", "s_1", "skip").at == 1234.5
    assert store.feedback("a")[0].at == 1234.5


def test_feedback_is_oldest_first_per_listener_or_for_everyone(store: Store) -> None:
    store.add_feedback("a", "s_2", "skip", at=20.0)
    store.add_feedback("b", "s_1", "like", at=15.0)
    store.add_feedback("a", "s_1", "like", at=10.0)
    store.add_feedback("a", "s_3", "complete", at=20.0)  # same time as s_2: the order of arrival
    assert [(f.song_id, f.at) for f in store.feedback("a")] == [("s_1", 10.0), ("s_2", 20.0), ("s_3", 20.0)]
    assert [(f.listener, f.song_id) for f in store.feedback()] == [
        ("a", "s_1"),
        ("b", "s_1"),
        ("a", "s_2"),
        ("a", "s_3"),
    ]
    assert store.feedback("nobody") == []


def test_feedback_limit_keeps_the_newest_still_oldest_first(store: Store) -> None:
    for i in range(5):
        store.add_feedback("a", f"s_{i}", "like", at=float(i))
    assert [f.song_id for f in store.feedback("a", limit=2)] == ["s_3", "s_4"]
    assert [f.song_id for f in store.feedback(limit=3)] == ["s_2", "s_3", "s_4"]
    assert len(store.feedback("a", limit=100)) == 5


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (("a", "s_1", "love"), UsageError, "must be one of like, dislike, skip, complete"),  # unknown event
        (("a", "", "like"), UsageError, "song_id must be a non-empty string"),  # no song
        (("a", "s" * 65, "like"), InvalidStoreInput, "at most 64 characters"),  # song id too long
        (("a", "s_1", "like", math.nan), UsageError, "finite time"),  # a time that is not one
        (("", "s_1", "like"), InvalidListenerId, "non-empty string"),  # no listener
    ],
)
def test_add_feedback_refuses_malformed_events(
    sqlite_store: Store, args: tuple[Any, ...], error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        sqlite_store.add_feedback(*args)
    assert sqlite_store.counts() == EMPTY


@pytest.mark.parametrize("limit", [0, -1, 1.5, True, "10"])  # not positive, not whole, a bool, a string
def test_feedback_and_history_refuse_a_limit_that_is_not_a_positive_int(
    sqlite_store: Store, limit: Any
) -> None:
    with pytest.raises(InvalidStoreInput, match="positive whole number"):
        sqlite_store.feedback("a", limit=limit)
    with pytest.raises(InvalidStoreInput, match="positive whole number"):
        sqlite_store.history("a", limit=limit)


# -- mood history ---------------------------------------------------------------------------------


def test_readings_are_kept_only_while_history_is_on(store: Store) -> None:
    assert store.add_reading("a", reading(at=1.0)) is False  # never seen: history is off by default
    assert store.counts()["listeners"] == 0  # and nothing was created
    store.update_listener("a", history_enabled=True)
    assert store.add_reading("a", reading(at=2.0)) is True
    store.update_listener("a", history_enabled=False)
    assert store.add_reading("a", reading(at=3.0)) is False
    assert [r.at for r in store.history("a")] == [2.0]  # turning history off keeps what was stored
    assert store.listener("a").readings_count == 1


def test_history_round_trips_a_reading(store: Store) -> None:
    store.update_listener("a", history_enabled=True)
    stored = reading(at=5.5, mood="neutral", valence=-0.25, arousal=0.125)
    store.add_reading("a", stored)
    assert store.history("a") == [stored]


def test_a_mood_the_listener_chose_is_kept_without_emotion_probabilities(store: Store) -> None:
    store.update_listener("a", history_enabled=True)
    chosen = reading(at=6.0, probabilities={})  # no face was read
    face = reading(at=7.0)
    assert chosen.chosen and not face.chosen
    store.add_reading("a", chosen)
    store.add_reading("a", face)
    assert store.history("a") == [chosen, face]
    assert StoredReading.from_dict(chosen.to_dict()) == chosen


def test_history_returns_the_newest_limit_readings_oldest_first(store: Store) -> None:
    store.update_listener("a", history_enabled=True)
    store.update_listener("b", history_enabled=True)
    for at in (3.0, 1.0, 5.0, 2.0, 4.0):  # out of order: the reading's time decides
        store.add_reading("a", reading(at=at))
    store.add_reading("b", reading(at=9.0))
    assert [r.at for r in store.history("a")] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert [r.at for r in store.history("a", limit=2)] == [4.0, 5.0]
    assert store.history("nobody") == []


def test_add_reading_needs_a_stored_reading(store: Store) -> None:
    store.update_listener("a", history_enabled=True)
    with pytest.raises(InvalidStoreInput, match="must be a StoredReading, but got dict"):
        store.add_reading("a", reading().to_dict())


def test_stored_reading_to_dict_and_from_dict_round_trip() -> None:
    r = reading(at=7.0)
    assert r.to_dict() == {
        "at": 7.0,
        "mood": "positive",
        "probabilities": probabilities(happiness=0.7, neutral=0.3),
        "mood_probabilities": {"negative": 0.0, "neutral": 0.3, "positive": 0.7},
        "valence": 0.6,
        "arousal": 0.3,
    }
    assert StoredReading.from_dict(r.to_dict()) == r


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"at": math.inf}, "finite time"),  # when is infinity?
        ({"mood": "ecstatic"}, "one of the keys of mood_probabilities"),  # a mood without a probability
        ({"probabilities": {"neutral": 1.0}}, "exactly the keys"),  # 7 emotions missing
        ({"probabilities": probabilities(neutral=1.5)}, r"probability in \[0, 1\]"),  # above 1
        ({"mood_probabilities": {}}, "non-empty mapping"),  # no moods
        ({"valence": 1.5}, r"valence must be a finite number in \[-1, 1\]"),  # off the mood space
        ({"arousal": math.nan}, r"arousal must be a finite number in \[-1, 1\]"),  # NaN
    ],
)
def test_stored_reading_refuses_what_is_not_a_reading(changes: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidMoodInput, match=match):
        reading(**changes)


def test_stored_reading_from_dict_names_the_keys_it_needs() -> None:
    with pytest.raises(InvalidMoodInput, match="exactly the keys at, mood"):
        StoredReading.from_dict({**reading().to_dict(), "image": "..."})  # never an image


# -- forget ---------------------------------------------------------------------------------------


def _listener_with_everything(store: Store, listener: str) -> None:
    store.update_listener(listener, history_enabled=True)
    store.set_calibration(listener, probabilities())
    for i in range(3):
        store.add_feedback(listener, f"s_{i}", "like", at=float(i))
    for i in range(2):
        store.add_reading(listener, reading(at=float(i)))
    store.report_video(listener, VIDEO, 150, client=f"10.0.0.{listener}", quorum=3)


def test_forget_deletes_everything_of_one_listener_and_nothing_of_another(store: Store) -> None:
    _listener_with_everything(store, "a")
    _listener_with_everything(store, "b")
    store.mark_video(VIDEO, 150)
    kept = store.listener("b")

    assert store.forget("a") == {
        "listeners": 1,
        "feedback": 3,
        "readings": 2,
        "video_reports": 1,
        "youtube_tokens": 0,
    }

    assert store.listener("a") == ListenerState.default("a")
    assert store.feedback("a") == [] and store.history("a") == []
    assert sql(store, "SELECT count(*) FROM listeners WHERE id = 'a'") == [(0,)]
    assert store.listener("b") == kept
    assert len(store.feedback("b")) == 3 and len(store.history("b")) == 2
    assert store.counts() == {
        **EMPTY,
        "listeners": 1,
        "feedback": 3,
        "taste_weights": 3,  # b's: one per song
        "readings": 2,
        "video_marks": 1,
        "video_reports": 1,
        "retired_listeners": 1,
    }
    assert store.reported_videos("a") == frozenset() and store.reported_videos("b") == {VIDEO}
    assert store.forget("a") == {
        "listeners": 0,
        "feedback": 0,
        "readings": 0,
        "video_reports": 0,
        "youtube_tokens": 0,
    }  # twice: fine
    # the id is retired for good, and only its hash is kept
    assert store.is_retired("a") and not store.is_retired("b")
    assert sql(store, "SELECT count(*) FROM retired_listeners") == [(1,)]
    assert sql(store, "SELECT count(*) FROM retired_listeners WHERE id = 'a'") == [(0,)]


def test_deleting_a_listener_row_cascades_to_its_feedback_readings_and_reports(store: Store) -> None:
    # The schema itself guarantees forget's promise, whoever deletes the row (ON DELETE CASCADE;
    # on SQLite only with PRAGMA foreign_keys=ON, which make_engine sets).
    _listener_with_everything(store, "a")
    _listener_with_everything(store, "b")
    sql(store, "DELETE FROM listeners WHERE id = 'a'")
    assert store.counts() == {
        **EMPTY,
        "listeners": 1,
        "feedback": 3,
        "taste_weights": 3,
        "readings": 2,
        "video_marks": 0,
        "video_reports": 1,
    }
    assert sql(store, "SELECT DISTINCT listener_id FROM feedback") == [("b",)]
    assert sql(store, "SELECT DISTINCT listener_id FROM video_reports") == [("b",)]


def test_feedback_cannot_name_a_listener_that_does_not_exist(store: Store) -> None:
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        sql(
            store, "INSERT INTO feedback (listener_id, song_id, event, at) VALUES ('ghost', 's_1', 'like', 1)"
        )


# -- unplayable videos ----------------------------------------------------------------------------


def test_mark_video_creates_then_counts_reports(store: Store) -> None:
    first = store.mark_video(VIDEO, 150, at=100.0)
    assert first == VideoMark(VIDEO, None, 150, 1, 100.0, 100.0, "unplayable")
    second = store.mark_video(VIDEO, 101, song_id="s_1", at=200.0)
    assert second == VideoMark(
        VIDEO, "s_1", 101, 2, 100.0, 200.0, "unplayable"
    )  # latest code, song filled in
    third = store.mark_video(VIDEO, 100, at=50.0)  # a report that arrives late: times stay in order
    assert third == VideoMark(
        VIDEO, "s_1", 100, 3, 50.0, 200.0, "unplayable"
    )  # an unknown song keeps the known
    assert store.video_mark(VIDEO) == third
    assert third.to_dict() == {
        "youtube_id": VIDEO,
        "song_id": "s_1",
        "code": 100,
        "reports": 3,
        "first_marked_at": 50.0,
        "last_marked_at": 200.0,
        "status": "unplayable",
    }
    assert store.counts()["video_marks"] == 1


def test_unplayable_videos_are_the_marks_with_status_unplayable(store: Store) -> None:
    assert store.unplayable_videos() == frozenset()
    store.mark_video(VIDEO, 150)
    store.mark_video(OTHER_VIDEO, 2)
    assert store.unplayable_videos() == {VIDEO, OTHER_VIDEO}
    sql(
        store, "UPDATE video_marks SET status = 'playable' WHERE youtube_id = :id", id=OTHER_VIDEO
    )  # a re-check
    assert store.unplayable_videos() == {VIDEO}
    assert store.mark_video(OTHER_VIDEO, 150).status == "unplayable"  # reported again: unplayable again
    assert store.unplayable_videos() == {VIDEO, OTHER_VIDEO}


def test_a_report_hides_the_video_for_its_listener_and_marks_it_for_everyone_at_the_quorum(
    store: Store,
) -> None:
    first = store.report_video("a", VIDEO, 150, song_id="s_1", at=100.0, client="10.0.0.a", quorum=3)
    assert first == VideoReported(VIDEO, clients=1, marked=False)
    assert store.reported_videos("a") == {VIDEO} and store.reported_videos("b") == frozenset()
    assert store.unplayable_videos() == frozenset()  # one listener takes nothing away from others
    # the same listener again (a reload, a retry, a loop) still counts once
    for at in (101.0, 102.0, 103.0):
        assert store.report_video("a", VIDEO, 150, at=at, client="10.0.0.a", quorum=3).clients == 1
    assert store.unplayable_videos() == frozenset()
    assert store.report_video("b", VIDEO, 101, at=110.0, client="10.0.0.b", quorum=3) == VideoReported(
        VIDEO, 2, False
    )
    third = store.report_video("c", VIDEO, 100, at=120.0, client="10.0.0.c", quorum=3)
    assert third == VideoReported(VIDEO, 3, True)
    assert store.unplayable_videos() == {VIDEO}
    assert store.video_mark(VIDEO) == VideoMark(VIDEO, None, 100, 1, 120.0, 120.0, "unplayable")
    # a check that finds it playable again clears the mark and the reports behind it
    assert store.set_video_playable(VIDEO)
    assert store.unplayable_videos() == frozenset() and store.reported_videos("a") == frozenset()
    assert store.report_video("d", VIDEO, 150, client="10.0.0.d", quorum=3) == VideoReported(VIDEO, 1, False)


def test_listeners_reporting_from_one_client_address_count_once(store: Store) -> None:
    # one client that collected many listener cookies
    for listener in ("a", "b", "c", "d"):
        reported = store.report_video(listener, VIDEO, 150, client="203.0.113.7", quorum=3)
        assert reported == VideoReported(VIDEO, 1, False)
        assert VIDEO in store.reported_videos(listener)  # still hidden for each of them
    assert store.unplayable_videos() == frozenset()
    assert store.report_video("e", VIDEO, 150, client="198.51.100.1", quorum=3).clients == 2
    assert sql(store, "SELECT count(*) FROM video_reports WHERE client LIKE '203.%'") == [(0,)]  # hashed


def test_a_quorum_of_one_marks_at_the_first_report(store: Store) -> None:
    assert store.report_video("a", VIDEO, 2, client="10.0.0.a", quorum=1) == VideoReported(VIDEO, 1, True)
    assert store.unplayable_videos() == {VIDEO}


@pytest.mark.parametrize(
    ("args", "quorum", "match"),
    [
        (("a", "dQw4w9WgXcQ\n", 150), 3, "11 characters"),  # a trailing newline is not part of an id
        (("a", VIDEO, 5), 3, "one of 2, 100, 101, 150"),
        (("", VIDEO, 150), 3, "listener_id"),
        (("a", VIDEO, 150), 0, "quorum must be a whole number >= 1"),
    ],
)
def test_report_video_refuses_what_is_not_a_report(
    sqlite_store: Store, args: tuple[Any, ...], quorum: int, match: str
) -> None:
    with pytest.raises(InvalidStoreInput, match=match):
        sqlite_store.report_video(*args, client="10.0.0.1", quorum=quorum)
    assert sqlite_store.counts()["video_reports"] == 0


def test_video_mark_of_a_video_never_reported_is_none(store: Store) -> None:
    assert store.video_mark(VIDEO) is None


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("dQw4w9WgXc", 150), "11 characters"),  # 10 characters
        (("dQw4w9WgXcQQ", 150), "11 characters"),  # 12 characters
        (("dQw4w9WgXc!", 150), "11 characters"),  # a character YouTube ids never have
        (("https://youtu.be/dQw4w9WgXcQ", 150), "11 characters"),  # a link, not an id
        ((None, 150), "11 characters"),  # nothing
        ((VIDEO, 5), "one of 2, 100, 101, 150"),  # 5: an HTML5 player hiccup, not unplayable
        ((VIDEO, 0), "one of 2, 100, 101, 150"),  # not a YouTube error
        ((VIDEO, "150"), "one of 2, 100, 101, 150"),  # a string
        ((VIDEO, True), "one of 2, 100, 101, 150"),  # a bool is not a code
        ((VIDEO, 150, ""), "song_id must be a non-empty string"),  # an empty song id
        ((VIDEO, 150, None, math.nan), "finite time"),  # a time that is not one
    ],
)
def test_mark_video_refuses_what_is_not_a_report(
    sqlite_store: Store, args: tuple[Any, ...], match: str
) -> None:
    with pytest.raises(InvalidStoreInput, match=match):
        sqlite_store.mark_video(*args)
    assert sqlite_store.counts()["video_marks"] == 0


def test_video_mark_checks_the_id_too(sqlite_store: Store) -> None:
    with pytest.raises(InvalidVideoMark, match="11 characters"):
        sqlite_store.video_mark("not-an-id")


# -- ids, counts, health --------------------------------------------------------------------------

BAD_LISTENER_IDS = [
    "",  # empty
    "   ",  # blank
    "x" * 65,  # longer than the column
    None,  # missing
    123,  # not a string
]


LISTENER_METHODS = {
    "listener": lambda s, i: s.listener(i),
    "update_listener": lambda s, i: s.update_listener(i, history_enabled=True),
    "set_calibration": lambda s, i: s.set_calibration(i, probabilities()),
    "clear_calibration": lambda s, i: s.clear_calibration(i),
    "add_feedback": lambda s, i: s.add_feedback(i, "s_1", "like"),
    "feedback": lambda s, i: s.feedback(i),
    "add_reading": lambda s, i: s.add_reading(i, reading()),
    "history": lambda s, i: s.history(i),
    "forget": lambda s, i: s.forget(i),
}


@pytest.mark.parametrize(
    ("method", "listener_id"),
    [
        (method, listener_id)
        for method in LISTENER_METHODS
        for listener_id in BAD_LISTENER_IDS
        if not (method == "feedback" and listener_id is None)  # feedback(None) is everyone's
    ],
)
def test_every_method_refuses_a_malformed_listener_id(
    sqlite_store: Store, method: str, listener_id: Any
) -> None:
    with pytest.raises(InvalidListenerId, match="listener_id must be"):
        LISTENER_METHODS[method](sqlite_store, listener_id)
    assert sqlite_store.counts()["listeners"] == 0


def test_a_listener_id_of_64_characters_is_fine(store: Store) -> None:
    uuid_like = "f" * 64
    assert store.update_listener(uuid_like, history_enabled=True).id == uuid_like


def test_counts_count_every_table(store: Store) -> None:
    _listener_with_everything(store, "a")
    store.update_listener("b")
    store.mark_video(VIDEO, 150)
    assert store.counts() == {
        **EMPTY,
        "listeners": 2,
        "feedback": 3,
        "taste_weights": 3,
        "readings": 2,
        "video_marks": 1,
        "video_reports": 1,
    }


def test_ping_passes_on_a_reachable_database_and_close_is_not_final(store: Store) -> None:
    store.ping()
    store.close()
    store.ping()  # the pool reconnects
    assert store.counts()["listeners"] == 0


def test_the_store_says_which_database_without_its_password(store: Store, database_url: str) -> None:
    assert store.dialect in ("sqlite", "postgresql")
    assert store.dialect == ("sqlite" if database_url.startswith("sqlite") else "postgresql")
    from sqlalchemy.engine import make_url

    password = make_url(database_url).password
    if password:
        assert password not in store.url and password not in repr(store)
        assert ":***@" in store.url

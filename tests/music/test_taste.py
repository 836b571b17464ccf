"""Personal taste: feedback events, the content profile, the blend with collaborative filtering,
cold start, "more like this" and "not this". Catalogs are built in code: bright dance-pop songs and
calm acoustic songs spread over the same valence-energy region, so only taste tells them apart."""

from __future__ import annotations

import itertools
import random
from typing import Any

import numpy as np
import pytest

from moodtune.errors import UsageError
from moodtune.moodspace import MoodPoint
from moodtune.music.catalog import Catalog, Song
from moodtune.music.collaborative import ItemCosineRecommender
from moodtune.music.plan import make_plan
from moodtune.music.rank import Filters, recommend
from moodtune.music.taste import (
    EVENT_WEIGHTS,
    EVENTS,
    TASTE_LIMIT,
    Feedback,
    SongTaste,
    content_from_weights,
    content_scores,
    fit_collaborative,
    fit_collaborative_weights,
    more_like_this,
    not_this,
    song_weights,
    taste_from_weights,
    taste_scores,
)

_ids = itertools.count(1)
# Moderate features, so that the mood model is unsure and taste can tip the balance.
ACOUSTIC: dict[str, Any] = {
    "danceability": 0.5,
    "acousticness": 0.6,
    "instrumentalness": 0.05,
    "speechiness": 0.04,
}
DANCE: dict[str, Any] = {
    "danceability": 0.65,
    "acousticness": 0.2,
    "instrumentalness": 0.0,
    "speechiness": 0.06,
}
READING = MoodPoint(0.2, 0.5)
"""A mildly positive, lively listener: the plain ranking picks 1 acoustic song in 10."""


def song(kind: str, valence: float, energy: float, artist: str | None = None) -> Song:
    i = next(_ids)
    features = ACOUSTIC if kind == "acoustic" else DANCE
    return Song(
        id=f"s_{i:012x}",
        title=f"{kind} {i}",
        artist=artist or f"Artist {i}",
        valence=round(valence, 4),
        energy=round(energy, 4),
        tempo=100.0 if kind == "acoustic" else 124.0,
        loudness=-14.0 if kind == "acoustic" else -5.0,
        **features,
    )


def make_catalog(count: int = 30, seed: int = 0) -> Catalog:
    rng = np.random.default_rng(seed)
    points = rng.uniform(0.3, 0.7, (2 * count, 2))
    kinds = ["acoustic", "dance"] * count
    return Catalog([song(k, float(v), float(e)) for k, (v, e) in zip(kinds, points, strict=True)])


def acoustic(catalog: Catalog) -> list[str]:
    return [s.id for s in catalog if s.title.startswith("acoustic")]


def events(listener: str, song_ids: list[str], event: str = "like", start: float = 0.0) -> list[Feedback]:
    return [Feedback(listener, s, event, start + i) for i, s in enumerate(song_ids)]  # type: ignore[arg-type]


def ranked(catalog: Catalog, taste: dict[str, float] | None = None, n: int = 10) -> list[str]:
    plan = make_plan(READING, "match", n)
    return [r.song.id for r in recommend(catalog, plan, taste=taste)]


# --- feedback ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"event": "love"}, "event must be one of like, dislike, skip, complete"),
        ({"event": None}, "event must be one of"),
        ({"listener": ""}, "listener must be a non-empty string"),
        ({"song_id": 42}, "song_id must be a non-empty string"),
        ({"at": float("nan")}, "at must be a finite time"),
        ({"at": "yesterday"}, "at must be a finite time"),
    ],
)
def test_bad_events_are_rejected_with_a_clear_message(kwargs: dict[str, Any], message: str) -> None:
    fields: dict[str, Any] = {"listener": "ana", "song_id": "s_000000000001", "event": "like", "at": 1.0}
    with pytest.raises(UsageError, match=message):
        Feedback(**{**fields, **kwargs})


def test_events_must_be_a_collection_of_feedback() -> None:
    one = Feedback("ana", "s_000000000001", "like", 1.0)
    with pytest.raises(UsageError, match="not a single one"):
        song_weights(one, "ana")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="item 1 is dict"):
        song_weights([one, {"event": "like"}], "ana")  # type: ignore[list-item]


def test_net_weights_follow_the_latest_answer_plus_plays_clipped() -> None:
    a, b, c, d = (f"s_{i:012x}" for i in range(900, 904))
    log = [
        Feedback("ana", a, "dislike", 2.0),
        Feedback("ana", a, "like", 1.0),  # earlier: the later dislike replaces it
        Feedback("ana", a, "complete", 3.0),
        *[Feedback("ana", b, "complete", float(t)) for t in range(10)],
        Feedback("ana", c, "skip", 1.0),
        Feedback("ben", d, "like", 1.0),
    ]
    assert song_weights(log, "ana") == {a: -2.0, b: 3.0, c: -1.0}
    assert song_weights(log, "nobody") == {}
    assert EVENT_WEIGHTS == {"like": 3.0, "complete": 1.0, "skip": -1.0, "dislike": -3.0}


@pytest.mark.parametrize("seed", range(20))
def test_folding_events_one_at_a_time_gives_the_net_weights(seed: int) -> None:
    # What a store keeps per listener and song (SongTaste), updated event by event in the order
    # they were recorded, is what song_weights computes from all of them at once.
    rng = random.Random(seed)
    log = [
        Feedback("ana", f"s_{rng.randint(0, 4):012x}", rng.choice(EVENTS), float(rng.randint(0, 8)))  # type: ignore[arg-type]
        for _ in range(rng.randint(1, 60))
    ]
    kept: dict[str, SongTaste] = {}
    for e in log:
        kept[e.song_id] = kept.get(e.song_id, SongTaste()).add(e)
    assert {s: t.weight for s, t in kept.items()} == song_weights(log, "ana")
    assert sum(t.events for t in kept.values()) == len(log)
    with pytest.raises(UsageError, match=r"SongTaste\.add needs a Feedback"):
        SongTaste().add("like")  # type: ignore[arg-type]


# --- content profile and the ranking -----------------------------------------------------------


def test_cold_start_gives_no_taste_and_the_plain_mood_ranking() -> None:
    catalog = make_catalog()
    other = events("ben", acoustic(catalog)[:5])
    assert taste_scores(catalog, [], "ana") == {}
    assert taste_scores(catalog, other, "ana") == {}
    assert content_scores(catalog, other, "ana") == {}
    assert ranked(catalog, taste_scores(catalog, other, "ana")) == ranked(catalog)


def test_liking_calm_acoustic_songs_brings_more_of_them_into_the_next_list() -> None:
    catalog = make_catalog()
    before = ranked(catalog)
    liked = [s for s in acoustic(catalog) if s not in before][:3]
    taste = taste_scores(catalog, events("ana", liked), "ana")
    after = ranked(catalog, taste)
    kinds = set(acoustic(catalog))
    assert sum(s in kinds for s in after) > sum(s in kinds for s in before), (before, after)
    assert all(-1.0 <= v <= 1.0 for v in taste.values())
    assert taste[liked[0]] == 1.0
    unrated = [s for s in kinds if s not in liked]
    assert min(taste[s] for s in unrated) > 0.5  # every acoustic song is like the profile
    assert max(v for s, v in taste.items() if s not in kinds) < -0.5


def test_dislikes_push_a_song_and_songs_like_it_down() -> None:
    catalog = make_catalog()
    before = ranked(catalog, n=20)
    top = before[0]
    taste = taste_scores(catalog, events("ana", [top], "dislike"), "ana")
    after = ranked(catalog, taste, n=20)
    assert taste[top] == -1.0
    # rank's taste weight (0.5) is half a standard deviation of distance: the song drops, and songs
    # like it give way, but one dislike does not outweigh a strong mood fit
    assert top not in after or after.index(top) > before.index(top)
    same = (
        acoustic(catalog)
        if top in acoustic(catalog)
        else [s.id for s in catalog if s.id not in acoustic(catalog)]
    )
    assert sum(s in same for s in after[:10]) < sum(s in same for s in before[:10])


def test_taste_is_bounded_in_size_and_keeps_every_rated_song() -> None:
    catalog = make_catalog(count=150)
    rated = acoustic(catalog)[:5] + [s.id for s in catalog][1:4:2]
    taste = content_scores(catalog, events("ana", rated), "ana", limit=20)
    assert len(taste) <= 20 + len(rated) and set(rated) <= set(taste)
    assert len(content_scores(catalog, events("ana", rated), "ana")) == TASTE_LIMIT + len(set(rated))


# --- the blend with collaborative filtering ----------------------------------------------------


def community(catalog: Catalog) -> list[Feedback]:
    """Three listeners who like the first ten acoustic songs, three who like the first ten dance songs."""
    quiet, loud = acoustic(catalog)[:10], [s.id for s in catalog if s.id not in acoustic(catalog)][:10]
    log: list[Feedback] = []
    for j, listener in enumerate(["q1", "q2", "q3", "l1", "l2", "l3"]):
        log += events(listener, quiet if j < 3 else loud, start=100.0 * j)
    return log


def test_below_the_threshold_only_the_content_profile_counts() -> None:
    catalog = make_catalog()
    log = community(catalog) + events("ana", acoustic(catalog)[:3])
    assert taste_scores(catalog, log, "ana") == content_scores(catalog, log, "ana")


def test_with_enough_feedback_collaborative_scores_join_the_blend() -> None:
    catalog = make_catalog()
    quiet = acoustic(catalog)[:10]
    log = community(catalog) + events("ana", quiet[:8]) + events("ana", quiet[:3], "complete", start=50)
    content = content_scores(catalog, log, "ana")
    blended = taste_scores(catalog, log, "ana")
    assert blended != content
    assert taste_scores(catalog, log, "ana", min_events_for_cf=100) == content
    # the two unseen songs the acoustic listeners share rank first by the blend among unseen songs
    unseen = sorted((s for s in blended if s not in quiet[:8]), key=lambda s: -blended[s])
    assert set(unseen[:2]) == set(quiet[8:]), unseen[:4]
    for s, v in blended.items():
        assert -1.0 <= v <= 1.0, (s, v)
    model = fit_collaborative(catalog, log, ItemCosineRecommender)
    assert model is not None and set(model.listeners) == {"ana", "q1", "q2", "q3", "l1", "l2", "l3"}
    assert taste_scores(catalog, log, "ana", collaborative=model) != content


def test_taste_from_kept_weights_is_taste_from_the_events() -> None:
    catalog = make_catalog()
    quiet = acoustic(catalog)[:10]
    log = community(catalog) + events("ana", quiet[:8]) + events("ana", quiet[:3], "skip", start=50)
    model = fit_collaborative(catalog, log)
    weights = song_weights(log, "ana")
    assert content_from_weights(catalog, weights) == content_scores(catalog, log, "ana")
    assert taste_from_weights(catalog, weights, 11, model) == taste_scores(
        catalog, log, "ana", collaborative=model
    )
    assert taste_from_weights(catalog, weights, 9, model) == content_scores(
        catalog, log, "ana"
    )  # < 10 events
    assert taste_from_weights(catalog, weights, 11, None) == content_scores(
        catalog, log, "ana"
    )  # no model yet
    assert taste_from_weights(catalog, {}, 0, model) == {}
    by_weights = fit_collaborative_weights(
        catalog, [(who, s, w) for who in ("ana", "q1", "q2", "q3") for s, w in song_weights(log, who).items()]
    )
    assert by_weights is not None and by_weights.listeners == ("ana", "q1", "q2", "q3")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: taste_from_weights(c, {"s_1": 3.0}, -1), "events must be the listener's number of events"),
        (lambda c: taste_from_weights(c, {"s_1": 3.0}, True), "events must be"),
        (lambda c: taste_from_weights(c, [("s_1", 3.0)], 1), "weights must map song ids to net weights"),  # type: ignore[arg-type]
        (lambda c: taste_from_weights(c, {}, 0, min_events_for_cf=-2), "min_events_for_cf must be"),
        (lambda c: content_from_weights("catalog", {}), "needs a Catalog"),  # type: ignore[arg-type]
    ],
)
def test_taste_from_weights_says_what_was_wrong(call: Any, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        call(make_catalog(count=5))


def test_likes_given_after_the_fit_count_at_once_in_the_collaborative_scores() -> None:
    # The model was fitted before "ana" liked anything (the service refits it every few minutes,
    # in the background): her scores come from her likes as they are now, not from the fit.
    catalog = make_catalog()
    quiet = acoustic(catalog)[:10]
    model = fit_collaborative(catalog, community(catalog))
    assert model is not None and "ana" not in model.listeners
    log = events("ana", quiet[:8]) + events("ana", quiet[:3], "complete", start=50)
    content = content_scores(catalog, log, "ana")
    blended = taste_scores(catalog, log, "ana", collaborative=model)
    assert blended != content
    unseen = sorted((s for s in blended if s not in quiet[:8]), key=lambda s: -blended[s])
    assert set(unseen[:2]) == set(quiet[8:]), unseen[:4]
    # one more like changes the collaborative part too, with the same model
    more = [*log, Feedback("ana", quiet[8], "like", 99.0)]
    assert taste_scores(catalog, more, "ana", collaborative=model) != blended


def test_too_few_listeners_fit_no_collaborative_model() -> None:
    catalog = make_catalog()
    assert fit_collaborative(catalog, events("ana", acoustic(catalog)[:12])) is None
    with pytest.raises(UsageError, match="min_events_for_cf must be a whole number"):
        taste_scores(catalog, [], "ana", min_events_for_cf=-1)


# --- more like this, not this ------------------------------------------------------------------


def test_more_like_this_gives_songs_of_the_same_kind_never_the_song_or_its_artist() -> None:
    catalog = Catalog(
        [
            song("acoustic", 0.4, 0.3, "BIGBANG"),
            song("acoustic", 0.41, 0.31, "빅뱅"),
            song("acoustic", 0.42, 0.3, "Someone"),
            song("dance", 0.4, 0.3, "Other"),
            song("dance", 0.8, 0.9, "Loud"),
        ]
    )
    first = catalog.songs[0]
    similar = more_like_this(catalog, first.id, n=3)
    names = [s.artist for s, _ in similar]
    assert names[0] == "Someone" and "BIGBANG" not in names and "빅뱅" not in names
    assert len(similar) == 3
    scores = [x for _, x in similar]
    assert scores == sorted(scores, reverse=True) and all(0 < x <= 1 for x in scores)
    with pytest.raises(UsageError, match="no song with id 's_nope'"):
        more_like_this(catalog, "s_nope")


def test_more_like_this_uses_the_collaborative_model_when_given() -> None:
    catalog = make_catalog()
    model = fit_collaborative(catalog, community(catalog), ItemCosineRecommender)
    quiet = acoustic(catalog)[:10]
    plain = [s.id for s, _ in more_like_this(catalog, quiet[0], n=9)]
    with_cf = [s.id for s, _ in more_like_this(catalog, quiet[0], n=9, collaborative=model)]
    assert set(with_cf) == set(quiet[1:]) and plain != with_cf


def test_not_this_records_a_dislike_and_says_how_to_refresh() -> None:
    catalog = make_catalog()
    first = ranked(catalog)[0]
    answer = not_this("ana", first, 10.0, filters=Filters(decade="1990s"), strategy="calm")
    assert answer.feedback == Feedback("ana", first, "dislike", 10.0)
    assert answer.exclude_ids == (first,) and answer.strategy == "calm"
    assert answer.filters == Filters(decade="1990s")
    taste = taste_scores(catalog, [answer.feedback], "ana")
    plan = make_plan(READING, "match", 10)
    refreshed = [r.song.id for r in recommend(catalog, plan, exclude_ids=answer.exclude_ids, taste=taste)]
    assert first not in refreshed
    with pytest.raises(UsageError, match="strategy must be one of match, lift, calm, energize"):
        not_this("ana", first, 10.0, strategy="louder")

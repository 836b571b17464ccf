"""Ranking songs for a plan: the contract every mood recommender passes, filters and what they could
not judge, the artist rule, history, determinism, taste, reasons, and the shortlist.

Catalogs are built in code. A song's mood is given by its features: each mood's prototype is the
mean of that label's songs in data_moods.csv (danceability, acousticness, instrumentalness,
speechiness, loudness, tempo), so a mood recommender of any design should agree on it.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from typing import Any

import numpy as np
import pytest

from moodtune.errors import UsageError
from moodtune.moodspace import MUSIC_MOODS, MoodPoint
from moodtune.music.catalog import Catalog, Song
from moodtune.music.normalize import artist_key, load_aliases
from moodtune.music.plan import STRATEGIES, Target, make_plan
from moodtune.music.rank import (
    ARTIST_WINDOW,
    Filters,
    RecommendationList,
    RecommenderIndex,
    recommend,
)
from moodtune.music.recommender import CatalogMoodRecommender, MoodRecommender

# data_moods means per label: danceability, acousticness, instrumentalness, speechiness, loudness, tempo.
PROTOTYPES: dict[str, tuple[float, float, float, float, float, float]] = {
    "happy": (0.623, 0.128, 0.126, 0.062, -7.28, 124.2),
    "sad": (0.497, 0.579, 0.202, 0.042, -10.57, 115.6),
    "calm": (0.407, 0.883, 0.891, 0.041, -20.96, 108.9),
    "energetic": (0.512, 0.028, 0.057, 0.079, -4.70, 132.1),
}
_ids = itertools.count(1)


def song(valence: float, energy: float, mood: str, artist: str | None = None, **fields: Any) -> Song:
    """A song at (valence, energy) on Spotify's 0-1 scales with the features of ``mood``."""
    i = next(_ids)
    dance, acoustic, instrumental, speech, loudness, tempo = PROTOTYPES[mood]
    return Song(
        id=f"s_{i:012x}",
        title=f"{mood} song {i}",
        artist=artist or f"Artist {i}",
        valence=round(min(max(valence, 0.0), 1.0), 4),
        energy=round(min(max(energy, 0.0), 1.0), 4),
        danceability=dance,
        acousticness=acoustic,
        instrumentalness=instrumental,
        speechiness=speech,
        loudness=loudness,
        tempo=tempo,
        **fields,
    )


def at(target: Target) -> tuple[float, float]:
    """A target's point on Spotify's 0-1 valence and energy scales."""
    return (target.valence + 1) / 2, (target.arousal + 1) / 2


def spread(mood: str, count: int, seed: int = 0, **fields: Any) -> list[Song]:
    rng = np.random.default_rng(seed)
    return [song(float(v), float(e), mood, **fields) for v, e in rng.uniform(0.05, 0.95, (count, 2))]


def ids(result: Iterable[Any]) -> list[str]:
    return [r.song.id for r in result]


# --- the contract -------------------------------------------------------------------------------


def contract_catalog(target: Target) -> tuple[Catalog, Song]:
    """The winner sits on the target with the most wanted mood. Songs of every mood sit around it,
    0.05 to 0.25 away on each 0-1 axis, and songs of the moods the target does not want sit on the
    target itself. Only the winner is both nearest and of a wanted mood."""
    wanted = max(MUSIC_MOODS, key=lambda m: target.mood_weights[m])
    v, e = at(target)
    winner = song(v, e, wanted)
    songs = [winner]
    for step in (0.05, 0.1, 0.25):
        for dv, de in ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, -1), (1, -1), (-1, 1)):
            songs += [song(v + dv * step, e + de * step, mood) for mood in MUSIC_MOODS]
    songs += [song(v, e, mood) for mood in MUSIC_MOODS if target.mood_weights[mood] == 0]
    return Catalog(songs), winner


class MoodRecommenderContract:
    """Every mood recommender must pass these; subclass and define ``make``."""

    def make(self, catalog: Catalog) -> MoodRecommender:
        raise NotImplementedError

    @pytest.mark.parametrize(
        "reading", ["negative", "neutral", "positive", MoodPoint(0.5, 0.2), MoodPoint(-0.6, 0.6)]
    )
    def test_the_song_nearest_the_target_with_the_wanted_mood_ranks_first(self, reading: Any) -> None:
        target = make_plan(reading, "match", 1).targets[0]
        catalog, winner = contract_catalog(target)
        recommender = self.make(catalog)
        assert isinstance(recommender, MoodRecommender)
        result = recommender.recommend(reading, "match", 5)
        first = result.plan.targets[0]
        assert (first.valence, first.arousal, first.moods) == (target.valence, target.arousal, target.moods)
        assert result[0].song.id == winner.id, [r.reason for r in result]

    def test_n_songs_once_each_with_a_reason(self) -> None:
        catalog = Catalog([s for mood in MUSIC_MOODS for s in spread(mood, 15, seed=len(mood))])
        result = self.make(catalog).recommend("negative", "lift", 12)
        assert len(result) == 12
        assert len(set(ids(result))) == 12
        assert all(r.reason for r in result)
        assert [r.target for r in result] == list(range(12))


class TestCatalogMoodRecommender(MoodRecommenderContract):
    def make(self, catalog: Catalog) -> MoodRecommender:
        return CatalogMoodRecommender(catalog)


# --- filters ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mixed() -> Catalog:
    """Songs with every kind of metadata, and some without."""
    songs: list[Song] = []
    for i, (lang, genre, year, yt) in enumerate(
        itertools.product(
            ["ko", "en", None], [("pop/throwback",), ("k-pop",), ()], [1994, 2021, None], [True, False]
        )
    ):
        for mood in ("sad", "happy"):
            songs.append(
                song(
                    0.3 + 0.01 * i,
                    0.4,
                    mood,
                    language=lang,
                    genres=genre,
                    year=year,
                    youtube_id=f"yt{i:09d}{mood[0]}" if yt else None,
                )
            )
    songs.append(song(0.3, 0.4, "sad", mood_tags=("decade:1990s",)))  # a decade from the curators' tag
    return Catalog(songs)


def test_filters_keep_only_what_they_name_and_count_what_they_cannot_judge(mixed: Catalog) -> None:
    plan = make_plan("negative", "match", 200)
    everything = recommend(mixed, plan, n=len(mixed))
    assert len(everything) == len(mixed)
    assert everything.unjudged == {"songs": 0, "by_filter": {}}

    ko = recommend(mixed, plan, n=len(mixed), filters=Filters(language="KO"))
    assert {r.song.language for r in ko} == {"ko"}
    no_language = sum(s.language is None for s in mixed)
    assert ko.unjudged == {"songs": no_language, "by_filter": {"language": no_language}}

    pop = recommend(mixed, plan, n=len(mixed), filters=Filters(genre="Pop"))
    assert pop and all(r.song.genres == ("pop/throwback",) for r in pop)  # sub-genres match, k-pop does not
    assert pop.unjudged["by_filter"] == {"genre": sum(not s.genres for s in mixed)}

    nineties = recommend(mixed, plan, n=len(mixed), filters=Filters(decade="1990s"))
    assert all(r.song.year == 1994 or "decade:1990s" in r.song.mood_tags for r in nineties)
    assert any("decade:1990s" in r.song.mood_tags for r in nineties)
    assert nineties.unjudged["by_filter"] == {"decade": sum(s.year is None for s in mixed) - 1}

    playable = recommend(mixed, plan, n=len(mixed), filters=Filters(youtube_only=True))
    assert playable and all(r.song.youtube_id for r in playable)
    assert playable.unjudged["songs"] == 0  # whether a song has a YouTube id is always known

    both = recommend(mixed, plan, n=len(mixed), filters=Filters(language="ko", decade="2020s"))
    assert all(r.song.language == "ko" and r.song.year == 2021 for r in both)
    unknown = sum(s.language is None or (s.year is None and not s.mood_tags) for s in mixed)
    assert both.unjudged["songs"] == unknown
    assert recommend(mixed, plan, filters=Filters(language="fr")) == []


@pytest.mark.parametrize(
    ("filters", "match"),
    [
        ({"language": "english"}, "two-letter"),
        ({"language": "k1"}, "two-letter"),
        ({"decade": "90s"}, "1990s"),
        ({"decade": "1995s"}, "1990s"),
        ({"genre": "  "}, "genre"),
        ({"youtube_only": "yes"}, "True or False"),
        ({"playable_only": 1}, "playable_only must be True or False"),
    ],
)
def test_bad_filters_are_usage_errors(filters: dict[str, Any], match: str) -> None:
    with pytest.raises(UsageError, match=match):
        Filters(**filters)


# --- rules --------------------------------------------------------------------------------------


def test_no_artist_twice_in_any_window_of_ten() -> None:
    # 12 artists with 10 near-identical songs each: without the rule one artist would fill the list.
    # 빅뱅 and BIGBANG are one artist (the alias table), so they count as one.
    names = ["빅뱅", "BIGBANG", *[f"Band {i}" for i in range(11)]]
    songs = [song(0.29 + 0.001 * j, 0.39, "sad", artist=a) for a in names for j in range(10)]
    result = recommend(Catalog(songs), make_plan("negative", "match", 40))
    aliases = load_aliases()
    keys = [artist_key(r.song.artist, aliases) for r in result]
    assert len(result) == 40
    for i in range(len(keys) - ARTIST_WINDOW + 1):
        window = keys[i : i + ARTIST_WINDOW]
        assert len(set(window)) == ARTIST_WINDOW, (i, window)


def test_the_history_is_never_recommended_again() -> None:
    catalog = Catalog(spread("sad", 60) + spread("calm", 60, seed=1))
    plan = make_plan("negative", "match", 10)
    first = recommend(catalog, plan)
    second = recommend(catalog, plan, exclude_ids=[*ids(first), "s_000000000000", "not an id"])
    assert len(second) == 10
    assert not set(ids(first)) & set(ids(second))
    with pytest.raises(UsageError, match="collection of song ids"):
        recommend(catalog, plan, exclude_ids="s_000000000001")


def test_songs_without_valence_or_energy_are_never_placed() -> None:
    placed = spread("sad", 5)
    blind = Song(id="s_0000000fffff", title="No features", artist="Nobody")
    index = RecommenderIndex(Catalog([*placed, blind]))
    assert index.unplaced == 1
    assert blind.id not in ids(recommend(index, make_plan("negative", "match", 6)))


def test_the_same_seed_gives_the_same_list_and_another_seed_breaks_ties_differently() -> None:
    # 40 songs with identical features by different artists: every score ties.
    catalog = Catalog([song(0.3, 0.4, "sad") for _ in range(40)])
    plan = make_plan("negative", "match", 10)
    assert ids(recommend(catalog, plan, seed=7)) == ids(recommend(catalog, plan, seed=7))
    assert ids(recommend(catalog, plan, seed=7)) != ids(recommend(catalog, plan, seed=8))
    # Where nothing ties, the seed changes nothing.
    distinct = Catalog([song(0.2 + 0.01 * i, 0.4, "sad") for i in range(40)])
    assert ids(recommend(distinct, plan, seed=1)) == ids(recommend(distinct, plan, seed=2))


def test_taste_lifts_a_liked_song_and_sinks_a_disliked_one() -> None:
    catalog = Catalog(spread("sad", 80))
    plan = make_plan("negative", "match", 10)
    before = ids(recommend(catalog, plan))
    v, e = at(plan.targets[0])
    # The song just outside the list: the nearest to the target of those left out.
    liked = min(
        (s for s in catalog if s.id not in before),
        key=lambda s: (float(s.valence or 0) - v) ** 2 + (float(s.energy or 0) - e) ** 2,
    ).id
    after = ids(recommend(catalog, plan, taste={liked: 1.0, before[0]: -1.0}))
    assert liked in after
    assert after.index(liked) < 10 and (before[0] not in after or after.index(before[0]) > 0)
    with pytest.raises(UsageError, match="finite"):
        recommend(catalog, plan, taste={liked: float("nan")})


def test_n_resamples_the_trajectory_keeping_both_ends() -> None:
    catalog = Catalog([s for mood in MUSIC_MOODS for s in spread(mood, 20, seed=len(mood))])
    plan = make_plan("negative", "lift", 10)
    short = recommend(catalog, plan, n=4)
    assert [r.target for r in short] == [0, 3, 6, 9]
    assert len(recommend(catalog, plan)) == 10  # default: one song per target
    with pytest.raises(UsageError, match="n must be"):
        recommend(catalog, plan, n=0)


def test_the_index_is_built_once_per_catalog() -> None:
    catalog = Catalog(spread("calm", 10))
    assert RecommenderIndex.for_catalog(catalog) is RecommenderIndex.for_catalog(catalog)


# --- reasons ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "reading", "words"),
    [
        ("match", "neutral", "matches a calm neutral mood"),
        ("match", "negative", "matches a sad negative mood"),
        ("lift", "negative", "toward a lighter mood"),
        ("calm", "positive", "toward a calmer mood"),
        ("energize", "neutral", "toward more energy"),
    ],
)
def test_reasons_say_what_the_song_is_and_where_it_leads(strategy: str, reading: str, words: str) -> None:
    catalog = Catalog([s for mood in MUSIC_MOODS for s in spread(mood, 30, seed=len(mood))])
    result = recommend(catalog, make_plan(reading, strategy, 8))
    assert len(result) == 8
    for rec in result:
        assert words in rec.reason
        assert "\n" not in rec.reason
    if strategy != "match":
        assert "starting where you are" in result[0].reason
        directions = ("brighter", "darker", "livelier", "calmer", "close to where you started")
        assert all(any(d in r.reason.split(":")[0] for d in directions) for r in result[1:])
        assert all(f"step {i} of 8" in r.reason for i, r in enumerate(result, 1))


def test_lift_reasons_say_brighter_as_the_list_climbs() -> None:
    catalog = Catalog([s for mood in MUSIC_MOODS for s in spread(mood, 40, seed=len(mood))])
    result = recommend(catalog, make_plan("negative", "lift", 10))
    assert "brighter" in result[-1].reason
    valence = [r.song.valence or 0.0 for r in result]
    assert np.mean(valence[-3:]) > np.mean(valence[:3])


def test_to_dict_is_one_json_object() -> None:
    catalog = Catalog(spread("sad", 20, language="ko", youtube_id="abcdefghijk"))
    result = recommend(catalog, make_plan("negative", "match", 3), filters=Filters(language="ko"))
    assert isinstance(result, RecommendationList) and isinstance(result, list)
    d = json.loads(json.dumps(result.to_dict()))
    assert set(d) == {"plan", "filters", "songs", "unjudged"}
    assert d["plan"]["strategy"] == "match" and len(d["plan"]["targets"]) == 3
    keys = {"id", "title", "artist", "language", "genres", "year", "valence", "energy", "youtube_id"}
    assert set(d["songs"][0]) >= keys | {"spotify_id", "reason", "score", "target", "moods"}
    assert d["filters"]["language"] == "ko"


# --- the shortlist ------------------------------------------------------------------------------


def test_the_shortlist_finds_what_scoring_every_song_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    # Bigger than EXACT_LIMIT, so the k-d tree shortlists; scored in full, it is the exact answer.
    # The shortlist is an approximation: the first song must be the same, the rest nearly so.
    monkeypatch.setattr("moodtune.music.rank.EXACT_LIMIT", 500)
    songs = [s for mood in MUSIC_MOODS for s in spread(mood, 600, seed=len(mood) + 10)]
    catalog = Catalog(songs)
    fast = RecommenderIndex(catalog)
    exact = RecommenderIndex(catalog, shortlist=len(songs))
    assert fast._tree is not None and exact._tree is not None
    same = total = 0
    for strategy in STRATEGIES:
        for reading in ("negative", "neutral", "positive"):
            plan = make_plan(reading, strategy, 10)
            got, want = ids(recommend(fast, plan)), ids(recommend(exact, plan))
            assert got[0] == want[0], (reading, strategy)
            same += len(set(got) & set(want))
            total += len(want)
    assert same / total >= 0.9


def test_a_selective_filter_gets_its_own_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    # A smaller EXACT_LIMIT makes a small catalog take the paths of a big one.
    monkeypatch.setattr("moodtune.music.rank.EXACT_LIMIT", 100)
    songs = [
        s
        for i, mood in enumerate(MUSIC_MOODS)
        for s in spread(mood, 80, seed=i, language="ko") + spread(mood, 320, seed=i + 10, language="en")
    ]
    catalog = Catalog(songs)
    fast = RecommenderIndex(catalog)
    exact = RecommenderIndex(catalog, shortlist=len(songs))
    ko = Filters(language="ko")
    for strategy in ("match", "lift"):
        plan = make_plan("neutral", strategy, 12)
        got = recommend(fast, plan, filters=ko)
        assert len(got) == 12 and {r.song.language for r in got} == {"ko"}
        assert got[0].song.id == recommend(exact, plan, filters=ko)[0].song.id
    assert ko in fast._filter_trees  # built on first use, then kept
    assert fast.filter_tree(ko) is fast.filter_tree(ko)


def test_the_youtube_filter_follows_what_plays_now() -> None:
    songs = [song(0.3 + 0.01 * i, 0.4, "sad", youtube_id=f"vid{i:08d}" if i < 3 else None) for i in range(8)]
    catalog = Catalog(songs)
    plan = make_plan("negative", "match", 8)
    only = Filters(youtube_only=True)
    assert set(ids(recommend(catalog, plan, filters=only))) == {s.id for s in songs[:3]}
    # the video of song 0 was reported unplayable; the resolver found one for song 5
    RecommenderIndex.for_catalog(catalog).set_youtube([songs[1].id, songs[2].id, songs[5].id])
    assert set(ids(recommend(catalog, plan, filters=only))) == {songs[1].id, songs[2].id, songs[5].id}


def test_the_playable_filter_keeps_songs_either_player_can_play() -> None:
    """A video that plays or a Spotify id: the page plays it; a song with neither is left out."""
    songs = [
        song(0.3 + 0.01 * i, 0.4, "sad", youtube_id=f"vid{i:08d}" if i < 2 else None, spotify_id=spotify)
        for i, spotify in enumerate([None, "1" * 22, "2" * 22, "3" * 22, None, None])
    ]
    catalog = Catalog(songs)
    plan = make_plan("negative", "match", 6)
    playable = Filters(playable_only=True)
    assert set(ids(recommend(catalog, plan, filters=playable))) == {s.id for s in songs[:4]}
    assert recommend(catalog, plan, filters=playable).unjudged["songs"] == 0
    assert Filters(playable_only=True).to_dict()["playable_only"] is True
    # song 0's only video was reported unplayable and it has no Spotify id; song 1 still has Spotify
    RecommenderIndex.for_catalog(catalog).set_youtube([])
    assert set(ids(recommend(catalog, plan, filters=playable))) == {s.id for s in songs[1:4]}
    both = Filters(youtube_only=True, playable_only=True)
    assert recommend(catalog, plan, filters=both) == []

"""The recommender's offline evaluation (``moodtune.music.evaluate``): the curators' AUC on catalogs
built in code whose answer is known, intra-list distance and coverage by hand, the per-song score it
rests on (``rank.score_songs``), and ``moodtune eval-recs --json`` through its real entry point.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from moodtune.emotions import MOODS
from moodtune.errors import UsageError
from moodtune.music.catalog import CATALOG_PATH, Catalog, Song
from moodtune.music.evaluate import (
    checks,
    coverage,
    curators_auc,
    diversity,
    emotion_moods,
    intra_list_distance,
    requests,
    sound,
    thirds,
)
from moodtune.music.plan import STRATEGIES, make_plan
from moodtune.music.rank import RecommenderIndex, recommend, score_songs
from tests.fixtures import SHARED
from tests.music.test_rank import at, song

DATA_MOODS = SHARED / "music" / "data_moods.csv"
# The music mood a listener mood's match plan wants most (moodspace.LISTENER_TO_MUSIC_MOODS).
MUSIC_FOR = {"negative": "sad", "neutral": "calm", "positive": "happy"}


def curated_catalog(playlist_of: list[str | None], points: np.ndarray, moods: list[str]) -> Catalog:
    """Songs at ``points`` (0-1 valence, energy) with the features of ``moods``, each in the
    emotion playlist ``90_<mood>`` named by ``playlist_of`` (None: a theme playlist only)."""
    songs = []
    for listener, (v, e), mood in zip(playlist_of, points, moods, strict=True):
        playlists = ("season_spring",) if listener is None else (f"90_{listener}", "season_spring")
        songs.append(song(float(v), float(e), mood, playlists=playlists))
    return Catalog(songs)


def test_auc_is_1_when_each_playlist_holds_exactly_the_songs_nearest_its_mood() -> None:
    rng = np.random.default_rng(0)
    playlist_of: list[str | None] = []
    points, moods = [], []
    for listener in MOODS:
        v, e = at(make_plan(listener, "match", 1).targets[0])
        for _ in range(8):
            playlist_of.append(listener)
            points.append((v + rng.normal(0, 0.01), e + rng.normal(0, 0.01)))
            moods.append(MUSIC_FOR[listener])
    catalog = curated_catalog(playlist_of, np.array(points), moods)
    result = curators_auc(RecommenderIndex(catalog))
    assert result["songs"] == {"all": 24, "measured": 24}
    assert result["positives"]["all"] == {m: 8 for m in MOODS}
    for subset in ("all", "measured"):
        assert [result[subset][m] for m in MOODS] == [1.0, 1.0, 1.0]
        assert result[subset]["mean"] == 1.0
    assert "circular" in result["note"]


def test_auc_is_about_one_half_for_random_playlists() -> None:
    rng = np.random.default_rng(1)
    n = 450
    catalog = curated_catalog(
        [str(m) for m in rng.choice(np.array(MOODS), n)],
        rng.uniform(0.05, 0.95, (n, 2)),
        [str(m) for m in rng.choice(np.array(list(MUSIC_FOR.values())), n)],
    )
    result = curators_auc(RecommenderIndex(catalog))
    for mood in MOODS:
        assert result["all"][mood] == pytest.approx(0.5, abs=0.1)


def test_only_emotion_playlists_count_and_estimated_positions_leave_the_measured_subset() -> None:
    plain = song(0.2, 0.2, "sad", playlists=("season_fall",))
    estimated = Song(
        id="s_0000000fffff",
        title="tagged",
        artist="Curator's pick",
        valence=0.3,
        energy=0.4,
        playlists=("80_negative",),
        estimated=frozenset({"valence", "energy"}),
    )
    measured = [
        song(0.8, 0.7, "happy", playlists=("00_positive",)),
        song(0.2, 0.2, "sad", playlists=("10_negative",)),
    ]
    assert emotion_moods(plain) == frozenset()
    assert emotion_moods(estimated) == {"negative"}
    result = curators_auc(RecommenderIndex(Catalog([plain, estimated, *measured])))
    assert result["songs"] == {"all": 3, "measured": 2}
    assert result["measured"]["neutral"] is None  # no neutral song: the AUC is undefined, not 0.5


def test_score_songs_orders_songs_as_recommend_picks_them() -> None:
    target = make_plan("negative", "match", 1).targets[0]
    v, e = at(target)
    catalog = Catalog([song(v + d, e - d, "sad") for d in (0.3, 0.0, 0.15)])
    index = RecommenderIndex(catalog)
    scores = score_songs(index, target, [0, 1, 2])
    assert list(np.argsort(-scores)) == [1, 2, 0]
    first = recommend(index, make_plan("negative", "match", 1))[0]
    assert first.song.id == catalog.songs[1].id
    assert first.score == pytest.approx(scores[1])
    with pytest.raises(UsageError, match=r"rows must be index rows in \[0, 3\)"):
        score_songs(index, target, [3])


def test_intra_list_distance_by_hand() -> None:
    # Pairs: (0,0)-(3,4) = 5, (0,0)-(0,0) = 0, (3,4)-(0,0) = 5: mean 10/3.
    assert intra_list_distance(np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 0.0]])) == pytest.approx(10 / 3)
    assert intra_list_distance(np.array([[1.0, 2.0]])) is None
    with pytest.raises(ValueError, match=r"2D array \(n, k\), but got shape \(3,\)"):
        intra_list_distance(np.array([1.0, 2.0, 3.0]))


def test_coverage_by_hand() -> None:
    # a, b, c recommended (b twice) from 10 songs: 3 / 10.
    assert coverage([["a", "b"], ["b", "c"]], 10) == pytest.approx(0.3)
    assert coverage([], 5) == 0.0
    with pytest.raises(ValueError, match="catalog_size must be at least 1"):
        coverage([["a"]], 0)


def test_diversity_counts_requests_artists_and_coverage() -> None:
    rng = np.random.default_rng(2)
    songs = [
        song(float(v), float(e), str(m))
        for (v, e), m in zip(
            rng.uniform(0.05, 0.95, (60, 2)), rng.choice(np.array(list(MUSIC_FOR.values())), 60), strict=True
        )
    ]
    result = diversity(RecommenderIndex(Catalog(songs)), seeds=(0,), grid=(0.0,), n=5)
    assert result["requests"] == len(requests((0,), (0.0,))) == 3 * 4 + 4
    assert result["distinct_artists"]["min"] == 5  # every synthetic song has its own artist
    assert 5 / 60 <= result["coverage"] <= 1.0
    assert result["coverage"] == pytest.approx(result["songs_recommended"] / 60, abs=1e-4)
    assert result["intra_list_distance"]["mean"] > 0


def test_sound_is_the_mean_valence_and_energy_of_each_list_and_the_rise_of_its_thirds() -> None:
    # Songs of every mood in a grid: each mood x strategy finds ten near its targets.
    grid = np.linspace(0.05, 0.95, 10)
    songs = [song(float(v), float(e), mood) for v in grid for e in grid for mood in MUSIC_FOR.values()]
    index = RecommenderIndex(Catalog(songs))
    result = sound(index, n=9)
    assert set(result) == set(MOODS) and all(set(result[m]) == set(STRATEGIES) for m in MOODS)
    for mood in MOODS:
        for strategy in STRATEGIES:
            picks = recommend(index, make_plan(mood, strategy, 9))
            valence = [float(r.song.valence or 0) for r in picks]
            fig = result[mood][strategy]
            assert fig["valence"] == pytest.approx(np.mean(valence), abs=1e-3)
            assert fig["energy"] == pytest.approx(np.mean([r.song.energy for r in picks]), abs=1e-3)
            # thirds of 9 songs: 3 and 3
            assert fig["first_third_valence"] == pytest.approx(np.mean(valence[:3]), abs=1e-3)
            assert fig["last_third_valence"] == pytest.approx(np.mean(valence[-3:]), abs=1e-3)
            assert fig["rise"] == pytest.approx(
                fig["last_third_valence"] - fig["first_third_valence"], abs=2e-3
            )
    assert result["positive"]["match"]["valence"] > result["neutral"]["match"]["valence"]
    assert result["neutral"]["match"]["valence"] > result["negative"]["match"]["valence"]
    assert result["negative"]["lift"]["rise"] > 0.3
    assert thirds([1.0, 2.0]) == (1.0, 2.0)  # fewer than 3 songs: one song each


def report(positive: float, negative: float, rise: float, share: float | None) -> dict[str, object]:
    shares = {m: {"share": share, "labels": []} for m in MOODS}
    return {
        "sound": {
            "positive": {"match": {"valence": positive}},
            "negative": {"match": {"valence": negative}, "lift": {"rise": rise}},
        },
        "consistency": {"songs": 686, "in_sample": shares},
        "curators": {"all": {"mean": 0.75}, "measured": {"mean": 0.69}},
    }


@pytest.mark.parametrize(
    ("positive", "negative", "rise", "share", "failed"),
    [
        (0.65, 0.35, 0.3, 0.8, []),  # every goal met exactly
        (0.64, 0.35, 0.3, 0.8, ["positive match, mean valence"]),  # not bright enough
        (0.82, 0.36, 0.3, 0.8, ["negative match, mean valence"]),  # not sad enough
        (0.82, 0.19, 0.29, 0.8, ["negative lift, valence rise"]),  # a lift that barely climbs
        (0.82, 0.19, 0.49, 0.7, [f"consistency@10 {m} (in sample)" for m in MOODS]),
        (0.82, 0.19, 0.49, None, [f"consistency@10 {m} (in sample)" for m in MOODS]),  # none: fails
    ],
)
def test_checks_name_each_goal_missed(
    positive: float, negative: float, rise: float, share: float | None, failed: list[str]
) -> None:
    result = checks(report(positive, negative, rise, share))
    assert [c["check"] for c in result if not c["ok"]] == [*failed, "curators' mean AUC (measured)"]
    assert len(result) == 3 + 3 + 2  # no out-of-fold figures: not checked
    assert {c["check"]: c["goal"] for c in result}["negative match, mean valence"] == "<= 0.35"


@pytest.mark.skipif(not CATALOG_PATH.is_file(), reason="the shipped catalog is missing")
def test_cli_json_is_one_object_with_every_figure() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "moodtune.cli", "eval-recs", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    (line,) = proc.stdout.splitlines()
    d = json.loads(line)
    assert set(d) == {
        "catalog",
        "mood_model",
        "consistency",
        "curators",
        "lift",
        "diversity",
        "sound",
        "checks",
    }
    assert 0.8 <= d["mood_model"]["accuracy_mean"] <= 1 and d["mood_model"]["folds"] == 5
    assert set(d["consistency"]["in_sample"]) == set(MOODS)
    for subset in ("all", "measured"):
        assert set(d["curators"][subset]) == {*MOODS, "mean"}
    assert d["curators"]["songs"]["measured"] < d["curators"]["songs"]["all"]
    for mood in ("negative", "neutral"):  # a positive listener is already where a lift leads
        assert d["lift"][mood]["last_third_valence"] > d["lift"][mood]["first_third_valence"] + 0.2
    assert 0 < d["diversity"]["coverage"] <= 1
    assert d["diversity"]["list_length"] == 20
    assert set(d["sound"]) == set(MOODS) and all(set(d["sound"][m]) == set(STRATEGIES) for m in MOODS)
    # Bright songs for bright moods, on the shipped catalog: the figures of `moodtune recommend -n 10`.
    sound = d["sound"]
    assert sound["positive"]["match"]["valence"] >= 0.65
    assert sound["negative"]["match"]["valence"] <= 0.35
    assert sound["negative"]["lift"]["rise"] >= 0.3
    for name in ("in_sample", *(["out_of_fold"] if DATA_MOODS.is_file() else [])):
        assert all(d["consistency"][name][m]["share"] >= 0.8 for m in MOODS), name
    assert [c["check"] for c in d["checks"] if not c["ok"]] == []
    assert len(d["checks"]) == 3 + 3 * (2 if DATA_MOODS.is_file() else 1) + 2

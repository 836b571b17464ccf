"""The mood recommender, evaluated offline: the figures of issue 4's "Evaluation", shown by
``moodtune eval-recs`` and reused by ``benchmarks/recommend_bench.py`` (which adds the timings).

1. Mood model: the shipped model's stored 5-fold accuracy on data_moods (``data/mood_model.json``,
   written by ``mood_model.fit_default``; read here, never recomputed).
2. Mood consistency: for each listener mood and strategy ``match``, the share of the top 10 whose
   data_moods label fits the mood (positive -> happy/energetic, negative -> sad, neutral -> calm),
   ranking only the catalog songs that carry a data_moods label. In sample (the shipped model was
   fitted on these very songs) and, given ``data_moods.csv``, out of fold (each song's mood
   probabilities from a model fitted on the other four folds, folds as in
   ``mood_model.cross_validate``): the honest figure.
3. The curators' judgement: the original HearUrFace service's curators filed songs into 12 emotion
   playlists (``00_negative`` ... ``90_positive``, four decades x three moods, ``seed_playlists.csv``).
   For each listener mood, every curated song is scored by ``rank.score_songs`` at the first target
   of that mood's ``match`` plan, and ROC AUC (scikit-learn's ``roc_auc_score``; J. A. Hanley &
   B. J. McNeil, "The meaning and use of the area under a ROC curve", Radiology 1982: the chance
   that a random playlist song outscores a random other curated song) measures how well the score
   separates that mood's playlist songs from the other curated songs. Most curated songs have no
   Spotify features: their valence and energy were *estimated from the curators' own mood tags*
   (``build.TAG_FEATURES``), so on them the AUC is partly circular (the tag that put a song in a
   negative playlist also set its features). The AUC on the songs with measured valence and
   energy is the fair figure, on few songs.
4. Lift: the mean valence of the first and the last third of a 20-song ``lift`` playlist, per mood.
5. Diversity and coverage over many requests (every mood x strategy x a few seeds, and a grid of
   valence-arousal points x strategy): intra-list distance (the mean pairwise distance within a
   list in the ranker's standardised, weighted feature space, the ``d`` of ``rank``; B. Smyth &
   P. McClave, "Similarity vs. diversity", ICCBR 2001; C.-N. Ziegler et al., "Improving
   recommendation lists through topic diversification", WWW 2005), distinct artists per list (by
   ``normalize.artist_key``), and catalog coverage (the share of the catalog's songs recommended
   at least once; M. Ge, C. Delgado-Battenfeld & D. Jannach, "Beyond accuracy: evaluating
   recommender systems by coverage and serendipity", RecSys 2010). Seeds only break exact ties, so
   most seeds repeat a list.
6. Sound: for every listener mood x strategy, the mean Spotify valence and energy of the
   ``SOUND_LENGTH``-song list (10, as ``moodtune recommend -n 10`` gives it, seed 0), and its mean
   valence in the first and the last third and the rise between them: does positive sound happy,
   negative sad, and does a lift climb.
7. Checks (``checks``): each figure above that has a goal, with its value and whether it meets it:
   positive ``match`` mean valence >= 0.65 (clearly bright), negative ``match`` <= 0.35 (clearly
   sad), negative ``lift`` rising by >= 0.3 from its first third to its last, mood consistency@10
   >= 0.8 for every mood (in sample and out of fold), the curators' mean AUC >= 0.7 (all and
   measured).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from moodtune.emotions import MOODS
from moodtune.errors import CatalogError, ModelError
from moodtune.moodspace import LISTENER_TO_MUSIC_MOODS, MUSIC_MOODS, MoodPoint
from moodtune.music.catalog import FEATURES, Catalog, Song
from moodtune.music.mood_model import DEFAULT_MODEL_PATH, MoodModel, load_data_moods
from moodtune.music.mood_model import FEATURES as MODEL_FEATURES
from moodtune.music.plan import STRATEGIES, make_plan
from moodtune.music.rank import (
    DIMENSIONS,
    SHORTLIST_MOOD_SCALE,
    RecommendationList,
    RecommenderIndex,
    recommend,
    score_songs,
)

EMOTION_PLAYLIST = re.compile(r"^\d0_(negative|neutral|positive)$")
"""The names of the original service's 12 emotion playlists: decade digit, ``0_``, listener mood."""
GRID: tuple[float, ...] = (-0.8, -0.4, 0.0, 0.4, 0.8)
"""Valence and arousal values of the grid of readings used for diversity and coverage."""
SEEDS: tuple[int, ...] = (0, 1, 2)
"""Seeds per mood and strategy for diversity and coverage."""
LIST_LENGTH = 20
"""Songs per request for lift, diversity and coverage."""
AUC_TARGET = 0.7
"""Issue 4's target for the curators' AUC."""
CONSISTENCY_TARGET = 0.8
"""The least mood consistency@10 for every listener mood."""
SOUND_LENGTH = 10
"""Songs per list for the sound of each mood x strategy (``sound``)."""
BRIGHT_VALENCE = 0.65
"""A positive ``match`` list sounds happy: its mean Spotify valence is at least this."""
DARK_VALENCE = 0.35
"""A negative ``match`` list sounds sad: its mean Spotify valence is at most this."""
LIFT_RISE = 0.3
"""A negative ``lift`` climbs: its last third's mean Spotify valence exceeds its first third's by this."""

CURATORS_NOTE = (
    "most curated songs have valence and energy estimated from the curators' own mood tags, so the "
    "AUC on all curated songs is partly circular; the measured-only AUC is the fair figure"
)


# --- 1. the mood model ----------------------------------------------------------------------------


def mood_model_accuracy(path: Path = DEFAULT_MODEL_PATH) -> dict[str, Any]:
    """The stored cross-validated accuracy of the mood model file at ``path`` (not recomputed)."""
    try:
        cv = json.loads(Path(path).read_text(encoding="utf-8"))["cross_validation"]
        model = cv["model"]
        return {
            "accuracy_mean": round(float(model["accuracy_mean"]), 4),
            "accuracy_std": round(float(model["accuracy_std"]), 4),
            "folds": int(cv["folds"]),
            "rows": int(cv["rows"]),
            "data": str(cv["data"]),
        }
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(
            f"{path}: expected a mood model file with cross_validation.model.accuracy_mean, but could "
            f"not read it ({exc!r}); refit it with mood_model.fit_default"
        ) from None


# --- 2. mood consistency --------------------------------------------------------------------------


def labelled(catalog: Catalog) -> tuple[Catalog, dict[str, str]]:
    """The catalog's songs that carry a data_moods label (a ``MUSIC_MOODS`` tag), and the labels."""
    songs = [s for s in catalog if set(s.mood_tags) & set(MUSIC_MOODS)]
    labels = {s.id: next(t for t in s.mood_tags if t in MUSIC_MOODS) for s in songs}
    return Catalog(songs), labels


def out_of_fold(sub: Catalog, index: RecommenderIndex, data_moods: Path) -> RecommenderIndex:
    """``index`` (of ``sub``, labelled songs only) with each song's mood probabilities from a model
    that never saw it: fitted on the other four folds of ``data_moods``."""
    from sklearn.model_selection import StratifiedKFold

    X, y = load_data_moods(data_moods)
    with Path(data_moods).open(newline="", encoding="utf-8") as fh:
        spotify = [row["id"] for row in csv.DictReader(fh)]
    row_of = {sid: i for i, sid in enumerate(spotify)}

    def csv_row(song: Song) -> int:
        for sid in (song.spotify_id, *(o.removeprefix("spotify:") for o in song.other_ids)):
            if sid in row_of:
                return row_of[sid]
        raise CatalogError(
            f"{song.id} ({song.title}) carries a data_moods label but has no row in {data_moods}; "
            "rebuild the catalog from the same files with `moodtune catalog build`"
        )

    rows = np.array([csv_row(sub.songs[int(p)]) for p in index.rows])
    fold_of = np.empty(len(y), dtype=np.int64)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    for f, (_, test) in enumerate(folds.split(X, np.array(y))):
        fold_of[test] = f
    feats = sub.features()[index.rows]
    model_input = np.full((len(rows), len(MODEL_FEATURES)), np.nan)
    for j, name in enumerate(MODEL_FEATURES):
        if name in FEATURES:
            model_input[:, j] = feats[:, FEATURES.index(name)]
    probabilities = np.zeros((len(rows), len(MUSIC_MOODS)))
    for f in range(5):
        train = np.flatnonzero(fold_of != f)
        model = MoodModel().fit(X[train], [y[i] for i in train])
        mine = fold_of[rows] == f
        if mine.any():
            probabilities[mine] = model.predict_proba(model_input[mine])
    k = len(DIMENSIONS)
    index.space[:, k:-1] = SHORTLIST_MOOD_SCALE * probabilities
    index.space[:, -1] = SHORTLIST_MOOD_SCALE * np.sqrt(np.clip(1 - (probabilities**2).sum(axis=1), 0, None))
    return index


def consistency(catalog: Catalog, data_moods: Path | None = None, top: int = 10) -> dict[str, Any]:
    """Mood consistency of the ``top`` songs of ``match`` per listener mood, ranking only the
    labelled songs: ``{"songs", "in_sample": {mood: {"share", "labels"}}, "out_of_fold": ...}``
    (``out_of_fold`` only with ``data_moods``; the whole result is ``{"songs": 0}`` when no song
    carries a label)."""
    sub, labels = labelled(catalog)
    out: dict[str, Any] = {"songs": len(sub)}
    if not len(sub):
        return out
    indexes = {"in_sample": RecommenderIndex(sub)}
    if data_moods is not None:
        indexes["out_of_fold"] = out_of_fold(sub, RecommenderIndex(sub), data_moods)
    for name, index in indexes.items():
        shares = {}
        for mood in MOODS:
            picks = recommend(index, make_plan(mood, "match", min(top, len(index))))
            fits = [labels[r.song.id] in LISTENER_TO_MUSIC_MOODS[mood] for r in picks]
            shares[mood] = {
                "share": round(sum(fits) / len(fits), 4) if fits else None,
                "labels": [labels[r.song.id] for r in picks],
            }
        out[name] = shares
    return out


# --- 3. the curators' judgement -------------------------------------------------------------------


def emotion_moods(song: Song) -> frozenset[str]:
    """The listener moods of the emotion playlists ``song`` is in (empty: not curated by emotion)."""
    return frozenset(m.group(1) for p in song.playlists if (m := EMOTION_PLAYLIST.match(p)))


def has_measured_position(song: Song) -> bool:
    """Whether the song's valence and energy (its place in the mood space) were both measured."""
    return {"valence", "energy"} <= song.measured


def _auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    """ROC AUC, or None when only one class is present (it is undefined)."""
    from sklearn.metrics import roc_auc_score

    if labels.all() or not labels.any():
        return None
    return round(float(roc_auc_score(labels, scores)), 4)


def _mean(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(float(np.mean(known)), 4) if known else None


def curators_auc(index: RecommenderIndex) -> dict[str, Any]:
    """ROC AUC per listener mood of "the song is in that mood's emotion playlists" against the
    score ``rank.score_songs`` gives it at the first target of the mood's ``match`` plan, over the
    curated songs the index can place; on all of them and on those with measured valence and energy.

    ``{"songs": {"all": N, "measured": M}, "positives": {...}, "all": {mood: auc, "mean": auc},
    "measured": {...}, "note": ...}``; an AUC is None where a subset lacks a class.
    """
    songs, rows = [], []
    for song, row in zip(index.catalog.songs, index.rows_of(s.id for s in index.catalog.songs), strict=True):
        if row >= 0 and emotion_moods(song):
            songs.append(song)
            rows.append(int(row))
    measured = np.array([has_measured_position(s) for s in songs], dtype=bool)
    scores = {mood: score_songs(index, make_plan(mood, "match", 1).targets[0], rows) for mood in MOODS}
    out: dict[str, Any] = {
        "songs": {"all": len(songs), "measured": int(measured.sum())},
        "positives": {"all": {}, "measured": {}},
    }
    for subset, mask in (("all", np.ones(len(songs), dtype=bool)), ("measured", measured)):
        aucs: dict[str, float | None] = {}
        for mood in MOODS:
            labels = np.array([mood in emotion_moods(s) for s in songs], dtype=bool)[mask]
            out["positives"][subset][mood] = int(labels.sum())
            aucs[mood] = _auc(labels, scores[mood][mask]) if len(labels) else None
        out[subset] = {**aucs, "mean": _mean(aucs.values())}
    out["note"] = CURATORS_NOTE
    return out


# --- 4. lift --------------------------------------------------------------------------------------


def lift(index: RecommenderIndex, n: int = LIST_LENGTH) -> dict[str, Any]:
    """Mean valence and energy of the first and the last third of an ``n``-song lift, per mood."""
    out = {}
    for mood in MOODS:
        songs = recommend(index, make_plan(mood, "lift", n))
        valence = thirds([float(r.song.valence or 0.0) for r in songs])
        energy = thirds([float(r.song.energy or 0.0) for r in songs])
        out[mood] = {
            "first_third_valence": round(valence[0], 3),
            "last_third_valence": round(valence[1], 3),
            "first_third_energy": round(energy[0], 3),
            "last_third_energy": round(energy[1], 3),
        }
    return out


# --- 5. diversity and coverage --------------------------------------------------------------------


def intra_list_distance(points: np.ndarray) -> float | None:
    """The mean Euclidean distance over all pairs of rows of ``points`` ``(n, k)``; None for n < 2."""
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2:
        raise ValueError(f"points must be a 2D array (n, k), but got shape {points.shape}")
    n = len(points)
    if n < 2:
        return None
    diff = points[:, None, :] - points[None, :, :]
    distances = np.sqrt((diff**2).sum(axis=-1))
    return float(distances[np.triu_indices(n, 1)].mean())


def coverage(lists: Iterable[Iterable[str]], catalog_size: int) -> float:
    """The share of a catalog of ``catalog_size`` songs that appears in at least one of ``lists``
    (each a list of song ids)."""
    if catalog_size < 1:
        raise ValueError(f"catalog_size must be at least 1, but got {catalog_size!r}")
    seen = {song_id for ids in lists for song_id in ids}
    return len(seen) / catalog_size


def requests(seeds: Sequence[int] = SEEDS, grid: Sequence[float] = GRID) -> list[tuple[Any, str, int]]:
    """The (reading, strategy, seed) requests of the diversity and coverage figures: every mood x
    strategy x seed, and every grid point (valence, arousal) x strategy with seed 0."""
    out: list[tuple[Any, str, int]] = [(m, s, seed) for m in MOODS for s in STRATEGIES for seed in seeds]
    out += [(MoodPoint(v, a), s, 0) for v in grid for a in grid for s in STRATEGIES]
    return out


def diversity(
    index: RecommenderIndex, seeds: Sequence[int] = SEEDS, grid: Sequence[float] = GRID, n: int = LIST_LENGTH
) -> dict[str, Any]:
    """Intra-list distance, distinct artists per list and catalog coverage over ``requests``."""
    k = len(DIMENSIONS)
    ild: list[float] = []
    artists: list[int] = []
    by_strategy: dict[str, dict[str, list[float]]] = {s: {"ild": [], "artists": []} for s in STRATEGIES}
    lists: list[list[str]] = []
    asked = requests(seeds, grid)
    for reading, strategy, seed in asked:
        result: RecommendationList = recommend(index, make_plan(reading, strategy, n), seed=seed)
        ids = [r.song.id for r in result]
        rows = index.rows_of(ids)
        lists.append(ids)
        distance = intra_list_distance(index.space[rows, :k])
        if distance is not None:
            ild.append(distance)
            by_strategy[strategy]["ild"].append(distance)
        distinct = len(set(index.artist[rows].tolist()))
        artists.append(distinct)
        by_strategy[strategy]["artists"].append(distinct)
    size = len(index.catalog)
    return {
        "requests": len(asked),
        "list_length": n,
        "intra_list_distance": {
            "mean": _mean(ild),
            "min": round(min(ild), 4) if ild else None,
            "max": round(max(ild), 4) if ild else None,
        },
        "distinct_artists": {
            "mean": _mean(artists),
            "min": min(artists) if artists else None,
        },
        "by_strategy": {
            s: {"intra_list_distance": _mean(v["ild"]), "distinct_artists": _mean(v["artists"])}
            for s, v in by_strategy.items()
        },
        "coverage": round(coverage(lists, size), 4) if size else 0.0,
        "songs_recommended": len({i for ids in lists for i in ids}),
        "catalog_songs": size,
    }


# --- 6. sound -------------------------------------------------------------------------------------


def thirds(values: Sequence[float]) -> tuple[float, float]:
    """The mean of the first and of the last third of ``values`` (at least one value each)."""
    third = max(1, len(values) // 3)
    return float(np.mean(values[:third])), float(np.mean(values[-third:]))


def sound(index: RecommenderIndex, n: int = SOUND_LENGTH) -> dict[str, dict[str, dict[str, float]]]:
    """``{mood: {strategy: {"valence", "energy", "first_third_valence", "last_third_valence",
    "rise"}}}``: mean Spotify valence and energy of the ``n``-song list of every listener mood x
    strategy (seed 0, no filters), its first and last third's mean valence, and the rise between
    them (last minus first). Songs without valence or energy are never placed, so all have both."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for mood in MOODS:
        out[mood] = {}
        for strategy in STRATEGIES:
            songs = recommend(index, make_plan(mood, strategy, n))
            valence = [float(r.song.valence or 0.0) for r in songs]
            energy = [float(r.song.energy or 0.0) for r in songs]
            first, last = thirds(valence)
            out[mood][strategy] = {
                "valence": round(float(np.mean(valence)), 3),
                "energy": round(float(np.mean(energy)), 3),
                "first_third_valence": round(first, 3),
                "last_third_valence": round(last, 3),
                "rise": round(last - first, 3),
            }
    return out


# --- 7. checks ------------------------------------------------------------------------------------


def _check(
    name: str, value: float | None, at_least: float | None = None, at_most: float | None = None
) -> dict[str, Any]:
    goal = f">= {at_least}" if at_least is not None else f"<= {at_most}"
    ok = value is not None and (
        (at_least is None or value >= at_least) and (at_most is None or value <= at_most)
    )
    return {"check": name, "value": value, "goal": goal, "ok": ok}


def checks(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The figures of ``evaluate_recommender``'s ``report`` that have a goal: ``[{"check", "value",
    "goal", "ok"}]`` (see the module docstring). A figure the report lacks is not checked (out of
    fold consistency without data_moods.csv); one that is None (no labelled song) fails."""
    out = []
    heard = report.get("sound")
    if heard is not None:
        out += [
            _check(
                "positive match, mean valence", heard["positive"]["match"]["valence"], at_least=BRIGHT_VALENCE
            ),
            _check(
                "negative match, mean valence", heard["negative"]["match"]["valence"], at_most=DARK_VALENCE
            ),
            _check("negative lift, valence rise", heard["negative"]["lift"]["rise"], at_least=LIFT_RISE),
        ]
    cons = report.get("consistency")
    if cons is not None:
        for name in ("in_sample", "out_of_fold"):
            if name in cons:
                for mood in MOODS:
                    out.append(
                        _check(
                            f"consistency@10 {mood} ({name.replace('_', ' ')})",
                            cons[name][mood]["share"],
                            at_least=CONSISTENCY_TARGET,
                        )
                    )
        if "in_sample" not in cons:
            out.append(_check("consistency@10 (no labelled song)", None, at_least=CONSISTENCY_TARGET))
    cur = report.get("curators")
    if cur is not None:
        for subset in ("all", "measured"):
            out.append(_check(f"curators' mean AUC ({subset})", cur[subset]["mean"], at_least=AUC_TARGET))
    return out


# --- all of it ------------------------------------------------------------------------------------


def evaluate_recommender(
    catalog: Catalog | None = None,
    data_moods: Path | None = None,
    model_path: Path = DEFAULT_MODEL_PATH,
) -> dict[str, Any]:
    """Every figure of the module docstring for ``catalog`` (default: the shipped one), as one
    JSON-ready dict: ``mood_model``, ``consistency``, ``curators``, ``lift``, ``diversity``,
    ``sound``, ``checks``, ``catalog``. ``data_moods`` (``shared/data/music/data_moods.csv``) adds
    out-of-fold consistency."""
    catalog = Catalog.load() if catalog is None else catalog
    index = RecommenderIndex(catalog)
    report: dict[str, Any] = {
        "catalog": {"songs": len(catalog), "placed": len(index)},
        "mood_model": mood_model_accuracy(model_path),
        "consistency": consistency(catalog, data_moods),
        "curators": curators_auc(index),
        "lift": lift(index),
        "diversity": diversity(index),
        "sound": sound(index),
    }
    report["checks"] = checks(report)
    return report

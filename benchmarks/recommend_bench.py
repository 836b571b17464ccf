"""The mood recommender, measured (``moodtune.music.plan`` + ``moodtune.music.rank``).

1. Mood consistency (``moodtune.music.evaluate.consistency``): for each listener mood and strategy
   ``match``, the share of the top 10 whose data_moods label fits the mood (positive ->
   happy/energetic, negative -> sad, neutral -> calm), ranking only the catalog songs that carry a
   data_moods label (686). Twice: with the shipped mood model, which was fitted on these very songs
   (in-sample), and with out-of-fold probabilities (each song scored by a model fitted on the other
   four folds of data_moods.csv, folds as in ``mood_model.cross_validate``), the honest figure.
   Target: >= 0.8.
2. Lift (``moodtune.music.evaluate.lift``): the mean valence of the songs in the first and the last
   third of a 20-song lift, per mood.
3. Speed on the shipped catalog: index build time and size, then p50 latency (wall clock and CPU
   time of the calling thread) of 20 songs for every strategy and mood, and with filters.
4. Speed on synthetic catalogs of 10k, 100k and 1M songs (features resampled from the shipped
   catalog with jitter; 1 artist per 10 songs; random language, genre, year, YouTube id):
   catalog and index build time, index size, process RSS, p50 latency; cost growth.
5. The shortlist against scoring every song (shipped catalog, 124 plans of 20): how many slots get
   the same song, and how many songs both lists share.

    python benchmarks/recommend_bench.py [--sizes 10000,100000,1000000] [--repeats 15] [--json]

Timings are of one process on this machine, and are only comparable within one run.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import moodtune.music.rank as rank
from moodtune.emotions import MOODS
from moodtune.moodspace import MoodPoint
from moodtune.music.catalog import FEATURES, Catalog, Song
from moodtune.music.evaluate import consistency, lift
from moodtune.music.plan import STRATEGIES, make_plan
from moodtune.music.rank import Filters, RecommenderIndex, recommend

DATA_MOODS = Path(__file__).resolve().parents[2] / "shared" / "data" / "music" / "data_moods.csv"


def rss_mb() -> float:
    """The process's resident set size now, in MB (Linux)."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * 4096 / 1e6


def p50(values: list[float]) -> float:
    return round(1000 * statistics.median(values), 3)


def timed(index: RecommenderIndex, plans: list[Any], repeats: int, **kw: Any) -> dict[str, float]:
    """p50 wall and CPU milliseconds of ``recommend`` over ``plans`` x ``repeats`` seeds, and the wall
    milliseconds of the first request (which builds a filter's mask and, if it needs one, tree)."""
    t0 = time.perf_counter()
    recommend(index, plans[0], **kw)  # the first request builds what a filter needs (mask, tree)
    cold = time.perf_counter() - t0
    wall, cpu = [], []
    for seed in range(repeats):
        for plan in plans:
            t0, c0 = time.perf_counter(), time.thread_time()
            recommend(index, plan, seed=seed, **kw)
            cpu.append(time.thread_time() - c0)
            wall.append(time.perf_counter() - t0)
    return {
        "p50_ms": p50(wall),
        "p50_cpu_ms": p50(cpu),
        "first_ms": round(1000 * cold, 3),
        "requests": len(wall),
    }


def latency(index: RecommenderIndex, repeats: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    every = []
    for strategy in STRATEGIES:
        plans = [make_plan(mood, strategy, 20) for mood in MOODS]
        every += plans
        out[strategy] = timed(index, plans, repeats)
    out["all"] = timed(index, every, max(1, repeats // 4))
    out["lift, lang=ko + youtube-only"] = timed(
        index,
        [make_plan(m, "lift", 20) for m in MOODS],
        repeats,
        filters=Filters(language="ko", youtube_only=True),
    )
    out["match, genre=pop"] = timed(
        index, [make_plan(m, "match", 20) for m in MOODS], repeats, filters=Filters(genre="pop")
    )
    return out


# 1. mood consistency and 2. lift: moodtune.music.evaluate (also behind `moodtune eval-recs`).


# --- 4. synthetic catalogs ----------------------------------------------------------------------


def synthetic(size: int, catalog: Catalog, seed: int = 0) -> list[Song]:
    """``size`` songs whose features are shipped songs' (fully measured ones) plus Gaussian jitter."""
    rng = np.random.default_rng(seed)
    feats = catalog.features()
    real = feats[np.isfinite(feats).all(axis=1)]
    pick = real[rng.integers(0, len(real), size)]
    jitter = rng.normal(0, 0.02, pick.shape)
    jitter[:, FEATURES.index("tempo")] *= 100
    jitter[:, FEATURES.index("loudness")] *= 50
    pick = pick + jitter
    for j, name in enumerate(FEATURES):
        low, high = {"tempo": (1.0, 300.0), "loudness": (-60.0, 5.0)}.get(name, (0.0, 1.0))
        pick[:, j] = np.clip(pick[:, j], low, high)
    languages = rng.choice(np.array(["ko", "en", "es", ""]), size, p=[0.3, 0.3, 0.1, 0.3])
    genres = rng.choice(np.array(["k-pop", "pop", "pop/dance", "rock", "jazz", ""]), size)
    years = rng.integers(1960, 2026, size)
    known_year = rng.random(size) < 0.6
    youtube = rng.random(size) < 0.2
    popularity = rng.integers(0, 101, size)
    cols = [FEATURES.index(n) for n in ("valence", "energy", "danceability", "tempo", "acousticness")]
    cols += [FEATURES.index(n) for n in ("instrumentalness", "speechiness", "loudness")]
    values = np.round(pick[:, cols], 4).tolist()
    songs = []
    for i in range(size):
        v, e, d, t, a, ins, sp, loud = values[i]
        songs.append(
            Song(
                id=f"s_{i:012x}",
                title=f"Song {i}",
                artist=f"Artist {i // 10}",
                year=int(years[i]) if known_year[i] else None,
                genres=(str(genres[i]),) if genres[i] else (),
                language=str(languages[i]) or None,
                valence=v,
                energy=e,
                danceability=d,
                tempo=t,
                acousticness=a,
                instrumentalness=ins,
                speechiness=sp,
                loudness=loud,
                popularity=int(popularity[i]),
                youtube_id=f"y{i:010d}" if youtube[i] else None,
            )
        )
    return songs


def scale(size: int, shipped: Catalog, repeats: int) -> dict[str, Any]:
    gc.collect()
    before = rss_mb()
    t0 = time.perf_counter()
    songs = synthetic(size, shipped)
    catalog = Catalog(songs)
    del songs
    t1 = time.perf_counter()
    after_catalog = rss_mb()
    index = RecommenderIndex(catalog)
    t2 = time.perf_counter()
    after_index = rss_mb()
    out = {
        "songs": size,
        "catalog_build_s": round(t1 - t0, 2),
        "index_build_s": round(t2 - t1, 2),
        "index_mb": round(index.nbytes() / 1e6, 1),
        "rss_catalog_mb": round(after_catalog - before, 1),
        "rss_index_mb": round(after_index - after_catalog, 1),
        "latency": latency(index, repeats),
    }
    del index, catalog
    gc.collect()
    return out


# --- 5. shortlist agreement ---------------------------------------------------------------------


def agreement(catalog: Catalog, fast: RecommenderIndex) -> dict[str, Any]:
    limit = rank.EXACT_LIMIT
    rank.EXACT_LIMIT = len(catalog) + 1  # no tree: score every song
    try:
        exact = RecommenderIndex(catalog, shortlist=len(catalog))
    finally:
        rank.EXACT_LIMIT = limit
    readings: list[Any] = [*MOODS, (0.2, 0.3, 0.5), (0.6, 0.3, 0.1), (0.1, 0.6, 0.3)]
    readings += [MoodPoint(v, a) for v in (-0.9, -0.5, 0, 0.5, 0.9) for a in (-0.9, -0.4, 0, 0.4, 0.9)]
    same = shared = total = first = plans = 0
    for strategy in STRATEGIES:
        for reading in readings:
            plan = make_plan(reading, strategy, 20)
            want = [r.song.id for r in recommend(exact, plan)]
            got = [r.song.id for r in recommend(fast, plan)]
            same += sum(a == b for a, b in zip(want, got, strict=True))
            shared += len(set(want) & set(got))
            first += want[0] == got[0]
            total += len(want)
            plans += 1
    return {
        "plans": plans,
        "same_slot": round(same / total, 4),
        "same_songs": round(shared / total, 4),
        "same_first_song": round(first / plans, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="synthetic catalog sizes")
    parser.add_argument("--repeats", type=int, default=15, help="seeds per plan when timing")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    report: dict[str, Any] = {}
    t0 = time.perf_counter()
    shipped = Catalog.load()
    t1 = time.perf_counter()
    index = RecommenderIndex(shipped)
    t2 = time.perf_counter()
    report["consistency"] = consistency(shipped, DATA_MOODS if DATA_MOODS.is_file() else None)
    report["lift"] = lift(index)
    report["shipped"] = {
        "songs": len(shipped),
        "catalog_load_s": round(t1 - t0, 2),
        "index_build_s": round(t2 - t1, 2),
        "index_mb": round(index.nbytes() / 1e6, 2),
        "latency": latency(index, args.repeats),
    }
    report["shortlist_agreement"] = agreement(shipped, index)
    report["synthetic"] = [
        scale(int(size), shipped, args.repeats) for size in args.sizes.split(",") if size.strip()
    ]
    if args.json:
        sys.stdout.write(json.dumps(report) + "\n")
        return
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()

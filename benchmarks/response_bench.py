"""The per-listener response model and adaptive sessions, measured on the shipped catalog.

1. One update of one listener's model (``ResponseModel.update``, d = 16; the Sherman-Morrison step):
   p50 / p99 microseconds; and ``observe`` from a ``Response`` (song lookup and terms included).
   Target: <= 5 ms.
2. One batched update of 500 listeners (what the simulator does after every song).
3. The next song with a listener model (``AdaptivePlanner.next_song``: re-plan, candidates, Thompson
   sampling, reason) for lift, calm and energize from readings over the mood space, p50 / p99
   milliseconds (wall and CPU of the calling thread); beside it a plain 20-song ``recommend``.
   Target: p50 <= 20 ms.
4. The candidates' shortlist (the 400 songs nearest each target in the ranker's k-d tree space)
   against scoring every song: the share of the exact 30 best found, over 441 targets.

    python benchmarks/response_bench.py [--repeats 3] [--json]

Timings are of one process on this machine, and are only comparable within one run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from typing import Any

import numpy as np

from moodtune.moodspace import MoodPoint
from moodtune.music.adaptive import ADAPTIVE, AdaptivePlanner, candidates, next_target
from moodtune.music.catalog import Catalog
from moodtune.music.plan import Reading, make_plan
from moodtune.music.rank import RecommenderIndex, recommend
from moodtune.music.response import TERMS, Prior, Response, ResponseModel


def quantiles(values: list[float], scale: float, digits: int) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50": round(scale * statistics.median(ordered), digits),
        "p99": round(scale * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], digits),
    }


def update_cost(index: RecommenderIndex, planner: AdaptivePlanner) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    model = ResponseModel(Prior.default())
    d = len(TERMS)
    xs, ys = rng.normal(size=(2000, 1, d)), rng.normal(0, 0.3, (2000, 1, 2))
    times = []
    for x, y in zip(xs, ys, strict=True):
        t0 = time.perf_counter()
        model.update(x, y)
        times.append(time.perf_counter() - t0)
    ids = [index.catalog.songs[int(r)].id for r in index.rows[rng.integers(0, len(index), 500)]]
    responses = [
        Response(i, MoodPoint(-0.4, 0.1), MoodPoint(-0.3, 0.0), MoodPoint(-0.35, 0.05), "complete")
        for i in ids
    ]
    observed = []
    for r in responses:
        t0 = time.perf_counter()
        model.observe(planner.features, [r])
        observed.append(time.perf_counter() - t0)
    many = ResponseModel(Prior.default(), 500)
    batch = []
    for _ in range(200):
        x, y = rng.normal(size=(500, d)), rng.normal(0, 0.3, (500, 2))
        t0 = time.perf_counter()
        many.update(x, y)
        batch.append(time.perf_counter() - t0)
    return {
        "one_update_us": quantiles(times, 1e6, 1),
        "observe_one_response_us": quantiles(observed, 1e6, 1),
        "batch_update_500_listeners_ms": quantiles(batch, 1e3, 3),
    }


def next_song_latency(index: RecommenderIndex, planner: AdaptivePlanner, repeats: int) -> dict[str, Any]:
    rng = np.random.default_rng(1)
    model = ResponseModel(Prior.default())
    for _ in range(30):  # a listener the model has seen a few sessions of
        model.update(rng.normal(size=(1, len(TERMS))), rng.normal(0, 0.3, (1, 2)))
    points = [MoodPoint(v, a) for v in (-0.8, -0.4, 0.0, 0.4) for a in (-0.6, 0.0, 0.6)]
    songs = [s.id for s in index.catalog.songs[:6]]
    out: dict[str, Any] = {}
    for strategy in ADAPTIVE:
        wall, cpu = [], []
        for seed in range(repeats):
            for point in points:
                for left in (10, 5, 1):
                    played = [] if left == 10 else songs[: 10 - left]
                    t0, c0 = time.perf_counter(), time.thread_time()
                    planner.next_song(model, point, strategy, left, played, rng=seed)
                    cpu.append(time.thread_time() - c0)
                    wall.append(time.perf_counter() - t0)
        out[strategy] = {
            **quantiles(wall, 1e3, 3),
            "p50_cpu_ms": quantiles(cpu, 1e3, 3)["p50"],
            "requests": len(wall),
        }
    plain = []
    plans = [make_plan(Reading.from_point(p.valence, p.arousal), "lift", 20) for p in points]
    for seed in range(repeats):
        for plan in plans:
            t0 = time.perf_counter()
            recommend(index, plan, seed=seed)
            plain.append(time.perf_counter() - t0)
    out["recommend_20_songs_for_reference"] = quantiles(plain, 1e3, 3)
    return out


def shortlist_agreement(index: RecommenderIndex) -> dict[str, Any]:
    found = total = 0
    every = np.ones(len(index), dtype=bool)  # a mask: every song is scored
    grid = np.linspace(-0.9, 0.9, 7)
    targets = 0
    for v in grid:
        for a in grid:
            for strategy in ADAPTIVE:
                for left, first in ((10, True), (5, False), (1, False)):
                    plan, t = next_target(Reading.from_point(float(v), float(a)), strategy, left, first)
                    fast = candidates(index, plan.targets[t], 30)[0]
                    exact = candidates(index, plan.targets[t], 30, allowed=every)[0]
                    found += len(set(fast.tolist()) & set(exact.tolist()))
                    total += len(exact)
                    targets += 1
    return {"targets": targets, "share_of_exact_top30_found": round(found / total, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="seeds per reading when timing")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    index = RecommenderIndex(Catalog.load())
    planner = AdaptivePlanner(index)
    planner.next_song(ResponseModel(Prior.default()), MoodPoint(0, 0), "lift", 3)  # builds the k-d tree
    report = {
        "songs": len(index),
        "update": update_cost(index, planner),
        "next_song": next_song_latency(index, planner, args.repeats),
        "shortlist": shortlist_agreement(index),
    }
    if args.json:
        sys.stdout.write(json.dumps(report) + "\n")
        return
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()

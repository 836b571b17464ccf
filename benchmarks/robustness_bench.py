"""How steady the emotion model's reading is under small changes of the face crop: zoom +-10%,
shift 5% (4 directions), rotation +-10 degrees, darker / brighter, blur, JPEG quality 30
(``moodtune.evaluation.robustness`` defines each). On FER+ Test (majority labels) by default.

Per perturbation: accuracy (8 emotions, 3 moods) and the share of faces whose mood / top emotion
differs from the reading of the clean crop. The worst mood-flip share is the one to keep under
``--target`` (8% by default): a reading that flips under a 5% zoom is a live-webcam bug. Run from
the repository root::

    python benchmarks/robustness_bench.py --data ../shared/data/ferplus [--json] [--model PATH]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from moodtune.datasets import open_dataset
from moodtune.evaluation.robustness import PERTURBATIONS, RobustnessReport, robustness_report
from moodtune.vision import EmotionClassifier


def format_table(report: RobustnessReport, target: float) -> str:
    lines = [
        f"{'perturbation':<14} {'acc 8 emotions':>15} {'acc moods':>10} {'mood flips':>11} "
        f"{'emotion flips':>14}"
    ]
    for row in report.rows:
        lines.append(
            f"{row.name:<14} {100 * row.accuracy:>14.2f}% {100 * row.mood_accuracy:>9.2f}% "
            f"{100 * row.mood_flip:>10.2f}% {100 * row.emotion_flip:>13.2f}%"
        )
    worst = report.worst
    verdict = "under" if worst.mood_flip < target else "NOT under"
    lines.append(
        f"worst: {worst.name}, {100 * worst.mood_flip:.2f}% of moods flip "
        f"({verdict} the {100 * target:.0f}% target); {report.clean.n} faces"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--data", default="../shared/data/ferplus")
    parser.add_argument("--kind", default="ferplus", choices=("ferplus", "fer2013", "folder"))
    parser.add_argument("--split", default="test", choices=("train", "valid", "test"))
    parser.add_argument("--model", type=Path, default=None, help="ONNX model (default: the shipped one)")
    parser.add_argument("--flip", action="store_true", help="average each face with its mirror image")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--target", type=float, default=0.08, help="largest acceptable mood-flip share")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    clf = EmotionClassifier(args.model, threads=args.threads, flip_average=args.flip)
    dataset = open_dataset(f"{args.kind}:{args.data}", args.split)
    t0 = time.perf_counter()
    report = robustness_report(
        clf.predict_proba, dataset, clf.meta.input_size, clf.meta.labels, clf.meta.mood_groups
    )
    seconds = time.perf_counter() - t0
    model = f"{clf.path.name} v{clf.meta.version}" + (", mirror-averaged" if args.flip else "")
    if args.json:
        out: dict[str, Any] = {
            "model": model,
            "split": args.split,
            "perturbations": list(PERTURBATIONS),
            "seconds": seconds,
            "target": args.target,
            **report.to_dict(),
        }
        print(json.dumps(out, indent=2))
        return 0
    print(f"== {report.dataset}: {model}")
    print(format_table(report, args.target))
    print(f"{len(report.rows)} readings of {report.clean.n} faces in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

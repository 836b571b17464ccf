"""Run the architecture / input-size / target study (configs/study/*.yaml) and write its table.

Each row trains with the same budget, is exported to ONNX and timed (batch 1, one thread). Runs
that finished are skipped and interrupted ones resume, so the study can span sessions:

    python scripts/study.py [--runs runs/study] [--data ../shared/data/ferplus] [ROW ...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from moodtune.training.config import load_config
from moodtune.training.export import export_run
from moodtune.training.loop import fit, resume_run
from moodtune.vision import EmotionClassifier

ROOT = Path(__file__).resolve().parents[1]


def latency_ms(model: Path, calls: int = 500) -> float:
    clf = EmotionClassifier(model, threads=1)
    x = np.random.default_rng(0).integers(0, 256, (1, 48, 48), dtype=np.uint8)
    for _ in range(30):
        clf.predict_proba(x)
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        clf.predict_proba(x)
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("rows", nargs="*")
    ap.add_argument("--runs", type=Path, default=ROOT / "runs" / "study")
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "ferplus"))
    args = ap.parse_args()
    configs = sorted((ROOT / "configs" / "study").glob("*.yaml"))
    unknown = sorted(set(args.rows) - {c.stem for c in configs})
    if unknown:
        ap.error(f"no study row named {unknown}; the rows are {[c.stem for c in configs]}")
    if args.rows:
        configs = [c for c in configs if c.stem in args.rows]
    # Rows measured before stay in the table: running some ROWs re-measures those alone.
    table_path = args.runs / "study.json"
    rows = {r["row"]: r for r in json.loads(table_path.read_text())} if table_path.is_file() else {}
    for path in configs:
        cfg = load_config(path, {"data": args.data})
        run_dir = args.runs / path.stem
        metrics_path = run_dir / "metrics.json"
        done = metrics_path.is_file() and len(json.loads(metrics_path.read_text())["history"]) >= cfg.epochs
        if not done:
            if (run_dir / "last.pt").is_file():
                resume_run(run_dir, {"data": args.data})
            else:
                fit(cfg, run_dir=run_dir)
        onnx_path = run_dir / "model.onnx"
        if not onnx_path.is_file():
            export_run(run_dir, onnx_path, data=args.data)
        metrics = json.loads(metrics_path.read_text())
        # The best epoch's own Valid report (the PyTorch model, before any post-hoc adjustment),
        # so every row is read the same way.
        valid = json.loads((run_dir / "best_valid_report.json").read_text())
        rows[path.stem] = {
            "row": path.stem,
            "valid_accuracy": valid["accuracy"],
            "valid_mood_accuracy": valid["mood"]["accuracy"],
            "valid_negative_recall": valid["mood"]["per_class_recall"]["negative"],
            "parameters": metrics["parameters"],
            "latency_ms": round(latency_ms(onnx_path), 3),
            "train_wall_s": metrics["wall_seconds"],
        }
        table_path.write_text(json.dumps([rows[name] for name in sorted(rows)], indent=2) + "\n")
    table = [rows[name] for name in sorted(rows)]
    head = "| row | valid acc (8) | valid mood acc | negative recall | params | ms/face | train s |"
    print(head)
    print("|---|---|---|---|---|---|---|")
    for r in table:
        print(
            f"| {r['row']} | {100 * r['valid_accuracy']:.1f}% | {100 * r['valid_mood_accuracy']:.1f}% "
            f"| {100 * r['valid_negative_recall']:.1f}% | {r['parameters'] / 1e6:.2f}M "
            f"| {r['latency_ms']:.2f} | {r['train_wall_s']:.0f} |"
        )


if __name__ == "__main__":
    main()

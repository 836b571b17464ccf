"""Latency of the compact CNN at other widths, on this CPU (what a narrower network would buy).

Each width is exported and quantized exactly as ``moodtune export --quantize`` does (7-bit
per-channel int8 weights, calibrated on FER+ Train faces), with untrained weights - the time of a
forward pass does not depend on them - and timed as ``model_bench`` times the shipped model: one
48x48 face, batch 1, one onnxruntime thread. Needs the training extra (torch).

    python benchmarks/width_bench.py [--data ../shared/data/ferplus] [--widths 20,40,80,160 ...]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import onnxruntime as ort
import torch

from moodtune.training.export import _WithSoftmax, quantize, write_float_onnx
from moodtune.training.nets.cnn import CompactCNN
from moodtune.vision.classifier import default_model_path
from moodtune.vision.model_meta import ModelMeta, meta_path_for

DEFAULT_WIDTHS = ["32,64,128,256", "32,48,96,192", "24,48,96,192", "20,40,80,160", "16,32,64,128"]


def multiply_adds(widths: list[int], size: int = 48) -> int:
    """Of the 3x3 convolutions (two a stage; each stage but the last halves the resolution)."""
    total, cin = 0, 1
    for w in widths:
        total += size * size * 9 * (cin * w + w * w)
        cin, size = w, size // 2
    return total


def main(argv: list[str] | None = None) -> int:
    from model_bench import Ours, latency  # beside this file

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default="../shared/data/ferplus")
    ap.add_argument("--widths", nargs="+", default=DEFAULT_WIDTHS, help="comma-separated stage widths")
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    torch.manual_seed(0)
    meta = ModelMeta.load(meta_path_for(default_model_path()))  # input size and normalisation
    shipped = latency(Ours(None).predict, args.calls)  # the anchor: the same network, trained
    rows = [
        {
            "widths": "shipped model",
            "parameters": None,
            "multiply_adds": multiply_adds([32, 64, 128, 256]),
            "p50_ms": round(shipped["p50_ms"], 3),
            "p99_ms": round(shipped["p99_ms"], 3),
        }
    ]
    if not args.json:
        print(
            f"the shipped model (32,64,128,256): int8 p50 {shipped['p50_ms']:.3f} ms  "
            f"p99 {shipped['p99_ms']:.3f} ms"
        )
    for spec in args.widths:
        widths = [int(w) for w in spec.split(",")]
        net = CompactCNN(widths=widths)
        with tempfile.TemporaryDirectory() as tmp:
            float_path, int8_path = Path(tmp, "float.onnx"), Path(tmp, "emotion.onnx")
            write_float_onnx(_WithSoftmax(net), 48, float_path)
            meta.save(meta_path_for(float_path))
            quantize(float_path, int8_path, args.data, n_calibration=64)
            meta.save(meta_path_for(int8_path))
            lat = latency(Ours(int8_path).predict, args.calls)
        rows.append(
            {
                "widths": widths,
                "parameters": sum(p.numel() for p in net.parameters()),
                "multiply_adds": multiply_adds(widths),
                "p50_ms": round(lat["p50_ms"], 3),
                "p99_ms": round(lat["p99_ms"], 3),
            }
        )
        if not args.json:
            r = rows[-1]
            print(
                f"widths {spec:>16}  {r['parameters'] / 1e6:5.2f}M parameters  "
                f"{r['multiply_adds'] / 1e6:4.0f}M multiply-adds  int8 p50 {r['p50_ms']:.3f} ms  "
                f"p99 {r['p99_ms']:.3f} ms",
                flush=True,
            )
    if args.json:
        print(json.dumps({"cpu_threads": 1, "rows": rows, "onnxruntime": ort.__version__}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

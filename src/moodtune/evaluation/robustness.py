"""How steady a reading is when the face crop changes a little, as a live webcam changes it.

Each perturbation is a small pure function of square uint8 grayscale crops ``(B, S, S)`` that
returns new crops of the same shape and dtype, applied at the model's input size (what the model
sees after alignment). Geometric ones warp about the crop's centre with bilinear interpolation
and repeat the border, as ``moodtune.vision.align.align_face`` does (no black bars):

- ``zoom_in_10`` / ``zoom_out_10``: scale 1.1 / 0.9 (the face 10% larger / smaller);
- ``shift_right_5`` / ``shift_left_5`` / ``shift_down_5`` / ``shift_up_5``: the face moved by 5%
  of the side (2.4 px at 48 px) in each of the 4 directions;
- ``rotate_+10`` / ``rotate_-10``: 10 degrees counter-clockwise / clockwise as seen on screen;
- ``darken_0.6`` / ``brighten_1.4``: every pixel times 0.6 (about -0.7 stop, a dim room or a
  lagging auto-exposure) / times 1.4 clipped at 255 (about +0.5 stop, a bright window);
- ``blur``: Gaussian blur with sigma = S / 48 px (1 px at 48 px: a slightly defocused camera);
- ``jpeg_30``: JPEG-encoded at quality 30 and decoded (a heavily compressed video frame).

``robustness_report`` reads a data set once, runs the classifier on the clean crops and on each
perturbed copy, and gives per perturbation the accuracy (emotions and moods, as
``evaluate_probs`` reads them) and the share of faces whose reading flips against the clean
reading: their mood (argmax of the emotion probabilities summed by the model's mood grouping) or
their top emotion. numpy and OpenCV only, like serving: no PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import cv2
import numpy as np

from moodtune.datasets.base import FaceDataset
from moodtune.emotions import mood_matrix
from moodtune.errors import DatasetError
from moodtune.evaluation.evaluate import PredictFn, evaluate_probs

Perturbation = Callable[[np.ndarray], np.ndarray]

ZOOM = 0.10
SHIFT = 0.05
ROTATE_DEG = 10.0
DARKEN = 0.6
BRIGHTEN = 1.4
JPEG_QUALITY = 30
REFERENCE_SIZE = 48  # the blur's sigma is 1 px at this crop size and scales with the size


def _check(crops: np.ndarray) -> np.ndarray:
    crops = np.asarray(crops)
    if crops.ndim != 3 or crops.shape[1] != crops.shape[2] or crops.dtype != np.uint8:
        raise ValueError(
            f"crops must be uint8 square grayscale images of shape (B, S, S), but got "
            f"{crops.dtype} {crops.shape}"
        )
    return crops


def _each(crops: np.ndarray, fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    crops = _check(crops)
    out = np.empty_like(crops)
    for i, crop in enumerate(crops):
        out[i] = fn(crop)
    return out


def _warp(crops: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Warp each crop by the forward affine ``matrix`` (source -> result), border repeated."""
    size = crops.shape[-1]
    return _each(
        crops,
        lambda c: cv2.warpAffine(
            c, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        ),
    )


def _about_centre(crops: np.ndarray, angle_deg: float, scale: float) -> np.ndarray:
    """Rotate (degrees, counter-clockwise on screen) and scale about the crop's centre."""
    size = _check(crops).shape[-1]
    centre = ((size - 1) / 2.0, (size - 1) / 2.0)
    return _warp(crops, cv2.getRotationMatrix2D(centre, angle_deg, scale))


def _shift(crops: np.ndarray, right: float, down: float) -> np.ndarray:
    """Move the content by ``right`` and ``down`` fractions of the side."""
    size = _check(crops).shape[-1]
    matrix = np.array([[1.0, 0.0, right * size], [0.0, 1.0, down * size]], dtype=np.float64)
    return _warp(crops, matrix)


def _gain(crops: np.ndarray, factor: float) -> np.ndarray:
    x = _check(crops).astype(np.float32) * factor
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def blur_sigma(size: int) -> float:
    """The blur's sigma in pixels for crops of side ``size``: 1 px at 48 px."""
    return size / REFERENCE_SIZE


def zoom_in(crops: np.ndarray) -> np.ndarray:
    return _about_centre(crops, 0.0, 1.0 + ZOOM)


def zoom_out(crops: np.ndarray) -> np.ndarray:
    return _about_centre(crops, 0.0, 1.0 - ZOOM)


def shift_right(crops: np.ndarray) -> np.ndarray:
    return _shift(crops, SHIFT, 0.0)


def shift_left(crops: np.ndarray) -> np.ndarray:
    return _shift(crops, -SHIFT, 0.0)


def shift_down(crops: np.ndarray) -> np.ndarray:
    return _shift(crops, 0.0, SHIFT)


def shift_up(crops: np.ndarray) -> np.ndarray:
    return _shift(crops, 0.0, -SHIFT)


def rotate_ccw(crops: np.ndarray) -> np.ndarray:
    return _about_centre(crops, ROTATE_DEG, 1.0)


def rotate_cw(crops: np.ndarray) -> np.ndarray:
    return _about_centre(crops, -ROTATE_DEG, 1.0)


def darken(crops: np.ndarray) -> np.ndarray:
    return _gain(crops, DARKEN)


def brighten(crops: np.ndarray) -> np.ndarray:
    return _gain(crops, BRIGHTEN)


def blur(crops: np.ndarray) -> np.ndarray:
    sigma = blur_sigma(_check(crops).shape[-1])
    return _each(crops, lambda c: cv2.GaussianBlur(c, (0, 0), sigmaX=sigma, borderType=cv2.BORDER_REPLICATE))


def _jpeg(crop: np.ndarray) -> np.ndarray:
    ok, data = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError(f"OpenCV could not JPEG-encode a crop of shape {crop.shape}")
    decoded = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
    if decoded is None:
        raise ValueError(f"OpenCV could not decode its own JPEG of a crop of shape {crop.shape}")
    return np.asarray(decoded, dtype=np.uint8)


def jpeg(crops: np.ndarray) -> np.ndarray:
    return _each(crops, _jpeg)


PERTURBATIONS: Mapping[str, Perturbation] = {
    "zoom_in_10": zoom_in,
    "zoom_out_10": zoom_out,
    "shift_right_5": shift_right,
    "shift_left_5": shift_left,
    "shift_down_5": shift_down,
    "shift_up_5": shift_up,
    "rotate_+10": rotate_ccw,
    "rotate_-10": rotate_cw,
    "darken_0.6": darken,
    "brighten_1.4": brighten,
    "blur": blur,
    "jpeg_30": jpeg,
}

CLEAN = "clean"


@dataclass(frozen=True)
class PerturbationResult:
    """One row: accuracy on the perturbed crops and the shares of faces whose reading flips
    against the clean reading (0 for the clean row itself)."""

    name: str
    n: int
    accuracy: float
    mood_accuracy: float
    mood_flip: float
    emotion_flip: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RobustnessReport:
    """The clean row, then one row per perturbation, in the registry's order. ``accuracy`` is
    in the data set's classes (on a mood-level data set it is the mood accuracy)."""

    dataset: str
    level: str
    rows: tuple[PerturbationResult, ...]

    @property
    def clean(self) -> PerturbationResult:
        return self.rows[0]

    @property
    def perturbed(self) -> tuple[PerturbationResult, ...]:
        return self.rows[1:]

    @property
    def worst(self) -> PerturbationResult:
        """The perturbation that flips the most moods (the first of equals)."""
        if not self.perturbed:
            raise ValueError("the report has no perturbation")
        return max(self.perturbed, key=lambda r: r.mood_flip)

    def to_dict(self) -> dict[str, Any]:
        worst = self.worst
        return {
            "dataset": self.dataset,
            "level": self.level,
            "n": self.clean.n,
            "rows": [r.to_dict() for r in self.rows],
            "worst": {"name": worst.name, "mood_flip": worst.mood_flip},
        }


def robustness_report(
    predict: PredictFn,
    dataset: FaceDataset,
    size: int,
    labels: Sequence[str],
    mood_groups: Mapping[str, Sequence[str]],
    perturbations: Mapping[str, Perturbation] = PERTURBATIONS,
    batch_size: int = 256,
    progress: Callable[[int], None] | None = None,
) -> RobustnessReport:
    """Run ``predict`` (uint8 ``(B, size, size)`` -> probabilities ``(B, len(labels))``) on the data
    set's labelled crops at ``size`` and on each perturbed copy of them; read the data set once."""
    if CLEAN in perturbations:
        raise ValueError(f"{CLEAN!r} names the unperturbed reading; give the perturbation another name")
    rows = dataset.labelled
    names = (CLEAN, *perturbations)
    probs: dict[str, list[np.ndarray]] = {name: [] for name in names}
    for images, _ in dataset.iter_batches(batch_size, size, rows):
        probs[CLEAN].append(np.asarray(predict(images)))
        for name, perturb in perturbations.items():
            perturbed = perturb(images)
            if perturbed.shape != images.shape or perturbed.dtype != images.dtype:
                raise ValueError(
                    f"perturbation {name!r} turned crops {images.dtype} {images.shape} into "
                    f"{perturbed.dtype} {perturbed.shape}"
                )
            probs[name].append(np.asarray(predict(perturbed)))
        if progress is not None:
            progress(len(images))
    if not probs[CLEAN]:
        raise DatasetError(f"{dataset.name} has no labelled images to evaluate")
    y_true = dataset.labels[rows]
    to_mood = mood_matrix(labels, mood_groups)
    clean = np.concatenate(probs[CLEAN])
    clean_emotion = clean.argmax(axis=1)
    clean_mood = (clean @ to_mood).argmax(axis=1)
    results = []
    for name in names:
        p = np.concatenate(probs[name])
        report = evaluate_probs(p, y_true, dataset.classes, dataset.level, labels, mood_groups)
        results.append(
            PerturbationResult(
                name=name,
                n=len(p),
                accuracy=float(report["accuracy"]),
                mood_accuracy=float(report["mood"]["accuracy"]),
                mood_flip=float(np.mean((p @ to_mood).argmax(axis=1) != clean_mood)),
                emotion_flip=float(np.mean(p.argmax(axis=1) != clean_emotion)),
            )
        )
    return RobustnessReport(dataset=dataset.name, level=dataset.level, rows=tuple(results))

"""Quality flags for one face, so a page can ask for more light or a closer face instead of
guessing: too small, too dark, blurred, turned away. Each flag comes with the number behind it.

Measures (on the face box region, grayscale):
- size: the shorter side of the box in pixels; below ``min_side`` (default 48 px, the training
  crops' resolution) the model sees fewer pixels than it was trained on;
- brightness: mean luminance 0-255 of the face region; below ``min_brightness`` (default 50) the
  face is underexposed;
- sharpness: variance of the Laplacian (Pech-Pacheco et al., ICPR 2000) of the face region resized
  to 96 px, so the number does not depend on the face's size; below ``min_sharpness`` (default 30)
  it is blurred;
- yaw: the nose tip's horizontal offset from the eyes' midpoint in units of the eye distance
  (0 = frontal, about +-0.5 = a strong profile); above ``max_yaw`` (default 0.35) the face is
  turned away.

The thresholds were set on the two real test portraits (sharp, frontal, lit) against blurred,
darkened and shrunk copies of them (``tests/vision/test_quality.py``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import cv2
import numpy as np

from moodtune.vision.detection import Face

REFERENCE_SIDE = 96


@dataclass(frozen=True)
class QualityThresholds:
    min_side: float = 48.0
    min_brightness: float = 50.0
    min_sharpness: float = 30.0
    max_yaw: float = 0.35


@dataclass(frozen=True)
class FaceQuality:
    size: float
    brightness: float
    sharpness: float
    yaw: float
    too_small: bool
    too_dark: bool
    blurred: bool
    turned_away: bool

    @property
    def ok(self) -> bool:
        return not (self.too_small or self.too_dark or self.blurred or self.turned_away)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("size", "brightness", "sharpness", "yaw"):
            d[key] = round(float(d[key]), 3)
        d["ok"] = self.ok
        return d


def face_region(gray: np.ndarray, face: Face) -> np.ndarray:
    """The face box cut from the image (clipped to it)."""
    h, w = gray.shape
    x0, y0, x1, y1 = face.xyxy
    xa, ya = max(0, int(x0)), max(0, int(y0))
    xb, yb = min(w, int(np.ceil(x1))), min(h, int(np.ceil(y1)))
    if xb - xa < 2 or yb - ya < 2:
        return np.zeros((2, 2), np.uint8)
    return gray[ya:yb, xa:xb]


def yaw_of(face: Face) -> float:
    right, left, nose = face.keypoints[0], face.keypoints[1], face.keypoints[2]
    eye_vec = left - right
    dist = float(np.hypot(*eye_vec))
    if dist < 1e-6:
        return 1.0
    # Project the nose's offset from the eyes' midpoint onto the eye line.
    return float(np.dot(nose - (right + left) / 2, eye_vec / dist) / dist)


def assess(
    gray: np.ndarray, face: Face, thresholds: QualityThresholds | None = None, scale: float = 1.0
) -> FaceQuality:
    """Judge ``face`` in ``gray``; ``scale`` is the image's size relative to the original photo
    (a downscaled detection copy), so the face's size is judged in original pixels."""
    t = thresholds or QualityThresholds()
    region = face_region(gray, face)
    size = float(min(face.box[2], face.box[3])) / scale
    brightness = float(region.mean())
    ref = cv2.resize(region, (REFERENCE_SIDE, REFERENCE_SIDE), interpolation=cv2.INTER_AREA)
    sharpness = float(cv2.Laplacian(ref, cv2.CV_64F).var())
    yaw = yaw_of(face)
    return FaceQuality(
        size=size,
        brightness=brightness,
        sharpness=sharpness,
        yaw=yaw,
        too_small=size < t.min_side,
        too_dark=brightness < t.min_brightness,
        blurred=sharpness < t.min_sharpness,
        turned_away=abs(yaw) > t.max_yaw,
    )

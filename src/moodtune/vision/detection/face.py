"""What every face detector returns and promises: the ``Face`` result and the ``FaceDetector`` interface.

Keypoints follow MediaPipe's face detection order (``mediapipe.python.solutions.face_detection.
FaceKeyPoint``): right eye, left eye, nose tip, mouth centre, right ear tragion, left ear tragion.
"Right" is the subject's own right. In an ordinary (unmirrored) photo of someone facing the camera, the
subject's right eye is on the viewer's left, so ``keypoints[0]`` has the smaller x; this was checked on
the two test portraits (see ``tests/vision/test_detection.py``). A mirrored selfie preview swaps the
sides: flip the image before detection, not the names after it.

The shared post-processing (size floor, largest-first order, greedy IoU suppression) lives here as plain
functions so that every implementation applies the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from moodtune.errors import InvalidImage, UsageError

KEYPOINT_NAMES: tuple[str, ...] = (
    "right_eye",
    "left_eye",
    "nose_tip",
    "mouth_center",
    "right_ear_tragion",
    "left_ear_tragion",
)

SMALL_FACE_FRACTION = 0.2
"""A face is small for its frame when its shorter side is under this fraction of the image's longer
side: at 0.2 it is 26 px in BlazeFace short range's 128 px input, 38 px in full range's 192 px one."""


@dataclass(frozen=True)
class Face:
    """One face in pixels of the input image.

    ``box`` is ``(x, y, w, h)`` with ``(x, y)`` the top-left corner; it may reach past the image edge
    when the face is cut by the frame. ``keypoints`` is a read-only float ``(6, 2)`` array of ``(x, y)``
    in the order of ``KEYPOINT_NAMES``.
    """

    box: tuple[float, float, float, float]
    score: float
    keypoints: np.ndarray = field(compare=False, repr=False)

    def __post_init__(self) -> None:
        box = tuple(float(v) for v in np.asarray(self.box, dtype=np.float64).ravel())
        if len(box) != 4 or not np.all(np.isfinite(box)) or box[2] <= 0 or box[3] <= 0:
            raise ValueError(f"box must be 4 finite numbers (x, y, w, h) with w, h > 0, but got {self.box!r}")
        score = float(self.score)
        if not 0.0 <= score <= 1.0:
            raise ValueError(f"score must lie in [0, 1], but got {self.score!r}")
        kps = np.array(self.keypoints, dtype=np.float64)
        if kps.shape != (len(KEYPOINT_NAMES), 2) or not np.all(np.isfinite(kps)):
            raise ValueError(
                f"keypoints must be a finite array of shape ({len(KEYPOINT_NAMES)}, 2) ordered as "
                f"{', '.join(KEYPOINT_NAMES)}, but got shape {kps.shape}"
            )
        kps.setflags(write=False)
        object.__setattr__(self, "box", box)
        object.__setattr__(self, "score", score)
        object.__setattr__(self, "keypoints", kps)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Face):
            return NotImplemented
        return (
            self.box == other.box
            and self.score == other.score
            and np.array_equal(self.keypoints, other.keypoints)
        )

    @property
    def area(self) -> float:
        return self.box[2] * self.box[3]

    @property
    def xyxy(self) -> tuple[float, float, float, float]:
        x, y, w, h = self.box
        return (x, y, x + w, y + h)

    def keypoint(self, name: str) -> tuple[float, float]:
        """One keypoint by name, e.g. ``face.keypoint("nose_tip")``."""
        if name not in KEYPOINT_NAMES:
            raise KeyError(f"unknown keypoint {name!r}; known: {', '.join(KEYPOINT_NAMES)}")
        x, y = self.keypoints[KEYPOINT_NAMES.index(name)]
        return (float(x), float(y))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: box as ``[x, y, w, h]``, keypoints by name; pixels rounded to 0.01."""
        return {
            "box": [round(v, 2) for v in self.box],
            "score": round(self.score, 6),
            "keypoints": {
                name: [round(float(x), 2), round(float(y), 2)]
                for name, (x, y) in zip(KEYPOINT_NAMES, self.keypoints, strict=True)
            },
        }


@runtime_checkable
class FaceDetector(Protocol):
    """Finds every face in an RGB uint8 ``(H, W, 3)`` image.

    Implementations load their model once in the constructor, take a minimum face size in pixels
    (``min_face``, the shorter side of the box) and a score threshold, suppress overlapping boxes, and
    return the faces largest first. Input that is not an RGB uint8 image raises ``InvalidImage``.
    """

    name: str

    def detect(self, image: np.ndarray) -> list[Face]: ...


def check_image(image: object) -> np.ndarray:
    """Return ``image`` if it is an RGB uint8 ``(H, W, 3)`` array, else raise ``InvalidImage``."""
    if not isinstance(image, np.ndarray):
        raise InvalidImage(
            f"expected an RGB image as a numpy uint8 array of shape (H, W, 3), but got {type(image).__name__}"
        )
    if image.ndim != 3 or image.shape[2] != 3 or image.shape[0] < 1 or image.shape[1] < 1:
        raise InvalidImage(
            f"expected an RGB image of shape (H, W, 3), but got shape {image.shape}; convert grayscale "
            "with cv2.COLOR_GRAY2RGB and drop an alpha channel with cv2.COLOR_RGBA2RGB"
        )
    if image.dtype != np.uint8:
        raise InvalidImage(
            f"expected an RGB image of dtype uint8 (0..255), but got dtype {image.dtype}; scale floats "
            "in [0, 1] with (image * 255).round().astype(np.uint8)"
        )
    return image


def check_settings(min_face: float, score_threshold: float, iou_threshold: float) -> None:
    """Raise ``UsageError`` for settings no detector can work with."""
    if not min_face >= 0:
        raise UsageError(f"min_face must be >= 0 pixels, but got {min_face}")
    if not 0.0 <= score_threshold < 1.0:
        raise UsageError(f"score_threshold must lie in [0, 1), but got {score_threshold}")
    if not 0.0 < iou_threshold <= 1.0:
        raise UsageError(f"iou_threshold must lie in (0, 1], but got {iou_threshold}")


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of every ``xyxy`` box in ``a`` (N, 4) with every one in ``b`` (M, 4)."""
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0.0, None), axis=2)
    area_a = np.prod(a[:, 2:] - a[:, :2], axis=1)
    area_b = np.prod(b[:, 2:] - b[:, :2], axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def greedy_nms(faces: list[Face], iou_threshold: float) -> list[Face]:
    """Plain non-maximum suppression: keep the best-scoring face, drop any that overlap it more than
    ``iou_threshold``, repeat."""
    order = sorted(faces, key=lambda f: f.score, reverse=True)
    kept: list[Face] = []
    for face in order:
        if kept and iou_matrix(np.array([face.xyxy]), np.array([k.xyxy for k in kept])).max() > iou_threshold:
            continue
        kept.append(face)
    return kept


def finish(faces: list[Face], min_face: float) -> list[Face]:
    """Drop faces whose shorter side is under ``min_face`` pixels; order the rest largest first."""
    big = [f for f in faces if min(f.box[2], f.box[3]) >= min_face]
    return sorted(big, key=lambda f: (f.area, f.score), reverse=True)

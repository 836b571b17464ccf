"""Photos of several faces, composed in memory from single portraits: the tile of four portraits and
group frames of small faces. Nothing is written to disk; the portraits stay in ../shared/data.

Used by the detection, engine and CLI tests and by ``benchmarks/engine_bench.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from moodtune.vision.detection import BlazeFaceDetector, Face
from moodtune.vision.detection.face import iou_matrix
from tests.fixtures import FACES

PORTRAITS = ("astronaut.png", "grace_hopper.jpg")


def read_rgb(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(f"{path} is missing or not an image")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def four_portraits(faces: Path = FACES) -> np.ndarray:
    """1024 x 1112: the astronaut above Grace Hopper beside Grace Hopper above the astronaut. The
    astronaut's face is 94 px wide, Grace Hopper's 200 px; the top-left face is the one the detector
    missed before it read small faces in tiles."""
    astronaut, hopper = (read_rgb(faces / name) for name in PORTRAITS)
    return np.hstack([np.vstack([astronaut, hopper]), np.vstack([hopper, astronaut])])


@dataclass(frozen=True)
class Head:
    """A photo of one person and where their face is in it (BlazeFace short range's box)."""

    image: np.ndarray
    face: tuple[float, float, float, float]

    @classmethod
    def of(cls, image: np.ndarray, detector: BlazeFaceDetector) -> Head | None:
        faces = detector.detect(image)
        return cls(image, faces[0].box) if len(faces) == 1 else None


def heads(paths: Sequence[Path]) -> list[Head]:
    """The photos among ``paths`` in which BlazeFace short range finds exactly one face."""
    detector = BlazeFaceDetector("short", refine=False)
    found = [Head.of(read_rgb(p), detector) for p in paths]
    return [h for h in found if h is not None]


def group_frame(
    width: int,
    height: int,
    n: int,
    people: Sequence[Head],
    sides: tuple[float, float] = (40, 100),
    seed: int = 0,
) -> tuple[np.ndarray, list[tuple[float, float, float, float]]]:
    """A frame of ``n`` people in one or two rows on a lit, slightly noisy wall, each cut from a
    photo of ``people`` (chosen at random, mirrored half of the time, lit 0.85-1.1x) and scaled so
    the face is ``sides`` px wide (uniform at random); returns the frame and the faces' boxes."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    wall = (90 + 60 * xx / width + 30 * yy / height)[..., None] * np.array([1.0, 0.95, 0.85])
    frame = np.clip(wall + rng.normal(0, 6, (height, width, 3)), 0, 255).astype(np.uint8)
    rows = 2 if n > 5 else 1
    cols = -(-n // rows)
    cell_w, cell_h = width // cols, height // rows
    boxes = []
    for i in range(n):
        head = people[int(rng.integers(len(people)))]
        fx, fy, fw, _ = head.face
        # head and shoulders: 0.7 face widths left and above the face, 0.7 right, 1.6 below
        h0, w0 = head.image.shape[:2]
        x0, y0 = max(0, round(fx - 0.7 * fw)), max(0, round(fy - 0.7 * fw))
        x1, y1 = min(w0, round(fx + 1.7 * fw)), min(h0, round(fy + 2.6 * fw))
        side = float(rng.uniform(*sides))
        k = side / fw
        patch = cv2.resize(
            head.image[y0:y1, x0:x1],
            None,
            fx=k,
            fy=k,
            interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR,
        )
        left, top = (fx - x0) * k, (fy - y0) * k
        # wider than its place in the row: keep the part centred on the face (shoulders are cut)
        cut = int(np.clip(round(left + side / 2 - cell_w / 2), 0, max(0, patch.shape[1] - cell_w)))
        patch, left = patch[:cell_h, cut : cut + cell_w], left - cut
        if rng.random() < 0.5:
            patch, left = patch[:, ::-1], patch.shape[1] - left - side
        ph, pw = patch.shape[:2]
        row, col = divmod(i, cols)
        x = col * cell_w + int(rng.integers(0, cell_w - pw + 1))
        y = row * cell_h + int(rng.integers(0, cell_h - ph + 1))
        frame[y : y + ph, x : x + pw] = np.clip(patch * rng.uniform(0.85, 1.1), 0, 255).astype(np.uint8)
        boxes.append((x + left, y + top, side, side))
    return frame, boxes


def matched(faces: Sequence[Face], boxes: Sequence[tuple[float, float, float, float]]) -> tuple[int, int]:
    """How many of ``boxes`` some face overlaps by IoU > 0.3, and how many faces overlap none."""
    if not faces or not boxes:
        return 0, len(faces)
    truth = np.array([(x, y, x + w, y + h) for x, y, w, h in boxes])
    overlap = iou_matrix(truth, np.array([f.xyxy for f in faces]))
    return int((overlap.max(axis=1) > 0.3).sum()), int((overlap.max(axis=0) <= 0.3).sum())

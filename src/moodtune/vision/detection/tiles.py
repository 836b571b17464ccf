"""Overlapping square tiles of an image, so a detector with a small fixed input sees small faces larger.

BlazeFace full range reads any image at 192x192. A face of 94 px in a 1112 px photo is 16 px there,
at the bottom of what the model finds: on a tile of four portraits it scored 0.31 (threshold 0.5)
beside larger faces; read in the tile's top-left 384 px, where it is exactly as close to the top
edge, it scores 0.97 (``tests/vision/test_detection.py``). Read in tiles of 384 px, every face
appears at half its pixel size or more.

Plain functions, no I/O: the grid (``tile_grid``), moving a face found in a tile back to the image
(``shift_face``), and keeping each face once when several passes found it (``suppress``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from moodtune.vision.detection.face import Face, iou_matrix


def tile_starts(length: int, side: int, overlap: int) -> list[int]:
    """Start offsets of windows of ``side`` px along ``length`` px: the first at 0, the last ending
    at ``length``, evenly spaced, neighbours sharing at least ``overlap`` px."""
    if side >= length:
        return [0]
    step = side - overlap
    if step <= 0:
        raise ValueError(f"overlap must be smaller than the tile side, but got {overlap} >= {side}")
    count = math.ceil((length - side) / step) + 1
    return [round(i * (length - side) / (count - 1)) for i in range(count)]


def tile_grid(height: int, width: int, side: int, overlap: int) -> list[tuple[int, int, int, int]]:
    """Square tiles ``(x, y, w, h)`` covering a ``height`` x ``width`` image; each tile is ``side`` px
    (less along an image side that is shorter), neighbours overlap by at least ``overlap`` px, so any
    face at most ``overlap`` px across lies whole inside one tile."""
    if side < 1 or overlap < 0:
        raise ValueError(f"tiles need side >= 1 and overlap >= 0, but got side {side}, overlap {overlap}")
    xs, ys = tile_starts(width, side, overlap), tile_starts(height, side, overlap)
    return [(x, y, min(side, width), min(side, height)) for y in ys for x in xs]


def shift_face(face: Face, dx: float, dy: float) -> Face:
    """``face`` found in a window whose top-left corner is ``(dx, dy)``, in the image's pixels."""
    x, y, w, h = face.box
    return Face(box=(x + dx, y + dy, w, h), score=face.score, keypoints=face.keypoints + np.array([dx, dy]))


def suppress(faces: Sequence[Face], iou_threshold: float, first: int = 0) -> list[int]:
    """Indices of the faces to keep when several passes found the same faces.

    Two boxes overlapping by more than ``iou_threshold`` IoU are one face: the one kept is among the
    first ``first`` faces if either is (the box convention the caller trusts), else the better score.
    Two boxes of which one lies mostly (over half its area) inside the other, overlapping less, are
    one face seen at two scales, and the better score wins whatever the order: cut by a tile's border,
    a face comes back as a box inside the whole face's box; read at low resolution, a head and
    shoulders can come back as one large box around the face that a closer look finds inside it."""
    order = sorted(range(len(faces)), key=lambda i: (i >= first, -faces[i].score))
    kept: list[int] = []
    for i in order:
        box = np.array(faces[i].xyxy)
        if kept and iou_matrix(box[None], np.array([faces[k].xyxy for k in kept])).max() > iou_threshold:
            continue
        nested = [k for k in kept if max(_inside(box, faces[k].xyxy), _inside(faces[k].xyxy, box)) > 0.5]
        if any(faces[k].score >= faces[i].score for k in nested):
            continue
        kept = [k for k in kept if k not in nested] + [i]
    return kept


def _inside(box: Sequence[float] | np.ndarray, other: Sequence[float] | np.ndarray) -> float:
    """The fraction of ``box``'s area (xyxy) that lies inside ``other``."""
    return float(_covered(np.asarray(box, dtype=np.float64), np.asarray([other], dtype=np.float64))[0])


def _covered(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    """The fraction of ``box`` (xyxy) that each of ``others`` (N, 4) covers."""
    lt = np.maximum(box[:2], others[:, :2])
    rb = np.minimum(box[2:], others[:, 2:])
    inter = np.prod(np.clip(rb - lt, 0.0, None), axis=1)
    area = float(np.prod(box[2:] - box[:2]))
    return inter / area if area > 0 else np.zeros(len(others))

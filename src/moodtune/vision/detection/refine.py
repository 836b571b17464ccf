"""Re-measuring a face where BlazeFace short range measures best: a window in which it fills 40%.

A face found small for the frame (by either model, or in a tile) has keypoints estimated from a
dozen pixels of the model's input, and the aligned crop, hence the reading, follows the eyes.
``benchmarks/keypoints_bench.py`` places 154 photos of ``taiwan-actors`` on a 640 px canvas at several
sizes, with short range on the photo itself as the reference: short range's eye distance varies by
2.4-2.7% (sd) when the face is 30-50% of its frame and by 10.6% at 12%; full range's is 1.8-3.6% shorter
than short range's at every size, 5.7-6.4% sd at 8-12%. The crop geometry the emotion model expects
(``ModelMeta.alignment``) was measured with short range on faces filling half its frame. So a face's
keypoints are measured once more, by short range, on a square window ``WINDOW`` times the face's side
centred on it; whichever model or pass found the face, the classifier gets nearly the same crop
(refined, full range's eye distance varies by 2.4-2.7% at every size, short range's by 2.5% at 12%;
the two models' moods differ on 5 of 151 faces at 12% of the frame, 10 before).

Plain functions, no I/O; ``BlazeFaceDetector.refine`` runs them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from moodtune.vision.detection.face import Face, iou_matrix

WINDOW = 2.5
"""The window's side over the face's longer side: the face fills 40% of what short range reads."""

MIN_MATCH_IOU = 0.3
"""A face found in the window is the one being refined when their boxes overlap this much (IoU)."""


def refine_window(face: Face, factor: float = WINDOW) -> tuple[int, int, int]:
    """The window ``(x, y, side)`` in image pixels, centred on ``face``; it may reach past the image."""
    x, y, w, h = face.box
    side = max(2, round(factor * max(w, h)))
    return round(x + w / 2 - side / 2), round(y + h / 2 - side / 2), side


def crop_window(image: np.ndarray, x: int, y: int, side: int) -> np.ndarray:
    """The ``side`` x ``side`` part of ``image`` at ``(x, y)``, black where it reaches past the edge
    (as BlazeFace's own letterbox pads)."""
    h, w = image.shape[:2]
    out = np.zeros((side, side, image.shape[2]), image.dtype)
    xa, ya, xb, yb = max(0, x), max(0, y), min(w, x + side), min(h, y + side)
    if xb > xa and yb > ya:
        out[ya - y : yb - y, xa - x : xb - x] = image[ya:yb, xa:xb]
    return out


def pick_match(face: Face, candidates: Sequence[Face]) -> Face | None:
    """The candidate (image coordinates) that overlaps ``face`` most, if by ``MIN_MATCH_IOU`` or more."""
    if not candidates:
        return None
    overlap = iou_matrix(np.array([c.xyxy for c in candidates]), np.array([face.xyxy]))[:, 0]
    best = int(np.argmax(overlap))
    return candidates[best] if overlap[best] >= MIN_MATCH_IOU else None

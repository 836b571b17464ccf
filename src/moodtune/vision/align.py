"""Face alignment: from a detected face to the crop the emotion model was trained on.

FER crops are roughly frontal, upright and tight. A live face is rotated so its eyes are level,
scaled so the eye distance matches the training crops', and placed so the eyes sit where they sit
in FER crops (``ModelMeta.alignment``, measured by ``scripts/measure_fer_geometry.py``). The crop is
grayscale and the model's input size. One similarity transform does it all, in one resampling.
"""

from __future__ import annotations

from collections.abc import Mapping

import cv2
import numpy as np

from moodtune.vision.detection import Face


def alignment_matrix(
    right_eye: np.ndarray, left_eye: np.ndarray, size: int, geometry: Mapping[str, float]
) -> np.ndarray:
    """The 2x3 similarity transform taking image pixels to crop pixels.

    ``right_eye`` is the subject's right eye (on the viewer's left in an unmirrored image)."""
    right_eye = np.asarray(right_eye, dtype=np.float64)
    left_eye = np.asarray(left_eye, dtype=np.float64)
    delta = left_eye - right_eye
    dist = float(np.hypot(*delta))
    if dist < 1e-6:
        raise ValueError("the two eye keypoints coincide: cannot align this face")
    angle = np.degrees(np.arctan2(delta[1], delta[0]))
    scale = geometry["eye_distance"] * size / dist
    mid = (right_eye + left_eye) / 2
    m = cv2.getRotationMatrix2D((float(mid[0]), float(mid[1])), float(angle), float(scale))
    m[0, 2] += geometry["eye_x"] * size - mid[0]
    m[1, 2] += geometry["eye_y"] * size - mid[1]
    return m


def align_face(gray: np.ndarray, face: Face, size: int, geometry: Mapping[str, float]) -> np.ndarray:
    """The ``size`` x ``size`` uint8 crop of ``face`` from a grayscale image; pixels beyond the
    image edge repeat the border (FER crops have no black bars)."""
    m = alignment_matrix(face.keypoints[0], face.keypoints[1], size, geometry)
    # INTER_AREA is not supported by warpAffine; when shrinking a lot, pre-blur to avoid aliasing.
    shrink = 1.0 / max(float(np.hypot(m[0, 0], m[0, 1])), 1e-9)
    src = gray
    if shrink > 2.0:
        k = int(shrink) | 1
        src = cv2.GaussianBlur(gray, (k, k), sigmaX=shrink / 2.5)
    return cv2.warpAffine(src, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

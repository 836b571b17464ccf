"""Alignment puts the eyes where the training crops have them, level, at the model's size."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from moodtune.vision.align import align_face, alignment_matrix
from moodtune.vision.detection import Face
from moodtune.vision.model_meta import FER_ALIGNMENT


def _face_with_eyes(right: tuple[float, float], left: tuple[float, float]) -> Face:
    kps = np.array([right, left, [0, 0], [0, 0], [0, 0], [0, 0]], dtype=float)
    return Face(box=(0, 0, 10, 10), score=0.9, keypoints=kps)


@pytest.mark.parametrize("angle", [0.0, 20.0, -35.0, 90.0])
def test_eyes_land_on_the_training_positions(angle: float) -> None:
    centre, half = np.array([300.0, 200.0]), 40.0
    rad = np.radians(angle)
    offset = half * np.array([np.cos(rad), np.sin(rad)])
    right, left = centre - offset, centre + offset
    m = alignment_matrix(right, left, 48, FER_ALIGNMENT)
    mapped = [m @ np.array([*p, 1.0]) for p in (right, left)]
    d = FER_ALIGNMENT["eye_distance"] * 48
    cx, cy = FER_ALIGNMENT["eye_x"] * 48, FER_ALIGNMENT["eye_y"] * 48
    np.testing.assert_allclose(mapped[0], [cx - d / 2, cy], atol=1e-6)
    np.testing.assert_allclose(mapped[1], [cx + d / 2, cy], atol=1e-6)


def test_a_tilted_face_comes_out_level() -> None:
    # Two bright dots for eyes on a dark image, tilted by 30 degrees.
    img = np.zeros((400, 400), np.uint8)
    centre, half = np.array([200.0, 200.0]), 50.0
    rad = np.radians(30)
    right = centre - half * np.array([np.cos(rad), np.sin(rad)])
    left = centre + half * np.array([np.cos(rad), np.sin(rad)])
    for p in (right, left):
        cv2.circle(img, (round(p[0]), round(p[1])), 6, 255, -1)
    crop = align_face(img, _face_with_eyes(tuple(right), tuple(left)), 96, FER_ALIGNMENT)
    assert crop.shape == (96, 96) and crop.dtype == np.uint8
    ys, xs = np.nonzero(crop > 128)
    left_blob, right_blob = ys[xs < 48], ys[xs >= 48]
    assert abs(left_blob.mean() - right_blob.mean()) < 1.0  # level
    assert abs(left_blob.mean() - FER_ALIGNMENT["eye_y"] * 96) < 1.5


def test_coincident_eyes_are_refused() -> None:
    with pytest.raises(ValueError, match="coincide"):
        alignment_matrix(np.array([5.0, 5.0]), np.array([5.0, 5.0]), 48, FER_ALIGNMENT)

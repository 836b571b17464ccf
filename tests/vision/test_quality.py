"""Quality flags on the real portraits and on degraded copies of them."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from moodtune.vision.detection import Face, create_detector
from moodtune.vision.quality import assess, yaw_of
from tests.fixtures import FACES


@pytest.fixture(scope="module")
def astronaut() -> tuple[np.ndarray, Face]:
    path = FACES / "astronaut.png"
    if not path.is_file():
        pytest.skip(f"{path} not found (../shared/data/faces beside the checkout)")
    bgr = cv2.imread(str(path))
    face = create_detector("blazeface").detect(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))[0]
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), face


def test_a_good_portrait_has_no_flag(astronaut) -> None:
    gray, face = astronaut
    q = assess(gray, face)
    assert q.ok and not (q.too_small or q.too_dark or q.blurred or q.turned_away)
    assert set(q.to_dict()) >= {"size", "brightness", "sharpness", "yaw", "ok"}


def test_blur_is_flagged(astronaut) -> None:
    gray, face = astronaut
    q = assess(cv2.GaussianBlur(gray, (0, 0), 3), face)
    assert q.blurred and not q.too_dark


def test_darkness_is_flagged(astronaut) -> None:
    gray, face = astronaut
    q = assess((gray * 0.2).astype(np.uint8), face)
    assert q.too_dark


def test_a_small_face_is_flagged(astronaut) -> None:
    gray, face = astronaut
    small = cv2.resize(gray, None, fx=0.4, fy=0.4, interpolation=cv2.INTER_AREA)
    x, y, w, h = face.box
    shrunk = Face(box=(x * 0.4, y * 0.4, w * 0.4, h * 0.4), score=face.score, keypoints=face.keypoints * 0.4)
    assert assess(small, shrunk).too_small


@pytest.mark.parametrize(("nose_x", "turned"), [(100.0, False), (110.0, False), (125.0, True), (72.0, True)])
def test_yaw_from_the_nose_offset(nose_x: float, turned: bool) -> None:
    # eyes at x=80 and x=120 (distance 40); nose offset by (nose_x - 100) / 40 eye distances
    kps = np.array([[80, 100], [120, 100], [nose_x, 120], [100, 140], [60, 110], [140, 110]], float)
    face = Face(box=(50, 60, 100, 100), score=0.9, keypoints=kps)
    assert yaw_of(face) == pytest.approx((nose_x - 100) / 40)
    gray = np.full((200, 200), 128, np.uint8)
    assert assess(gray, face).turned_away is turned

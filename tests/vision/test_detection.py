"""Face detection: the contract every detector passes, then each part on its own.

The contract runs on the two real portraits in ../shared/data/faces (one face each) and on images built
from them in code: a 2x2 mosaic of the astronaut at four zooms, a shrunken copy, a blank frame.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from moodtune.errors import InvalidImage, UsageError
from moodtune.vision.detection import (
    DETECTORS,
    KEYPOINT_NAMES,
    BlazeFaceDetector,
    Face,
    FaceDetector,
    FallbackDetector,
    HaarDetector,
    create_detector,
)
from moodtune.vision.detection.face import iou_matrix
from moodtune.vision.detection.ssd import FULL_RANGE, SHORT_RANGE, SsdSpec, generate_anchors, weighted_nms
from tests.fixtures import FACES
from tests.vision.scenes import PORTRAITS, Head, four_portraits, group_frame, heads, matched

PHOTOS = PORTRAITS
CELL = 256
# zoom of the astronaut in each mosaic cell (top-left, top-right, bottom-left, bottom-right): the
# largest face is not first in reading order, so "largest first" is a real reordering
MOSAIC_ZOOMS = (1.0, 1.45, 1.15, 1.3)


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    before = cv2.getNumThreads()
    cv2.setNumThreads(1)
    yield
    cv2.setNumThreads(before)


@pytest.fixture(scope="module")
def detectors() -> dict[str, FaceDetector]:
    return {name: create_detector(name) for name in DETECTORS}


@pytest.fixture(params=list(DETECTORS))
def detector(request: pytest.FixtureRequest, detectors: dict[str, FaceDetector]) -> FaceDetector:
    return detectors[request.param]


def read_rgb(name: str) -> np.ndarray:
    path = Path(FACES) / name
    if not path.is_file():
        pytest.skip(f"test photo not found at {path} (../shared/data/faces beside the checkout)")
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None, f"cv2 could not decode {path}"
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def astronaut_mosaic() -> np.ndarray:
    """2x2 cells of 256 px, each the astronaut's head zoomed by ``MOSAIC_ZOOMS`` and centred.

    The whole 512 px photo tiled 2x2 would make each face 1/11 of the frame, which BlazeFace short
    range (128 px input) cannot see; full range and Haar can."""
    image = read_rgb("astronaut.png")
    face_centre = np.array([225.0, 128.0])  # of BlazeFace's box on the photo
    cells = []
    for zoom in MOSAIC_ZOOMS:
        big = cv2.resize(image, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_LINEAR)
        x0, y0 = (face_centre * zoom - CELL / 2).round().astype(int)
        cells.append(big[y0 : y0 + CELL, x0 : x0 + CELL])
    return np.vstack([np.hstack(cells[:2]), np.hstack(cells[2:])])


def box_contains(face: Face, point: tuple[float, float]) -> bool:
    x, y, w, h = face.box
    return x <= point[0] <= x + w and y <= point[1] <= y + h


# --- the contract ---------------------------------------------------------------------------------


def test_detectors_satisfy_the_protocol(detector: FaceDetector) -> None:
    assert isinstance(detector, FaceDetector)
    assert detector.name in DETECTORS


@pytest.mark.data
@pytest.mark.parametrize("photo", PHOTOS)
def test_portrait_has_one_face_with_keypoints_where_a_face_has_them(
    detector: FaceDetector, photo: str
) -> None:
    faces = detector.detect(read_rgb(photo))
    assert len(faces) == 1, f"{detector.name} found {len(faces)} faces on {photo}: {faces}"
    face = faces[0]
    _, y, _, h = face.box
    assert 0 < face.score <= 1
    for name in ("right_eye", "left_eye", "nose_tip"):
        assert box_contains(face, face.keypoint(name)), f"{name} {face.keypoint(name)} outside {face.box}"
    for name in ("right_eye", "left_eye"):
        assert face.keypoint(name)[1] < y + h / 2, f"{name} is not in the upper half of the box"
    # MediaPipe's "right eye" is the subject's right: on the viewer's left in an unmirrored photo
    assert face.keypoint("right_eye")[0] < face.keypoint("nose_tip")[0] < face.keypoint("left_eye")[0]
    assert face.keypoint("nose_tip")[1] < face.keypoint("mouth_center")[1]


def test_blank_frame_has_no_face(detector: FaceDetector) -> None:
    assert detector.detect(np.full((480, 640, 3), 128, np.uint8)) == []


@pytest.mark.data
def test_mosaic_of_four_faces_comes_back_largest_first_without_overlap(detector: FaceDetector) -> None:
    faces = detector.detect(astronaut_mosaic())
    assert len(faces) == 4, f"{detector.name} found {len(faces)} faces: {faces}"
    areas = [f.area for f in faces]
    assert areas == sorted(areas, reverse=True)
    cells = [int(f.box[1] + f.box[3] / 2) // CELL * 2 + int(f.box[0] + f.box[2] / 2) // CELL for f in faces]
    assert cells == sorted(range(4), key=lambda c: MOSAIC_ZOOMS[c], reverse=True)
    xyxy = np.array([f.xyxy for f in faces])
    overlap = iou_matrix(xyxy, xyxy)
    assert np.all(overlap[~np.eye(4, dtype=bool)] == 0)


@pytest.mark.data
def test_face_is_found_at_40_percent_size(detector: FaceDetector) -> None:
    image = read_rgb("astronaut.png")
    full = detector.detect(image)[0]
    small = cv2.resize(image, None, fx=0.4, fy=0.4, interpolation=cv2.INTER_AREA)
    faces = detector.detect(small)
    assert len(faces) == 1
    expected = np.array(full.xyxy) * 0.4
    assert iou_matrix(np.array([faces[0].xyxy]), expected[None])[0, 0] > 0.6


@pytest.mark.data
def test_faces_under_min_face_are_dropped(detector: FaceDetector) -> None:
    image = read_rgb("astronaut.png")
    side = min(detector.detect(image)[0].box[2:])
    assert len(create_detector(detector.name, min_face=side * 0.8).detect(image)) == 1
    assert create_detector(detector.name, min_face=side * 1.25).detect(image) == []


@pytest.mark.parametrize(
    ("image", "arrived"),
    [
        ([[[0, 0, 0]]], "list"),  # not an array
        (np.zeros((48, 48), np.uint8), r"shape \(48, 48\)"),  # grayscale: convert to RGB first
        (np.zeros((48, 48, 4), np.uint8), r"shape \(48, 48, 4\)"),  # RGBA: drop alpha
        (np.zeros((0, 48, 3), np.uint8), r"shape \(0, 48, 3\)"),  # empty
        (np.zeros((48, 48, 3), np.float32), "dtype float32"),  # floats in [0, 1]
        (np.zeros((48, 48, 3), np.uint16), "dtype uint16"),  # 16-bit PNG
    ],
)
def test_input_that_is_not_rgb_uint8_is_rejected(detector: FaceDetector, image: Any, arrived: str) -> None:
    with pytest.raises(InvalidImage, match=arrived):
        detector.detect(image)


# --- the parts ----------------------------------------------------------------------------------


@pytest.mark.data
@pytest.mark.parametrize("photo", PHOTOS)
def test_haar_keypoint_template_lands_near_blazeface_keypoints(
    detectors: dict[str, FaceDetector], photo: str
) -> None:
    image = read_rgb(photo)
    haar, blaze = detectors["haar"].detect(image)[0], detectors["blazeface"].detect(image)[0]
    error = np.linalg.norm(haar.keypoints - blaze.keypoints, axis=1) / haar.box[2]
    assert np.all(error < 0.12), dict(zip(KEYPOINT_NAMES, error.round(3), strict=True))


@pytest.mark.parametrize(("spec", "count"), [(SHORT_RANGE, 896), (FULL_RANGE, 2304)])
def test_anchor_grids_match_mediapipe(spec: SsdSpec, count: int) -> None:
    anchors = generate_anchors(spec)
    assert anchors.shape == (count, 2)
    assert anchors.min() > 0 and anchors.max() < 1
    # the first anchor sits at the centre of the first cell of the finest grid
    np.testing.assert_allclose(anchors[0], [spec.strides[0] / 2 / spec.input_size] * 2)


def test_weighted_nms_averages_overlapping_boxes_and_keeps_the_best_score() -> None:
    xyxy = np.array([[0.0, 0.0, 1.0, 1.0], [0.1, 0.0, 1.1, 1.0], [5.0, 5.0, 6.0, 6.0]])
    kps = np.stack([np.full((6, 2), v) for v in (0.0, 0.3, 9.0)])
    scores = np.array([0.9, 0.6, 0.7])
    boxes, points, kept = weighted_nms(xyxy, kps, scores, iou_threshold=0.3)
    np.testing.assert_allclose(kept, [0.9, 0.7])
    np.testing.assert_allclose(boxes[0], [0.04, 0.0, 1.04, 1.0])  # (0.9 * 0 + 0.6 * 0.1) / 1.5
    np.testing.assert_allclose(points[0], np.full((6, 2), 0.12))
    np.testing.assert_allclose(boxes[1], xyxy[2])


def test_face_validates_and_serialises() -> None:
    face = Face(box=(10, 20, 30, 40), score=0.5, keypoints=np.arange(12.0).reshape(6, 2))
    d = face.to_dict()
    assert d["box"] == [10.0, 20.0, 30.0, 40.0]
    assert list(d["keypoints"]) == list(KEYPOINT_NAMES)
    assert d["keypoints"]["nose_tip"] == [4.0, 5.0]
    assert face == Face(box=(10, 20, 30, 40), score=0.5, keypoints=np.arange(12.0).reshape(6, 2))
    with pytest.raises(ValueError):
        face.keypoints[0, 0] = 1.0  # read-only, like the rest of a frozen Face
    with pytest.raises(ValueError, match=r"shape \(6, 2\).*but got shape \(5, 2\)"):
        Face(box=(0, 0, 1, 1), score=0.5, keypoints=np.zeros((5, 2)))
    with pytest.raises(ValueError, match="w, h > 0"):
        Face(box=(0, 0, 0, 1), score=0.5, keypoints=np.zeros((6, 2)))


def test_create_detector_names_what_it_knows() -> None:
    assert isinstance(create_detector("haar", min_face=40), HaarDetector)
    full = create_detector("blazeface-full")
    assert isinstance(full, BlazeFaceDetector) and full.name == "blazeface-full"
    with pytest.raises(UsageError, match="blazeface, blazeface-full, haar"):
        create_detector("mtcnn")
    with pytest.raises(UsageError, match="but got scale"):
        create_detector("blazeface", scale=2)
    with pytest.raises(UsageError, match="score_threshold"):
        BlazeFaceDetector(score_threshold=1.5)


# --- small faces: the tile of four portraits and group frames (auto) ----------------------------


def _people() -> list[Head]:
    if not (Path(FACES) / PORTRAITS[0]).is_file():
        pytest.skip(f"test photos not found at {FACES} (../shared/data/faces beside the checkout)")
    return heads([Path(FACES) / name for name in PORTRAITS])


@pytest.mark.data
def test_auto_finds_all_four_faces_of_the_four_portrait_tile(detectors: dict[str, FaceDetector]) -> None:
    _people()
    faces = detectors["auto"].detect(four_portraits())
    # one face in each portrait: the astronaut (94 px) top left and bottom right, Grace Hopper (200 px)
    cells = sorted((int(f.box[0] + f.box[2] / 2) // 512, int(f.box[1] + f.box[3] / 2) // 556) for f in faces)
    assert cells == [(0, 0), (0, 1), (1, 0), (1, 1)], faces
    # the top-left astronaut, which the whole-image passes miss, is where the photo has her face
    top_left = next(f for f in faces if f.box[0] < 512 and f.box[1] < 556)
    assert iou_matrix(np.array([top_left.xyxy]), np.array([[178.0, 81.0, 272.0, 175.0]]))[0, 0] > 0.6


@pytest.mark.data
def test_the_top_left_face_of_the_tile_is_missed_for_its_size_not_for_the_edge() -> None:
    # Full range reads the 1112 px tile at 192 px: the astronaut's 94 px face is 16 px there and
    # scores 0.31 beside the larger faces; in a 384 px tile (47 px in the input) it scores 0.97.
    _people()
    tile = four_portraits()
    full = BlazeFaceDetector("full", score_threshold=0.05, refine=False)

    def score(image: np.ndarray) -> float:
        found = [f for f in full.detect_raw(image) if abs(f.box[0] - 178) < 40 and abs(f.box[1] - 81) < 40]
        return max((f.score for f in found), default=0.0)

    assert score(tile) < 0.5
    assert score(tile[:384, :384]) > 0.9


@pytest.mark.data
@pytest.mark.parametrize(
    ("width", "height", "n", "seed"),
    [
        (640, 480, 8, 0),  # a camera frame, shoulder to shoulder
        (640, 480, 10, 1),
        (1280, 720, 10, 2),  # a 720p photo: faces of 40-100 px are 3-8% of its width
    ],
)
def test_auto_finds_every_face_of_a_group_of_small_faces(
    detectors: dict[str, FaceDetector], width: int, height: int, n: int, seed: int
) -> None:
    frame, boxes = group_frame(width, height, n, _people(), sides=(40, 100), seed=seed)
    faces = detectors["auto"].detect(frame)
    assert matched(faces, boxes) == (n, 0), faces


def test_auto_reads_tiles_only_where_they_show_faces_larger() -> None:
    auto = create_detector("auto")
    assert isinstance(auto, FallbackDetector)
    assert len(auto.tiles(480, 640)) == 4
    assert len(auto.tiles(720, 1280)) == 15
    assert all(w <= 384 and h <= 384 for _, _, w, h in auto.tiles(1112, 1024))
    assert len(auto.tiles(300, 400)) == 4  # tiles of 250 px: each read larger than the whole at 192
    assert auto.tiles(150, 192) == []  # already read at full size


@pytest.mark.data
def test_auto_pays_for_one_model_when_the_face_is_near(detectors: dict[str, FaceDetector]) -> None:
    # A portrait whose face fills a fifth of the frame or more: short range's face, as found.
    image = cv2.resize(read_rgb("grace_hopper.jpg"), (256, 300), interpolation=cv2.INTER_AREA)
    near = create_detector("blazeface", refine=False).detect(image)
    assert detectors["auto"].detect(image) == near


class _Scripted:
    """A stand-in for a BlazeFace model in ``FallbackDetector``: the faces it "finds" in an image of
    a given size, and which faces short range confirms when it looks closer."""

    def __init__(self, by_size: dict[tuple[int, int], list[Face]], confirms: bool = True) -> None:
        self.by_size, self.confirms, self.looked = by_size, confirms, 0

    def detect_raw(self, image: np.ndarray) -> list[Face]:
        self.looked += 1
        return list(self.by_size.get(image.shape[:2], []))

    def refine(self, image: np.ndarray, face: Face) -> Face:
        return face

    def remeasure(self, image: np.ndarray, face: Face) -> Face | None:
        return face if self.confirms and face.box[0] < 500 else None


def _square(x: float, y: float, side: float, score: float = 0.9) -> Face:
    return Face(box=(x, y, side, side), score=score, keypoints=np.full((6, 2), [x + side / 2, y + side / 2]))


def test_auto_keeps_a_face_found_only_in_a_tile_when_short_range_confirms_it() -> None:
    # 1280x720: no face on the whole image; the 384 px tiles each "find" one 40 px face at their
    # centre; short range confirms those left of x=500 only
    short = _Scripted({})
    full = _Scripted({(384, 384): [_square(172, 172, 40)]})
    auto = FallbackDetector(short, full)  # type: ignore[arg-type]
    faces = auto.detect(np.zeros((720, 1280, 3), np.uint8))
    tiles = auto.tiles(720, 1280)
    assert full.looked == 1 + len(tiles)  # the whole image, then every tile
    expected = sorted((x + 172, y + 172) for x, y, _, _ in tiles if x + 172 < 500)
    assert sorted(f.box[:2] for f in faces) == expected


def test_auto_stops_at_short_range_when_every_face_is_near() -> None:
    short = _Scripted({(480, 640): [_square(200, 100, 200)]})  # a third of the frame
    full = _Scripted({})
    faces = FallbackDetector(short, full).detect(np.zeros((480, 640, 3), np.uint8))  # type: ignore[arg-type]
    assert [f.box for f in faces] == [(200.0, 100.0, 200.0, 200.0)] and full.looked == 0


def test_auto_reads_no_tiles_when_full_range_found_every_face_at_a_size_it_sees_well() -> None:
    # a 100 px face in a 640 px frame: small for short range (under a fifth), but over an eighth,
    # so full range on the whole image is trusted with it and no tile is read
    short = _Scripted({})
    full = _Scripted({(480, 640): [_square(300, 200, 100)]})
    faces = FallbackDetector(short, full).detect(np.zeros((480, 640, 3), np.uint8))  # type: ignore[arg-type]
    assert len(faces) == 1 and full.looked == 1

"""Tiles for the small-face pass, and keeping each face once when several passes found it."""

from __future__ import annotations

import numpy as np
import pytest

from moodtune.vision.detection import Face
from moodtune.vision.detection.tiles import shift_face, suppress, tile_grid, tile_starts


def face(x: float, y: float, side: float, score: float) -> Face:
    kps = np.array([[x + side * fx, y + side * 0.4] for fx in (0.3, 0.7, 0.5, 0.5, 0.05, 0.95)])
    return Face(box=(x, y, side, side), score=score, keypoints=kps)


@pytest.mark.parametrize(
    ("height", "width", "side", "overlap"),
    [
        (480, 640, 384, 80),  # a camera frame: 2 x 2
        (720, 1280, 384, 160),  # a 720p photo
        (1112, 1024, 384, 139),  # the tile of four portraits
        (200, 900, 384, 113),  # a panorama shorter than a tile
        (300, 300, 384, 38),  # smaller than one tile: the image itself
    ],
)
def test_tiles_cover_the_image_and_hold_every_face_up_to_the_overlap_whole(
    height: int, width: int, side: int, overlap: int
) -> None:
    tiles = tile_grid(height, width, side, overlap)
    covered = np.zeros((height, width), bool)
    for x, y, w, h in tiles:
        assert w <= side and h <= side and x + w <= width and y + h <= height
        covered[y : y + h, x : x + w] = True
    assert covered.all()
    rng = np.random.default_rng(0)
    for _ in range(500):
        s = int(rng.integers(1, min(overlap, height, width) + 1))
        bx, by = int(rng.integers(0, width - s + 1)), int(rng.integers(0, height - s + 1))
        assert any(x <= bx and bx + s <= x + w and y <= by and by + s <= y + h for x, y, w, h in tiles), (
            bx,
            by,
            s,
        )


def test_tile_starts_are_even_and_end_at_the_edge() -> None:
    assert tile_starts(640, 384, 80) == [0, 256]
    assert tile_starts(1280, 384, 160) == [0, 224, 448, 672, 896]
    assert tile_starts(300, 384, 50) == [0]


@pytest.mark.parametrize(
    ("side", "overlap", "message"),
    [
        (0, 10, "side >= 1"),  # no tile at all
        (100, -1, "overlap >= 0"),  # negative overlap
        (100, 100, "smaller than the tile side"),  # tiles that never advance
    ],
)
def test_impossible_tiles_are_refused(side: int, overlap: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        tile_grid(500, 500, side, overlap)


def test_a_face_found_in_a_tile_moves_to_image_pixels() -> None:
    moved = shift_face(face(10, 20, 30, 0.9), 100, 200)
    assert moved.box == (110.0, 220.0, 30.0, 30.0)
    np.testing.assert_allclose(moved.keypoints[0], [119.0, 232.0])
    assert moved.score == 0.9


@pytest.mark.parametrize(
    ("faces", "first", "kept"),
    [
        # the same face, boxes of two models: the trusted first group keeps its box, lower score or not
        ([face(100, 100, 50, 0.7), face(98, 95, 54, 0.95)], 1, [0]),
        # the same face, both from later passes: the better score
        ([face(100, 100, 50, 0.7), face(98, 95, 54, 0.95)], 0, [1]),
        # a face cut by a tile's border: a box inside the whole face's box, scoring lower
        ([face(100, 100, 60, 0.9), face(130, 110, 25, 0.6)], 0, [0]),
        # head and shoulders read as one large low-scoring box around a face found closer: even when
        # the large box came first, the face inside it wins
        ([face(400, 170, 210, 0.52), face(490, 196, 84, 0.73)], 1, [1]),
        # two faces side by side: both
        ([face(0, 0, 50, 0.9), face(60, 0, 50, 0.8)], 0, [0, 1]),
        # nothing
        ([], 0, []),
    ],
)
def test_each_face_is_kept_once(faces: list[Face], first: int, kept: list[int]) -> None:
    assert sorted(suppress(faces, 0.3, first=first)) == kept

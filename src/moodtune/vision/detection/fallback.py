"""``auto`` (the default detector): BlazeFace short range first, then full range, then full range in
tiles, each only when the one before found no face or only small ones.

1. Short range on the whole image: fast, made for faces near the camera (a webcam, a selfie). When
   it finds faces and none is small for the frame (shorter side under ``SMALL_FACE_FRACTION`` of the
   image's longer side), that is the answer: a webcam frame pays for one model only.
2. Otherwise full range on the whole image (a group shot, a collage, someone far away) adds the faces
   short range missed.
3. If there is still no face, or one under ``TILE_OVERLAP`` of the longer side (the size under which
   step 2 starts to miss faces, so smaller ones may be missing too), full range reads the image
   again in overlapping square tiles (``tiles.tile_grid``) of at most ``tile_side`` px (384: a face
   appears at half its pixel size or more in the model's 192 px input). Neighbouring tiles share
   ``TILE_OVERLAP`` of the longer side, so a face smaller than that lies whole in some tile. A face
   found more than once (by two passes, in two tiles, or cut by a tile's border) is kept once:
   short range's box if it found it, else the best-scoring one (``tiles.suppress``).

Every face that short range did not see large is then measured again by short range where it fills
40% of the window (``refine``), so the crop the emotion model reads does not depend on which model
or tile found it; a face found only in a tile is kept only if short range finds it there too. The
faces found and the cost per image are measured by ``benchmarks/engine_bench.py`` on a tile of four
portraits and on group frames of 8-12 faces of 40-100 px.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from moodtune.vision.detection.blazeface import BlazeFaceDetector
from moodtune.vision.detection.face import (
    SMALL_FACE_FRACTION,
    Face,
    check_image,
    finish,
)
from moodtune.vision.detection.tiles import shift_face, suppress, tile_grid

TILE_OVERLAP = 0.125
"""1/8 of the image's longer side: a face larger than that is 24 px or more in full range's 192 px
input when it reads the whole image, where it is found (step 2); smaller faces are the tiles' to
find, so tiles run when a face under it was found (or none) and neighbouring tiles share this much."""


class FallbackDetector:
    """``primary`` (short range) first; ``secondary`` (full range) on the whole image, then in tiles,
    while the faces are absent or small; short range re-measures every face it did not see large."""

    name = "auto"

    def __init__(
        self,
        primary: BlazeFaceDetector,
        secondary: BlazeFaceDetector,
        small_fraction: float = SMALL_FACE_FRACTION,
        iou_threshold: float = 0.3,
        min_face: float = 24,
        tile_side: int = 384,
    ) -> None:
        self.primary, self.secondary = primary, secondary
        self.small_fraction = small_fraction
        self.iou_threshold = iou_threshold
        self.min_face = min_face
        self.tile_side = tile_side

    def tiles(self, height: int, width: int) -> list[tuple[int, int, int, int]]:
        """The tiles ``(x, y, w, h)`` step 3 reads for an image of this size; none when the image is
        small enough (longer side at most ``tile_side / 2``) that step 2 already reads it at least at
        half its size."""
        longer = max(height, width)
        if longer <= self.tile_side / 2:
            return []
        overlap = math.ceil(TILE_OVERLAP * longer)
        side = min(self.tile_side, math.ceil(longer / 2 + overlap))
        return tile_grid(height, width, side, overlap)

    def detect(self, image: np.ndarray) -> list[Face]:
        image = check_image(image)
        height, width = image.shape[:2]
        longer = max(height, width)

        def smallest_under(faces: list[Face], fraction: float) -> bool:
            sides = [min(f.box[2:]) for f in faces if min(f.box[2:]) >= self.min_face]
            return not sides or min(sides) < fraction * longer

        near = self.primary.detect_raw(image)
        if not smallest_under(near, self.small_fraction):
            return finish(near, self.min_face)
        found = near + self.secondary.detect_raw(image)
        whole = len(found)  # the faces found on the whole image; those after them, in tiles
        kept = suppress(found, self.iou_threshold, first=len(near))
        if smallest_under([found[i] for i in kept], TILE_OVERLAP):
            for x, y, w, h in self.tiles(height, width):
                tile = image[y : y + h, x : x + w]
                found += [shift_face(f, x, y) for f in self.secondary.detect_raw(tile)]
            kept = suppress(found, self.iou_threshold, first=len(near))
        faces = []
        for i in kept:
            face = found[i]
            if i < len(near) and min(face.box[2:]) >= self.small_fraction * longer:
                faces.append(face)  # short range saw it large: its keypoints are the measure
            elif i < whole:
                faces.append(self.primary.refine(image, face))
            else:  # found only in a tile: kept when short range, looking closer, finds it too
                checked = self.primary.remeasure(image, face)
                faces += [] if checked is None else [checked]
        return finish(faces, self.min_face)


def auto_detector(
    score_threshold: float = 0.5, iou_threshold: float = 0.3, min_face: float = 24
) -> FallbackDetector:
    def model(name: Literal["short", "full"]) -> BlazeFaceDetector:
        return BlazeFaceDetector(name, score_threshold, iou_threshold, min_face, refine=False)

    return FallbackDetector(model("short"), model("full"), iou_threshold=iou_threshold, min_face=min_face)

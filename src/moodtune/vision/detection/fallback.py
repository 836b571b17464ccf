"""``auto`` (the default detector): BlazeFace short range first - fast, made for faces near the
camera (the webcam case). Full range runs too only when short range finds nothing, or finds only
faces small for the frame (shorter side under ``small_fraction`` of the image's longer side: a
group shot, a collage, someone far from the camera); the faces full range adds are those short
range did not find (no overlap above ``iou_threshold``). A webcam frame with a face near the
camera pays for one model only."""

from __future__ import annotations

import numpy as np

from moodtune.vision.detection.blazeface import BlazeFaceDetector
from moodtune.vision.detection.face import Face, FaceDetector, finish, iou_matrix


class FallbackDetector:
    """``primary`` first; ``secondary`` as well when the primary's faces are absent or small."""

    name = "auto"

    def __init__(
        self,
        primary: FaceDetector,
        secondary: FaceDetector,
        small_fraction: float = 0.2,
        iou_threshold: float = 0.3,
        min_face: float = 24,
    ) -> None:
        self.primary, self.secondary = primary, secondary
        self.small_fraction = small_fraction
        self.iou_threshold = iou_threshold
        self.min_face = min_face

    def detect(self, image: np.ndarray) -> list[Face]:
        faces = self.primary.detect(image)
        limit = self.small_fraction * max(image.shape[:2])
        if faces and min(min(f.box[2], f.box[3]) for f in faces) >= limit:
            return faces
        # Faces the primary found keep its boxes; the secondary adds the ones it missed.
        extra = self.secondary.detect(image)
        if faces and extra:
            overlap = iou_matrix(np.array([f.xyxy for f in extra]), np.array([f.xyxy for f in faces]))
            extra = [f for f, row in zip(extra, overlap, strict=True) if row.max() <= self.iou_threshold]
        return finish(faces + extra, self.min_face)


def auto_detector(
    score_threshold: float = 0.5, iou_threshold: float = 0.3, min_face: float = 24
) -> FallbackDetector:
    kw = {"score_threshold": score_threshold, "iou_threshold": iou_threshold, "min_face": min_face}
    return FallbackDetector(
        BlazeFaceDetector(model="short", **kw),
        BlazeFaceDetector(model="full", **kw),
        iou_threshold=iou_threshold,
        min_face=min_face,
    )

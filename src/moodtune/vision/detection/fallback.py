"""``auto``: BlazeFace short range first (fast; faces near the camera, the webcam case), then full
range when short range finds nothing (faces far away or small in a large photo: a group shot, a 2x2
collage). A frame with a face near the camera pays for one model only."""

from __future__ import annotations

import numpy as np

from moodtune.vision.detection.blazeface import BlazeFaceDetector
from moodtune.vision.detection.face import Face, FaceDetector


class FallbackDetector:
    """Ask each detector in turn; the first that finds a face answers."""

    name = "auto"

    def __init__(self, detectors: list[FaceDetector]) -> None:
        if not detectors:
            raise ValueError("FallbackDetector needs at least one detector")
        self.detectors = detectors

    def detect(self, image: np.ndarray) -> list[Face]:
        for det in self.detectors:
            faces = det.detect(image)
            if faces:
                return faces
        return []


def auto_detector(
    score_threshold: float = 0.5, iou_threshold: float = 0.3, min_face: float = 24
) -> FallbackDetector:
    kw = {"score_threshold": score_threshold, "iou_threshold": iou_threshold, "min_face": min_face}
    return FallbackDetector([BlazeFaceDetector(model="short", **kw), BlazeFaceDetector(model="full", **kw)])

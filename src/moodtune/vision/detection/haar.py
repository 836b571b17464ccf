"""OpenCV's frontal-face Haar cascade: the fallback detector the original service used.

Cascade: ``haarcascade_frontalface_default.xml`` from ``cv2.data.haarcascades`` (shipped with
opencv-python; P. Viola and M. Jones, "Rapid Object Detection using a Boosted Cascade of Simple
Features", CVPR 2001, with R. Lienhart's extended features). Search settings as in the original service
and ``scripts/make_samples.py``: ``scaleFactor=1.1``, ``minNeighbors=5``, on the grayscale image.

Scores. ``detectMultiScale3(..., outputRejectLevels=True)`` gives each hit the summed weak-classifier
votes of the cascade's last stage (its "level weight"), an unbounded real number. It is mapped to
(0, 1) with the logistic function, ``score = 1 / (1 + exp(-weight))``. This is an ordering, not a
calibrated probability: on the two test portraits the faces weigh 5.8 and 4.6 (scores 0.997 and 0.990),
while the spurious hits that appear with ``minNeighbors=1`` weigh -1.5 and -1.1 (0.18 and 0.25). The
default ``score_threshold`` of 0 keeps every hit, as the original service did.

Keypoints. The cascade gives a box only, so the six MediaPipe keypoints are placed at fixed fractions
of it (``KEYPOINT_TEMPLATE``). The fractions were measured once: BlazeFace short range's keypoints on
astronaut.png and grace_hopper.jpg, expressed relative to the Haar box on the same photo, averaged over
the two, then made left-right symmetric (the astronaut's head is tilted; a template should not be). The
two photos differed from the mean by up to 0.08 of the box, which is the error to expect on an upright
frontal face; a tilted head is not followed at all.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from moodtune.errors import ModelError
from moodtune.vision.detection.face import Face, check_image, check_settings, finish, greedy_nms

CASCADE_FILE = "haarcascade_frontalface_default.xml"

# (x, y) as fractions of the box width and height, in MediaPipe's keypoint order
KEYPOINT_TEMPLATE = np.array(
    [
        [0.286, 0.396],  # right eye (subject's right: the viewer's left)
        [0.714, 0.396],  # left eye
        [0.500, 0.595],  # nose tip
        [0.500, 0.808],  # mouth centre
        [0.051, 0.527],  # right ear tragion
        [0.949, 0.527],  # left ear tragion
    ]
)


class HaarDetector:
    """Load once, call many times: ``detect(rgb)`` -> faces, largest first.

    The cascade's own grouping (``minNeighbors``) merges hits on one face; a plain IoU suppression at
    ``iou_threshold`` then removes the occasional box nested inside another."""

    name = "haar"

    def __init__(
        self,
        min_face: float = 24,
        score_threshold: float = 0.0,
        iou_threshold: float = 0.3,
        scale_factor: float = 1.1,
        min_neighbors: int = 5,
    ) -> None:
        check_settings(min_face, score_threshold, iou_threshold)
        self.min_face = min_face
        self.score_threshold = score_threshold
        self.iou_threshold = iou_threshold
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        path = Path(cv2.data.haarcascades) / CASCADE_FILE  # type: ignore[attr-defined]
        self._cascade = cv2.CascadeClassifier(str(path))
        if self._cascade.empty():
            raise ModelError(
                f"cannot load the Haar cascade {path}; reinstall opencv-python-headless, which ships it"
            )

    def detect(self, image: np.ndarray) -> list[Face]:
        gray = cv2.cvtColor(check_image(image), cv2.COLOR_RGB2GRAY)
        side = max(1, int(np.ceil(self.min_face)))
        boxes, _levels, weights = self._cascade.detectMultiScale3(
            gray,
            scaleFactor=self.scale_factor,
            minNeighbors=self.min_neighbors,
            minSize=(side, side),
            outputRejectLevels=True,
        )
        faces = []
        for (x, y, w, h), weight in zip(np.reshape(boxes, (-1, 4)), np.ravel(weights), strict=True):
            score = 1.0 / (1.0 + np.exp(-float(weight)))
            if score < self.score_threshold:
                continue
            kps = np.array([x, y], np.float64) + KEYPOINT_TEMPLATE * np.array([w, h], np.float64)
            faces.append(Face(box=(x, y, w, h), score=score, keypoints=kps))
        return finish(greedy_nms(faces, self.iou_threshold), self.min_face)

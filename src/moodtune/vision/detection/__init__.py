"""Face detection: an RGB image in, every face out (box, score, six keypoints), largest first.

One interface (``FaceDetector``), two implementations: MediaPipe's BlazeFace (short and full range,
on OpenCV's DNN) and OpenCV's Haar cascade (the original service's fallback); ``auto`` (the default)
asks short range first, then full range on the whole image and in tiles while the faces are small or
absent (``fallback``). BlazeFace re-measures the keypoints of a face short range did not see large
(``refine``). Pick one by name with ``create_detector``; ``tests/vision/test_detection.py`` holds the
contract all of them pass.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import partial
from typing import Any

from moodtune.errors import UsageError
from moodtune.vision.detection.blazeface import BLAZEFACE_MODELS, BlazeFaceDetector
from moodtune.vision.detection.face import KEYPOINT_NAMES, Face, FaceDetector, check_image
from moodtune.vision.detection.fallback import FallbackDetector, auto_detector
from moodtune.vision.detection.haar import HaarDetector

DETECTORS: dict[str, Callable[..., FaceDetector]] = {
    "auto": auto_detector,
    "blazeface": partial(BlazeFaceDetector, model="short"),
    "blazeface-full": partial(BlazeFaceDetector, model="full"),
    "haar": HaarDetector,
}


def create_detector(name: str, **kw: Any) -> FaceDetector:
    """The detector registered as ``name`` (see ``DETECTORS``), built with keyword settings ``kw``
    such as ``min_face`` or ``score_threshold``."""
    if name not in DETECTORS:
        raise UsageError(f"unknown face detector {name!r}; known detectors: {', '.join(DETECTORS)}")
    factory = DETECTORS[name]
    # the BlazeFace variant is chosen by the name, so ``model`` is not a setting here
    allowed = [p for p in inspect.signature(factory).parameters if p != "model"]
    unknown = sorted(set(kw) - set(allowed))
    if unknown:
        raise UsageError(
            f"detector {name!r} takes the settings {', '.join(allowed)}, but got {', '.join(unknown)}"
        )
    return factory(**kw)


__all__ = [
    "BLAZEFACE_MODELS",
    "DETECTORS",
    "KEYPOINT_NAMES",
    "BlazeFaceDetector",
    "Face",
    "FaceDetector",
    "FallbackDetector",
    "HaarDetector",
    "check_image",
    "create_detector",
]

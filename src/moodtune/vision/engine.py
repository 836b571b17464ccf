"""The face analysis engine: any photo or frame in; faces with emotion, mood, valence, arousal and
quality flags out.

    image -> load_image (decode, orientation, colour; one place)
          -> downscale for detection (long side <= ``detect_max_side``; boxes mapped back)
          -> detector (every face, largest first)
          -> align each face to the training crop (eyes level and placed as in FER crops)
          -> one batched classifier call for all faces
          -> valence / arousal from the probabilities (``moodtune.moodspace``)
          -> the room: every face pooled, weighted by size, detection score and quality
             (``moodtune.vision.room``)

Orientation: EXIF orientation is applied on load (phones store it there). No other rotations are
tried: cameras send upright frames, and a face turned by a quarter turn without a tag is still
found, but BlazeFace's eye keypoints do not follow the turn, so its crop and reading are unreliable
(``tests/vision/test_engine.py`` pins this).

Engine objects load their models once; ``analyze`` is then cheap to call many times.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from moodtune.datasets.base import fit_square
from moodtune.moodspace import valence_arousal_batch
from moodtune.vision.align import align_face
from moodtune.vision.classifier import EmotionClassifier, EmotionReading
from moodtune.vision.detection import Face, FaceDetector, create_detector
from moodtune.vision.image_io import ImageSource, load_image
from moodtune.vision.quality import FaceQuality, QualityThresholds, assess
from moodtune.vision.room import RoomFace, RoomReading, room_reading


@dataclass(frozen=True)
class FaceReading:
    """One face: where it is, what it shows, and how trustworthy the picture of it is."""

    face: Face
    reading: EmotionReading
    valence: float
    arousal: float
    quality: FaceQuality

    @property
    def emotion(self) -> str:
        return self.reading.emotion

    @property
    def mood(self) -> str:
        return self.reading.mood

    def room_face(self) -> RoomFace:
        """What the room's reading needs of this face."""
        q = self.quality
        return RoomFace(
            side=q.size,
            score=self.face.score,
            valence=self.valence,
            arousal=self.arousal,
            probabilities=self.reading.probabilities,
            mood_probabilities=self.reading.mood_probabilities,
            flags=int(q.too_dark) + int(q.blurred) + int(q.turned_away),
        )

    def to_dict(self) -> dict[str, Any]:
        face = self.face.to_dict()
        return {
            "box": face["box"],
            "score": face["score"],
            **self.reading.to_dict(),
            "valence": round(self.valence, 4),
            "arousal": round(self.arousal, 4),
            "quality": self.quality.to_dict(),
            "keypoints": face["keypoints"],
        }


@dataclass(frozen=True)
class ImageAnalysis:
    """Every face found in one image (largest first); none is a normal result. ``room`` pools them
    all into one reading (``moodtune.vision.room``); ``None`` when there is no face."""

    width: int
    height: int
    faces: list[FaceReading] = field(default_factory=list)
    room: RoomReading | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "image": {"width": self.width, "height": self.height},
            "faces": [f.to_dict() for f in self.faces],
            "room": None if self.room is None else self.room.to_dict(),
        }


@dataclass(frozen=True)
class LocatedFaces:
    """The faces found in one image (image coordinates, largest first), each one's aligned crop
    ``(N, size, size)`` uint8 and its quality flags: what the classifier is given."""

    faces: list[Face]
    crops: np.ndarray
    qualities: list[FaceQuality]


class Analyzer:
    """Detector + aligner + classifier, built once and reused."""

    def __init__(
        self,
        detector: str | FaceDetector = "auto",
        model_path: str | Path | None = None,
        threads: int = 1,
        min_face: int = 24,
        detect_max_side: int = 1280,
        max_faces: int = 32,
        thresholds: QualityThresholds | None = None,
        flip_average: bool = False,
    ) -> None:
        cv2.setNumThreads(threads)
        self.detector = (
            create_detector(detector, min_face=min_face) if isinstance(detector, str) else detector
        )
        self.classifier = EmotionClassifier(model_path, threads=threads, flip_average=flip_average)
        self.meta = self.classifier.meta
        self.detect_max_side = detect_max_side
        self.max_faces = max_faces
        self.thresholds = thresholds or QualityThresholds()

    def analyze(self, source: ImageSource, assume_face: bool = False) -> ImageAnalysis:
        """Analyze one image: a path, bytes, a numpy array (RGB) or a PIL image.

        ``assume_face`` treats the whole image as one face crop (pre-cropped data sets)."""
        rgb = load_image(source).rgb
        return self.analyze_rgb(rgb, assume_face=assume_face)

    def analyze_rgb(
        self, rgb: np.ndarray, assume_face: bool = False, detector: FaceDetector | None = None
    ) -> ImageAnalysis:
        """Analyze a decoded RGB image; ``detector`` replaces the engine's own for this call (the
        web service reads live camera frames with BlazeFace short range alone)."""
        h, w = rgb.shape[:2]
        if assume_face:
            return self._whole_image_face(rgb)
        located = self.locate(rgb, detector=detector)
        if not located.faces:
            return ImageAnalysis(width=w, height=h)
        return self._analysis(w, h, self._read(located.faces, located.crops, located.qualities))

    def _analysis(self, width: int, height: int, faces: list[FaceReading]) -> ImageAnalysis:
        room = room_reading([f.room_face() for f in faces], self.meta.input_size)
        return ImageAnalysis(width=width, height=height, faces=faces, room=room)

    def locate(
        self, rgb: np.ndarray, detector: FaceDetector | None = None, size: int | None = None
    ) -> LocatedFaces:
        """Every face of a decoded RGB image (largest first) with its aligned grayscale crop, as the
        classifier reads it (``size`` defaults to the model's input size), and its quality flags."""
        h, w = rgb.shape[:2]
        scale = min(1.0, self.detect_max_side / max(h, w))
        work = (
            rgb if scale == 1.0 else cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        )
        faces = (detector or self.detector).detect(work)[: self.max_faces]
        size = size or self.meta.input_size
        if not faces:
            return LocatedFaces(faces=[], crops=np.zeros((0, size, size), dtype=np.uint8), qualities=[])
        gray = cv2.cvtColor(work, cv2.COLOR_RGB2GRAY)
        crops = np.stack([align_face(gray, f, size, self.meta.alignment) for f in faces])
        qualities = [assess(gray, f, self.thresholds, scale=scale) for f in faces]
        if scale != 1.0:
            faces = [_rescale(f, 1.0 / scale) for f in faces]
        return LocatedFaces(faces=faces, crops=crops, qualities=qualities)

    def _whole_image_face(self, rgb: np.ndarray) -> ImageAnalysis:
        h, w = rgb.shape[:2]
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        side = min(h, w)
        x0, y0 = (w - side) / 2, (h - side) / 2
        g = self.meta.alignment
        # Keypoints where the training crops have them, so quality's yaw reads frontal.
        ex, ey, d = g["eye_x"] * side, g["eye_y"] * side, g["eye_distance"] * side
        template = [[ex - d / 2, ey], [ex + d / 2, ey], [ex, ey + 0.5 * d], [ex, ey + d], [0, ey], [side, ey]]
        kps = np.asarray(template) + np.asarray([x0, y0])
        face = Face(box=(x0, y0, side, side), score=1.0, keypoints=kps)
        crop = fit_square(gray, self.meta.input_size)[None]
        return self._analysis(w, h, self._read([face], crop, [assess(gray, face, self.thresholds)]))

    def _read(self, faces: list[Face], crops: np.ndarray, qualities: list[FaceQuality]) -> list[FaceReading]:
        probs = self.classifier.predict_proba(crops)
        readings = self.classifier.readings(probs)
        va = valence_arousal_batch(probs, self.meta.labels)
        return [
            FaceReading(face=f, reading=r, valence=float(v), arousal=float(a), quality=q)
            for f, r, (v, a), q in zip(faces, readings, va, qualities, strict=True)
        ]


def _rescale(face: Face, k: float) -> Face:
    x, y, w, h = face.box
    return Face(box=(x * k, y * k, w * k, h * k), score=face.score, keypoints=face.keypoints * k)


_default: Analyzer | None = None


def analyze(source: ImageSource, assume_face: bool = False) -> ImageAnalysis:
    """Analyze one image with the shipped defaults (BlazeFace, short then full range, and the
    shipped emotion model); the
    engine is built on the first call and reused."""
    global _default
    if _default is None:
        _default = Analyzer()
    return _default.analyze(source, assume_face=assume_face)

"""The room's reading: every face of a photo or frame pooled into one mood, for a playlist that suits
everyone in it.

Each face counts in proportion to how well it can be read (``face_weight``):

- its size: the shorter side of its box over ``full_side`` (the emotion model's input size, 112 px for
  the shipped model), capped at 1. A smaller face reaches the model upsampled, with less detail, so
  it counts less; any face at least as large as the model's input counts fully, so one person near
  the camera does not outvote the room;
- its detection score (0.5-1 for BlazeFace): how sure the detector is that it is a face at all;
- its quality flags (``moodtune.vision.quality``): each of too dark, blurred and turned away halves
  the weight (too small is the size term already).

The room's valence and arousal are the weighted means of the faces'; its emotion and mood
probabilities the weighted means of theirs, and its emotion and mood the most probable ones, as
for a single face: the room reads like one face, so whatever takes a face's reading takes it.

Plain functions and dataclasses, no I/O: the engine and the web API (after per-listener calibration)
build ``RoomFace`` values and call ``room_reading``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from moodtune.errors import InvalidMoodInput

FLAG_PENALTY = 0.5
"""Each quality flag other than too small (too dark, blurred, turned away) multiplies the weight by this."""

FLAGS = ("too_dark", "blurred", "turned_away")


@dataclass(frozen=True)
class RoomFace:
    """What the room needs of one face. ``side`` is the shorter side of its box in pixels of the
    photo, ``score`` the detector's (0-1), ``flags`` how many of ``FLAGS`` it carries;
    ``probabilities`` are by emotion, ``mood_probabilities`` by mood."""

    side: float
    score: float
    valence: float
    arousal: float
    probabilities: Mapping[str, float]
    mood_probabilities: Mapping[str, float]
    flags: int = 0

    def __post_init__(self) -> None:
        for name in ("side", "score", "valence", "arousal"):
            value = getattr(self, name)
            if not np.isfinite(value):
                raise InvalidMoodInput(f"RoomFace.{name} must be a finite number, but got {value!r}")
        if self.side < 0 or not 0 <= self.score <= 1 or not 0 <= self.flags <= len(FLAGS):
            raise InvalidMoodInput(
                f"RoomFace needs side >= 0, score in [0, 1] and flags in 0..{len(FLAGS)}, but got "
                f"side {self.side!r}, score {self.score!r}, flags {self.flags!r}"
            )
        if not -1 <= self.valence <= 1 or not -1 <= self.arousal <= 1:
            raise InvalidMoodInput(
                "RoomFace valence and arousal must lie in [-1, 1], "
                f"but got {self.valence!r}, {self.arousal!r}"
            )

    @classmethod
    def from_dict(cls, face: Mapping[str, Any]) -> RoomFace:
        """From one face of the analyze answer (``FaceReading.to_dict()``, calibrated or not)."""
        quality = face["quality"]
        return cls(
            side=float(quality["size"]),
            score=float(face["score"]),
            valence=float(face["valence"]),
            arousal=float(face["arousal"]),
            probabilities=dict(face["probabilities"]),
            mood_probabilities=dict(face["mood_probabilities"]),
            flags=sum(bool(quality[flag]) for flag in FLAGS),
        )


@dataclass(frozen=True)
class RoomReading:
    """The room's mood from ``faces`` faces; ``weights`` are their shares (summing to 1), in the
    order the faces were given (the analyze answer's: largest first)."""

    faces: int
    valence: float
    arousal: float
    probabilities: dict[str, float]
    mood_probabilities: dict[str, float]
    weights: tuple[float, ...] = field(default=())

    @property
    def emotion(self) -> str:
        return max(self.probabilities, key=self.probabilities.__getitem__)

    @property
    def mood(self) -> str:
        return max(self.mood_probabilities, key=self.mood_probabilities.__getitem__)

    def to_dict(self) -> dict[str, Any]:
        return {
            "faces": self.faces,
            "emotion": self.emotion,
            "probabilities": {e: round(p, 6) for e, p in self.probabilities.items()},
            "mood": self.mood,
            "mood_probabilities": {m: round(p, 6) for m, p in self.mood_probabilities.items()},
            "valence": round(self.valence, 4),
            "arousal": round(self.arousal, 4),
            "weights": [round(w, 4) for w in self.weights],
        }


def face_weight(face: RoomFace, full_side: float) -> float:
    """How much ``face`` counts in the room (see the module docstring); 0 for a face of no size."""
    if not full_side > 0:
        raise InvalidMoodInput(f"full_side must be > 0 pixels, but got {full_side!r}")
    return min(1.0, face.side / full_side) * face.score * FLAG_PENALTY**face.flags


def room_reading(faces: Sequence[RoomFace], full_side: float) -> RoomReading | None:
    """The weighted reading of ``faces``; ``None`` when there is none. Faces that all weigh 0 (no
    size, or a score of 0) count equally rather than not at all."""
    if not faces:
        return None
    w = np.array([face_weight(f, full_side) for f in faces], dtype=np.float64)
    w = w / w.sum() if w.sum() > 0 else np.full(len(faces), 1.0 / len(faces))
    points = np.array([[f.valence, f.arousal] for f in faces], dtype=np.float64)
    valence, arousal = np.clip(w @ points, -1.0, 1.0)
    return RoomReading(
        faces=len(faces),
        valence=float(valence),
        arousal=float(arousal),
        probabilities=_pooled([f.probabilities for f in faces], w, "emotions"),
        mood_probabilities=_pooled([f.mood_probabilities for f in faces], w, "moods"),
        weights=tuple(float(x) for x in w),
    )


def _pooled(distributions: Sequence[Mapping[str, float]], weights: np.ndarray, what: str) -> dict[str, float]:
    """The ``weights``-weighted mean of ``distributions``, which must share their keys and order."""
    keys = list(distributions[0])
    for i, d in enumerate(distributions):
        if list(d) != keys:
            raise InvalidMoodInput(
                f"every face must have the same {what} in the same order; face 0 has {keys}, "
                f"face {i} has {list(d)}"
            )
    table = np.array([[d[k] for k in keys] for d in distributions], dtype=np.float64)
    return {k: float(p) for k, p in zip(keys, weights @ table, strict=True)}

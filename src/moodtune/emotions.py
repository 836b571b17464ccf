"""The emotion vocabulary: the 8 FER+ emotions, the 3 listener moods, and label synonyms.

The order of ``EMOTIONS`` is the order of the FER+ vote columns (Barsoum et al., ICMI 2016) and of
every model's output. The grouping into moods written here is the *default* that training stores
in a model's metadata; serving reads the grouping from the metadata, never from this module.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from moodtune.errors import InvalidMoodInput

EMOTIONS: tuple[str, ...] = (
    "neutral",
    "happiness",
    "surprise",
    "sadness",
    "anger",
    "disgust",
    "fear",
    "contempt",
)

MOODS: tuple[str, ...] = ("negative", "neutral", "positive")

DEFAULT_MOOD_GROUPS: dict[str, tuple[str, ...]] = {
    "negative": ("sadness", "anger", "disgust", "fear", "contempt"),
    "neutral": ("neutral",),
    "positive": ("happiness", "surprise"),
}

# The 7 classes of the original FER2013 benchmark, in its label order (0..6).
FER2013_CLASSES: tuple[str, ...] = (
    "angry",
    "disgust",
    "fear",
    "happy",
    "sad",
    "surprise",
    "neutral",
)

# Folder names and label words users write, mapped to an emotion or a mood.
_SYNONYMS: dict[str, str] = {
    "neutral": "neutral",
    "calm": "neutral",
    "happiness": "happiness",
    "happy": "happiness",
    "joy": "happiness",
    "smile": "happiness",
    "surprise": "surprise",
    "surprised": "surprise",
    "sadness": "sadness",
    "sad": "sadness",
    "anger": "anger",
    "angry": "anger",
    "mad": "anger",
    "disgust": "disgust",
    "disgusted": "disgust",
    "fear": "fear",
    "fearful": "fear",
    "afraid": "fear",
    "scared": "fear",
    "contempt": "contempt",
    "contemptuous": "contempt",
}

_MOOD_SYNONYMS: dict[str, str] = {
    "negative": "negative",
    "neg": "negative",
    "positive": "positive",
    "pos": "positive",
}


def mood_matrix(labels: Sequence[str], mood_groups: Mapping[str, Sequence[str]]) -> np.ndarray:
    """``(n_labels, n_moods)`` 0/1 matrix: emotion probabilities @ it = mood probabilities."""
    m = np.zeros((len(labels), len(mood_groups)), dtype=np.float64)
    for j, members in enumerate(mood_groups.values()):
        for lab in members:
            m[list(labels).index(lab), j] = 1.0
    return m


def canonical_label(word: str) -> tuple[str, str] | None:
    """Map a label word to ``("emotion", name)`` or ``("mood", name)``; ``None`` if unknown.

    "neutral" is both an emotion and a mood; it is returned as the emotion, which groups into
    the neutral mood, so both readings agree.
    """
    key = word.strip().lower().replace("-", "_").replace(" ", "_")
    if key in _SYNONYMS:
        return ("emotion", _SYNONYMS[key])
    if key in _MOOD_SYNONYMS:
        return ("mood", _MOOD_SYNONYMS[key])
    return None


def known_label_words() -> list[str]:
    """Every accepted label word, for error messages."""
    return sorted(set(_SYNONYMS) | set(_MOOD_SYNONYMS))


def fer2013_to_emotion(label: str) -> str:
    """Map an original FER2013 class name to its FER+ emotion name."""
    mapped = canonical_label(label)
    if mapped is None or mapped[0] != "emotion":
        raise KeyError(label)
    return mapped[1]


def check_probabilities(
    name: str, value: Any, labels: tuple[str, ...] | None = EMOTIONS, normalise: bool = False
) -> dict[str, float]:
    """A plain ``dict`` copy of ``value``: finite values >= 0 that sum to more than 0, keyed by exactly
    ``labels`` (any non-empty string keys when ``labels`` is None); divided by their sum when
    ``normalise``, else each must be at most 1 (with a little room for rounding)."""
    if not isinstance(value, Mapping) or not value:
        raise InvalidMoodInput(
            f"{name} must be a non-empty mapping of label -> probability, but got {value!r}"
        )
    keys = list(value)
    if labels is not None and set(keys) != set(labels):
        missing = [k for k in labels if k not in value]
        extra = [k for k in keys if k not in labels]
        problems = ([f"{missing} are missing"] if missing else []) + (
            [f"{extra} are unknown"] if extra else []
        )
        raise InvalidMoodInput(
            f"{name} must have exactly the keys {', '.join(labels)}, but {' and '.join(problems)}"
        )
    for k in keys:
        if not isinstance(k, str) or not k.strip():
            raise InvalidMoodInput(f"{name} keys must be non-empty strings, but got {k!r}")
    out: dict[str, float] = {}
    for k in keys:
        v = value[k]
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
            raise InvalidMoodInput(f"{name}[{k!r}] must be a finite number >= 0, but got {v!r}")
        if not normalise and v > 1 + 1e-6:
            raise InvalidMoodInput(f"{name}[{k!r}] must be a probability in [0, 1], but got {v!r}")
        out[k] = float(v)
    total = sum(out.values())
    if total <= 0:
        raise InvalidMoodInput(f"{name} must not be all zeros: its values must sum to more than 0")
    if normalise:
        out = {k: v / total for k, v in out.items()}
    return out

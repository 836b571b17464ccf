"""The emotion vocabulary: the 8 FER+ emotions, the 3 listener moods, and label synonyms.

The order of ``EMOTIONS`` is the order of the FER+ vote columns (Barsoum et al., ICMI 2016) and of
every model's output. The grouping into moods written here is the *default* that training stores
in a model's metadata; serving reads the grouping from the metadata, never from this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

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

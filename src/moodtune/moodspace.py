"""The mood space: valence and arousal in [-1, 1], shared by the face reading and the music catalog.

This is the one place that says where a mood sits. The vision engine turns emotion probabilities
into a point here (``valence_arousal``); the recommender turns a song's Spotify-style 0-1 valence
and energy into a point here (``song_point``); both then use the same distances and the same
regions (``mood_of_point``, ``music_mood_of_point``).

The axes are those of Russell's circumplex model of affect (J. A. Russell, "A circumplex model of
affect", Journal of Personality and Social Psychology 39(6), 1161-1178, 1980): emotions lie on a
circle around a neutral centre, spanned by valence (unpleasant - pleasant) and arousal
(sleepy/deactivated - activated).

Where each emotion sits (``EMOTION_VA``) is *measured*, not guessed: each FER+ emotion name is
looked up, as the noun itself, in the valence and arousal norms of Warriner, Kuperman & Brysbaert
("Norms of valence, arousal, and dominance for 13,915 English lemmas", Behavior Research Methods
45(4), 1191-1207, 2013, doi:10.3758/s13428-012-0314-x). The values are the all-rater means
(columns ``V.Mean.Sum`` and ``A.Mean.Sum`` of ``Ratings_Warriner_et_al.csv``) on the norms' 1-9
scales, rescaled here to [-1, 1] by ``(x - 5) / 4`` (5 is the scale's midpoint). ``neutral`` is not
looked up: it is the centre of the circumplex, (0, 0), by definition. Two things the numbers say
that a reader might not expect: the norms rate the *word*, so "surprise" is clearly pleasant
(+0.61; the adjective "surprised" is +0.39), and word arousal is compressed towards the midpoint
(anger +0.23, fear +0.29, happiness +0.38). What the project relies on is where the emotions
sit relative to each other and to the centre, which the norms measure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from moodtune.emotions import EMOTIONS
from moodtune.errors import InvalidMoodInput

# Warriner et al. (2013) all-rater means, (valence, arousal) on their 1-9 scales, for the FER+
# emotion names as nouns; neutral is the circumplex centre and is not taken from the norms.
_WARRINER_MEANS: dict[str, tuple[float, float]] = {
    "happiness": (8.48, 6.50),
    "surprise": (7.44, 6.57),
    "sadness": (2.40, 2.81),
    "anger": (2.50, 5.93),
    "disgust": (3.32, 5.00),
    "fear": (2.93, 6.14),
    "contempt": (3.22, 4.61),
}


def _rescale_norm(x: float) -> float:
    """A 1-9 norm rating to [-1, 1]: 1 -> -1, 5 (the midpoint) -> 0, 9 -> +1.

    Rounded to 6 decimals so that the table reads as written (0.87, not 0.8700000000000001).
    """
    return round((x - 5.0) / 4.0, 6)


# (valence, arousal) in [-1, 1] for each FER+ emotion, in ``EMOTIONS`` order; see the module
# docstring for the source and the rescaling. As rescaled here:
#
#   emotion     valence  arousal
#   neutral      0.0      0.0      the centre, by definition
#   happiness    0.87     0.375
#   surprise     0.61     0.3925
#   sadness     -0.65    -0.5475
#   anger       -0.625    0.2325
#   disgust     -0.42     0.0
#   fear        -0.5175   0.285
#   contempt    -0.445   -0.0975
EMOTION_VA: dict[str, tuple[float, float]] = {
    "neutral": (0.0, 0.0),
    **{e: (_rescale_norm(v), _rescale_norm(a)) for e, (v, a) in _WARRINER_MEANS.items()},
}

MUSIC_MOODS: tuple[str, ...] = ("happy", "sad", "calm", "energetic")

# What to play for each listener mood: the music moods that fit it.
LISTENER_TO_MUSIC_MOODS: dict[str, tuple[str, ...]] = {
    "positive": ("happy", "energetic"),
    "neutral": ("calm",),
    "negative": ("sad",),
}

NEUTRAL_VALENCE = 0.2
"""Listener moods: |valence| < 0.2 is neutral, valence <= -0.2 negative, valence >= +0.2 positive."""

ENERGETIC_AROUSAL = 0.5
"""Music moods: arousal >= 0.5 is energetic whatever the valence (a song energy of 0.75 or more)."""


def _known_labels(labels: Sequence[str]) -> tuple[str, ...]:
    labels = tuple(labels)
    unknown = [lab for lab in labels if lab not in EMOTION_VA]
    if unknown:
        raise InvalidMoodInput(
            f"unknown emotion labels {unknown}; the mood space knows {list(EMOTION_VA)} "
            "(map synonyms such as 'happy' with moodtune.emotions.canonical_label first)"
        )
    if len(set(labels)) != len(labels):
        duplicates = sorted({lab for lab in labels if labels.count(lab) > 1})
        raise InvalidMoodInput(f"emotion labels must be unique, but {duplicates} appear more than once")
    return labels


def _emotion_matrix(labels: tuple[str, ...]) -> np.ndarray:
    """``(len(labels), 2)`` rows of ``EMOTION_VA`` in the order of ``labels``."""
    return np.array([EMOTION_VA[lab] for lab in labels], dtype=np.float64).reshape(len(labels), 2)


def valence_arousal_batch(probs: np.ndarray, labels: Sequence[str] = EMOTIONS) -> np.ndarray:
    """``(N, len(labels))`` emotion probabilities -> ``(N, 2)`` (valence, arousal) points.

    Each row is the expected position in the mood space under that row's distribution: the
    probability-weighted mean of the ``EMOTION_VA`` rows of ``labels`` (column ``j`` of ``probs``
    is the probability of ``labels[j]``). Weights are divided by their row sum, so vote counts
    (FER+ gives 10 votes per face) work as well as softmax outputs; the result is clipped to
    [-1, 1] against rounding (a weighted mean of points in the square stays in it).
    """
    labels = _known_labels(labels)
    arr = np.asarray(probs, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != len(labels):
        raise InvalidMoodInput(
            f"probabilities must be a 2D array with shape (_, {len(labels)}) (one column per label), "
            f"but got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        raise InvalidMoodInput(
            f"probabilities must be finite, but rows {_bad_rows(~np.isfinite(arr))} are not"
        )
    if np.any(arr < 0):
        raise InvalidMoodInput(
            f"probabilities must be >= 0, but rows {_bad_rows(arr < 0)} have negative values"
        )
    totals = arr.sum(axis=1, keepdims=True)
    if np.any(totals <= 0):
        raise InvalidMoodInput(
            f"each row of probabilities must sum to > 0, but rows {_bad_rows(totals <= 0)} sum to 0"
        )
    points = (arr / totals) @ _emotion_matrix(labels)
    return np.clip(points, -1.0, 1.0)


def _bad_rows(mask: np.ndarray) -> list[int]:
    rows = np.flatnonzero(np.any(mask, axis=1))
    return [int(r) for r in rows[:10]]


def valence_arousal(
    probabilities: Mapping[str, float] | np.ndarray, labels: Sequence[str] = EMOTIONS
) -> tuple[float, float]:
    """One face's emotion probabilities -> its (valence, arousal): the expected position under them.

    ``probabilities`` is either a mapping ``{emotion: probability}`` (emotions left out count as 0;
    ``labels`` is then not used) or a 1D array with one value per entry of ``labels``. See
    ``valence_arousal_batch`` for the normalisation and clipping.
    """
    if isinstance(probabilities, Mapping):
        keys = _known_labels(list(probabilities))
        row = np.array([[probabilities[k] for k in keys]], dtype=np.float64)
        point = valence_arousal_batch(row, keys)[0]
    else:
        labels = tuple(labels)
        arr = np.asarray(probabilities, dtype=np.float64)
        if arr.shape != (len(labels),):
            raise InvalidMoodInput(
                f"probabilities must be a 1D array with shape ({len(labels)},) (one value per label), "
                f"but got shape {arr.shape} (use valence_arousal_batch for a batch)"
            )
        point = valence_arousal_batch(arr[None, :], labels)[0]
    return float(point[0]), float(point[1])


def _check_unit_interval(name: str, value: Any) -> float:
    x = float(value)
    if not 0.0 <= x <= 1.0:  # NaN fails this too
        raise InvalidMoodInput(f"{name} must be a number in [0, 1] (Spotify-style), but got {value!r}")
    return x


def song_point(valence01: float, energy01: float) -> tuple[float, float]:
    """A song's Spotify-style 0-1 valence and energy -> its (valence, arousal) in the mood space.

    valence = 2 * valence01 - 1 and arousal = 2 * energy01 - 1. In Spotify's audio features
    (Web API reference), valence is "the musical positiveness conveyed by a track", and energy "a
    perceptual measure of intensity and activity" (energetic tracks feel fast, loud and noisy):
    activation is what the arousal axis measures, and energy is the audio feature closest to it.
    The rule is a linear rescaling by design: it keeps the catalog's own spacing, puts a
    mid-valence, mid-energy song (0.5, 0.5) at the centre, and puts songs and faces on the same
    scale, so the recommender's song-to-face distances are comparable to the distances between
    face readings.
    """
    v = _check_unit_interval("valence01", valence01)
    e = _check_unit_interval("energy01", energy01)
    return 2.0 * v - 1.0, 2.0 * e - 1.0


def song_points(
    valence01: np.ndarray | Sequence[float], energy01: np.ndarray | Sequence[float]
) -> np.ndarray:
    """Vectorised ``song_point``: two 1D arrays of N songs -> ``(N, 2)`` (valence, arousal) points."""
    v = np.asarray(valence01, dtype=np.float64)
    e = np.asarray(energy01, dtype=np.float64)
    if v.ndim != 1 or v.shape != e.shape:
        raise InvalidMoodInput(
            f"valence01 and energy01 must be 1D arrays of the same length, but got shapes {v.shape} "
            f"and {e.shape}"
        )
    for name, arr in (("valence01", v), ("energy01", e)):
        bad = np.flatnonzero(~((arr >= 0.0) & (arr <= 1.0)))  # NaN is bad too
        if bad.size:
            i = int(bad[0])
            raise InvalidMoodInput(
                f"{name} must be numbers in [0, 1] (Spotify-style), but {bad.size} are not "
                f"(first at index {i}: {float(arr[i])!r})"
            )
    return np.stack([2.0 * v - 1.0, 2.0 * e - 1.0], axis=1)


def _check_point(valence: float, arousal: float) -> tuple[float, float]:
    v, a = float(valence), float(arousal)
    if not (-1.0 <= v <= 1.0 and -1.0 <= a <= 1.0):  # NaN fails this too
        raise InvalidMoodInput(
            "valence and arousal must be numbers in [-1, 1], "
            f"but got valence={valence!r}, arousal={arousal!r}"
        )
    return v, a


def mood_of_point(valence: float, arousal: float) -> str:
    """The listener mood (``moodtune.emotions.MOODS``) of a point in the mood space.

    Listener moods are a reading of valence only: valence <= -0.2 is negative, valence >= +0.2 is
    positive, anything between (|valence| < ``NEUTRAL_VALENCE``) is neutral, whatever the arousal
    (a calm face and an alert face can both be neither pleased nor displeased). Every row of
    ``EMOTION_VA`` falls in the mood that ``moodtune.emotions.DEFAULT_MOOD_GROUPS`` gives it.
    """
    v, _ = _check_point(valence, arousal)
    if v <= -NEUTRAL_VALENCE:
        return "negative"
    if v >= NEUTRAL_VALENCE:
        return "positive"
    return "neutral"


def music_mood_of_point(valence: float, arousal: float) -> str:
    """The music mood (``MUSIC_MOODS``) of a point: Russell's four quadrants, one exact rule.

    * energetic: arousal > 0 with valence < 0, or arousal >= ``ENERGETIC_AROUSAL`` (0.5) with any
      valence: the activated half's unpleasant quadrant (tense, angry, alarmed: music of that
      quadrant is loud and driving) and its most activated band;
    * happy: valence >= 0 and 0 < arousal < 0.5 (pleased, glad, excited but not driving);
    * calm: valence >= 0 and arousal <= 0 (content, relaxed, serene), the centre included, so a
      neutral reading and a mid song (0.5, 0.5) are calm, as ``LISTENER_TO_MUSIC_MOODS`` says;
    * sad: valence < 0 and arousal <= 0 (sad, gloomy, tired).

    The four cases cover the square and never overlap.
    """
    v, a = _check_point(valence, arousal)
    if a <= 0:
        return "calm" if v >= 0 else "sad"
    if v < 0 or a >= ENERGETIC_AROUSAL:
        return "energetic"
    return "happy"


@dataclass(frozen=True)
class MoodPoint:
    """A point of the mood space; valence and arousal are checked to be in [-1, 1]."""

    valence: float
    arousal: float

    def __post_init__(self) -> None:
        for name in ("valence", "arousal"):
            value = getattr(self, name)
            ok = isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool)
            if not ok or not -1.0 <= float(value) <= 1.0:  # NaN fails the range check
                raise InvalidMoodInput(f"MoodPoint.{name} must be a number in [-1, 1], but got {value!r}")

    @classmethod
    def from_probabilities(
        cls, probabilities: Mapping[str, float] | np.ndarray, labels: Sequence[str] = EMOTIONS
    ) -> MoodPoint:
        """The expected position of a face's emotion distribution (see ``valence_arousal``)."""
        return cls(*valence_arousal(probabilities, labels))

    @classmethod
    def from_song(cls, valence01: float, energy01: float) -> MoodPoint:
        """A song's point from its Spotify-style valence and energy (see ``song_point``)."""
        return cls(*song_point(valence01, energy01))

    def distance(self, other: MoodPoint) -> float:
        """Euclidean distance in the mood space: 0 for the same point, at most 2 * sqrt(2)."""
        return math.hypot(self.valence - other.valence, self.arousal - other.arousal)

    def mood(self) -> str:
        """The listener mood of this point (see ``mood_of_point``)."""
        return mood_of_point(self.valence, self.arousal)

    def music_mood(self) -> str:
        """The music mood of this point (see ``music_mood_of_point``)."""
        return music_mood_of_point(self.valence, self.arousal)

    def to_dict(self) -> dict[str, float]:
        return {"valence": float(self.valence), "arousal": float(self.arousal)}

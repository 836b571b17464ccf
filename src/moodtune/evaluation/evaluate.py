"""Evaluate emotion probabilities against a data set's labels, at emotion and mood level.

A model's output is read in the data set's label space: on an emotion data set, the model's
probabilities for the data set's classes (renormalised: the FER2013 benchmark has no contempt);
at mood level, emotion probabilities are summed by the model's own mood grouping.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from moodtune.datasets.base import FaceDataset
from moodtune.emotions import mood_matrix
from moodtune.errors import DatasetError
from moodtune.evaluation.metrics import classification_report


def evaluate_probs(
    probs: np.ndarray,
    y_true: np.ndarray,
    classes: Sequence[str],
    level: str,
    labels: Sequence[str],
    mood_groups: Mapping[str, Sequence[str]],
) -> dict[str, Any]:
    """Metrics for model probabilities ``probs`` ``(N, len(labels))`` on labels ``y_true``
    indexing ``classes``. Returns the emotion-level report with a ``"mood"`` report inside (or,
    for a mood-level data set, the mood report alone under both)."""
    probs = np.asarray(probs, dtype=np.float64)
    moods = tuple(mood_groups)
    to_mood = mood_matrix(labels, mood_groups)
    mood_probs = probs @ to_mood
    if level == "mood":
        missing = [c for c in classes if c not in moods]
        if missing:
            raise DatasetError(f"the model has no mood named {missing}; its moods are {list(moods)}")
        mood_true = np.asarray([moods.index(classes[i]) for i in y_true], dtype=np.int64)
        mood = classification_report(mood_true, mood_probs, moods).to_dict()
        return {**mood, "level": "mood", "mood": mood}
    missing = [c for c in classes if c not in labels]
    if missing:
        raise DatasetError(f"the model cannot read classes {missing}; its labels are {list(labels)}")
    cols = [list(labels).index(c) for c in classes]
    sub = probs[:, cols]
    sub = sub / np.clip(sub.sum(axis=1, keepdims=True), 1e-12, None)
    report = classification_report(y_true, sub, tuple(classes)).to_dict()
    mood_of_class = to_mood[cols].argmax(axis=1)
    mood = classification_report(mood_of_class[y_true], mood_probs, moods).to_dict()
    return {**report, "level": "emotion", "mood": mood}


PredictFn = Callable[[np.ndarray], np.ndarray]


def predict_dataset(
    predict: PredictFn,
    dataset: FaceDataset,
    size: int,
    batch_size: int = 256,
    indices: np.ndarray | None = None,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Run ``predict`` (uint8 ``(B, size, size)`` -> probabilities ``(B, K)``) over the rows."""
    rows = dataset.labelled if indices is None else indices
    out: list[np.ndarray] = []
    for images, _ in dataset.iter_batches(batch_size, size, rows):
        out.append(predict(images))
        if progress is not None:
            progress(len(images))
    if not out:
        raise DatasetError(f"{dataset.name} has no labelled images to evaluate")
    return np.concatenate(out)

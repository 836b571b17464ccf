"""Classification metrics, pure numpy: confusion matrix, accuracy, per-class recall, macro F1 and
expected calibration error (Guo et al., "On Calibration of Modern Neural Networks", ICML 2017:
15 equal-width confidence bins)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """``cm[i, j]`` = number of samples of true class ``i`` predicted as ``j``."""
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have one shape, got {y_true.shape} and {y_pred.shape}")
    return np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes).reshape(
        n_classes, n_classes
    )


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 15) -> float:
    """Weighted mean gap between confidence and accuracy over equal-width confidence bins."""
    confidence = np.asarray(confidence, dtype=np.float64)
    correct = np.asarray(correct, dtype=np.float64)
    if confidence.size == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            ece += mask.mean() * abs(confidence[mask].mean() - correct[mask].mean())
    return float(ece)


@dataclass(frozen=True)
class ClassificationReport:
    classes: tuple[str, ...]
    confusion: np.ndarray
    ece: float

    @property
    def n(self) -> int:
        return int(self.confusion.sum())

    @property
    def accuracy(self) -> float:
        return float(np.trace(self.confusion) / max(self.n, 1))

    @property
    def recall(self) -> np.ndarray:
        support = self.confusion.sum(axis=1)
        return np.divide(np.diag(self.confusion), support, out=np.zeros(len(self.classes)), where=support > 0)

    @property
    def precision(self) -> np.ndarray:
        predicted = self.confusion.sum(axis=0)
        return np.divide(
            np.diag(self.confusion), predicted, out=np.zeros(len(self.classes)), where=predicted > 0
        )

    @property
    def macro_f1(self) -> float:
        """Mean F1 over the classes present in the truth (absent classes would count as 0)."""
        p, r = self.precision, self.recall
        f1 = np.divide(2 * p * r, p + r, out=np.zeros_like(p), where=(p + r) > 0)
        present = self.confusion.sum(axis=1) > 0
        return float(f1[present].mean()) if present.any() else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "per_class_recall": {c: float(v) for c, v in zip(self.classes, self.recall, strict=True)},
            "confusion_matrix": self.confusion.tolist(),
            "classes": list(self.classes),
            "ece": self.ece,
        }


def classification_report(
    y_true: np.ndarray, probs: np.ndarray, classes: tuple[str, ...]
) -> ClassificationReport:
    """Report for ``probs`` ``(N, K)`` (rows sum to 1) against integer labels ``y_true``."""
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[1] != len(classes):
        raise ValueError(f"probs must have shape (N, {len(classes)}), but got {probs.shape}")
    pred = probs.argmax(axis=1)
    cm = confusion_matrix(y_true, pred, len(classes))
    ece = expected_calibration_error(probs.max(axis=1), pred == np.asarray(y_true))
    return ClassificationReport(classes=classes, confusion=cm, ece=ece)

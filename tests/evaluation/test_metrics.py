"""Metrics against hand-computed confusion matrices."""

from __future__ import annotations

import numpy as np
import pytest

from moodtune.evaluation.evaluate import evaluate_probs
from moodtune.evaluation.metrics import classification_report, confusion_matrix, expected_calibration_error


def test_confusion_matrix_by_hand() -> None:
    y_true = np.array([0, 0, 1, 1, 1, 2])
    y_pred = np.array([0, 1, 1, 1, 0, 2])
    assert confusion_matrix(y_true, y_pred, 3).tolist() == [[1, 1, 0], [1, 2, 0], [0, 0, 1]]


def test_report_by_hand() -> None:
    # true 0,0,1,1,1,2 ; predicted 0,1,1,1,0,2 (one-hot probabilities)
    probs = np.eye(3)[[0, 1, 1, 1, 0, 2]]
    rep = classification_report(np.array([0, 0, 1, 1, 1, 2]), probs, ("a", "b", "c"))
    assert rep.accuracy == pytest.approx(4 / 6)
    np.testing.assert_allclose(rep.recall, [1 / 2, 2 / 3, 1])
    # precision a=1/2, b=2/3, c=1 -> F1 a=1/2, b=2/3, c=1
    assert rep.macro_f1 == pytest.approx((1 / 2 + 2 / 3 + 1) / 3)
    d = rep.to_dict()
    assert d["n"] == 6 and d["per_class_recall"]["b"] == pytest.approx(2 / 3)


def test_ece_of_perfectly_calibrated_and_overconfident() -> None:
    assert expected_calibration_error(np.array([1.0, 1.0]), np.array([1, 1])) == 0.0
    # always 90% sure, right half the time: gap 0.4
    assert expected_calibration_error(np.full(4, 0.9), np.array([1, 0, 1, 0])) == pytest.approx(0.4)


def test_emotion_probabilities_read_as_moods_and_on_fewer_classes() -> None:
    labels = ("neutral", "happiness", "sadness", "contempt")
    groups = {"negative": ("sadness", "contempt"), "neutral": ("neutral",), "positive": ("happiness",)}
    probs = np.array(
        [
            [0.1, 0.8, 0.05, 0.05],  # happy
            [0.4, 0.0, 0.3, 0.3],  # neutral wins as an emotion, negative (0.6) as a mood
            [0.2, 0.0, 0.2, 0.6],  # contempt: without contempt, a 50/50 neutral/sad tie (first wins)
        ]
    )
    classes = ("neutral", "happiness", "sadness")
    rep = evaluate_probs(probs, np.array([1, 2, 2]), classes, "emotion", labels, groups)
    assert rep["confusion_matrix"] == [[0, 0, 0], [0, 1, 0], [2, 0, 0]]
    # moods: true positive, negative, negative; predicted positive, negative, negative
    assert rep["mood"]["accuracy"] == 1.0
    assert rep["mood"]["classes"] == ["negative", "neutral", "positive"]

"""Evaluating several models at once: the mean of their probabilities (`moodtune evaluate
--model A --model B`), how a teacher ensemble is judged before it is distilled."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from moodtune.datasets import open_dataset
from moodtune.errors import UsageError
from moodtune.evaluation.run import evaluate_ensemble, evaluate_model
from moodtune.vision.classifier import EmotionClassifier
from tests.cli.test_cli import run


class Fixed:
    """A stand-in classifier that gives every face the same probabilities."""

    def __init__(self, probs: list[float], meta: Any, path: str) -> None:
        self.probs = np.asarray(probs, dtype=np.float32)
        self.meta = meta
        self.path = Path(path)

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        return np.tile(self.probs, (len(images), 1))


def test_the_ensemble_reads_the_mean_of_its_members(ferplus_tree: Path) -> None:
    meta = EmotionClassifier().meta
    dataset = open_dataset(f"ferplus:{ferplus_tree}", "valid")
    k = len(meta.labels)
    neutral, happiness = meta.labels.index("neutral"), meta.labels.index("happiness")
    # One member is sure of neutral, the other leans to happiness: the mean says neutral.
    sure = np.full(k, 0.01)
    sure[neutral] = 1 - 0.01 * (k - 1)
    leaning = np.full(k, 0.05)
    leaning[happiness] = 1 - 0.05 * (k - 1)
    members = [Fixed(list(sure), meta, "sure.onnx"), Fixed(list(leaning), meta, "leaning.onnx")]
    result = evaluate_ensemble(members, dataset)  # type: ignore[arg-type]
    assert result["confusion_matrix"] == evaluate_ensemble(members[:1], dataset)["confusion_matrix"]
    predicted = np.asarray(result["confusion_matrix"]).sum(axis=0)
    assert predicted[dataset.classes.index("neutral")] == result["n"]


def test_members_must_read_the_same_classes(ferplus_tree: Path) -> None:
    meta = EmotionClassifier().meta
    other = dataclasses.replace(meta, labels=tuple(reversed(meta.labels)))
    dataset = open_dataset(f"ferplus:{ferplus_tree}", "valid")
    members = [Fixed([1 / 8] * 8, meta, "a.onnx"), Fixed([1 / 8] * 8, other, "b.onnx")]
    with pytest.raises(UsageError, match="same labels"):
        evaluate_ensemble(members, dataset)  # type: ignore[arg-type]


def test_evaluate_names_every_member_and_one_model_twice_reads_as_one(
    ferplus_tree: Path, tmp_path: Path
) -> None:
    shipped = EmotionClassifier().path
    copy = tmp_path / "copy.onnx"
    shutil.copy(shipped, copy)
    shutil.copy(shipped.with_suffix(".json"), copy.with_suffix(".json"))
    single = evaluate_model(f"ferplus:{ferplus_tree}", "valid")
    proc = run(
        "evaluate", f"ferplus:{ferplus_tree}", "--split", "valid", "--model", str(shipped),
        "--model", str(copy), "--json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    both = json.loads(proc.stdout)
    assert both["model"]["version"] == "ensemble of 2"
    assert [m["path"] for m in both["model"]["ensemble"]] == [str(shipped), str(copy)]
    assert both["accuracy"] == pytest.approx(single["accuracy"])
    assert both["confusion_matrix"] == single["confusion_matrix"]

"""``moodtune evaluate``: an ONNX model over a data set spec, with an optional PNG report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from moodtune.datasets import FaceDataset, open_dataset
from moodtune.evaluation.evaluate import evaluate_probs, predict_dataset
from moodtune.vision.classifier import EmotionClassifier


def evaluate_classifier(clf: EmotionClassifier, dataset: FaceDataset) -> dict[str, Any]:
    """The classifier's report on a data set's labelled images, read in the data set's classes."""
    probs = predict_dataset(clf.predict_proba, dataset, clf.meta.input_size)
    labels = dataset.labels[dataset.labelled]
    return evaluate_probs(
        probs, labels, dataset.classes, dataset.level, clf.meta.labels, clf.meta.mood_groups
    )


def evaluate_model(
    spec: str,
    split: str = "test",
    model_path: Path | None = None,
    threads: int = 1,
    report_dir: Path | None = None,
) -> dict[str, Any]:
    clf = EmotionClassifier(model_path, threads=threads)
    dataset = open_dataset(spec, split)  # type: ignore[arg-type]
    result = evaluate_classifier(clf, dataset)
    result = {
        "dataset": dataset.name,
        "model": {"path": str(clf.path), "version": clf.meta.version},
        **result,
    }
    if report_dir is not None:
        from moodtune.evaluation.report import write_confusion_pngs

        write_confusion_pngs(result, report_dir)
    return result

"""``moodtune evaluate``: an ONNX model over a data set spec, with an optional PNG report."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from moodtune.datasets import FaceDataset, open_dataset
from moodtune.errors import UsageError
from moodtune.evaluation.evaluate import evaluate_probs, predict_dataset
from moodtune.evaluation.photos import PhotoSet, calibrated_report, open_photos
from moodtune.vision.classifier import EmotionClassifier
from moodtune.vision.engine import Analyzer


def evaluate_classifier(clf: EmotionClassifier, dataset: FaceDataset) -> dict[str, Any]:
    """The classifier's report on a data set's labelled images, read in the data set's classes."""
    return evaluate_ensemble([clf], dataset)


def evaluate_ensemble(classifiers: Sequence[EmotionClassifier], dataset: FaceDataset) -> dict[str, Any]:
    """The report of the classifiers' mean probabilities (each reads the faces at its own input
    size and normalisation): what an ensemble, or a teacher for distillation, would reach."""
    first = classifiers[0].meta
    for clf in classifiers[1:]:
        if clf.meta.labels != first.labels or dict(clf.meta.mood_groups) != dict(first.mood_groups):
            raise UsageError(
                f"{clf.path} reads other classes than {classifiers[0].path} "
                f"({list(clf.meta.labels)} vs {list(first.labels)}): an ensemble needs models "
                "with the same labels and mood grouping"
            )
    probs = ensemble_probs(classifiers, dataset)
    labels = dataset.labels[dataset.labelled]
    report = evaluate_probs(probs, labels, dataset.classes, dataset.level, first.labels, first.mood_groups)
    if isinstance(dataset, PhotoSet):
        report["photos"] = dataset.no_face_report()
        if dataset.persons:
            rows = dataset.labelled
            report["calibrated"] = calibrated_report(
                probs,
                dataset.labels[rows],
                dataset.classes,
                dataset.level,
                [dataset.persons[i] for i in rows],
                first.labels,
                first.mood_groups,
                reference=first.neutral_reading,
            )
    return report


def ensemble_probs(classifiers: Sequence[EmotionClassifier], dataset: FaceDataset) -> np.ndarray:
    """The classifiers' mean probabilities on the data set's labelled rows."""
    return np.mean(
        [predict_dataset(clf.predict_proba, dataset, clf.meta.input_size) for clf in classifiers], axis=0
    )


def open_evaluation_set(
    spec: str, split: str, model_path: Path | None, person_pattern: str | None = None
) -> FaceDataset:
    """``photos:DIR`` through the serving path (the first model's alignment); any other spec by
    ``open_dataset``."""
    kind, _, path = spec.partition(":")
    if kind == "photos":
        if not path:
            raise UsageError(
                "photos: needs a folder of class folders, e.g. photos:~/my-photos (ROOT/<class>/*.jpg)"
            )
        return open_photos(path, Analyzer(model_path=model_path), person_pattern=person_pattern)
    if person_pattern is not None:
        raise UsageError("--person-pattern applies only to photos:DIR data sets")
    return open_dataset(spec, split)  # type: ignore[arg-type]


def evaluate_model(
    spec: str,
    split: str = "test",
    model_path: Path | Sequence[Path] | None = None,
    threads: int = 1,
    report_dir: Path | None = None,
    flip_average: bool = False,
    person_pattern: str | None = None,
) -> dict[str, Any]:
    """Evaluate the shipped model, the model at ``model_path``, or (several paths) their ensemble;
    ``flip_average`` as ``EmotionClassifier`` reads it."""
    paths: list[Path | None] = (
        [model_path] if model_path is None or isinstance(model_path, Path) else [*model_path] or [None]
    )
    classifiers = [EmotionClassifier(p, threads=threads, flip_average=flip_average) for p in paths]
    dataset = open_evaluation_set(spec, split, paths[0], person_pattern)
    result = evaluate_ensemble(classifiers, dataset)
    described = [{"path": str(c.path), "version": c.meta.version} for c in classifiers]
    model: dict[str, Any] = (
        described[0]
        if len(described) == 1
        else {
            "path": " + ".join(d["path"] for d in described),
            "version": f"ensemble of {len(described)}",
            "ensemble": described,
        }
    )
    model["flip_average"] = flip_average
    result = {"dataset": dataset.name, "model": model, **result}
    if report_dir is not None:
        from moodtune.evaluation.report import write_confusion_pngs

        write_confusion_pngs(result, report_dir)
    return result

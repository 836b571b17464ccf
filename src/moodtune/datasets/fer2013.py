"""The FER+ images with their ORIGINAL FER2013 labels (Goodfellow et al. 2013), for the classic
7-class benchmark: train on Training, select on PublicTest, report on PrivateTest.

``DIR/fer2013_labels.csv`` has columns ``image,usage,fer2013_label``; images live in the FER+
split folders. Classes are named by their FER+ emotion (angry -> anger, ...), so a model's 8-way
output is read on the 7 classes by leaving contempt out.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from moodtune.datasets.base import FaceDataset, Split, require_dir
from moodtune.datasets.ferplus import SPLIT_FOLDERS
from moodtune.emotions import EMOTIONS, FER2013_CLASSES, fer2013_to_emotion
from moodtune.errors import DatasetError

USAGE_BY_SPLIT: dict[str, str] = {"train": "Training", "valid": "PublicTest", "test": "PrivateTest"}
CLASSES: tuple[str, ...] = tuple(fer2013_to_emotion(c) for c in FER2013_CLASSES)


def open_fer2013(root: str | Path, split: Split = "test") -> FaceDataset:
    from moodtune.datasets.packed import is_pack, open_packed_fer2013

    if is_pack(root):
        return open_packed_fer2013(root, split)
    root = require_dir(Path(root), "FER+ folder")
    labels_csv = root / "fer2013_labels.csv"
    if not labels_csv.is_file():
        raise DatasetError(
            f"{labels_csv} not found: the fer2013 data set needs the original labels file "
            "(columns image,usage,fer2013_label) beside the FER+ split folders."
        )
    if split not in USAGE_BY_SPLIT:
        raise DatasetError(f"unknown split {split!r}: expected one of {', '.join(USAGE_BY_SPLIT)}")
    usage = USAGE_BY_SPLIT[split]
    folder = require_dir(root / SPLIT_FOLDERS[split], "FER+ split folder")
    paths: list[Path] = []
    labels: list[int] = []
    with labels_csv.open(newline="") as fh:
        reader = csv.DictReader(fh)
        need = {"image", "usage", "fer2013_label"}
        if reader.fieldnames is None or not need <= set(reader.fieldnames):
            raise DatasetError(f"{labels_csv}: expected columns {sorted(need)}, but got {reader.fieldnames}")
        for lineno, row in enumerate(reader, start=2):
            if row["usage"] != usage:
                continue
            word = row["fer2013_label"].strip().lower()
            if word not in FER2013_CLASSES:
                raise DatasetError(
                    f"{labels_csv}:{lineno}: unknown FER2013 label {word!r}; expected one of "
                    f"{', '.join(FER2013_CLASSES)}"
                )
            paths.append(folder / row["image"])
            labels.append(FER2013_CLASSES.index(word))
    if not paths:
        raise DatasetError(f"{labels_csv} has no rows with usage {usage!r} (split {split!r}).")
    label_arr = np.asarray(labels, dtype=np.int64)
    targets = np.zeros((len(paths), len(EMOTIONS)), dtype=np.float32)
    emotion_index = np.asarray([EMOTIONS.index(c) for c in CLASSES])
    targets[np.arange(len(paths)), emotion_index[label_arr]] = 1.0
    return FaceDataset(
        name=f"fer2013:{split}",
        paths=tuple(paths),
        classes=CLASSES,
        level="emotion",
        labels=label_arr,
        targets=targets,
        extra={"root": str(root)},
    )

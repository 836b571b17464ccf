"""Any image folder ``ROOT/<class>/*.{png,jpg,jpeg,webp,bmp}``, so users can train and evaluate
on their own faces. Class folders are named by the 8 emotions or the 3 moods; common synonyms
(happy, angry, sad, ...) are accepted. A tree with any mood folder is read at mood level (emotion
folders then count for their mood); otherwise at emotion level.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np

from moodtune.datasets.base import IMAGE_SUFFIXES, FaceDataset, require_dir
from moodtune.emotions import DEFAULT_MOOD_GROUPS, EMOTIONS, MOODS, canonical_label, known_label_words
from moodtune.errors import DatasetError


def _mood_of(emotion: str) -> str:
    return next(m for m, members in DEFAULT_MOOD_GROUPS.items() if emotion in members)


def open_folder(root: str | Path) -> FaceDataset:
    root = require_dir(Path(root), "image folder")
    class_dirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not class_dirs:
        raise DatasetError(
            f"{root} has no class folders: expected {root}/<class>/<image>, with classes named "
            f"by emotion or mood (e.g. happy, sad, neutral)."
        )
    mapped: dict[Path, tuple[str, str]] = {}
    for d in class_dirs:
        label = canonical_label(d.name)
        if label is None:
            raise DatasetError(
                f"class folder {d.name!r} in {root} is not an emotion or mood name; rename it to "
                f"one of: {', '.join(known_label_words())}"
            )
        mapped[d] = label
    level: Literal["emotion", "mood"] = (
        "mood" if any(kind == "mood" for kind, _ in mapped.values()) else "emotion"
    )
    classes = MOODS if level == "mood" else EMOTIONS

    paths: list[Path] = []
    labels: list[int] = []
    targets: list[np.ndarray] = []
    for d, (kind, name) in mapped.items():
        files = sorted(p for p in d.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise DatasetError(
                f"class folder {d} holds no images ({', '.join(IMAGE_SUFFIXES)}). Add images or "
                "remove the folder."
            )
        # At mood level an emotion folder counts for its mood.
        cls = name if level == "emotion" or kind == "mood" else _mood_of(name)
        target = np.zeros(len(EMOTIONS), dtype=np.float32)
        if kind == "emotion":
            target[EMOTIONS.index(name)] = 1.0
        for f in files:
            paths.append(f)
            labels.append(classes.index(cls))
            targets.append(target)
    return FaceDataset(
        name=f"folder:{root}",
        paths=tuple(paths),
        classes=classes,
        level=level,
        labels=np.asarray(labels, dtype=np.int64),
        targets=np.stack(targets),
        extra={"root": str(root)},
    )

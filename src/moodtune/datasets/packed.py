"""FER+ packed into one compressed ``.npz`` (pixels, votes and FER2013 labels of every split).

For machines where ``../shared`` is not reachable, such as a lent GPU machine: ``moodtune pack``
writes the file (about 50 MB), and ``ferplus:FILE.npz`` / ``fer2013:FILE.npz`` read it like the
folder layout. The pack holds research-only FER2013 pixels: keep it out of the repository (the
default ``.pack/`` folder is git-ignored).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from moodtune.datasets.base import SPLITS, FaceDataset, Split
from moodtune.datasets.fer2013 import CLASSES as FER2013_EMOTIONS
from moodtune.datasets.fer2013 import USAGE_BY_SPLIT
from moodtune.datasets.ferplus import read_votes, split_folder, vote_targets
from moodtune.emotions import EMOTIONS, FER2013_CLASSES
from moodtune.errors import DatasetError


def is_pack(path: str | Path) -> bool:
    return str(path).endswith(".npz")


def pack_ferplus(root: str | Path, out: str | Path) -> Path:
    """Pack a FER+ tree (and its ``fer2013_labels.csv``, if present) into ``out``."""
    import csv

    from moodtune.datasets.base import read_gray

    root, out = Path(root), Path(out)
    fer_labels: dict[tuple[str, str], int] = {}
    labels_csv = root / "fer2013_labels.csv"
    if labels_csv.is_file():
        with labels_csv.open(newline="") as fh:
            for row in csv.DictReader(fh):
                fer_labels[(row["usage"], row["image"])] = FER2013_CLASSES.index(row["fer2013_label"])
    arrays: dict[str, Any] = {}
    for split in SPLITS:
        folder = split_folder(root, split)
        names, votes = read_votes(folder / "label.csv")
        arrays[f"{split}_names"] = np.asarray(names)
        arrays[f"{split}_votes"] = votes.astype(np.uint8)
        arrays[f"{split}_images"] = np.stack([read_gray(folder / n, 48) for n in names])
        usage = USAGE_BY_SPLIT[split]
        arrays[f"{split}_fer2013"] = np.asarray([fer_labels.get((usage, n), -1) for n in names], np.int8)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **arrays)
    return out


def _load(path: Path, split: Split) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise DatasetError(f"packed data set not found: {path}. Make it with `moodtune pack`.")
    with np.load(path) as z:
        keys = [f"{split}_{k}" for k in ("names", "votes", "images", "fer2013")]
        missing = [k for k in keys if k not in z.files]
        if missing:
            raise DatasetError(f"{path} is not a moodtune pack: it lacks {missing}")
        return {k.split("_", 1)[1]: z[k] for k in keys}


def open_packed_ferplus(path: str | Path, split: Split) -> FaceDataset:
    a = _load(Path(path), split)
    keep, shares, majority = vote_targets(a["votes"].astype(np.float32))
    idx = np.flatnonzero(keep)
    return FaceDataset(
        name=f"ferplus:{split}",
        paths=tuple(Path(str(n)) for n in a["names"][idx]),
        classes=EMOTIONS,
        level="emotion",
        labels=majority[idx].astype(np.int64),
        targets=shares[idx].astype(np.float32),
        extra={"root": str(path)},
        pixels=a["images"][idx],
    )


def open_packed_fer2013(path: str | Path, split: Split) -> FaceDataset:
    a = _load(Path(path), split)
    idx = np.flatnonzero(a["fer2013"] >= 0)
    if idx.size == 0:
        raise DatasetError(f"{path} holds no FER2013 labels for split {split!r}")
    labels = a["fer2013"][idx].astype(np.int64)
    targets = np.zeros((len(idx), len(EMOTIONS)), dtype=np.float32)
    cols = np.asarray([EMOTIONS.index(c) for c in FER2013_EMOTIONS])
    targets[np.arange(len(idx)), cols[labels]] = 1.0
    return FaceDataset(
        name=f"fer2013:{split}",
        paths=tuple(Path(str(n)) for n in a["names"][idx]),
        classes=FER2013_EMOTIONS,
        level="emotion",
        labels=labels,
        targets=targets,
        extra={"root": str(path)},
        pixels=a["images"][idx],
    )

"""FER+ in Microsoft's published layout (Barsoum et al., "Training deep networks for facial
expression recognition with crowd-sourced label distribution", ICMI 2016; labels MIT,
github.com/microsoft/FERPlus).

``DIR/FER2013{Train,Valid,Test}/label.csv`` has no header; each row is
``image, "(x, y, w, h)", neutral, happiness, surprise, sadness, anger, disgust, fear, contempt,
unknown, NF``. Targets are the shares of the 8 emotion votes (unknown and not-a-face ignored);
images with no emotion vote are dropped. The majority label is the emotion holding more than half
of the emotion votes.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from moodtune.datasets.base import FaceDataset, Split, require_dir
from moodtune.emotions import EMOTIONS
from moodtune.errors import DatasetError

SPLIT_FOLDERS: dict[str, str] = {
    "train": "FER2013Train",
    "valid": "FER2013Valid",
    "test": "FER2013Test",
}
N_VOTE_COLUMNS = 10  # 8 emotions, unknown, not-a-face


def split_folder(root: Path, split: Split) -> Path:
    """The split's folder under a FER+ root, or ``root`` itself if it already holds label.csv."""
    if (root / "label.csv").is_file():
        return root
    require_dir(root, "FER+ folder")
    if split not in SPLIT_FOLDERS:
        raise DatasetError(f"unknown split {split!r}: expected one of {', '.join(SPLIT_FOLDERS)}")
    folder = root / SPLIT_FOLDERS[split]
    if not folder.is_dir():
        raise DatasetError(
            f"FER+ split folder not found: {folder}. Expected Microsoft's layout "
            f"{root}/FER2013Train, FER2013Valid, FER2013Test, each with a label.csv."
        )
    return folder


def read_votes(label_csv: Path) -> tuple[list[str], np.ndarray]:
    """Image names and their ``(N, 10)`` vote counts from a FER+ label.csv."""
    if not label_csv.is_file():
        raise DatasetError(f"label file not found: {label_csv}. Each FER+ split folder needs one.")
    names: list[str] = []
    votes: list[list[int]] = []
    with label_csv.open(newline="") as fh:
        for lineno, row in enumerate(csv.reader(fh), start=1):
            if not row:
                continue
            if len(row) != 2 + N_VOTE_COLUMNS:
                raise DatasetError(
                    f"{label_csv}:{lineno}: expected 12 columns (image, face box, 10 vote counts), "
                    f"but got {len(row)}. Is this a FER+ label.csv?"
                )
            try:
                counts = [int(v) for v in row[2:]]
            except ValueError:
                raise DatasetError(
                    f"{label_csv}:{lineno}: vote counts must be integers, but got {row[2:]}"
                ) from None
            if min(counts) < 0:
                raise DatasetError(f"{label_csv}:{lineno}: vote counts must be >= 0, got {counts}")
            names.append(row[0])
            votes.append(counts)
    if not names:
        raise DatasetError(f"label file is empty: {label_csv}")
    return names, np.asarray(votes, dtype=np.float32)


def vote_targets(votes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """From ``(N, 10)`` votes: ``(keep mask, (N, 8) vote shares, majority label or -1)``."""
    emotion_votes = votes[:, : len(EMOTIONS)]
    totals = emotion_votes.sum(axis=1)
    keep = totals > 0
    shares = np.zeros_like(emotion_votes)
    shares[keep] = emotion_votes[keep] / totals[keep, None]
    top = shares.argmax(axis=1)
    majority = np.where(shares.max(axis=1) > 0.5, top, -1)
    return keep, shares, majority


def open_ferplus(root: str | Path, split: Split = "test") -> FaceDataset:
    """Open one FER+ split (a folder tree, or a ``.npz`` pack); evaluation labels are the
    majority labels."""
    from moodtune.datasets.packed import is_pack, open_packed_ferplus

    if is_pack(root):
        return open_packed_ferplus(root, split)
    folder = split_folder(Path(root), split)
    names, votes = read_votes(folder / "label.csv")
    present = {p.name for p in folder.iterdir()}
    missing = [n for n in names if n not in present]
    if missing:
        raise DatasetError(
            f"{len(missing)} images named in {folder / 'label.csv'} are missing from {folder} "
            f"(first: {missing[0]}). Re-extract the FER+ images."
        )
    keep, shares, majority = vote_targets(votes)
    idx = np.flatnonzero(keep)
    return FaceDataset(
        name=f"ferplus:{split}",
        paths=tuple(folder / names[i] for i in idx),
        classes=EMOTIONS,
        level="emotion",
        labels=majority[idx].astype(np.int64),
        targets=shares[idx].astype(np.float32),
        extra={"root": str(folder)},
    )

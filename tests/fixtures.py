"""Data sets built in code: tiny FER+ trees whose classes a small net can learn in seconds."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from moodtune.emotions import EMOTIONS

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FERPLUS = SHARED / "ferplus"
FACES = SHARED / "faces"


def pattern_image(emotion: int, rng: np.random.Generator, size: int = 48) -> np.ndarray:
    """A 'face' whose class shows as a bright horizontal band at a class-specific height."""
    img = rng.integers(40, 90, (size, size)).astype(np.uint8)
    band = size // len(EMOTIONS)
    img[emotion * band : (emotion + 1) * band, :] = 230
    return img


def write_png(path: Path, image: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), image)


def make_ferplus_tree(
    root: Path, per_split: dict[str, int] | None = None, classes: tuple[int, ...] = (0, 1, 3), seed: int = 0
) -> Path:
    """A FER+ tree in Microsoft's layout: label.csv with 10 vote columns, PNG faces.

    Each image gets 10 votes: 7 for its class, 3 spread to a neighbour (a majority), except every
    fifth image, which is split 5/5 (no majority: trains on votes, left out of evaluation)."""
    rng = np.random.default_rng(seed)
    per_split = per_split or {"FER2013Train": 96, "FER2013Valid": 32, "FER2013Test": 32}
    for folder, n in per_split.items():
        rows = []
        for i in range(n):
            cls = classes[i % len(classes)]
            name = f"fer{i:07d}.png"
            write_png(root / folder / name, pattern_image(cls, rng))
            votes = [0] * 10
            other = (cls + 1) % len(EMOTIONS)
            if i % 5 == 4:
                votes[cls], votes[other] = 5, 5
            else:
                votes[cls], votes[other] = 7, 3
            rows.append(f'{name},"(0, 0, 48, 48)",' + ",".join(map(str, votes)))
        (root / folder / "label.csv").write_text("\n".join(rows) + "\n")
    return root

"""Sample face crops shipped with moodtune (public domain; see NOTICE.md), for ``moodtune demo``
and smoke checks of an installed model."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import cv2
import numpy as np

SAMPLE_NAMES = ("astronaut", "grace_hopper")


def sample_path(name: str) -> Path:
    return Path(str(resources.files("moodtune.samples") / f"{name}.png"))


def sample_faces() -> list[tuple[str, np.ndarray]]:
    """``(name, uint8 grayscale square crop)`` for each shipped sample."""
    out = []
    for name in SAMPLE_NAMES:
        img = cv2.imread(str(sample_path(name)), cv2.IMREAD_GRAYSCALE)
        if img is None:
            raise FileNotFoundError(f"sample {sample_path(name)} is missing; reinstall moodtune")
        out.append((name, img))
    return out

"""The data set record every reader returns, and batched pixel streaming."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from moodtune.errors import DatasetError

Split = Literal["train", "valid", "test"]
SPLITS: tuple[Split, ...] = ("train", "valid", "test")

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")


@dataclass(frozen=True)
class FaceDataset:
    """Face crops on disk with their labels.

    ``classes`` names what ``labels`` index: emotions (FER+ names) or moods. ``targets`` holds a
    probability distribution over the 8 FER+ emotions per image (vote shares, or one-hot) for
    training; rows are all zero where a data set labels moods only. ``labels`` is the evaluation
    label (index into ``classes``), ``-1`` where an image has none (a FER+ image without a
    majority): such images train on their votes but are left out of evaluation.
    """

    name: str
    paths: tuple[Path, ...]
    classes: tuple[str, ...]
    level: Literal["emotion", "mood"]
    labels: np.ndarray
    targets: np.ndarray
    extra: dict[str, str] = field(default_factory=dict)
    # Pixels held in memory (a packed data set, see ``moodtune.datasets.packed``); ``paths`` then
    # only name the images.
    pixels: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.paths)
        if self.pixels is not None and (self.pixels.ndim != 3 or self.pixels.shape[0] != n):
            raise ValueError(f"pixels must have shape ({n}, H, W), but got {self.pixels.shape}")
        if self.labels.shape != (n,):
            raise ValueError(f"labels must have shape ({n},), but got {self.labels.shape}")
        if self.targets.ndim != 2 or self.targets.shape[0] != n:
            raise ValueError(f"targets must have shape ({n}, K), but got {self.targets.shape}")

    def __len__(self) -> int:
        return len(self.paths)

    @property
    def labelled(self) -> np.ndarray:
        """Indices of the images that carry an evaluation label."""
        return np.flatnonzero(self.labels >= 0)

    def subset(self, indices: Sequence[int] | np.ndarray) -> FaceDataset:
        """A data set of the given rows, in that order (of the same kind as this one)."""
        idx = np.asarray(indices, dtype=np.int64)
        return dataclasses.replace(
            self,
            paths=tuple(self.paths[i] for i in idx),
            labels=self.labels[idx],
            targets=self.targets[idx],
            extra=dict(self.extra),
            pixels=None if self.pixels is None else self.pixels[idx],
        )

    def class_counts(self) -> dict[str, int]:
        counts = np.bincount(self.labels[self.labels >= 0], minlength=len(self.classes))
        return {c: int(k) for c, k in zip(self.classes, counts, strict=True)}

    def read(self, index: int, size: int) -> np.ndarray:
        """One image as ``uint8`` grayscale ``(size, size)``."""
        if self.pixels is not None:
            return fit_square(self.pixels[index], size)
        return read_gray(self.paths[index], size)

    def iter_batches(
        self, batch_size: int, size: int, indices: Sequence[int] | np.ndarray | None = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(images uint8 (B, size, size), row indices (B,))``, reading from disk lazily."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, but got {batch_size}")
        order = np.arange(len(self)) if indices is None else np.asarray(indices, dtype=np.int64)
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            batch = np.empty((len(rows), size, size), dtype=np.uint8)
            for j, i in enumerate(rows):
                batch[j] = self.read(int(i), size)
            yield batch, rows


def read_gray(path: Path, size: int) -> np.ndarray:
    """Read an image file as 8-bit grayscale, resized to ``size`` x ``size`` (squashing none:
    face crops are square; a non-square crop is centre-cropped to a square first)."""
    data = np.fromfile(str(path), dtype=np.uint8) if path.is_file() else None
    if data is None:
        raise DatasetError(f"image file not found: {path}. Check the data set folder.")
    image = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE) if data.size else None
    if image is None:
        raise DatasetError(
            f"cannot decode image {path} ({data.size} bytes): expected a PNG, JPEG, WebP or BMP "
            "file. Remove or replace it."
        )
    return fit_square(image, size)


def fit_square(image: np.ndarray, size: int) -> np.ndarray:
    """Centre-crop a grayscale image to a square and resize it to ``size`` x ``size``."""
    h, w = image.shape
    if h != w:
        side = min(h, w)
        top, left = (h - side) // 2, (w - side) // 2
        image = image[top : top + side, left : left + side]
    if image.shape[0] != size:
        interp = cv2.INTER_AREA if image.shape[0] > size else cv2.INTER_LINEAR
        image = cv2.resize(image, (size, size), interpolation=interp)
    return image


def require_dir(path: Path, what: str) -> Path:
    if not path.exists():
        raise DatasetError(f"{what} not found: {path}. Check the path.")
    if not path.is_dir():
        raise DatasetError(f"{what} must be a folder, but {path} is a file.")
    return path

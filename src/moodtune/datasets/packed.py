"""FER+ packed into one ``.npz`` (pixels, votes and FER2013 labels of the chosen splits).

For machines where ``../shared`` is not reachable, such as a lent GPU machine: ``moodtune pack``
writes the file and ``ferplus:FILE.npz`` / ``fer2013:FILE.npz`` read it like the folder layout.
Each face is stored encoded: PNG (lossless, the default) or, for the training split only, JPEG
at a chosen quality (``train_jpeg_quality``), which with ``splits=("train", "valid")`` makes a
pack small enough to travel beside the repository (the device tool carries 64 MiB in all).
Valid and Test stay lossless, so scores measured on a pack equal those on the folders. The pack
holds research-only FER2013 pixels: keep it out of the repository (the default ``.pack/`` folder
is git-ignored).
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


def _encode(images: list[np.ndarray], jpeg_quality: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Faces -> (all their encoded bytes, offsets ``(N + 1,)``): JPEG at ``jpeg_quality``, else PNG."""
    import cv2

    if jpeg_quality is None:
        ext, params = ".png", [cv2.IMWRITE_PNG_COMPRESSION, 9]
    else:
        ext, params = ".jpg", [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality]
    blobs = [cv2.imencode(ext, image, params)[1].ravel() for image in images]
    offsets = np.zeros(len(blobs) + 1, dtype=np.int64)  # (int64: a pack may pass 2 GB)
    offsets[1:] = np.cumsum([len(b) for b in blobs])
    data = np.concatenate(blobs) if blobs else np.zeros(0, np.uint8)
    return data, offsets


def _decode(data: np.ndarray, offsets: np.ndarray, path: Path) -> np.ndarray:
    import cv2

    out = np.empty((len(offsets) - 1, 48, 48), dtype=np.uint8)
    for i in range(len(out)):
        image = cv2.imdecode(data[offsets[i] : offsets[i + 1]], cv2.IMREAD_GRAYSCALE)
        if image is None or image.shape != (48, 48):
            raise DatasetError(f"{path} is damaged: face {i} does not decode. Make the pack again.")
        out[i] = image
    return out


def pack_ferplus(
    root: str | Path,
    out: str | Path,
    splits: tuple[Split, ...] = SPLITS,
    train_jpeg_quality: int | None = None,
) -> Path:
    """Pack the ``splits`` of a FER+ tree (and its ``fer2013_labels.csv``, if present) into
    ``out``: training faces as JPEG at ``train_jpeg_quality`` when given, every other face PNG."""
    import csv

    from moodtune.datasets.base import read_gray

    unknown = [s for s in splits if s not in SPLITS]
    if unknown or not splits:
        raise DatasetError(f"splits must be some of {', '.join(SPLITS)}, but got {list(splits)}")
    if train_jpeg_quality is not None and not 50 <= train_jpeg_quality <= 100:
        raise DatasetError(f"the JPEG quality must be 50..100, but got {train_jpeg_quality}")
    root, out = Path(root), Path(out)
    fer_labels: dict[tuple[str, str], int] = {}
    labels_csv = root / "fer2013_labels.csv"
    if labels_csv.is_file():
        with labels_csv.open(newline="") as fh:
            for row in csv.DictReader(fh):
                fer_labels[(row["usage"], row["image"])] = FER2013_CLASSES.index(row["fer2013_label"])
    arrays: dict[str, Any] = {}
    for split in splits:
        folder = split_folder(root, split)
        names, votes = read_votes(folder / "label.csv")
        arrays[f"{split}_names"] = np.asarray(names, dtype=np.bytes_)  # a quarter of str's bytes
        arrays[f"{split}_votes"] = votes.astype(np.uint8)
        arrays[f"{split}_encoded"], arrays[f"{split}_offsets"] = _encode(
            [read_gray(folder / n, 48) for n in names], train_jpeg_quality if split == "train" else None
        )
        usage = USAGE_BY_SPLIT[split]
        arrays[f"{split}_fer2013"] = np.asarray([fer_labels.get((usage, n), -1) for n in names], np.int8)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, **arrays)  # encoded faces do not compress further
    return out


def _load(path: Path, split: Split) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise DatasetError(f"packed data set not found: {path}. Make it with `moodtune pack`.")
    with np.load(path) as z:
        held = sorted({k.split("_", 1)[0] for k in z.files if k.endswith("_names")})
        if held and split not in held:
            raise DatasetError(
                f"{path} holds no {split} split (only {', '.join(held)}): make it with "
                f"`moodtune pack DIR --splits {','.join(sorted({*held, split}))}`"
            )
        keys = [f"{split}_{k}" for k in ("names", "votes", "fer2013")]
        # earlier packs held raw pixel arrays (np.savez_compressed): still read
        raw = f"{split}_images" in z.files
        pixels = [f"{split}_images"] if raw else [f"{split}_encoded", f"{split}_offsets"]
        missing = [k for k in keys + pixels if k not in z.files]
        if missing:
            raise DatasetError(f"{path} is not a moodtune pack: it lacks {missing}")
        loaded = {k.split("_", 1)[1]: z[k] for k in keys}
        loaded["images"] = z[pixels[0]] if raw else _decode(z[pixels[0]], z[pixels[1]], path)
        return loaded


def _name(n: object) -> str:
    return n.decode() if isinstance(n, bytes) else str(n)  # names are stored as bytes (older packs: str)


def open_packed_ferplus(path: str | Path, split: Split) -> FaceDataset:
    a = _load(Path(path), split)
    keep, shares, majority = vote_targets(a["votes"].astype(np.float32))
    idx = np.flatnonzero(keep)
    return FaceDataset(
        name=f"ferplus:{split}",
        paths=tuple(Path(_name(n)) for n in a["names"][idx]),
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
        paths=tuple(Path(_name(n)) for n in a["names"][idx]),
        classes=FER2013_EMOTIONS,
        level="emotion",
        labels=labels,
        targets=targets,
        extra={"root": str(path)},
        pixels=a["images"][idx],
    )

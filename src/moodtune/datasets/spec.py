"""Parse ``KIND:DIR`` data set specs (the form ``moodtune evaluate`` and configs take)."""

from __future__ import annotations

from moodtune.datasets.base import SPLITS, FaceDataset, Split
from moodtune.datasets.fer2013 import open_fer2013
from moodtune.datasets.ferplus import open_ferplus
from moodtune.datasets.folder import open_folder
from moodtune.errors import UsageError

KINDS = ("ferplus", "fer2013", "folder")


def open_dataset(spec: str, split: Split = "test") -> FaceDataset:
    """Open ``ferplus:DIR``, ``fer2013:DIR`` or ``folder:DIR`` (folders have no splits)."""
    kind, sep, path = spec.partition(":")
    if not sep or kind not in KINDS or not path:
        raise UsageError(
            f"data set {spec!r} is not of the form KIND:DIR with KIND one of {', '.join(KINDS)} "
            "(e.g. ferplus:../shared/data/ferplus)"
        )
    if split not in SPLITS:
        raise UsageError(f"split {split!r} is not one of {', '.join(SPLITS)}")
    if kind == "ferplus":
        return open_ferplus(path, split)
    if kind == "fer2013":
        return open_fer2013(path, split)
    return open_folder(path)

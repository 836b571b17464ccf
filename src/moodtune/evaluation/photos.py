"""Whole photos as a labelled data set, read the way the service reads them.

``photos:DIR`` holds ``DIR/<class>/*.{png,jpg,jpeg,webp,bmp}`` like ``folder:DIR``, but each image
is a photo, not a crop: it goes through the serving path (decode with EXIF orientation, face
detection, alignment to the model's training crop) before the model sees it. The largest face of
each photo is the one read. A photo in which no face is found is never dropped silently: it is
counted and listed (``PhotoSet.no_face``) and the report says so.

Per-person calibration (``moodtune.vision.calibration``, the page's "this is my neutral face")
needs to know whose face each photo shows: ``person_pattern`` is a regular expression searched in
each file's name (without its suffix); its first group, or the whole match, names the person.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import numpy as np

from moodtune.datasets.base import FaceDataset
from moodtune.datasets.folder import open_folder
from moodtune.errors import DatasetError, MoodtuneError, UsageError
from moodtune.evaluation.evaluate import evaluate_probs
from moodtune.vision.calibration import calibrate
from moodtune.vision.engine import Analyzer
from moodtune.vision.image_io import load_image


@dataclass(frozen=True)
class PhotoSet(FaceDataset):
    """The photos in which a face was found, with their crops made on demand at any input size
    (each size once: detection and alignment as ``Analyzer.locate`` does them)."""

    analyzer: Analyzer | None = None
    no_face: tuple[Path, ...] = ()
    no_face_classes: tuple[str, ...] = ()
    persons: tuple[str, ...] = ()
    _crops: dict[int, np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    def read(self, index: int, size: int) -> np.ndarray:
        if size not in self._crops:
            self._crops[size] = locate_largest(self.analyzer, self.paths, size)[1]
        return self._crops[size][index]

    def subset(self, indices: Sequence[int] | np.ndarray) -> PhotoSet:
        """The photos of the given rows, in that order, with their persons and crops."""
        idx = np.asarray(indices, dtype=np.int64)
        return replace(
            cast(PhotoSet, super().subset(idx)),
            persons=tuple(self.persons[i] for i in idx) if self.persons else (),
            _crops={size: crops[idx] for size, crops in self._crops.items()},
        )

    def no_face_report(self) -> dict[str, Any]:
        by_class: dict[str, int] = {}
        for c in self.no_face_classes:
            by_class[c] = by_class.get(c, 0) + 1
        return {
            "photos": len(self) + len(self.no_face),
            "faces_read": len(self),
            "no_face": len(self.no_face),
            "no_face_by_class": by_class,
            "no_face_paths": [str(p) for p in self.no_face],
        }


def locate_largest(
    analyzer: Analyzer | None, paths: Sequence[Path], size: int
) -> tuple[list[bool], np.ndarray]:
    """For each photo, whether a face was found and the largest face's aligned crop (zeros where
    none was)."""
    if analyzer is None:
        raise DatasetError("a photo set needs an Analyzer to find and align its faces")
    found: list[bool] = []
    crops = np.zeros((len(paths), size, size), dtype=np.uint8)
    for i, path in enumerate(paths):
        try:
            rgb = load_image(path).rgb
        except MoodtuneError as exc:
            raise DatasetError(f"cannot read photo {path}: {exc}. Remove or replace it.") from None
        located = analyzer.locate(rgb, size=size)
        found.append(bool(located.faces))
        if located.faces:
            crops[i] = located.crops[0]
    return found, crops


def open_photos(
    root: str | Path, analyzer: Analyzer | None = None, person_pattern: str | None = None
) -> PhotoSet:
    """Open ``root/<class>/*`` photos; detect and align every face once at the model's input size."""
    folder = open_folder(root)
    analyzer = analyzer or Analyzer()
    size = analyzer.meta.input_size
    found, crops = locate_largest(analyzer, folder.paths, size)
    keep = np.flatnonzero(found)
    missed = np.flatnonzero(~np.asarray(found, dtype=bool))
    if len(keep) == 0:
        raise DatasetError(
            f"no face was found in any of the {len(folder)} photos under {root}: check that they show "
            "faces (for pre-cropped faces use folder:DIR instead)"
        )
    persons: tuple[str, ...] = ()
    if person_pattern is not None:
        persons = tuple(person_of(folder.paths[i], person_pattern) for i in keep)
    return PhotoSet(
        name=f"photos:{root}",
        paths=tuple(folder.paths[i] for i in keep),
        classes=folder.classes,
        level=folder.level,
        labels=folder.labels[keep],
        targets=folder.targets[keep],
        extra=dict(folder.extra),
        analyzer=analyzer,
        no_face=tuple(folder.paths[i] for i in missed),
        no_face_classes=tuple(folder.classes[folder.labels[i]] for i in missed),
        persons=persons,
        _crops={size: crops[keep]},
    )


def person_of(path: Path, pattern: str) -> str:
    """The person a photo shows, by ``pattern`` searched in its file name (without suffix)."""
    try:
        match = re.search(pattern, path.stem)
    except re.error as exc:
        raise UsageError(f"--person-pattern {pattern!r} is not a regular expression: {exc}") from None
    if match is None:
        raise UsageError(
            f"--person-pattern {pattern!r} does not match the photo name {path.stem!r}: give a pattern "
            "that every file name contains, e.g. '^(\\d\\d)' for names that start with a 2-digit person id"
        )
    return match.group(1) if match.groups() else match.group(0)


def calibrated_by_person(
    probs: np.ndarray,
    persons: Sequence[str],
    is_neutral: np.ndarray,
    labels: Sequence[str],
    calibrate_fn: Callable[..., np.ndarray] = calibrate,
    reference: Sequence[float] = (),
) -> tuple[np.ndarray, np.ndarray]:
    """Each photo's probabilities calibrated by its person's neutral face: the mean reading of that
    person's neutral photos, leaving out the photo itself (a neutral photo never calibrates itself).
    Returns the calibrated rows and the indices of the photos that had a baseline."""
    persons_arr = np.asarray(persons)
    out: list[np.ndarray] = []
    rows: list[int] = []
    for i in range(len(probs)):
        mine = np.flatnonzero((persons_arr == persons_arr[i]) & is_neutral)
        mine = mine[mine != i]
        if len(mine) == 0:
            continue
        baseline = probs[mine].mean(axis=0)
        out.append(calibrate_fn(probs[i], baseline, labels, reference=reference))
        rows.append(i)
    if not rows:
        return np.zeros((0, probs.shape[1])), np.zeros(0, dtype=np.int64)
    return np.stack(out), np.asarray(rows, dtype=np.int64)


def calibrated_report(
    probs: np.ndarray,
    y: np.ndarray,
    classes: Sequence[str],
    level: str,
    persons: Sequence[str],
    labels: Sequence[str],
    mood_groups: Mapping[str, Sequence[str]],
    reference: Sequence[float] = (),
) -> dict[str, Any]:
    """``evaluate_probs``'s report after each person's readings ``probs`` (true classes ``y``
    indexing ``classes``) are calibrated by their own neutral photos (leave one out), on the photos
    of persons who have another neutral photo; ``persons`` counts them."""
    neutral = list(classes).index("neutral")
    cal, kept = calibrated_by_person(probs, persons, np.asarray(y) == neutral, labels, reference=reference)
    if len(kept) == 0:
        return {"n": 0, "note": "no person has a neutral photo to calibrate by"}
    report = evaluate_probs(cal, np.asarray(y)[kept], classes, level, labels, mood_groups)
    report["persons"] = len({persons[i] for i in kept})
    return report

"""From a data set on disk to training batches: which rows train, their targets, class weights,
and a prefetching batch stream (a reader thread overlaps PNG decoding with the model's step)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from moodtune.datasets import FaceDataset, open_fer2013, open_ferplus
from moodtune.datasets.base import Split
from moodtune.datasets.fer2013 import USAGE_BY_SPLIT
from moodtune.datasets.ferplus import SPLIT_FOLDERS
from moodtune.errors import ConfigError
from moodtune.training.config import TrainConfig


@dataclass(frozen=True)
class TrainSet:
    dataset: FaceDataset
    rows: np.ndarray  # rows of ``dataset`` that train
    targets: np.ndarray  # (len(rows), 8) target distributions


def open_split(cfg: TrainConfig, split: Split) -> FaceDataset:
    if cfg.labels == "fer2013":
        return open_fer2013(cfg.data, split)
    return open_ferplus(cfg.data, split)


def split_title(cfg: TrainConfig, split: Split) -> str:
    """The name papers and model cards give the split ``open_split`` reads: "FER+ Valid", or
    "FER2013 PublicTest" for a run on the FER2013 labels."""
    if cfg.labels == "fer2013":
        return f"FER2013 {USAGE_BY_SPLIT[split]}"
    return f"FER+ {SPLIT_FOLDERS[split].removeprefix('FER2013')}"


def training_set(cfg: TrainConfig, dataset: FaceDataset, rng: np.random.Generator) -> TrainSet:
    if cfg.targets == "votes":
        rows = np.arange(len(dataset))
        targets = dataset.targets
    else:
        rows = dataset.labelled
        targets = np.zeros_like(dataset.targets[rows])
        # classes are FER+ emotion names in both readers; one-hot in the 8-emotion space
        from moodtune.emotions import EMOTIONS

        cols = np.asarray([EMOTIONS.index(c) for c in dataset.classes])
        targets[np.arange(len(rows)), cols[dataset.labels[rows]]] = 1.0
    if cfg.fer2013_weight > 0:
        targets = mix_fer2013_labels(targets, dataset, open_fer2013(cfg.data, "train"), cfg.fer2013_weight)
    if cfg.limit_train:
        pick = rng.permutation(len(rows))[: cfg.limit_train]
        rows, targets = rows[pick], targets[pick]
    if len(rows) == 0:
        raise ConfigError(f"no training images in {dataset.name}")
    return TrainSet(dataset=dataset, rows=rows, targets=targets[: len(rows)].astype(np.float32))


def mix_fer2013_labels(
    votes: np.ndarray, ferplus: FaceDataset, fer2013: FaceDataset, weight: float
) -> np.ndarray:
    """``(1 - weight) * votes + weight * one-hot(FER2013 label)`` for the FER+ rows whose image has
    an original label (matched by file name); rows without one keep their votes."""
    from moodtune.emotions import EMOTIONS

    cols = np.asarray([EMOTIONS.index(c) for c in fer2013.classes])
    label_of = {p.name: int(cols[y]) for p, y in zip(fer2013.paths, fer2013.labels, strict=True)}
    mixed = np.array(votes, dtype=np.float32, copy=True)
    matched = 0
    for i, path in enumerate(ferplus.paths):
        col = label_of.get(path.name)
        if col is None:
            continue
        mixed[i] *= 1.0 - weight
        mixed[i, col] += weight
        matched += 1
    if matched == 0:
        raise ConfigError(
            f"fer2013_weight: none of the {len(ferplus)} training faces has a FER2013 label in "
            f"{fer2013.name}: check that the data holds fer2013_labels.csv (or pack it again)"
        )
    return mixed


def class_weights(targets: np.ndarray, mode: str) -> np.ndarray:
    """Per-class loss weights ~ freq^-p (p = 0.5 for sqrt, 1 for inverse), scaled so the average
    weight over the training targets is 1; classes absent from training get weight 0."""
    freq = targets.sum(axis=0) / max(targets.sum(), 1e-12)
    if mode == "none":
        return np.ones_like(freq)
    p = 0.5 if mode == "sqrt" else 1.0
    w = np.where(freq > 0, np.power(np.clip(freq, 1e-12, None), -p), 0.0)
    w = w / max(float((freq * w).sum()), 1e-12)
    return w.astype(np.float32)


def batches(
    train: TrainSet, batch_size: int, size: int, epoch_seed: int, prefetch: int = 4
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(uint8 images (B, size, size), targets (B, 8))`` in a shuffled order that depends
    only on ``epoch_seed`` (so a resumed run sees the same order)."""
    order = np.random.default_rng(epoch_seed).permutation(len(train.rows))
    q: queue.Queue[tuple[np.ndarray, np.ndarray] | BaseException | None] = queue.Queue(prefetch)
    stop = threading.Event()

    def work() -> None:
        try:
            for start in range(0, len(order), batch_size):
                if stop.is_set():
                    return
                sel = order[start : start + batch_size]
                imgs = np.stack([train.dataset.read(int(r), size) for r in train.rows[sel]])
                q.put((imgs, train.targets[sel]))
            q.put(None)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            q.put(exc)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(timeout=0.05)

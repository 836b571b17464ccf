"""One dataclass for a model's metadata, written by training and read by serving.

It travels beside the ONNX file (``<model>.json``): labels, the grouping of emotions into moods,
the input size and normalisation, version, training data and measured metrics. Serving never
hard-codes any of these (the timm habit of one preprocessing config read by both sides).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from moodtune.emotions import mood_matrix
from moodtune.errors import ModelError

SCHEMA_VERSION = 1

# Where the eyes sit in the training crops, as fractions of the crop side: measured on FER+ Test
# with BlazeFace by ``scripts/measure_fer_geometry.py`` (median of 1,492 faces; interquartile
# range of the eye distance 0.32-0.40). Live crops are aligned to it (``moodtune.vision.align``).
FER_ALIGNMENT: dict[str, float] = {"eye_distance": 0.37, "eye_x": 0.498, "eye_y": 0.395}


@dataclass(frozen=True)
class ModelMeta:
    labels: tuple[str, ...]
    mood_groups: dict[str, tuple[str, ...]]
    input_size: int
    mean: float
    std: float
    version: str
    architecture: str = ""
    channels: int = 1
    color: str = "gray"
    alignment: dict[str, float] = field(default_factory=lambda: dict(FER_ALIGNMENT))
    # Post-hoc adjustment chosen on Valid at export: p' = softmax(log(p) / temperature + logit_bias).
    # The bias undoes part of the class-balanced loss's prior shift (logit adjustment, Menon et al.,
    # "Long-tail learning via logit adjustment", ICLR 2021); empty means none.
    temperature: float = 1.0
    logit_bias: tuple[float, ...] = ()
    # How this model reads a neutral face on average (its adjusted probabilities, in ``labels``
    # order, over FER+ Valid faces whose majority says neutral), measured at export: what a
    # listener's own neutral face is calibrated to (``moodtune.vision.calibration``). Empty: unknown.
    neutral_reading: tuple[float, ...] = ()
    training_data: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    schema: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        if not self.labels:
            raise ModelError("model metadata has no labels")
        grouped = [lab for members in self.mood_groups.values() for lab in members]
        unknown = sorted(set(grouped) - set(self.labels))
        if unknown:
            raise ModelError(f"mood groups name labels the model lacks: {unknown}")
        if sorted(grouped) != sorted(self.labels):
            raise ModelError(
                f"mood groups must cover each label exactly once; labels {list(self.labels)}, "
                f"grouped {grouped}"
            )
        if self.input_size < 8:
            raise ModelError(f"input_size must be >= 8 pixels, but got {self.input_size}")
        if self.std <= 0:
            raise ModelError(f"std must be > 0, but got {self.std}")
        if self.temperature <= 0:
            raise ModelError(f"temperature must be > 0, but got {self.temperature}")
        if self.logit_bias and len(self.logit_bias) != len(self.labels):
            raise ModelError(
                f"logit_bias must have one value per label ({len(self.labels)}), "
                f"but has {len(self.logit_bias)}"
            )
        if self.neutral_reading and (
            len(self.neutral_reading) != len(self.labels) or min(self.neutral_reading) < 0
        ):
            raise ModelError(
                f"neutral_reading must hold one probability per label ({len(self.labels)}), "
                f"but got {list(self.neutral_reading)}"
            )
        missing = sorted(set(FER_ALIGNMENT) - set(self.alignment))
        if missing:
            raise ModelError(f"alignment must give {sorted(FER_ALIGNMENT)}, but lacks {missing}")

    @property
    def moods(self) -> tuple[str, ...]:
        return tuple(self.mood_groups)

    def mood_matrix(self) -> np.ndarray:
        """``(n_labels, n_moods)`` 0/1 matrix: emotion probabilities @ it = mood probabilities."""
        return mood_matrix(self.labels, self.mood_groups).astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["labels"] = list(self.labels)
        d["mood_groups"] = {k: list(v) for k, v in self.mood_groups.items()}
        d["logit_bias"] = list(self.logit_bias)
        d["neutral_reading"] = list(self.neutral_reading)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelMeta:
        try:
            known = {f for f in cls.__dataclass_fields__}
            args = {k: v for k, v in d.items() if k in known}
            args["labels"] = tuple(args["labels"])
            args["mood_groups"] = {k: tuple(v) for k, v in args["mood_groups"].items()}
            args["logit_bias"] = tuple(args.get("logit_bias", ()))
            args["neutral_reading"] = tuple(args.get("neutral_reading", ()))
            return cls(**args)
        except (KeyError, TypeError) as exc:
            raise ModelError(f"model metadata is incomplete or malformed: {exc}") from None

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, path: Path) -> ModelMeta:
        if not path.is_file():
            raise ModelError(
                f"model metadata not found: {path}. A model file needs its .json beside it "
                "(written by `moodtune export`)."
            )
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise ModelError(f"model metadata {path} is not valid JSON: {exc}") from None
        return cls.from_dict(data)


def meta_path_for(model_path: Path) -> Path:
    return model_path.with_suffix(".json")

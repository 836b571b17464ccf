"""The training run configuration: one dataclass, loaded from YAML, overridden from the CLI, and
saved resolved in the run folder (``config.yaml``) so a run can be reproduced or resumed."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

import yaml

from moodtune.errors import ConfigError


@dataclass
class AugmentConfig:
    rotate_deg: float = 10.0
    scale: float = 0.1
    shift: float = 0.1
    hflip: bool = True
    brightness: float = 0.2
    contrast: float = 0.2
    erase_p: float = 0.25
    erase_max_frac: float = 0.3
    # Photometric robustness (off by default, so older runs resume unchanged): the share of faces
    # blurred (Gaussian, sigma uniform up to blur_sigma pixels at 48 px, scaled with the input size)
    # and the standard deviation of the added pixel noise (0..1 scale; each face draws its own
    # amount up to it). Webcam frames are softer and noisier than FER's photos.
    blur_p: float = 0.0
    blur_sigma: float = 1.2
    noise_std: float = 0.0


@dataclass
class TrainConfig:
    name: str = "cnn48"
    arch: str = "cnn"
    arch_kwargs: dict[str, Any] = field(default_factory=dict)
    # Data: FER+ root in Microsoft's layout. "ferplus" trains on FER+ votes, "fer2013" on the
    # original 7-class labels (reported, not shipped).
    data: str = "../shared/data/ferplus"
    labels: str = "ferplus"
    targets: str = "votes"  # votes (vote distributions as soft targets) | majority (one-hot)
    # >0 (with labels: ferplus, targets: votes): each training face's target mixes its FER+ vote
    # shares with its ORIGINAL FER2013 label, (1 - w) * votes + w * one-hot. The FER2013 annotators
    # called far fewer mild expressions neutral than the FER+ crowd did, and a model trained on the
    # votes alone reads other labs' posed frowns as neutral (the model card has the figures).
    fer2013_weight: float = 0.0
    input_size: int = 48
    mean: float = 0.5
    std: float = 0.25
    epochs: int = 40
    batch_size: int = 128
    lr: float = 2e-3
    weight_decay: float = 0.05
    warmup_epochs: float = 1.0
    label_smoothing: float = 0.0
    class_balance: str = "sqrt"  # none | sqrt | inverse: per-class loss weight ~ freq^-p
    patience: int = 10
    select_metric: str = "accuracy"  # valid metric that picks the best checkpoint
    seed: int = 0
    threads: int = 2
    device: str = "auto"  # auto (a CUDA GPU when there is one) | cpu | cuda
    amp: bool = True  # bfloat16 autocast on a GPU (never on the CPU)
    channels_last: bool = True
    # Distillation: run folders of trained teachers (an ensemble is averaged); 0 < alpha <= 1 weighs
    # the teachers' softened output against the vote targets.
    teachers: list[str] = field(default_factory=list)
    distill_alpha: float = 0.5
    distill_temperature: float = 2.0
    # Fine-tuning: a run folder whose best.pt weights start the model (same arch and widths); the
    # optimizer and schedule start fresh. Ignored on --resume (last.pt holds the weights then).
    init_from: str = ""
    # >0: validate and keep an exponential moving average of the weights (Polyak averaging), updated
    # every step with this decay (0.999: about the last 1,000 steps); 0: the raw weights.
    ema_decay: float = 0.0
    # >0: also save the weights of the last this-many epochs of the schedule (``epoch-NNN.pt``,
    # weights only) for ``moodtune average`` to take beside best.pt and last.pt.
    keep_epochs: int = 0
    # >0: after the first epoch of a call, shorten ``epochs`` so the run (training and validation)
    # ends within this many seconds, re-planning the cosine decay to the new length: for a lent GPU
    # whose lease is counted in minutes. The shortened length is saved in config.yaml.
    time_budget_s: float = 0.0
    limit_train: int = 0  # >0: use only this many training images (smoke runs)
    limit_valid: int = 0
    out_dir: str = "runs"
    augment: AugmentConfig = field(default_factory=AugmentConfig)

    def validate(self) -> None:
        choices = {
            "labels": ("ferplus", "fer2013"),
            "targets": ("votes", "majority"),
            "class_balance": ("none", "sqrt", "inverse"),
            "select_metric": ("accuracy", "macro_f1", "mood_accuracy", "loss"),
            "device": ("auto", "cpu", "cuda"),
        }
        for key, allowed in choices.items():
            if getattr(self, key) not in allowed:
                raise ConfigError(
                    f"{key} must be one of {', '.join(allowed)}, but got {getattr(self, key)!r}"
                )
        positive = ("epochs", "batch_size", "input_size", "threads")
        for key in positive:
            if getattr(self, key) < 1:
                raise ConfigError(f"{key} must be >= 1, but got {getattr(self, key)}")
        if not 0 < self.lr < 1:
            raise ConfigError(f"lr must be in (0, 1), but got {self.lr}")
        if not 0 <= self.distill_alpha <= 1:
            raise ConfigError(f"distill_alpha must be in [0, 1], but got {self.distill_alpha}")
        if not 0 <= self.ema_decay < 1:
            raise ConfigError(f"ema_decay must be in [0, 1) (0: off), but got {self.ema_decay}")
        if self.keep_epochs < 0:
            raise ConfigError(f"keep_epochs must be >= 0 (0: none), but got {self.keep_epochs}")
        if self.time_budget_s < 0:
            raise ConfigError(f"time_budget_s must be >= 0 (0: no budget), but got {self.time_budget_s}")
        if self.distill_temperature <= 0:
            raise ConfigError(f"distill_temperature must be > 0, but got {self.distill_temperature}")
        if not 0 <= self.fer2013_weight <= 1:
            raise ConfigError(
                f"fer2013_weight must be in [0, 1] (0: votes only), but got {self.fer2013_weight}"
            )
        if self.fer2013_weight > 0 and (self.labels, self.targets) != ("ferplus", "votes"):
            raise ConfigError(
                "fer2013_weight mixes the FER2013 labels into FER+ vote targets: it needs labels: ferplus "
                "and targets: votes"
            )
        a = self.augment
        if not 0 <= a.blur_p <= 1 or a.blur_sigma <= 0 or a.noise_std < 0:
            raise ConfigError(
                "augment.blur_p must be in [0, 1], augment.blur_sigma > 0 and augment.noise_std >= 0, "
                f"but got {a.blur_p}, {a.blur_sigma}, {a.noise_std}"
            )
        if self.labels == "fer2013" and self.targets == "votes":
            raise ConfigError("the fer2013 labels carry no votes: use targets: majority with labels: fer2013")

    def require_checkpoints(self) -> None:
        """The run folders the config names (teachers, init_from) hold a best.pt: checked when a
        run starts, not when the config loads (a config may name a teacher trained later)."""
        for t in self.teachers:
            if not (Path(t) / "best.pt").is_file():
                raise ConfigError(f"teacher run {t} has no best.pt: train the teacher first")
        if self.init_from and not (Path(self.init_from) / "best.pt").is_file():
            raise ConfigError(
                f"init_from run {self.init_from} has no best.pt: name a trained run folder to fine-tune"
            )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def save(self, path: Path) -> None:
        path.write_text(yaml.safe_dump(self.to_dict(), sort_keys=False))


def _coerce(value: Any, typ: Any, key: str) -> Any:
    if typ is bool and isinstance(value, str):
        if value.lower() in ("1", "true", "yes", "on"):
            return True
        if value.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{key} must be true or false, but got {value!r}")
    if typ in (int, float, str) and not isinstance(value, typ):
        try:
            return typ(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{key} must be {typ.__name__}, but got {value!r}") from None
    if getattr(typ, "__origin__", None) is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{key} must be a list of strings, but got {value!r}")
        return value
    if typ is int and isinstance(value, bool):
        raise ConfigError(f"{key} must be an integer, but got {value!r}")
    return value


def _apply(obj: Any, values: dict[str, Any], prefix: str = "") -> None:
    hints = get_type_hints(type(obj))
    for key, value in values.items():
        if key not in hints:
            known = ", ".join(prefix + k for k in hints)
            raise ConfigError(f"unknown config key {prefix + key!r}; known keys: {known}")
        current = getattr(obj, key)
        if isinstance(current, dict) and isinstance(value, dict):
            # arch_kwargs: a key set from the CLI (arch_kwargs.dropout=0.5) keeps the others
            setattr(obj, key, {**current, **value})
        elif dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ConfigError(f"{prefix + key} must be a mapping, but got {value!r}")
            _apply(current, value, prefix=f"{prefix}{key}.")
        else:
            setattr(obj, key, _coerce(value, hints[key], prefix + key))


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``["epochs=5", "augment.hflip=false"]`` -> nested dict (values parsed as YAML scalars)."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"override {item!r} is not KEY=VALUE (e.g. epochs=5)")
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = yaml.safe_load(raw)
    return out


def load_config(path: Path | None, overrides: dict[str, Any] | None = None) -> TrainConfig:
    cfg = TrainConfig()
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"config file {path} is not valid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"config file {path} must hold a mapping of keys, got {type(data).__name__}")
        _apply(cfg, data)
    if overrides:
        _apply(cfg, overrides)
    cfg.validate()
    return cfg

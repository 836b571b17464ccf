"""Augmentation keeps shapes and ranges; configs load, override and reject bad values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from moodtune.errors import ConfigError  # noqa: E402
from moodtune.training.augment import augment, to_tensor  # noqa: E402
from moodtune.training.config import AugmentConfig, load_config, parse_overrides  # noqa: E402


def test_augment_keeps_shape_and_range_and_changes_pixels() -> None:
    x = to_tensor(torch.from_numpy(np.random.default_rng(0).integers(0, 256, (16, 48, 48), dtype=np.uint8)))
    y = augment(x, AugmentConfig(), torch.Generator().manual_seed(0))
    assert y.shape == x.shape == (16, 1, 48, 48)
    assert float(y.min()) >= 0.0 and float(y.max()) <= 1.0
    assert not torch.allclose(x, y)


def test_augment_is_seeded() -> None:
    x = torch.rand(4, 1, 48, 48)
    a = augment(x, AugmentConfig(), torch.Generator().manual_seed(3))
    b = augment(x, AugmentConfig(), torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_flip_only_mirrors_the_image() -> None:
    cfg = AugmentConfig(rotate_deg=0, scale=0, shift=0, hflip=True, brightness=0, contrast=0, erase_p=0)
    x = torch.rand(64, 1, 8, 8)
    y = augment(x, cfg, torch.Generator().manual_seed(0))
    mirrored = torch.isclose(y, x.flip(-1), atol=1e-5).flatten(1).all(1)
    same = torch.isclose(y, x, atol=1e-5).flatten(1).all(1)
    assert bool((mirrored | same).all()) and 10 < int(mirrored.sum()) < 54


def test_config_file_then_cli_overrides(tmp_path: Path) -> None:
    f = tmp_path / "c.yaml"
    f.write_text("epochs: 7\nlr: 0.01\naugment:\n  hflip: false\n")
    cfg = load_config(f, parse_overrides(["epochs=3", "augment.rotate_deg=5"]))
    assert (cfg.epochs, cfg.lr, cfg.augment.hflip, cfg.augment.rotate_deg) == (3, 0.01, False, 5.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("epochs: 0\n", "epochs must be >= 1"),  # nothing to train
        ("targets: hard\n", "targets must be one of"),  # unknown target kind
        ("lr: many\n", "lr must be float"),  # a value of the wrong type
        ("learning_rate: 0.1\n", "unknown config key 'learning_rate'"),  # a typo in a key
        ("- a\n- b\n", "must hold a mapping"),  # not a mapping
        ("labels: fer2013\ntargets: votes\n", "carry no votes"),  # FER2013 has no vote distributions
        ("keep_epochs: -1\n", "keep_epochs must be >= 0"),  # a negative count of epochs to keep
    ],
)
def test_bad_configs(tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(f)


def test_missing_config_and_bad_override(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "none.yaml")
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        parse_overrides(["epochs"])


@pytest.mark.parametrize(
    "path",
    sorted((Path(__file__).resolve().parents[2] / "configs").rglob("*.yaml")),
    ids=lambda p: p.name,
)
def test_every_shipped_config_loads(path: Path) -> None:
    cfg = load_config(path)
    assert cfg.epochs >= 1 and cfg.name

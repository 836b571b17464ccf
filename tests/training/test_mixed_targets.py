"""fer2013_weight: FER+ vote targets mixed with the original FER2013 labels of the same faces, and
the photometric augmentation (blur, noise) that webcam frames call for."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from moodtune.emotions import EMOTIONS  # noqa: E402
from moodtune.errors import ConfigError  # noqa: E402
from moodtune.training import data as tdata  # noqa: E402
from moodtune.training.augment import augment  # noqa: E402
from moodtune.training.config import AugmentConfig, load_config  # noqa: E402
from tests.training.test_train_export import _write_fer2013_labels  # noqa: E402


def _train_targets(tree: Path, weight: float) -> tdata.TrainSet:
    cfg = load_config(None, {"data": str(tree), "fer2013_weight": weight})
    return tdata.training_set(cfg, tdata.open_split(cfg, "train"), np.random.default_rng(0))


def test_mixed_targets_move_each_face_toward_its_fer2013_label(ferplus_tree: Path) -> None:
    _write_fer2013_labels(ferplus_tree)
    votes = _train_targets(ferplus_tree, 0.0).targets
    mixed = _train_targets(ferplus_tree, 0.4).targets
    # the tiny tree's FER2013 words follow the pattern classes neutral, happiness, sadness
    label = np.asarray(
        [EMOTIONS.index(("neutral", "happiness", "sadness")[i % 3]) for i in range(len(votes))]
    )
    expected = 0.6 * votes
    expected[np.arange(len(votes)), label] += 0.4
    np.testing.assert_allclose(mixed, expected, atol=1e-6)
    np.testing.assert_allclose(mixed.sum(axis=1), 1.0, atol=1e-6)


def test_a_face_without_a_fer2013_label_keeps_its_votes(ferplus_tree: Path) -> None:
    _write_fer2013_labels(ferplus_tree)
    csv = ferplus_tree / "fer2013_labels.csv"
    lines = csv.read_text().splitlines()
    csv.write_text("\n".join(line for line in lines if not line.startswith("fer0000000.png,Training")) + "\n")
    votes = _train_targets(ferplus_tree, 0.0).targets
    mixed = _train_targets(ferplus_tree, 0.5).targets
    np.testing.assert_allclose(mixed[0], votes[0])
    assert not np.allclose(mixed[1], votes[1])


def test_mixing_without_the_labels_file_says_what_is_missing(ferplus_tree: Path) -> None:
    with pytest.raises(Exception, match=r"fer2013_labels\.csv"):
        _train_targets(ferplus_tree, 0.3)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"fer2013_weight": 1.5}, "fer2013_weight must be in"),  # more than all of the target
        ({"fer2013_weight": 0.3, "targets": "majority"}, "needs labels: ferplus and targets: votes"),
        ({"augment": {"blur_p": 2.0}}, "augment.blur_p must be in"),  # a share above 1
        ({"augment": {"noise_std": -0.1}}, "noise_std >= 0"),  # negative noise
    ],
)
def test_bad_mixing_and_photometric_settings(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(None, overrides)


def _sharpness(x: torch.Tensor) -> float:
    """Mean squared difference of neighbouring pixels: what blur takes away."""
    return float(((x[..., 1:, :] - x[..., :-1, :]) ** 2).mean() + ((x[..., 1:] - x[..., :-1]) ** 2).mean())


def _still(**kw: float) -> AugmentConfig:
    """No geometric or light change: only what ``kw`` switches on."""
    return AugmentConfig(
        rotate_deg=0, scale=0, shift=0, hflip=False, brightness=0, contrast=0, erase_p=0, **kw
    )


def test_blur_softens_the_faces_it_picks_and_leaves_the_others() -> None:
    x = torch.rand(32, 1, 48, 48)
    plain = augment(x, _still(), torch.Generator().manual_seed(0))
    blurred = augment(x, _still(blur_p=1.0, blur_sigma=1.2), torch.Generator().manual_seed(0))
    some = augment(x, _still(blur_p=0.5, blur_sigma=1.2), torch.Generator().manual_seed(0))
    assert blurred.shape == x.shape and float(blurred.min()) >= 0 and float(blurred.max()) <= 1
    assert _sharpness(blurred) < 0.6 * _sharpness(plain)
    # the mean brightness of each face is kept
    torch.testing.assert_close(blurred.mean(dim=(1, 2, 3)), plain.mean(dim=(1, 2, 3)), atol=0.02, rtol=0)
    untouched = torch.isclose(some, plain, atol=1e-6).flatten(1).all(1)
    assert 4 < int(untouched.sum()) < 28


def test_noise_adds_grain_around_the_same_face() -> None:
    x = torch.full((16, 1, 48, 48), 0.5)
    noisy = augment(x, _still(noise_std=0.05), torch.Generator().manual_seed(1))
    spread = noisy.flatten(1).std(dim=1)
    assert float(spread.max()) > 0.01 and float(spread.max()) < 0.06
    assert abs(float(noisy.mean()) - 0.5) < 0.01

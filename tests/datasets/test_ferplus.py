"""FER+ reader: vote distributions, majority labels, and clear errors on broken trees."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moodtune.datasets import open_dataset, open_ferplus
from moodtune.datasets.ferplus import vote_targets
from moodtune.emotions import EMOTIONS
from moodtune.errors import DatasetError, UsageError


def test_votes_become_distributions_and_majority_labels() -> None:
    votes = np.array(
        [
            [4, 0, 0, 1, 3, 2, 0, 0, 0, 0],  # neutral 4/10: no majority
            [6, 0, 1, 1, 0, 0, 0, 0, 2, 0],  # neutral 6/8 of emotion votes: majority (unknown ignored)
            [0, 0, 0, 0, 0, 0, 0, 0, 3, 7],  # no emotion vote: dropped
            [0, 5, 5, 0, 0, 0, 0, 0, 0, 0],  # tie: no majority
        ],
        dtype=np.float32,
    )
    keep, shares, majority = vote_targets(votes)
    assert keep.tolist() == [True, True, False, True]
    np.testing.assert_allclose(shares[1], [0.75, 0, 0.125, 0.125, 0, 0, 0, 0])
    assert majority[keep].tolist() == [-1, EMOTIONS.index("neutral"), -1]


def test_reads_microsoft_layout(ferplus_tree: Path) -> None:
    test = open_ferplus(ferplus_tree, "test")
    assert len(test) == 32
    assert len(test.labelled) == 32 - 32 // 5  # every fifth image is a 5/5 tie
    assert test.targets.shape == (32, 8)
    np.testing.assert_allclose(test.targets.sum(axis=1), 1.0, rtol=1e-6)
    images, rows = next(test.iter_batches(8, 48))
    assert images.shape == (8, 48, 48) and images.dtype == np.uint8
    assert rows.tolist() == list(range(8))


def test_batches_resize_to_requested_size(ferplus_tree: Path) -> None:
    images, _ = next(open_ferplus(ferplus_tree, "valid").iter_batches(4, 64))
    assert images.shape == (4, 64, 64)


def test_spec_string_opens_each_split(ferplus_tree: Path) -> None:
    assert len(open_dataset(f"ferplus:{ferplus_tree}", "train")) == 96
    assert open_dataset(f"ferplus:{ferplus_tree}", "valid").name == "ferplus:valid"


def _break_label(tree: Path, text: str) -> None:
    (tree / "FER2013Test" / "label.csv").write_text(text)


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        # a label row with too few columns
        (lambda t: _break_label(t, 'fer0000000.png,"(0, 0, 48, 48)",1,2,3\n'), "expected 12 columns"),
        # votes that are not integers
        (lambda t: _break_label(t, 'fer0000000.png,"(0, 0, 48, 48)",a,0,0,0,0,0,0,0,0,0\n'), "integers"),
        # an empty label file
        (lambda t: _break_label(t, ""), "empty"),
        # label.csv names an image that is not there
        (lambda t: (t / "FER2013Test" / "fer0000003.png").unlink(), "missing"),
        # the split folder is gone
        (lambda t: __import__("shutil").rmtree(t / "FER2013Test"), "split folder not found"),
        # label.csv is gone
        (lambda t: (t / "FER2013Test" / "label.csv").unlink(), "label file not found"),
    ],
)
def test_broken_trees_give_clear_errors(ferplus_tree: Path, breakage, message: str) -> None:
    breakage(ferplus_tree)
    with pytest.raises(DatasetError, match=message):
        open_ferplus(ferplus_tree, "test")


def test_missing_root_and_bad_spec(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="not found"):
        open_ferplus(tmp_path / "nowhere", "test")
    with pytest.raises(UsageError, match="KIND:DIR"):
        open_dataset("imagenet:/data")


def test_unreadable_image_names_the_file(ferplus_tree: Path) -> None:
    bad = ferplus_tree / "FER2013Test" / "fer0000000.png"
    bad.write_bytes(b"not a png")
    test = open_ferplus(ferplus_tree, "test")
    with pytest.raises(DatasetError, match=r"fer0000000\.png"):
        next(test.iter_batches(4, 48))


@pytest.mark.data
def test_real_ferplus_majority_counts(real_ferplus: Path) -> None:
    assert len(open_ferplus(real_ferplus, "test").labelled) == 3064
    assert len(open_ferplus(real_ferplus, "valid").labelled) == 3067


def test_pack_reads_like_the_folder_tree(ferplus_tree: Path, tmp_path: Path) -> None:
    from moodtune.datasets.packed import pack_ferplus

    rows = ["image,usage,fer2013_label"] + [f"fer{i:07d}.png,PrivateTest,happy" for i in range(5)]
    (ferplus_tree / "fer2013_labels.csv").write_text("\n".join(rows) + "\n")
    pack = pack_ferplus(ferplus_tree, tmp_path / "p" / "ferplus.npz")
    for split in ("train", "valid", "test"):
        tree, packed = open_ferplus(ferplus_tree, split), open_ferplus(pack, split)
        np.testing.assert_array_equal(tree.labels, packed.labels)
        np.testing.assert_array_equal(tree.targets, packed.targets)
        a, _ = next(tree.iter_batches(8, 64))
        b, _ = next(packed.iter_batches(8, 64))
        np.testing.assert_array_equal(a, b)
    fer = open_dataset(f"fer2013:{pack}", "test")
    assert len(fer) == 5 and set(fer.labels.tolist()) == {fer.classes.index("happiness")}


def test_not_a_pack_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "x.npz"
    np.savez(bad, a=np.zeros(3))
    with pytest.raises(DatasetError, match="not a moodtune pack"):
        open_ferplus(bad, "test")
    with pytest.raises(DatasetError, match="moodtune pack"):
        open_ferplus(tmp_path / "none.npz", "test")


def test_a_pack_for_the_device_holds_the_chosen_splits_with_lossy_training_faces(
    ferplus_tree: Path, tmp_path: Path
) -> None:
    """--splits train,valid --train-jpeg 90: training faces come back close to the originals
    (JPEG), Valid exactly (lossless), and asking for Test names the command that packs it."""
    from moodtune.datasets.packed import pack_ferplus

    pack = pack_ferplus(ferplus_tree, tmp_path / "gpu.npz", splits=("train", "valid"), train_jpeg_quality=90)
    tree, packed = open_ferplus(ferplus_tree, "train"), open_ferplus(pack, "train")
    np.testing.assert_array_equal(tree.targets, packed.targets)
    a, _ = next(tree.iter_batches(64, 48))
    b, _ = next(packed.iter_batches(64, 48))
    err = np.abs(a.astype(int) - b.astype(int))
    assert 0 < err.mean() < 12 and np.corrcoef(a.ravel(), b.ravel())[0, 1] > 0.95
    a, _ = next(open_ferplus(ferplus_tree, "valid").iter_batches(64, 48))
    b, _ = next(open_ferplus(pack, "valid").iter_batches(64, 48))
    np.testing.assert_array_equal(a, b)
    with pytest.raises(DatasetError, match=r"holds no test split .*--splits test,train,valid"):
        open_ferplus(pack, "test")


def test_a_pack_of_raw_pixel_arrays_still_reads(ferplus_tree: Path, tmp_path: Path) -> None:
    """Packs written before faces were stored encoded held raw arrays under SPLIT_images."""
    from moodtune.datasets.packed import _load, pack_ferplus

    pack = pack_ferplus(ferplus_tree, tmp_path / "new.npz")
    with np.load(pack) as z:
        arrays = {k: z[k] for k in z.files if not k.endswith(("_encoded", "_offsets"))}
    arrays["test_images"] = _load(pack, "test")["images"]
    with pytest.raises(DatasetError, match="lacks"):
        open_ferplus(_save(tmp_path / "half.npz", arrays), "valid")
    for split in ("train", "valid"):
        arrays[f"{split}_images"] = _load(pack, split)["images"]
    old = _save(tmp_path / "old.npz", arrays)
    np.testing.assert_array_equal(open_ferplus(old, "test").labels, open_ferplus(pack, "test").labels)
    a, _ = next(open_ferplus(old, "test").iter_batches(8, 48))
    b, _ = next(open_ferplus(ferplus_tree, "test").iter_batches(8, 48))
    np.testing.assert_array_equal(a, b)


def _save(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    np.savez_compressed(path, **arrays)  # type: ignore[arg-type]
    return path


def test_a_damaged_pack_and_bad_pack_options_are_reported(ferplus_tree: Path, tmp_path: Path) -> None:
    from moodtune.datasets.packed import pack_ferplus

    pack = pack_ferplus(ferplus_tree, tmp_path / "p.npz", splits=("valid",))
    with np.load(pack) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["valid_encoded"] = arrays["valid_encoded"].copy()
    arrays["valid_encoded"][:200] = 0  # the first face's PNG header and data
    with pytest.raises(DatasetError, match=r"damaged: face 0 does not decode\. Make the pack again"):
        open_ferplus(_save(tmp_path / "bad.npz", arrays), "valid")
    with pytest.raises(DatasetError, match="splits must be some of train, valid, test"):
        pack_ferplus(ferplus_tree, tmp_path / "x.npz", splits=("training",))  # type: ignore[arg-type]
    with pytest.raises(DatasetError, match=r"JPEG quality must be 50\.\.100"):
        pack_ferplus(ferplus_tree, tmp_path / "x.npz", train_jpeg_quality=20)


def test_a_packed_face_keeps_its_file_name(ferplus_tree: Path, tmp_path: Path) -> None:
    from moodtune.datasets.packed import pack_ferplus

    pack = pack_ferplus(ferplus_tree, tmp_path / "p.npz", splits=("test",))
    assert [p.name for p in open_ferplus(pack, "test").paths] == [
        p.name for p in open_ferplus(ferplus_tree, "test").paths
    ]

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

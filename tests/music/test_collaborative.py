"""The collaborative recommender contract (after implicit's test suite): on a checkerboard data set
the held-out item ranks first, similar items come from the same half, save/load round-trips, and
the same matrix gives the same results. Every implementation passes it; bad input is rejected."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import sparse

from moodtune.errors import ModelError, UsageError
from moodtune.music.collaborative import ALSRecommender, CollaborativeRecommender, ItemCosineRecommender

USERS, ITEMS = 20, 20
HALF = ITEMS // 2


def group(user: int) -> range:
    """The half of the items a user likes: the first ten users like items 0-9, the rest 10-19."""
    return range(HALF) if user < USERS // 2 else range(HALF, ITEMS)


def held_out(user: int) -> int:
    """Each user's one liked item that the matrix leaves out."""
    return group(user)[user % HALF]


def checkerboard() -> sparse.csr_matrix:
    dense = np.zeros((USERS, ITEMS), dtype=np.float32)
    for u in range(USERS):
        for i in group(u):
            if i != held_out(u):
                dense[u, i] = 1.0 + (u + i) % 3  # uneven confidences, as event weights would give
    return sparse.csr_matrix(dense)


class CollaborativeContract:
    """Every collaborative recommender must pass these; subclass and define ``make``."""

    def make(self) -> CollaborativeRecommender:
        raise NotImplementedError

    def fitted(self) -> CollaborativeRecommender:
        return self.make().fit(checkerboard())

    def test_the_held_out_item_ranks_first_among_unseen_items(self) -> None:
        model = self.fitted()
        for u in range(USERS):
            items, scores = model.recommend(u, n=5)
            assert items[0] == held_out(u), (u, items, scores)
            assert isinstance(items, np.ndarray) and isinstance(scores, np.ndarray)
            assert len(items) == len(scores) == 5
            assert list(scores) == sorted(scores, reverse=True)
            assert set(items[1:]).isdisjoint(group(u))  # everything else in the user's half is seen

    def test_seen_items_come_back_only_when_asked(self) -> None:
        model = self.fitted()
        seen = set(checkerboard()[0].indices)
        items, _ = model.recommend(0, n=ITEMS, exclude_seen=False)
        assert len(items) == ITEMS and seen < set(items)
        items, _ = model.recommend(0, n=ITEMS)
        assert len(items) == ITEMS - len(seen) and seen.isdisjoint(items)

    @pytest.mark.parametrize("item", [0, 7, HALF, ITEMS - 1])
    def test_similar_items_come_from_the_same_half_and_never_the_item_itself(self, item: int) -> None:
        items, scores = self.fitted().similar_items(item, n=3)
        same = range(HALF) if item < HALF else range(HALF, ITEMS)
        assert item not in items
        assert items[0] in same, (items, scores)
        assert list(scores) == sorted(scores, reverse=True)

    def test_a_user_given_by_their_row_gets_the_held_out_item_first(self) -> None:
        # recommend_row serves a user the fit never saw, or whose feedback changed since
        matrix = checkerboard()
        model = self.make().fit(matrix[2:])  # users 0 and 1 left out of the fit
        for u in (0, 1):
            items, scores = model.recommend_row(matrix[u], n=5)
            assert items[0] == held_out(u), (u, items, scores)
            assert set(items).isdisjoint(matrix[u].indices)
            assert list(scores) == sorted(scores, reverse=True)
        items, _ = model.recommend_row(matrix[0].toarray(), n=ITEMS, exclude_seen=False)  # dense works too
        assert len(items) == ITEMS

    def test_a_fitted_users_own_row_ranks_like_the_user(self) -> None:
        model = self.fitted()
        for u in range(USERS):
            assert model.recommend_row(checkerboard()[u], n=3)[0][0] == model.recommend(u, n=3)[0][0]

    @pytest.mark.parametrize(
        ("row", "message"),
        [
            (np.ones((2, ITEMS)), r"one user's row of shape \(1, 20\), but got shape \(2, 20\)"),
            (np.ones((1, ITEMS + 1)), "one user's row of shape"),
            (-np.ones((1, ITEMS)), "confidences >= 0"),
            ("row", "recommend_row needs a"),
        ],
    )
    def test_a_bad_row_is_rejected(self, row: Any, message: str) -> None:
        with pytest.raises(UsageError, match=message):
            self.fitted().recommend_row(row, 3)

    def test_save_and_load_give_identical_results(self, tmp_path: Path) -> None:
        model = self.fitted()
        path = model.save(tmp_path / "model")
        assert path.suffix == ".npz"
        again = type(model).load(path)
        assert type(again) is type(model)
        assert CollaborativeRecommender.load(tmp_path / "model").shape == (USERS, ITEMS)
        for u in (0, 13):
            np.testing.assert_array_equal(model.recommend(u, 8)[0], again.recommend(u, 8)[0])
            np.testing.assert_allclose(model.recommend(u, 8)[1], again.recommend(u, 8)[1])
        np.testing.assert_array_equal(model.similar_items(3, 5)[0], again.similar_items(3, 5)[0])
        row = checkerboard()[5]
        np.testing.assert_array_equal(model.recommend_row(row, 8)[0], again.recommend_row(row, 8)[0])
        np.testing.assert_allclose(model.recommend_row(row, 8)[1], again.recommend_row(row, 8)[1])

    def test_the_same_matrix_gives_the_same_results(self) -> None:
        a, b = self.fitted(), self.fitted()
        for u in range(USERS):
            np.testing.assert_array_equal(a.recommend(u, 6)[0], b.recommend(u, 6)[0])
            np.testing.assert_array_equal(a.recommend(u, 6)[1], b.recommend(u, 6)[1])

    def test_a_dense_array_fits_like_the_sparse_matrix(self) -> None:
        dense = self.make().fit(checkerboard().toarray())
        np.testing.assert_array_equal(dense.recommend(4, 5)[0], self.fitted().recommend(4, 5)[0])

    @pytest.mark.parametrize(
        ("matrix", "message"),
        [
            (np.array([[1.0, -1.0]]), "confidences >= 0"),
            (np.array([[1.0, np.nan]]), "confidences >= 0"),
            (np.zeros((0, 3)), "non-empty 2-D"),
            (np.ones(3), "non-empty 2-D"),
            ("matrix", "scipy.sparse matrix or numpy array"),
        ],
    )
    def test_a_bad_matrix_is_rejected(self, matrix: Any, message: str) -> None:
        with pytest.raises(UsageError, match=message):
            self.make().fit(matrix)

    @pytest.mark.parametrize(
        ("call", "message"),
        [
            (lambda m: m.recommend(USERS, 3), "user_index must be a whole number from 0 to 19"),
            (lambda m: m.recommend(-1, 3), "user_index"),
            (lambda m: m.recommend(0, 0), "n must be a positive whole number"),
            (lambda m: m.similar_items(ITEMS, 3), "item_index must be a whole number from 0 to 19"),
            (lambda m: m.similar_items(True, 3), "item_index"),
        ],
    )
    def test_bad_indices_are_rejected(self, call: Any, message: str) -> None:
        with pytest.raises(UsageError, match=message):
            call(self.fitted())

    def test_an_unfitted_model_says_to_fit_first(self) -> None:
        with pytest.raises(UsageError, match="not fitted yet"):
            self.make().recommend(0, 3)


class TestALSRecommender(CollaborativeContract):
    def make(self) -> CollaborativeRecommender:
        return ALSRecommender()


class TestItemCosineRecommender(CollaborativeContract):
    def make(self) -> CollaborativeRecommender:
        return ItemCosineRecommender()


def test_another_seed_gives_other_als_factors() -> None:
    a = ALSRecommender(random_state=0).fit(checkerboard())
    b = ALSRecommender(random_state=1).fit(checkerboard())
    assert isinstance(a, ALSRecommender) and isinstance(b, ALSRecommender)
    assert not np.allclose(a.item_factors, b.item_factors)


def test_loading_a_model_of_another_kind_or_no_model_fails_clearly(tmp_path: Path) -> None:
    path = ItemCosineRecommender().fit(checkerboard()).save(tmp_path / "cosine.npz")
    with pytest.raises(ModelError, match="holds a ItemCosineRecommender, not a ALSRecommender"):
        ALSRecommender.load(path)
    with pytest.raises(ModelError, match="no collaborative model file"):
        CollaborativeRecommender.load(tmp_path / "missing.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="not a collaborative model file"):
        CollaborativeRecommender.load(tmp_path / "junk.npz")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"factors": 0}, "factors must be a whole number >= 1"),
        ({"iterations": 1.5}, "iterations must be a whole number"),
        ({"alpha": -1.0}, "alpha must be >= 0"),
        ({"regularization": float("inf")}, "regularization must be a finite number"),
    ],
)
def test_bad_als_settings_are_rejected(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        ALSRecommender(**kwargs)

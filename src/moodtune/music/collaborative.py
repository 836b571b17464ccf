"""Collaborative filtering: a small recommender interface over a listeners x songs feedback matrix.

The interface follows the ``implicit`` library (B. Frederickson, github.com/benfred/implicit): one
abstract base with ``fit``, ``recommend``, ``similar_items``, ``save`` and ``load``, results always
``(item_indices, scores)`` arrays, best first, and one contract test every implementation passes
(``tests/music/test_collaborative.py``: on a checkerboard data set the held-out item ranks first).
``recommend_row`` recommends for a user given by their feedback row instead of their index: a user
who was not in the fitted matrix, or whose feedback changed after the fit, is served by the same
model without fitting it again.

``fit`` takes a sparse ``(users, items)`` matrix of non-negative confidences (0 = no feedback).
Two implementations:

* ``ALSRecommender``: matrix factorisation for implicit feedback (Y. Hu, Y. Koren & C. Volinsky,
  "Collaborative filtering for implicit feedback datasets", ICDM 2008), fitted by ``implicit``'s
  ``implicit.cpu.als.AlternatingLeastSquares`` with one thread and a fixed ``random_state``, so the
  same matrix gives the same factors. A cell r > 0 means preference 1 with confidence ``1 + alpha r``.
  Scores are what implicit scores with: the dot product of user and item factors for
  ``recommend``, the cosine of item factors for ``similar_items``. For ``recommend_row`` the user's
  factors are solved from the row against the fitted item factors (implicit's
  ``recalculate_user``, the exact least-squares step of a fit), so no fit is needed.
* ``ItemCosineRecommender``: item-item collaborative filtering (B. Sarwar et al., "Item-based
  collaborative filtering recommendation algorithms", WWW 2001) with cosine similarity between the
  items' columns; a user's score for an item is the sum of its similarities to the user's items,
  weighted by the user's confidences. numpy and scipy only; a baseline and a second implementer.

Ties are broken by the lower item index, so results are deterministic. ``save`` writes one ``.npz``
file (no pickle) holding the kind, the fitted matrix and the model's arrays; ``load`` reads it back
and gives identical results.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
from scipy import sparse

from moodtune.errors import ModelError, UsageError

__all__ = ["ALSRecommender", "CollaborativeRecommender", "ItemCosineRecommender", "as_matrix"]

_FORMAT = 1


def as_matrix(matrix: Any, what: str = "fit") -> sparse.csr_matrix:
    """A ``(users, items)`` float32 CSR matrix of finite, non-negative confidences, or ``UsageError``
    (whose message says that ``what`` needed it)."""
    if isinstance(matrix, np.ndarray | list):
        matrix = np.asarray(matrix, dtype=np.float64)
    if not (sparse.issparse(matrix) or isinstance(matrix, np.ndarray)):
        raise UsageError(
            f"{what} needs a (users, items) scipy.sparse matrix or numpy array, "
            f"but got {type(matrix).__name__}"
        )
    if matrix.ndim != 2 or 0 in matrix.shape:
        raise UsageError(f"{what} needs a non-empty 2-D (users, items) matrix, but got shape {matrix.shape}")
    csr = sparse.csr_matrix(matrix, dtype=np.float32)
    csr.eliminate_zeros()
    if not np.isfinite(csr.data).all() or (csr.data < 0).any():
        raise UsageError(
            "the feedback matrix must hold finite confidences >= 0 (0 = no feedback); put dislikes in "
            "the content profile (moodtune.music.taste) rather than the matrix"
        )
    csr.sort_indices()
    return csr


def _top(scores: np.ndarray, n: int, excluded: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The ``n`` best items, best first, ties to the lower index; excluded items never appear."""
    candidates = np.arange(len(scores))
    if excluded is not None and len(excluded):
        keep = np.ones(len(scores), dtype=bool)
        keep[excluded] = False
        candidates = candidates[keep]
    values = scores[candidates]
    if n < len(values):  # only those at or above the n-th best value can be among the n best
        nth = np.partition(values, len(values) - n)[len(values) - n]
        if not np.isnan(nth):
            shortlist = values >= nth
            candidates, values = candidates[shortlist], values[shortlist]
    order = np.lexsort((candidates, -values))[:n]
    return candidates[order].astype(np.int64), values[order].astype(np.float32)


def _check_index(value: Any, size: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 0 <= value < size:
        raise UsageError(f"{what} must be a whole number from 0 to {size - 1}, but got {value!r}")
    return int(value)


def _check_n(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise UsageError(f"n must be a positive whole number, but got {n!r}")
    return int(n)


class CollaborativeRecommender(ABC):
    """Recommends items to users from a feedback matrix; see the module docstring.

    Subclasses implement ``_fit``, ``_user_scores``, ``_row_scores``, ``_item_scores``, ``_arrays``
    and ``_restore``; the base validates input, excludes, sorts, saves and loads.
    """

    kind: ClassVar[str] = ""
    _kinds: ClassVar[dict[str, type[CollaborativeRecommender]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            CollaborativeRecommender._kinds[cls.kind] = cls

    def __init__(self) -> None:
        self._matrix: sparse.csr_matrix | None = None

    @property
    def matrix(self) -> sparse.csr_matrix:
        """The fitted ``(users, items)`` matrix; ``UsageError`` before ``fit``."""
        if self._matrix is None:
            raise UsageError(f"{type(self).__name__} is not fitted yet: call fit(matrix) or load(path) first")
        return self._matrix

    @property
    def shape(self) -> tuple[int, int]:
        """``(users, items)`` of the fitted matrix."""
        rows, cols = self.matrix.shape
        return int(rows), int(cols)

    def fit(self, matrix: Any) -> Self:
        """Fit on a ``(users, items)`` matrix of confidences >= 0 (sparse or dense); returns self."""
        self._matrix = as_matrix(matrix)
        self._fit(self._matrix)
        return self

    def recommend(
        self, user_index: int, n: int = 10, exclude_seen: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``n`` best items for a user as ``(item_indices, scores)``, best first; with
        ``exclude_seen`` the items the user has feedback on are left out."""
        users, _ = self.shape
        user = _check_index(user_index, users, "user_index")
        n = _check_n(n)
        row = self.matrix[user]
        return _top(self._user_scores(user), n, row.indices if exclude_seen else None)

    def recommend_row(
        self, row: Any, n: int = 10, exclude_seen: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``n`` best items for a user given by their feedback row (``(1, items)``, confidences
        >= 0, as a row of the fitted matrix) as ``(item_indices, scores)``, best first; with
        ``exclude_seen`` the row's items are left out. The model is not changed."""
        _, items = self.shape
        given = as_matrix(row, "recommend_row")
        if given.shape != (1, items):
            raise UsageError(
                f"recommend_row needs one user's row of shape (1, {items}), but got shape {given.shape}"
            )
        n = _check_n(n)
        return _top(self._row_scores(given), n, given.indices if exclude_seen else None)

    def similar_items(self, item_index: int, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """The ``n`` items most like ``item_index`` as ``(item_indices, scores)``, best first, the
        item itself left out."""
        _, items = self.shape
        item = _check_index(item_index, items, "item_index")
        n = _check_n(n)
        return _top(self._item_scores(item), n, np.array([item]))

    def save(self, path: Path | str) -> Path:
        """Write the fitted model to one ``.npz`` file (the suffix is added when missing)."""
        m = self.matrix
        out = Path(path)
        if out.suffix != ".npz":
            out = out.with_name(out.name + ".npz")
        out.parent.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, Any] = {
            "format": np.int64(_FORMAT),
            "kind": np.str_(self.kind),
            "shape": np.asarray(m.shape, dtype=np.int64),
            "data": m.data,
            "indices": m.indices,
            "indptr": m.indptr,
        }
        arrays.update({f"model_{k}": np.asarray(v) for k, v in self._arrays().items()})
        np.savez(out, allow_pickle=False, **arrays)
        return out

    @classmethod
    def load(cls, path: Path | str) -> CollaborativeRecommender:
        """Read a model written by ``save``; ``ModelError`` when the file is missing, of another
        kind than the class asked, or not a model file."""
        source = Path(path)
        if not source.exists() and source.suffix != ".npz":
            source = source.with_name(source.name + ".npz")
        if not source.is_file():
            raise ModelError(f"no collaborative model file at {source}; write one with save(path) first")
        try:
            with np.load(source, allow_pickle=False) as data:
                stored = {k: data[k] for k in data.files}
        except (OSError, ValueError) as exc:
            raise ModelError(f"{source} is not a collaborative model file (.npz from save): {exc}") from exc
        kind = str(stored.get("kind", ""))
        target = CollaborativeRecommender._kinds.get(kind)
        if target is None or int(stored.get("format", -1)) != _FORMAT:
            raise ModelError(
                f"{source} holds no collaborative model this version can read (kind {kind!r}); "
                f"expected one of {sorted(CollaborativeRecommender._kinds)} in format {_FORMAT}"
            )
        if not issubclass(target, cls):
            raise ModelError(f"{source} holds a {target.__name__}, not a {cls.__name__}; load it with that")
        model = target.__new__(target)
        CollaborativeRecommender.__init__(model)
        shape = tuple(int(x) for x in stored["shape"])
        model._matrix = sparse.csr_matrix((stored["data"], stored["indices"], stored["indptr"]), shape=shape)
        model._restore({k[len("model_") :]: v for k, v in stored.items() if k.startswith("model_")})
        return model

    @abstractmethod
    def _fit(self, matrix: sparse.csr_matrix) -> None:
        """Learn from the validated matrix."""

    @abstractmethod
    def _user_scores(self, user: int) -> np.ndarray:
        """One score per item for this user."""

    @abstractmethod
    def _row_scores(self, row: sparse.csr_matrix) -> np.ndarray:
        """One score per item for a user with this validated ``(1, items)`` feedback row."""

    @abstractmethod
    def _item_scores(self, item: int) -> np.ndarray:
        """One similarity per item to this item."""

    @abstractmethod
    def _arrays(self) -> dict[str, Any]:
        """What ``save`` must keep besides the matrix (numbers and arrays only)."""

    @abstractmethod
    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        """Set the model back from ``_arrays``'s output."""


class ALSRecommender(CollaborativeRecommender):
    """Implicit-feedback ALS (Hu, Koren & Volinsky 2008) fitted by ``implicit``; see the module
    docstring.

    Defaults are for a small, young feedback matrix (few listeners, few events each), not tuned on
    data we do not have yet: 8 factors, regularisation 1.0, confidence ``1 + r`` (``alpha`` 1, as
    implicit; Hu et al. found 40 best for TV watching counts, far larger than our event weights),
    15 sweeps. ``factors`` is capped at the smaller side of the matrix. On the contract's
    checkerboard (20 x 20, rank 2) every setting with 8 factors and regularisation 0.1 or more, or
    2-4 factors, ranks every held-out item first; 16 factors with regularisation 0.05 misses 5 of 20
    (it fits noise), hence the strong regularisation for sparse feedback.
    """

    kind = "als"

    def __init__(
        self,
        factors: int = 8,
        regularization: float = 1.0,
        alpha: float = 1.0,
        iterations: int = 15,
        random_state: int = 0,
    ) -> None:
        super().__init__()
        for name, value, low in (("factors", factors, 1), ("iterations", iterations, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise UsageError(f"{name} must be a whole number >= {low}, but got {value!r}")
        for name, number in (("regularization", regularization), ("alpha", alpha)):
            if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
                raise UsageError(f"{name} must be a finite number, but got {number!r}")
            if number < 0:
                raise UsageError(f"{name} must be >= 0, but got {number!r}")
        self.factors, self.regularization, self.alpha = factors, float(regularization), float(alpha)
        self.iterations, self.random_state = iterations, int(random_state)
        self.user_factors = np.zeros((0, 0), dtype=np.float32)
        self.item_factors = np.zeros((0, 0), dtype=np.float32)
        self._solver: Any = None  # implicit's model holding item_factors, for recommend_row

    def _implicit(self, factors: int) -> Any:
        """An implicit ALS model with these settings (made with one BLAS thread: implicit warns,
        and slows down, when BLAS threads compete with its own)."""
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return AlternatingLeastSquares(
                factors=factors,
                regularization=self.regularization,
                alpha=self.alpha,
                iterations=self.iterations,
                num_threads=1,
                random_state=self.random_state,
            )

    def _fit(self, matrix: sparse.csr_matrix) -> None:
        from threadpoolctl import threadpool_limits

        model = self._implicit(min(self.factors, *matrix.shape))
        with threadpool_limits(limits=1, user_api="blas"):
            model.fit(matrix, show_progress=False)
        self.user_factors = np.asarray(model.user_factors, dtype=np.float32)
        self.item_factors = np.asarray(model.item_factors, dtype=np.float32)
        self._solver = model  # holds these item factors: recommend_row needs no setup

    def _user_scores(self, user: int) -> np.ndarray:
        return np.asarray(self.item_factors @ self.user_factors[user], dtype=np.float64)

    def _row_scores(self, row: sparse.csr_matrix) -> np.ndarray:
        solver = self._solver
        if solver is None:  # a loaded model; two threads may both make one: equal models
            solver = self._implicit(self.item_factors.shape[1])
            solver.item_factors = self.item_factors
            self._solver = solver
        factors = solver.recalculate_user(0, row)
        return np.asarray(self.item_factors @ factors, dtype=np.float64)

    def _item_scores(self, item: int) -> np.ndarray:
        norms = np.linalg.norm(self.item_factors, axis=1)
        norms[norms == 0] = 1.0
        unit = self.item_factors / norms[:, None]
        return np.asarray(unit @ unit[item], dtype=np.float64)

    def _arrays(self) -> dict[str, Any]:
        return {
            "user_factors": self.user_factors,
            "item_factors": self.item_factors,
            "params": np.array([self.factors, self.regularization, self.alpha, self.iterations]),
            "random_state": np.int64(self.random_state),
        }

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        self.user_factors = arrays["user_factors"].astype(np.float32)
        self.item_factors = arrays["item_factors"].astype(np.float32)
        factors, regularization, alpha, iterations = (float(x) for x in arrays["params"])
        self.factors, self.regularization, self.alpha = int(factors), regularization, alpha
        self.iterations, self.random_state = int(iterations), int(arrays["random_state"])
        self._solver = None


class ItemCosineRecommender(CollaborativeRecommender):
    """Item-item cosine similarity (Sarwar et al. 2001); see the module docstring."""

    kind = "item_cosine"

    def __init__(self) -> None:
        super().__init__()
        self.similarity = np.zeros((0, 0), dtype=np.float32)

    def _fit(self, matrix: sparse.csr_matrix) -> None:
        columns = matrix.tocsc().astype(np.float64)
        norms = np.sqrt(np.asarray(columns.multiply(columns).sum(axis=0))).ravel()
        norms[norms == 0] = 1.0
        unit = columns @ sparse.diags(1.0 / norms)
        self.similarity = np.asarray((unit.T @ unit).toarray(), dtype=np.float32)

    def _user_scores(self, user: int) -> np.ndarray:
        return self._row_scores(self.matrix[user])

    def _row_scores(self, row: sparse.csr_matrix) -> np.ndarray:
        return np.asarray(row.data @ self.similarity[row.indices], dtype=np.float64)

    def _item_scores(self, item: int) -> np.ndarray:
        return np.asarray(self.similarity[item], dtype=np.float64)

    def _arrays(self) -> dict[str, Any]:
        return {"similarity": self.similarity}

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        self.similarity = arrays["similarity"].astype(np.float32)

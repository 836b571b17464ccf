"""Audio features -> music mood (``moodspace.MUSIC_MOODS``) and a point in the valence/arousal space.

The model is a multinomial logistic regression on standardised Spotify audio features, fitted and
cross-validated on ``data_moods.csv``: 686 songs hand-labelled Happy 140 / Sad 197 / Calm 195 /
Energetic 154, with their Spotify audio features (github.com/cristobalvch/Spotify-Machine-Learning,
``data/data_moods.csv``; copied to ``../shared/data/music``, see its SOURCE.md). The feature
meanings are those of Spotify's Web API reference (``/audio-features``).

Inputs are the nine ``FEATURES``, all kept: dropping any one moves 5-fold accuracy by at most 1.6
points (mean of CV seeds 0-4), less than its fold-to-fold spread of 2-3 points; dropping valence,
speechiness, tempo or liveness costs nothing measurable, and valence is needed for ``position``
anyway. One engineered feature is appended, ``log10(instrumentalness + 0.001)``:
instrumentalness is 0 or nearly 0 for sung tracks and near 1 for instrumental ones, and the log
spreads the sung tracks' small values, which the raw scale squeezes together; it adds about half a
point of accuracy (mean of CV seeds 0-4: 80.5% -> 81.0%). Standardisation uses the training mean and
standard deviation. Missing values (NaN) at prediction time are replaced by the training medians
of their feature, which are stored with the model; infinite values are rejected.

Model choice, measured with the same stratified 5-fold CV (seed 0; ``scripts/fit_mood_model.py
--compare`` reproduces it): logistic regression on the 9 raw features 80.2%, with the engineered
feature 81.6% (shipped; 81.0% averaged over seeds 0-4), random forest (300 trees) 78.4%, histogram
gradient boosting 80.6%, RBF SVM 79.9%; the rule baseline ``music_mood_of_point(song_point(valence,
energy))`` 45.3%. The trees are no better, so the parameters fit in a small JSON file
(``data/mood_model.json``) and prediction is plain numpy. What limits accuracy is happy songs:
recall 58%, 42 of 140 predicted energetic; the two overlap in these features (both loud, energetic,
danceable), while calm (95%), energetic (84%) and sad (83%) separate well.

``position`` is ``moodspace.song_points(valence, energy)``, the song's measured valence and energy
and nothing else. A blend towards the class-conditional centroids (weighted by the predicted
probabilities) was measured and not kept: agreement of ``music_mood_of_point(position)`` with the
labels goes from 45.3% (no blend) to at most 49.7% (weight 0.75), because the labels and the
quadrant rule disagree on where moods sit: this data set's calm songs average (-0.70, -0.69),
inside the rule's *sad* quadrant, and its happy songs straddle the rule's energetic band. Use
``predict`` for a song's mood and ``position`` for distances to a listener.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from moodtune.errors import DatasetError, InvalidMoodInput, ModelError
from moodtune.moodspace import MUSIC_MOODS, music_mood_of_point, song_points

FEATURES: tuple[str, ...] = (
    "valence",
    "energy",
    "danceability",
    "acousticness",
    "instrumentalness",
    "speechiness",
    "loudness",
    "tempo",
    "liveness",
)
"""The audio features the model reads, in column order (Spotify Web API names and scales)."""

ENGINEERED: tuple[str, ...] = ("log10(instrumentalness + 0.001)",)
"""Features computed from ``FEATURES`` and appended after them (see the module docstring)."""

DEFAULT_MODEL_PATH = Path(__file__).resolve().parent / "data" / "mood_model.json"
DATA_SOURCE = (
    "data_moods.csv: 686 songs hand-labelled Happy/Sad/Calm/Energetic with Spotify audio features, "
    "github.com/cristobalvch/Spotify-Machine-Learning data/data_moods.csv (no licence stated)"
)
FORMAT = "moodtune.mood_model"
FORMAT_VERSION = 1

_VALENCE, _ENERGY, _INSTRUMENTALNESS = 0, 1, 4
_INSTRUMENTAL_FLOOR = 1e-3
# The keys ``to_dict`` writes itself; any other key of a model file is metadata kept in ``info``.
_FILE_KEYS = frozenset(
    {"format", "format_version", "model", "labels", "features", "engineered", "missing_values", "position"}
    | {"C", "medians", "mean", "scale", "coef", "intercept"}
)


def _features(X: np.ndarray | Sequence[Sequence[float]], *, allow_nan: bool) -> np.ndarray:
    """Check a feature matrix: 2D, ``len(FEATURES)`` columns, numbers; NaN only if ``allow_nan``."""
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidMoodInput(
            f"audio features must be numbers, but could not be read as floats: {exc}"
        ) from exc
    if arr.ndim != 2 or arr.shape[1] != len(FEATURES):
        raise InvalidMoodInput(
            f"audio features must be a 2D array with shape (_, {len(FEATURES)}), one column per "
            f"feature in the order {list(FEATURES)}, but got shape {arr.shape}"
        )
    bad = np.isinf(arr) if allow_nan else ~np.isfinite(arr)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        allowed = "NaN (missing) is allowed, infinity is not" if allow_nan else "NaN and infinity are not"
        raise InvalidMoodInput(
            f"audio features must be finite ({allowed}), but {int(bad.sum())} values are not "
            f"(first at row {row}, feature {FEATURES[col]!r}: {arr[row, col]!r})"
        )
    return arr


def _labels(y: Sequence[str], n: int) -> np.ndarray:
    """Mood names -> class indices into ``MUSIC_MOODS``; every mood must occur."""
    labels = list(y)
    if len(labels) != n:
        raise InvalidMoodInput(f"expected one mood label per row of features ({n}), but got {len(labels)}")
    unknown = sorted({str(lab) for lab in labels if lab not in MUSIC_MOODS})
    if unknown:
        raise InvalidMoodInput(
            f"mood labels must be among {list(MUSIC_MOODS)}, but got {unknown[:10]} "
            "(lower-case the data set's labels, e.g. 'Happy' -> 'happy')"
        )
    idx = np.array([MUSIC_MOODS.index(lab) for lab in labels], dtype=np.int64)
    missing = [m for i, m in enumerate(MUSIC_MOODS) if not np.any(idx == i)]
    if missing:
        raise InvalidMoodInput(f"every music mood needs training examples, but {missing} have none")
    return idx


def _engineer(raw: np.ndarray) -> np.ndarray:
    """The ``FEATURES`` columns followed by the ``ENGINEERED`` ones."""
    instr = np.clip(raw[:, _INSTRUMENTALNESS], 0.0, None)  # Spotify's range is [0, 1]
    return np.column_stack([raw, np.log10(instr + _INSTRUMENTAL_FLOOR)])


def _floats(values: Any, shape: tuple[int, ...], name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != shape or not np.all(np.isfinite(arr)):
        raise ModelError(
            f"mood model field {name!r} must hold finite numbers with shape {shape}, "
            f"but got shape {arr.shape}; regenerate it with scripts/fit_mood_model.py"
        )
    return arr


class MoodModel:
    """Multinomial logistic regression from ``FEATURES`` to ``MUSIC_MOODS``; see the module docstring.

    ``C`` is scikit-learn's inverse L2 regularisation strength (1.0, its default, was not tuned:
    5-fold accuracy moves by under a point for C between 0.3 and 10). After ``fit`` or ``load`` the
    model holds ``medians`` (per raw feature), ``mean``/``scale`` (per model input), ``coef``
    ``(4, n_inputs)`` and ``intercept`` ``(4,)``, rows in ``MUSIC_MOODS`` order, and ``info``: free
    metadata (data source, cross-validation figures) carried through ``save``/``load``.
    """

    def __init__(self, C: float = 1.0) -> None:
        if not (isinstance(C, (int, float)) and math.isfinite(C) and C > 0):
            raise InvalidMoodInput(f"C must be a positive number, but got {C!r}")
        self.C = float(C)
        self.medians: np.ndarray | None = None
        self.mean: np.ndarray | None = None
        self.scale: np.ndarray | None = None
        self.coef: np.ndarray | None = None
        self.intercept: np.ndarray | None = None
        self.info: dict[str, Any] = {}

    def fit(self, X: np.ndarray | Sequence[Sequence[float]], y: Sequence[str]) -> MoodModel:
        """Fit on ``(N, 9)`` finite features and N mood names from ``MUSIC_MOODS`` (each present)."""
        # scikit-learn (and scipy) load slowly; serving only predicts, so import them here.
        from sklearn.linear_model import LogisticRegression

        raw = _features(X, allow_nan=False)
        target = _labels(y, raw.shape[0])
        inputs = _engineer(raw)
        mean = inputs.mean(axis=0)
        scale = inputs.std(axis=0)
        scale[scale == 0] = 1.0  # a constant column carries no information; keep it at 0
        clf = LogisticRegression(C=self.C, max_iter=5000)
        clf.fit((inputs - mean) / scale, target)
        # Labels are indices into MUSIC_MOODS and all occur, so the rows come in MUSIC_MOODS order.
        self.medians = np.median(raw, axis=0)
        self.mean, self.scale = mean, scale
        self.coef = np.asarray(clf.coef_, dtype=np.float64)
        self.intercept = np.asarray(clf.intercept_, dtype=np.float64)
        return self

    def _fitted(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if (
            self.medians is None
            or self.mean is None
            or self.scale is None
            or self.coef is None
            or self.intercept is None
        ):
            raise ModelError("the mood model is not fitted: call fit(X, y), MoodModel.load or load_default")
        return self.medians, self.mean, self.scale, self.coef, self.intercept

    def impute(self, X: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
        """Checked ``(N, 9)`` features with each NaN replaced by the training median of its feature."""
        medians = self._fitted()[0]
        raw = _features(X, allow_nan=True)
        return np.where(np.isnan(raw), medians, raw)

    def predict_proba(self, X: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
        """``(N, 9)`` features -> ``(N, 4)`` probabilities, columns in ``MUSIC_MOODS`` order."""
        _, mean, scale, coef, intercept = self._fitted()
        logits = ((_engineer(self.impute(X)) - mean) / scale) @ coef.T + intercept
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return np.asarray(p / p.sum(axis=1, keepdims=True))

    def predict(self, X: np.ndarray | Sequence[Sequence[float]]) -> list[str]:
        """``(N, 9)`` features -> N music moods (the most probable of ``MUSIC_MOODS``)."""
        return [MUSIC_MOODS[i] for i in self.predict_proba(X).argmax(axis=1)]

    def position(self, X: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
        """``(N, 9)`` features -> ``(N, 2)`` (valence, arousal) in [-1, 1]: ``song_points(valence, energy)``.

        Missing valence or energy is imputed with the training median first; values outside
        Spotify's [0, 1] raise ``InvalidMoodInput``. Why no blend: see the module docstring.
        """
        raw = self.impute(X)
        return song_points(raw[:, _VALENCE], raw[:, _ENERGY])

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready parameters and metadata (what ``save`` writes)."""
        medians, mean, scale, coef, intercept = self._fitted()
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "model": "multinomial logistic regression on standardised features (scikit-learn lbfgs)",
            "labels": list(MUSIC_MOODS),
            "features": list(FEATURES),
            "engineered": list(ENGINEERED),
            "missing_values": "NaN is replaced by the training median of its feature",
            "position": "moodspace.song_points(valence, energy)",
            "C": self.C,
            "medians": medians.tolist(),
            "mean": mean.tolist(),
            "scale": scale.tolist(),
            "coef": coef.tolist(),
            "intercept": intercept.tolist(),
            **self.info,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MoodModel:
        """Rebuild a model from ``to_dict``'s output; ``ModelError`` if it does not fit this code."""
        if data.get("format") != FORMAT or data.get("format_version") != FORMAT_VERSION:
            raise ModelError(
                f"expected a {FORMAT} file of format_version {FORMAT_VERSION}, but got format "
                f"{data.get('format')!r} version {data.get('format_version')!r}"
            )
        for key, expected in (("labels", MUSIC_MOODS), ("features", FEATURES), ("engineered", ENGINEERED)):
            if tuple(data.get(key, ())) != expected:
                raise ModelError(
                    f"mood model {key} must be {list(expected)}, but the file has {data.get(key)!r}; "
                    "regenerate it with scripts/fit_mood_model.py"
                )
        n_in, n_out = len(FEATURES) + len(ENGINEERED), len(MUSIC_MOODS)
        model = cls(C=float(data.get("C", 1.0)))
        model.medians = _floats(data.get("medians"), (len(FEATURES),), "medians")
        model.mean = _floats(data.get("mean"), (n_in,), "mean")
        model.scale = _floats(data.get("scale"), (n_in,), "scale")
        model.coef = _floats(data.get("coef"), (n_out, n_in), "coef")
        model.intercept = _floats(data.get("intercept"), (n_out,), "intercept")
        if np.any(model.scale <= 0):
            raise ModelError("mood model field 'scale' must be > 0 everywhere")
        model.info = {k: v for k, v in data.items() if k not in _FILE_KEYS}
        return model

    def save(self, path: str | Path) -> Path:
        """Write the parameters and ``info`` as JSON (floats round-trip exactly)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> MoodModel:
        """Read a model written by ``save``; ``ModelError`` if missing or malformed."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ModelError(
                f"mood model file not found: {path}; create it with scripts/fit_mood_model.py"
            ) from exc
        except json.JSONDecodeError as exc:
            raise ModelError(f"mood model file {path} is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ModelError(
                f"mood model file {path} must hold a JSON object, but holds {type(data).__name__}"
            )
        return cls.from_dict(data)


def feature_matrix(records: Iterable[Mapping[str, Any]]) -> np.ndarray:
    """Rows with the ``FEATURES`` keys (e.g. CSV dicts) -> ``(N, 9)`` floats; empty or missing -> NaN."""
    rows = []
    for i, rec in enumerate(records):
        row = []
        for name in FEATURES:
            value = rec.get(name)
            if value is None or (isinstance(value, str) and not value.strip()):
                row.append(math.nan)
                continue
            try:
                row.append(float(value))
            except (TypeError, ValueError) as exc:
                raise InvalidMoodInput(
                    f"record {i}: feature {name!r} must be a number, but got {value!r}"
                ) from exc
        rows.append(row)
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(FEATURES))


def load_data_moods(path: str | Path) -> tuple[np.ndarray, list[str]]:
    """``data_moods.csv`` -> ``(N, 9)`` ``FEATURES`` and N lower-cased mood labels."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(
            f"data_moods.csv not found at {path} (expected ../shared/data/music/data_moods.csv)"
        )
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in (*FEATURES, "mood") if c not in (reader.fieldnames or [])]
        if missing:
            raise DatasetError(f"{path} lacks the columns {missing}; it has {reader.fieldnames}")
        rows = list(reader)
    if not rows:
        raise DatasetError(f"{path} holds no songs")
    try:
        X = feature_matrix(rows)
    except InvalidMoodInput as exc:
        raise DatasetError(f"{path}: {exc.message}") from exc
    if not np.all(np.isfinite(X)):
        raise DatasetError(f"{path}: {int((~np.isfinite(X)).sum())} feature values are empty or not finite")
    y = [r["mood"].strip().lower() for r in rows]
    unknown = sorted(set(y) - set(MUSIC_MOODS))
    if unknown:
        raise DatasetError(f"{path}: moods must be among {list(MUSIC_MOODS)} (any case), but got {unknown}")
    return X, y


def rule_predict(X: np.ndarray | Sequence[Sequence[float]]) -> list[str]:
    """The baseline: ``music_mood_of_point(song_point(valence, energy))`` for each row of features."""
    raw = _features(X, allow_nan=False)
    return [music_mood_of_point(v, a) for v, a in song_points(raw[:, _VALENCE], raw[:, _ENERGY])]


def _scores(fold_acc: list[float], confusion: np.ndarray) -> dict[str, Any]:
    recall = confusion.diagonal() / confusion.sum(axis=1)
    return {
        "accuracy_mean": float(np.mean(fold_acc)),
        "accuracy_std": float(np.std(fold_acc)),
        "fold_accuracy": [float(a) for a in fold_acc],
        "recall": {m: float(r) for m, r in zip(MUSIC_MOODS, recall, strict=True)},
        "confusion": confusion.astype(int).tolist(),
    }


def confusion_matrix(y_true: Sequence[str], y_pred: Sequence[str]) -> np.ndarray:
    """``(4, 4)`` counts, rows the true mood and columns the predicted one, in ``MUSIC_MOODS`` order."""
    out = np.zeros((len(MUSIC_MOODS), len(MUSIC_MOODS)), dtype=np.int64)
    for t, p in zip(y_true, y_pred, strict=True):
        out[MUSIC_MOODS.index(t), MUSIC_MOODS.index(p)] += 1
    return out


def cross_validate(path: str | Path, folds: int = 5, seed: int = 0, C: float = 1.0) -> dict[str, Any]:
    """Stratified k-fold CV of ``MoodModel`` and of the ``rule_predict`` baseline on ``data_moods.csv``.

    Folds come from scikit-learn's ``StratifiedKFold(folds, shuffle=True, random_state=seed)``;
    both are scored on the same held-out folds. For each: ``accuracy_mean`` and ``accuracy_std``
    (over folds, population std), ``fold_accuracy``, per-mood ``recall`` and the ``confusion``
    matrix summed over folds (rows true, columns predicted, ``MUSIC_MOODS`` order).
    """
    from sklearn.model_selection import StratifiedKFold

    if not (isinstance(folds, int) and folds >= 2):
        raise InvalidMoodInput(f"folds must be an integer >= 2, but got {folds!r}")
    X, y = load_data_moods(path)
    labels = np.array(y)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    model_acc: list[float] = []
    rule_acc: list[float] = []
    model_conf = np.zeros((len(MUSIC_MOODS),) * 2, dtype=np.int64)
    rule_conf = np.zeros_like(model_conf)
    for train, test in splitter.split(X, labels):
        truth = list(labels[test])
        pred = MoodModel(C).fit(X[train], list(labels[train])).predict(X[test])
        base = rule_predict(X[test])
        model_conf += confusion_matrix(truth, pred)
        rule_conf += confusion_matrix(truth, base)
        model_acc.append(float(np.mean(np.array(pred) == labels[test])))
        rule_acc.append(float(np.mean(np.array(base) == labels[test])))
    return {
        "data": Path(path).name,
        "rows": len(y),
        "class_counts": {m: y.count(m) for m in MUSIC_MOODS},
        "folds": folds,
        "seed": seed,
        "splitter": "sklearn StratifiedKFold(shuffle=True)",
        "labels": list(MUSIC_MOODS),
        "model": _scores(model_acc, model_conf),
        "rule_baseline": _scores(rule_acc, rule_conf),
    }


def fit_default(path: str | Path, folds: int = 5, seed: int = 0) -> MoodModel:
    """Fit on every row of ``data_moods.csv``, with its CV figures and source in ``info``."""
    import sklearn

    X, y = load_data_moods(path)
    model = MoodModel().fit(X, y)
    model.info = {
        "data_source": DATA_SOURCE,
        "fitted_with": f"scikit-learn {sklearn.__version__}",
        "cross_validation": cross_validate(path, folds=folds, seed=seed, C=model.C),
    }
    return model


def load_default() -> MoodModel:
    """The shipped model, ``moodtune/music/data/mood_model.json``."""
    return MoodModel.load(DEFAULT_MODEL_PATH)

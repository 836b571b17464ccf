"""Fit the shipped music mood model and print its cross-validation table.

Fits ``moodtune.music.mood_model.MoodModel`` on all of ``data_moods.csv`` (686 hand-labelled songs,
github.com/cristobalvch/Spotify-Machine-Learning), writes ``src/moodtune/music/data/mood_model.json``
with the stratified 5-fold CV figures inside, and prints them next to the rule baseline
``music_mood_of_point(song_point(valence, energy))``. ``--compare`` also scores the alternatives
the choice was made against (on the same folds) and the position blends the module docstring
reports.

    python scripts/fit_mood_model.py [../shared/data/music/data_moods.csv] [--out PATH] [--compare]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import numpy as np

from moodtune.moodspace import MUSIC_MOODS, music_mood_of_point, song_points
from moodtune.music.mood_model import (
    DEFAULT_MODEL_PATH,
    MoodModel,
    confusion_matrix,
    fit_default,
    load_data_moods,
)


def row(name: str, scores: dict[str, Any]) -> str:
    recall = "  ".join(f"{scores['recall'][m]:9.1%}" for m in MUSIC_MOODS)
    return f"{name:<38} {scores['accuracy_mean']:6.1%} ± {scores['accuracy_std']:4.1%}  {recall}"


def header() -> str:
    return f"{'model':<38} {'accuracy':>15}  " + "  ".join(f"{m:>9}" for m in MUSIC_MOODS)


def cv_estimator(make: Callable[[], Any], X: np.ndarray, y: np.ndarray, folds: int, seed: int) -> dict:
    """Accuracy and recall of a scikit-learn estimator on the same folds as ``cross_validate``."""
    from sklearn.model_selection import StratifiedKFold

    accs, conf = [], np.zeros((4, 4), dtype=np.int64)
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y):
        pred = make().fit(X[train], y[train]).predict(X[test])
        accs.append(float(np.mean(pred == y[test])))
        conf += confusion_matrix(list(y[test]), list(pred))
    recall = conf.diagonal() / conf.sum(axis=1)
    return {
        "accuracy_mean": float(np.mean(accs)),
        "accuracy_std": float(np.std(accs)),
        "recall": dict(zip(MUSIC_MOODS, recall, strict=True)),
    }


def compare(path: str, folds: int, seed: int) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    X, labels = load_data_moods(path)
    y = np.array(labels)
    alternatives: dict[str, Callable[[], Any]] = {
        "logistic regression, 9 raw features": lambda: make_pipeline(
            StandardScaler(), LogisticRegression(max_iter=5000)
        ),
        "random forest (300 trees)": lambda: RandomForestClassifier(300, random_state=0, n_jobs=1),
        "hist gradient boosting": lambda: HistGradientBoostingClassifier(random_state=0),
        "RBF SVM (C=1)": lambda: make_pipeline(StandardScaler(), SVC()),
    }
    print(f"\nalternatives, same {folds} folds, the 9 raw features (trees ignore a monotone log anyway)")
    print(header())
    for name, make in alternatives.items():
        print(row(name, cv_estimator(make, X, y, folds, seed)))

    # Position: song_points blended towards the predicted class-conditional centroid, weight w.
    from sklearn.model_selection import StratifiedKFold

    points = song_points(X[:, 0], X[:, 1])
    weights = (0.0, 0.25, 0.5, 0.75, 1.0)
    agree = {w: 0 for w in weights}
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y):
        proba = MoodModel().fit(X[train], list(y[train])).predict_proba(X[test])
        centroids = np.array([points[train][y[train] == m].mean(axis=0) for m in MUSIC_MOODS])
        for w in weights:
            blended = np.clip((1 - w) * points[test] + w * proba @ centroids, -1.0, 1.0)
            moods = [music_mood_of_point(v, a) for v, a in blended]
            agree[w] += sum(m == t for m, t in zip(moods, y[test], strict=True))
    print("\nposition blend weight -> agreement of music_mood_of_point(position) with the labels")
    for w in weights:
        print(f"  w={w:<4}  {agree[w] / len(y):.1%}")
    for m in MUSIC_MOODS:
        v, a = points[y == m].mean(axis=0)
        print(f"  centroid of {m:<9} ({v:+.3f}, {a:+.3f}) -> rule says {music_mood_of_point(v, a)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", nargs="?", default="../shared/data/music/data_moods.csv")
    ap.add_argument("--out", default=str(DEFAULT_MODEL_PATH))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--compare", action="store_true", help="also score the alternatives and blends")
    args = ap.parse_args()

    model = fit_default(args.data, folds=args.folds, seed=args.seed)
    out = model.save(args.out)
    cv = model.info["cross_validation"]
    print(f"{cv['folds']}-fold stratified CV (seed {cv['seed']}) on {cv['rows']} songs {cv['class_counts']}")
    print(f"recall per mood; accuracy is the mean ± std over folds\n{header()}")
    print(row("MoodModel (shipped)", cv["model"]))
    print(row("rule: music_mood_of_point(song_point)", cv["rule_baseline"]))
    for key in ("model", "rule_baseline"):
        print(f"\n{key} confusion, rows true, columns predicted, in order {list(MUSIC_MOODS)}:")
        for name, counts in zip(MUSIC_MOODS, cv[key]["confusion"], strict=True):
            print(f"  {name:<9} " + " ".join(f"{c:4d}" for c in counts))
    print(f"\nwrote {out}")
    if args.compare:
        compare(args.data, args.folds, args.seed)


if __name__ == "__main__":
    main()

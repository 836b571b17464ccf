"""The music mood model: audio features -> happy / sad / calm / energetic and a valence/arousal point."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from moodtune.errors import InvalidMoodInput, ModelError
from moodtune.moodspace import MUSIC_MOODS, song_points
from moodtune.music.mood_model import (
    DEFAULT_MODEL_PATH,
    FEATURES,
    MoodModel,
    cross_validate,
    feature_matrix,
    load_default,
)
from tests.fixtures import SHARED

DATA_MOODS = SHARED / "music" / "data_moods.csv"

# One centre per mood, features in FEATURES order: valence, energy, danceability, acousticness,
# instrumentalness, speechiness, loudness (dB), tempo (BPM), liveness.
CENTRES = {
    "happy": (0.80, 0.65, 0.75, 0.20, 0.02, 0.06, -6.0, 120.0, 0.15),
    "sad": (0.20, 0.35, 0.45, 0.60, 0.05, 0.04, -10.0, 100.0, 0.12),
    "calm": (0.25, 0.15, 0.35, 0.90, 0.85, 0.04, -22.0, 90.0, 0.10),
    "energetic": (0.45, 0.92, 0.55, 0.03, 0.05, 0.09, -4.0, 135.0, 0.30),
}
SPREAD = np.array([0.05, 0.05, 0.05, 0.05, 0.03, 0.01, 1.0, 5.0, 0.03])


def clusters(per_mood: int, seed: int) -> tuple[np.ndarray, list[str]]:
    """Four well-separated clusters of songs, one per music mood, clipped to Spotify's ranges."""
    rng = np.random.default_rng(seed)
    rows, labels = [], []
    for mood, centre in CENTRES.items():
        rows.append(np.asarray(centre) + rng.normal(size=(per_mood, len(FEATURES))) * SPREAD)
        labels += [mood] * per_mood
    X = np.concatenate(rows)
    unit = [i for i, f in enumerate(FEATURES) if f not in ("loudness", "tempo")]
    X[:, unit] = np.clip(X[:, unit], 0.0, 1.0)
    return X, labels


@pytest.fixture(scope="module")
def fitted() -> MoodModel:
    X, y = clusters(60, seed=0)
    return MoodModel().fit(X, y)


def test_each_synthetic_mood_is_recovered(fitted: MoodModel) -> None:
    X, y = clusters(40, seed=1)  # fresh songs from the same clusters
    pred = np.array(fitted.predict(X))
    for mood in MUSIC_MOODS:
        recall = np.mean(pred[np.array(y) == mood] == mood)
        assert recall >= 0.95, f"{mood}: recall {recall:.2f}"


def test_probabilities_sum_to_one_in_music_moods_order(fitted: MoodModel) -> None:
    X, y = clusters(10, seed=2)
    proba = fitted.predict_proba(X)
    assert proba.shape == (len(y), len(MUSIC_MOODS))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(proba >= 0)
    # Column j is MUSIC_MOODS[j]: each cluster's centre puts its own mood's column on top.
    centres = np.array(list(CENTRES.values()))
    assert [MUSIC_MOODS[j] for j in fitted.predict_proba(centres).argmax(axis=1)] == list(CENTRES)
    assert fitted.predict(X) == [MUSIC_MOODS[j] for j in proba.argmax(axis=1)]


def test_position_is_the_song_point_of_valence_and_energy(fitted: MoodModel) -> None:
    X, _ = clusters(10, seed=3)
    pos = fitted.position(X)
    assert pos.shape == (len(X), 2)
    assert np.all((pos >= -1.0) & (pos <= 1.0))
    np.testing.assert_array_equal(pos, song_points(X[:, 0], X[:, 1]))


def test_missing_values_are_imputed_with_training_medians(fitted: MoodModel) -> None:
    assert fitted.medians is not None
    song = np.array(CENTRES["calm"], dtype=float)
    holes = song.copy()
    holes[[0, 6]] = np.nan  # valence and loudness missing
    filled = song.copy()
    filled[[0, 6]] = fitted.medians[[0, 6]]
    np.testing.assert_array_equal(fitted.predict_proba([holes]), fitted.predict_proba([filled]))
    np.testing.assert_array_equal(fitted.position([holes]), fitted.position([filled]))
    # An all-missing song is the median song, not an error.
    assert fitted.predict([[math.nan] * len(FEATURES)]) == fitted.predict([fitted.medians])


def test_feature_matrix_reads_records_and_marks_gaps_as_missing() -> None:
    record = {name: str(v) for name, v in zip(FEATURES, CENTRES["sad"], strict=True)}
    record["tempo"] = ""
    del record["liveness"]
    X = feature_matrix([record])
    assert X.shape == (1, len(FEATURES))
    assert np.isnan(X[0, 7]) and np.isnan(X[0, 8])
    assert X[0, 0] == 0.20


def test_save_load_round_trip_gives_identical_predictions(fitted: MoodModel, tmp_path: Path) -> None:
    model = MoodModel.from_dict(fitted.to_dict())
    model.info = {"note": "kept"}
    again = MoodModel.load(model.save(tmp_path / "model.json"))
    X, _ = clusters(15, seed=4)
    X[::7, 2] = np.nan
    np.testing.assert_array_equal(again.predict_proba(X), model.predict_proba(X))
    assert again.predict(X) == model.predict(X)
    assert again.info == {"note": "kept"}


def test_shipped_model_classifies_obvious_songs_sensibly() -> None:
    model = load_default()
    party = dict(
        valence=0.9, energy=0.85, danceability=0.85, acousticness=0.05, instrumentalness=0.0,
        speechiness=0.06, loudness=-5.0, tempo=124.0, liveness=0.12,
    )  # fmt: skip
    lament = dict(
        valence=0.1, energy=0.15, danceability=0.35, acousticness=0.9, instrumentalness=0.0,
        speechiness=0.04, loudness=-15.0, tempo=80.0, liveness=0.1,
    )  # fmt: skip
    happy, sad = model.predict(feature_matrix([party, lament]))
    assert happy in ("happy", "energetic")
    assert sad in ("sad", "calm")
    cv = model.info["cross_validation"]
    assert cv["model"]["accuracy_mean"] >= 0.80
    assert "cristobalvch/Spotify-Machine-Learning" in model.info["data_source"]


@pytest.mark.data
def test_shipped_cv_figures_are_reproduced() -> None:
    if not DATA_MOODS.is_file():
        pytest.skip(f"{DATA_MOODS} not found (../shared/data/music beside the checkout)")
    shipped = json.loads(DEFAULT_MODEL_PATH.read_text())["cross_validation"]
    cv = cross_validate(DATA_MOODS, folds=shipped["folds"], seed=shipped["seed"])
    assert cv["model"]["accuracy_mean"] == pytest.approx(shipped["model"]["accuracy_mean"], abs=1e-9)
    assert cv["model"]["confusion"] == shipped["model"]["confusion"]
    assert cv["rule_baseline"] == shipped["rule_baseline"]
    assert cv["model"]["accuracy_mean"] >= cv["rule_baseline"]["accuracy_mean"]
    assert np.sum(cv["model"]["confusion"]) == cv["rows"] == 686


GOOD_X, GOOD_Y = clusters(3, seed=5)


@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        (GOOD_X[:, :8], GOOD_Y, r"shape \(_, 9\)"),  # a feature column missing
        (GOOD_X[0], GOOD_Y[:1], r"shape \(_, 9\)"),  # one song as a 1D row
        (np.where(np.eye(12, 9) > 0, np.nan, GOOD_X), GOOD_Y, "must be finite"),  # fit needs every value
        ([["a"] * 9] * 12, GOOD_Y, "must be numbers"),
        (GOOD_X, [m.capitalize() for m in GOOD_Y], r"lower-case .* 'Happy' -> 'happy'"),  # CSV spelling
        (GOOD_X, ["joyful", *GOOD_Y[1:]], r"\['joyful'\]"),  # not a music mood
        (GOOD_X, GOOD_Y[:-1], r"one mood label per row of features \(12\), but got 11"),
        (GOOD_X[:9], GOOD_Y[:9], r"\['energetic'\] have none"),  # a mood without examples
    ],
)
def test_fit_rejects_bad_input(X: object, y: list[str], message: str) -> None:
    with pytest.raises(InvalidMoodInput, match=message):
        MoodModel().fit(X, y)


@pytest.mark.parametrize(
    ("X", "error", "message"),
    [
        (np.zeros((2, 10)), InvalidMoodInput, r"shape \(_, 9\).*but got shape \(2, 10\)"),
        (np.zeros(9), InvalidMoodInput, r"but got shape \(9,\)"),
        ([[math.inf] + [0.5] * 8], InvalidMoodInput, "infinity is not"),
    ],
)
def test_predict_rejects_bad_input(fitted: MoodModel, X: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        fitted.predict(X)


def test_position_rejects_features_outside_spotify_range(fitted: MoodModel) -> None:
    song = list(CENTRES["happy"])
    song[0] = 1.5
    with pytest.raises(InvalidMoodInput, match=r"valence01 must be numbers in \[0, 1\]"):
        fitted.position([song])


def test_unfitted_model_and_bad_files_raise_model_errors(tmp_path: Path, fitted: MoodModel) -> None:
    with pytest.raises(ModelError, match="not fitted"):
        MoodModel().predict([CENTRES["happy"]])
    with pytest.raises(ModelError, match="not found"):
        MoodModel.load(tmp_path / "absent.json")
    data = fitted.to_dict()
    data["labels"] = ["happy", "sad", "energetic", "calm"]  # columns would be read in the wrong order
    (tmp_path / "swapped.json").write_text(json.dumps(data))
    with pytest.raises(ModelError, match="labels must be"):
        MoodModel.load(tmp_path / "swapped.json")
    data = fitted.to_dict()
    data["coef"] = data["coef"][:3]
    (tmp_path / "short.json").write_text(json.dumps(data))
    with pytest.raises(ModelError, match=r"'coef' .* shape \(4, 10\)"):
        MoodModel.load(tmp_path / "short.json")

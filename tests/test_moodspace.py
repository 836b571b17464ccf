"""The mood space: the emotion table, face and song points, mood regions, MoodPoint."""

from __future__ import annotations

import math

import numpy as np
import pytest

from moodtune.emotions import DEFAULT_MOOD_GROUPS, EMOTIONS, MOODS
from moodtune.moodspace import (
    EMOTION_VA,
    LISTENER_TO_MUSIC_MOODS,
    MUSIC_MOODS,
    MoodPoint,
    mood_of_point,
    music_mood_of_point,
    song_point,
    song_points,
    valence_arousal,
    valence_arousal_batch,
)

# --- the table ---------------------------------------------------------------------------------


def test_table_covers_exactly_the_fer_plus_emotions_in_range() -> None:
    assert tuple(EMOTION_VA) == EMOTIONS
    for v, a in EMOTION_VA.values():
        assert -1.0 <= v <= 1.0 and -1.0 <= a <= 1.0


def test_neutral_is_the_centre() -> None:
    assert EMOTION_VA["neutral"] == (0.0, 0.0)


def test_table_has_the_circumplex_shape() -> None:
    va = EMOTION_VA
    assert va["happiness"][0] > 0.5 and va["happiness"][1] > 0  # pleasant, activated
    assert va["surprise"][0] > 0 and va["surprise"][1] > 0  # the norms rate the word as pleasant
    assert va["sadness"][0] < 0 and va["sadness"][1] < -0.25  # unpleasant, deactivated
    for e in ("anger", "fear"):  # unpleasant, activated, more than sadness or contempt
        assert va[e][0] < 0 and va[e][1] > 0 > va["contempt"][1] > va["sadness"][1]
    for e in ("disgust", "contempt"):
        assert va[e][0] < 0
    assert va["sadness"][0] < va["disgust"][0]


def test_each_emotion_lies_in_its_default_listener_mood() -> None:
    for mood, members in DEFAULT_MOOD_GROUPS.items():
        for e in members:
            assert mood_of_point(*EMOTION_VA[e]) == mood, e


# --- faces: emotion probabilities -> a point ---------------------------------------------------


@pytest.mark.parametrize("emotion", EMOTIONS)
def test_one_hot_returns_the_row(emotion: str) -> None:
    probs = np.zeros(len(EMOTIONS))
    probs[EMOTIONS.index(emotion)] = 1.0
    assert valence_arousal(probs) == pytest.approx(EMOTION_VA[emotion])
    assert valence_arousal({emotion: 1.0}) == pytest.approx(EMOTION_VA[emotion])


def test_half_and_half_is_the_midpoint() -> None:
    (v1, a1), (v2, a2) = EMOTION_VA["happiness"], EMOTION_VA["sadness"]
    expected = ((v1 + v2) / 2, (a1 + a2) / 2)
    assert valence_arousal({"happiness": 0.5, "sadness": 0.5}) == pytest.approx(expected)
    probs = np.zeros(len(EMOTIONS))
    probs[[EMOTIONS.index("happiness"), EMOTIONS.index("sadness")]] = 0.5
    assert valence_arousal(probs) == pytest.approx(expected)


def test_weights_are_normalised_so_vote_counts_work() -> None:
    votes = np.array([6, 4, 0, 0, 0, 0, 0, 0])  # FER+ style: 10 votes per face
    assert valence_arousal(votes) == pytest.approx(valence_arousal(votes / 10))


def test_batch_equals_each_row() -> None:
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(len(EMOTIONS)), size=16)
    batch = valence_arousal_batch(probs)
    assert batch.shape == (16, 2)
    for row, point in zip(probs, batch, strict=True):
        assert tuple(point) == pytest.approx(valence_arousal(row))


def test_label_order_is_respected() -> None:
    rng = np.random.default_rng(1)
    probs = rng.dirichlet(np.ones(len(EMOTIONS)), size=4)
    order = rng.permutation(len(EMOTIONS))
    permuted_labels = [EMOTIONS[i] for i in order]
    np.testing.assert_allclose(
        valence_arousal_batch(probs[:, order], permuted_labels), valence_arousal_batch(probs)
    )
    as_dict = dict(zip(permuted_labels, probs[0, order], strict=True))
    assert valence_arousal(as_dict) == pytest.approx(valence_arousal(probs[0]))


def test_a_model_with_fewer_labels_works() -> None:
    labels = ("neutral", "happiness", "sadness")  # e.g. a 3-class model
    assert valence_arousal(np.array([0.0, 1.0, 0.0]), labels) == pytest.approx(EMOTION_VA["happiness"])


def test_result_stays_in_the_square() -> None:
    probs = np.zeros((1, len(EMOTIONS)))
    probs[0, EMOTIONS.index("happiness")] = 1e300  # huge weights, normalised away
    out = valence_arousal_batch(probs)
    assert np.all(np.abs(out) <= 1.0)


@pytest.mark.parametrize(
    ("probs", "labels", "message"),
    [
        (np.ones(7) / 7, EMOTIONS, r"shape \(8,\) .*but got shape \(7,\)"),  # one value short
        (np.ones((2, 8)), EMOTIONS, "use valence_arousal_batch"),  # a batch given as one face
        (np.ones(3), ("neutral", "happy", "joy"), r"unknown emotion labels \['happy', 'joy'\]"),  # synonyms
        ({"happiness": 0.5, "smile": 0.5}, EMOTIONS, r"unknown emotion labels \['smile'\]"),  # dict key
        (np.ones(2), ("neutral", "neutral"), "unique"),  # the same label twice
        (np.array([np.nan] + [0.0] * 7), EMOTIONS, "finite"),  # NaN from a broken model
        (np.array([-0.1, 1.1] + [0.0] * 6), EMOTIONS, ">= 0"),  # logits, not probabilities
        (np.zeros(8), EMOTIONS, "sum to > 0"),  # nothing to average
    ],
)
def test_bad_face_input_raises_clearly(probs, labels, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        valence_arousal(probs, labels)


def test_bad_batch_shape_and_rows_are_named() -> None:
    with pytest.raises(ValueError, match=r"shape \(_, 8\).*but got shape \(8,\)"):
        valence_arousal_batch(np.ones(8))
    probs = np.ones((3, 8))
    probs[2] = 0.0
    with pytest.raises(ValueError, match=r"rows \[2\] sum to 0"):
        valence_arousal_batch(probs)


# --- songs: Spotify-style valence and energy -> a point ------------------------------------------


@pytest.mark.parametrize(
    ("valence01", "energy01", "expected"),
    [
        (0.0, 0.0, (-1.0, -1.0)),
        (1.0, 0.0, (1.0, -1.0)),
        (0.0, 1.0, (-1.0, 1.0)),
        (1.0, 1.0, (1.0, 1.0)),
        (0.5, 0.5, (0.0, 0.0)),  # a middling song is the centre
        (0.75, 0.25, (0.5, -0.5)),
    ],
)
def test_song_point_is_a_linear_rescaling(valence01: float, energy01: float, expected) -> None:
    assert song_point(valence01, energy01) == pytest.approx(expected)


def test_song_points_equals_song_point() -> None:
    v = np.array([0.0, 0.25, 0.5, 1.0])
    e = np.array([1.0, 0.5, 0.5, 0.0])
    out = song_points(v, e)
    assert out.shape == (4, 2)
    for (vi, ei), point in zip(zip(v, e, strict=True), out, strict=True):
        assert tuple(point) == pytest.approx(song_point(vi, ei))


@pytest.mark.parametrize(
    ("valence01", "energy01", "message"),
    [
        (1.2, 0.5, r"valence01 must be a number in \[0, 1\].*1\.2"),  # a 0-100 scale slipped in
        (0.5, -0.1, r"energy01 must be a number in \[0, 1\].*-0\.1"),
        (math.nan, 0.5, "valence01.*nan"),  # a missing feature
        (0.5, math.inf, "energy01.*inf"),
    ],
)
def test_bad_song_input_raises_clearly(valence01: float, energy01: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        song_point(valence01, energy01)


@pytest.mark.parametrize(
    ("v", "e", "message"),
    [
        ([0.1, 0.2], [0.1], "same length"),  # misaligned columns
        ([[0.1]], [[0.1]], "1D arrays"),  # a table, not a column
        ([0.1, 2.0, 3.0], [0.1, 0.2, 0.3], r"valence01.*2 are not \(first at index 1: 2\.0\)"),
        ([0.1, 0.2], [0.1, np.nan], r"energy01.*first at index 1: nan"),
    ],
)
def test_bad_song_arrays_raise_clearly(v, e, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        song_points(v, e)


# --- mood regions --------------------------------------------------------------------------------

_GRID = np.linspace(-1.0, 1.0, 41)  # includes 0, +-0.2 and +-0.5: every boundary is on it


def test_every_point_gets_exactly_one_listener_mood_and_one_music_mood() -> None:
    seen_moods, seen_music = set(), set()
    for v in _GRID:
        for a in _GRID:
            seen_moods.add(mood_of_point(v, a))
            seen_music.add(music_mood_of_point(v, a))
    assert seen_moods == set(MOODS)
    assert seen_music == set(MUSIC_MOODS)


@pytest.mark.parametrize(
    ("valence", "arousal", "mood"),
    [
        (0.0, 0.0, "neutral"),  # the centre
        (0.19, 0.9, "neutral"),  # alert but neither pleased nor displeased
        (-0.19, -0.9, "neutral"),
        (0.2, 0.0, "positive"),  # the boundary belongs to the outer mood
        (-0.2, 0.0, "negative"),
        (0.87, 0.375, "positive"),  # happiness
        (-0.65, -0.5475, "negative"),  # sadness
        (1.0, -1.0, "positive"),
    ],
)
def test_listener_mood_examples(valence: float, arousal: float, mood: str) -> None:
    assert mood_of_point(valence, arousal) == mood


@pytest.mark.parametrize(
    ("valence", "arousal", "music_mood"),
    [
        (0.0, 0.0, "calm"),  # the centre: a neutral face, a middling song
        (0.6, 0.3, "happy"),  # pleased, somewhat activated
        (0.0, 0.49, "happy"),
        (0.6, 0.5, "energetic"),  # the most activated band, whatever the valence
        (0.9, 0.9, "energetic"),
        (-0.6, 0.3, "energetic"),  # tense, angry: the unpleasant activated quadrant
        (-0.01, 0.01, "energetic"),
        (0.6, -0.5, "calm"),  # content, relaxed
        (0.0, -1.0, "calm"),
        (-0.6, -0.5, "sad"),  # gloomy, tired
        (-0.01, 0.0, "sad"),  # arousal 0 is not activated
        (-1.0, -1.0, "sad"),
    ],
)
def test_music_mood_examples(valence: float, arousal: float, music_mood: str) -> None:
    assert music_mood_of_point(valence, arousal) == music_mood


def test_songs_in_the_corners_get_their_quadrants_mood() -> None:
    assert music_mood_of_point(*song_point(1.0, 0.6)) == "happy"
    assert music_mood_of_point(*song_point(1.0, 0.0)) == "calm"
    assert music_mood_of_point(*song_point(0.0, 0.0)) == "sad"
    assert music_mood_of_point(*song_point(0.0, 1.0)) == "energetic"
    assert music_mood_of_point(*song_point(0.5, 0.5)) == "calm"


def test_listener_to_music_moods_covers_every_mood_with_known_music_moods() -> None:
    assert set(LISTENER_TO_MUSIC_MOODS) == set(MOODS)
    for music_moods in LISTENER_TO_MUSIC_MOODS.values():
        assert music_moods and set(music_moods) <= set(MUSIC_MOODS)
    assert music_mood_of_point(*EMOTION_VA["neutral"]) in LISTENER_TO_MUSIC_MOODS["neutral"]


@pytest.mark.parametrize(
    ("valence", "arousal"),
    [(1.5, 0.0), (0.0, -1.01), (math.nan, 0.0), (0.0, math.nan), (math.inf, 0.0)],
)
def test_regions_reject_points_outside_the_square(valence: float, arousal: float) -> None:
    for fn in (mood_of_point, music_mood_of_point):
        with pytest.raises(ValueError, match=r"must be numbers in \[-1, 1\], but got valence="):
            fn(valence, arousal)


# --- MoodPoint -----------------------------------------------------------------------------------


def test_mood_point_distance_and_dict() -> None:
    p, q = MoodPoint(0.0, 0.0), MoodPoint(0.6, -0.8)
    assert p.distance(q) == pytest.approx(1.0)
    assert q.distance(p) == pytest.approx(1.0)
    assert p.distance(p) == 0.0
    assert MoodPoint(-1, -1).distance(MoodPoint(1, 1)) == pytest.approx(2 * math.sqrt(2))
    assert q.to_dict() == {"valence": 0.6, "arousal": -0.8}


def test_mood_point_constructors_and_moods() -> None:
    assert MoodPoint.from_song(0.5, 0.5) == MoodPoint(0.0, 0.0)
    face = MoodPoint.from_probabilities({"happiness": 1.0})
    assert (face.valence, face.arousal) == pytest.approx(EMOTION_VA["happiness"])
    assert face.mood() == "positive" and face.music_mood() == "happy"


@pytest.mark.parametrize(
    ("valence", "arousal", "message"),
    [
        (1.5, 0.0, r"MoodPoint.valence must be a number in \[-1, 1\], but got 1.5"),
        (0.0, -2, r"MoodPoint.arousal .* but got -2"),
        (math.nan, 0.0, "valence .* but got nan"),
        ("0.5", 0.0, "valence .* but got '0.5'"),  # a string from a form or CSV, not parsed
        (True, 0.0, "valence .* but got True"),
    ],
)
def test_mood_point_rejects_bad_values(valence, arousal, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MoodPoint(valence, arousal)


def test_mood_point_is_frozen() -> None:
    p = MoodPoint(0.1, 0.2)
    with pytest.raises(AttributeError):
        p.valence = 0.3  # type: ignore[misc]

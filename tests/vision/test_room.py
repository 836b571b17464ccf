"""The room's reading: every face pooled, weighted by size, detection score and quality."""

from __future__ import annotations

from typing import Any

import pytest

from moodtune.errors import InvalidMoodInput
from moodtune.vision.room import FLAG_PENALTY, RoomFace, face_weight, room_reading

FULL = 112  # the shipped model's input size
HAPPY = {"negative": 0.0, "neutral": 0.1, "positive": 0.9}  # moods
SAD = {"negative": 0.8, "neutral": 0.2, "positive": 0.0}
CALM = {"negative": 0.1, "neutral": 0.8, "positive": 0.1}
SMILE = {"neutral": 0.1, "happiness": 0.9, "sadness": 0.0}  # emotions (three, for brevity)
FROWN = {"neutral": 0.2, "happiness": 0.0, "sadness": 0.8}
REST = {"neutral": 0.8, "happiness": 0.1, "sadness": 0.1}


def happy(side: float = 120, score: float = 0.9, flags: int = 0) -> RoomFace:
    return RoomFace(side, score, 0.8, 0.4, SMILE, HAPPY, flags=flags)


def sad(side: float = 120, score: float = 0.9, flags: int = 0) -> RoomFace:
    return RoomFace(side, score, -0.6, -0.5, FROWN, SAD, flags=flags)


def test_no_face_is_no_room() -> None:
    assert room_reading([], FULL) is None


def test_one_face_is_the_room() -> None:
    room = room_reading([sad()], FULL)
    assert room is not None
    assert (room.faces, room.weights) == (1, (1.0,))
    assert (room.mood, room.emotion, room.valence, room.arousal) == ("negative", "sadness", -0.6, -0.5)
    assert room.probabilities == FROWN and room.mood_probabilities == SAD


def test_equal_faces_count_equally() -> None:
    room = room_reading([happy(), sad(), happy()], FULL)
    assert room is not None
    assert room.weights == pytest.approx((1 / 3, 1 / 3, 1 / 3))
    assert room.valence == pytest.approx((0.8 - 0.6 + 0.8) / 3)
    assert room.arousal == pytest.approx((0.4 - 0.5 + 0.4) / 3)
    assert room.mood_probabilities["positive"] == pytest.approx(0.6)
    assert room.probabilities["happiness"] == pytest.approx(0.6)
    assert (room.mood, room.emotion) == ("positive", "happiness")


def test_one_face_near_the_camera_does_not_outvote_the_room() -> None:
    # one sad face filling the frame against three happy faces of a readable 100 px
    room = room_reading([sad(side=600), happy(side=100), happy(side=100), happy(side=100)], FULL)
    assert room is not None
    assert room.mood == "positive"
    assert room.weights[0] == pytest.approx(1 / (1 + 3 * 100 / FULL))


def test_smaller_faces_count_less_down_to_their_share_of_the_model_input() -> None:
    assert face_weight(happy(side=56), FULL) == pytest.approx(0.5 * face_weight(happy(side=FULL), FULL))
    assert face_weight(happy(side=224), FULL) == face_weight(happy(side=FULL), FULL)


def test_each_quality_flag_and_a_weaker_detection_count_less() -> None:
    base = face_weight(happy(), FULL)
    assert face_weight(happy(flags=1), FULL) == pytest.approx(base * FLAG_PENALTY)
    assert face_weight(happy(flags=3), FULL) == pytest.approx(base * FLAG_PENALTY**3)
    assert face_weight(happy(score=0.45), FULL) == pytest.approx(base / 2)
    room = room_reading([happy(), sad(flags=2)], FULL)  # a dark, blurred sad face
    assert room is not None and room.weights == pytest.approx((0.8, 0.2))


def test_faces_that_all_weigh_nothing_count_equally() -> None:
    room = room_reading([happy(score=0.0), sad(score=0.0)], FULL)
    assert room is not None and room.weights == (0.5, 0.5)


def test_serialised_like_a_face_with_the_count_and_weights() -> None:
    room = room_reading([happy(), RoomFace(60, 0.8, 0.0, 0.0, REST, CALM)], FULL)
    assert room is not None
    d = room.to_dict()
    reading = {"emotion", "probabilities", "mood", "mood_probabilities", "valence", "arousal"}
    assert set(d) == reading | {"faces", "weights"}
    assert d["faces"] == 2 and len(d["weights"]) == 2 and sum(d["weights"]) == pytest.approx(1, abs=1e-3)
    assert d["mood"] == max(d["mood_probabilities"], key=d["mood_probabilities"].get)
    assert d["emotion"] == max(d["probabilities"], key=d["probabilities"].get)


def test_a_face_of_the_analyze_answer_becomes_a_room_face() -> None:
    answer: dict[str, Any] = {
        "score": 0.9,
        "valence": 0.5,
        "arousal": 0.1,
        "probabilities": SMILE,
        "mood_probabilities": HAPPY,
        "quality": {
            "size": 80.0,
            "too_small": False,
            "too_dark": True,
            "blurred": False,
            "turned_away": True,
        },
    }
    assert RoomFace.from_dict(answer) == RoomFace(80.0, 0.9, 0.5, 0.1, SMILE, HAPPY, flags=2)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"side": -1.0}, "side >= 0"),  # a negative size
        ({"score": 1.5}, r"score in \[0, 1\]"),  # not a probability
        ({"flags": 4}, "flags in 0..3"),  # more flags than there are
        ({"valence": 1.2}, r"\[-1, 1\]"),  # off the mood space
        ({"arousal": float("nan")}, "finite"),  # not a number
    ],
)
def test_impossible_faces_are_refused(kw: dict[str, float], message: str) -> None:
    fields: dict[str, Any] = {
        "side": 50.0,
        "score": 0.9,
        "valence": 0.0,
        "arousal": 0.0,
        "probabilities": REST,
        "mood_probabilities": CALM,
    }
    with pytest.raises(InvalidMoodInput, match=message):
        RoomFace(**{**fields, **kw})


def test_faces_read_in_different_terms_cannot_be_pooled() -> None:
    with pytest.raises(InvalidMoodInput, match="same moods"):
        room_reading([happy(), RoomFace(50, 0.9, 0, 0, SMILE, {"low": 0.5, "high": 0.5})], FULL)
    with pytest.raises(InvalidMoodInput, match="same emotions"):
        room_reading([happy(), RoomFace(50, 0.9, 0, 0, {"calm": 1.0}, HAPPY)], FULL)
    with pytest.raises(InvalidMoodInput, match="full_side"):
        room_reading([happy()], 0)

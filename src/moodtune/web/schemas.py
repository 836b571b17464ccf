"""Request bodies of the API (pydantic): types and ranges checked before a route runs, so a bad
field is a 422 naming it. Answers are the library's own ``to_dict()`` shapes (see docs/api.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from moodtune.music.plan import STRATEGIES

SongId = str
Strategy = Literal["match", "lift", "calm", "energize"]
assert set(STRATEGIES) == {"match", "lift", "calm", "energize"}  # the Literal above follows plan.py


ANY_OBJECT: dict[str, Any] = {
    "application/json": {"schema": {"type": "object", "additionalProperties": True}}
}
"""The OpenAPI content of an answer that is a JSON object (an extra success status of a route)."""


class Strict(BaseModel):
    """A request body exactly as documented: no unknown field, and no value of another JSON type
    taken for the documented one (``0`` or ``"yes"`` is not a boolean, ``"5"`` not a number)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class FiltersIn(Strict):
    language: str | None = Field(None, max_length=16, description="ISO 639-1 code, e.g. ko")
    genre: str | None = Field(None, max_length=100, description="a genre and its sub-genres, e.g. k-pop")
    decade: str | None = Field(None, max_length=16, description="e.g. 1990s")
    youtube_only: bool = Field(False, description="only songs with a YouTube video that plays now")
    playable_only: bool = Field(
        False, description="only songs the page plays: a YouTube video that plays now or a Spotify id"
    )


class RecommendIn(Strict):
    mood: str | None = Field(None, description="negative, neutral or positive")
    probabilities: dict[str, float] | list[float] | None = Field(
        None, description="3 mood probabilities (object or [neg, neu, pos]) or the 8 emotion probabilities"
    )
    valence: float | None = Field(None, ge=-1, le=1)
    arousal: float | None = Field(None, ge=-1, le=1)
    more_like: SongId | None = Field(None, description="a song id: songs like it, instead of a mood")
    strategy: Strategy = "match"
    n: int = Field(20, ge=1, le=100)
    filters: FiltersIn | None = None
    exclude_ids: list[SongId] = Field(default_factory=list, max_length=2000)
    seed: int = 0
    use_taste: bool = True


FeedbackEvent = Literal["like", "dislike", "skip", "complete"]


class FeedbackIn(Strict):
    song_id: SongId = Field(min_length=1, max_length=64)
    event: FeedbackEvent


class UnplayableIn(Strict):
    code: int = Field(description="the YouTube player's error code: 2, 5, 100, 101, 150 or 153")
    song_id: SongId | None = Field(None, max_length=64)
    exclude_ids: list[SongId] = Field(default_factory=list, max_length=2000)


class MePatch(Strict):
    history_enabled: bool | None = None
    calibration_enabled: bool | None = None


class CalibrationIn(Strict):
    probabilities: dict[str, float]


class ReadingIn(Strict):
    probabilities: dict[str, float] | None = Field(
        None, description="a face's 8 emotion probabilities; leave out for a mood the listener chose"
    )
    mood: str | None = Field(None, description="a mood the listener chose: negative, neutral or positive")
    valence: float | None = Field(None, ge=-1, le=1)
    arousal: float | None = Field(None, ge=-1, le=1)

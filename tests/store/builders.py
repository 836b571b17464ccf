"""Store test data built in code: emotion probabilities, readings, and raw SQL for looking behind
the interface."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from moodtune.emotions import EMOTIONS
from moodtune.store import Store, StoredReading


def probabilities(**weights: float) -> dict[str, float]:
    """The 8 emotion probabilities: the given ones, the rest 0 (``neutral`` 1 when none is given)."""
    out = dict.fromkeys(EMOTIONS, 0.0)
    out.update(weights or {"neutral": 1.0})
    return out


def reading(at: float = 1_000.0, mood: str = "positive", **changes: Any) -> StoredReading:
    """A valid reading at ``at``; ``changes`` replace fields."""
    fields: dict[str, Any] = {
        "at": at,
        "mood": mood,
        "probabilities": probabilities(happiness=0.7, neutral=0.3),
        "mood_probabilities": {"negative": 0.0, "neutral": 0.3, "positive": 0.7},
        "valence": 0.6,
        "arousal": 0.3,
    }
    fields.update(changes)
    return StoredReading(**fields)


def sql(store: Store, statement: str, **params: Any) -> list[tuple[Any, ...]]:
    """Run raw SQL on the store's database, in its own transaction: to see what the interface hides,
    or to go around it."""
    with store.engine.begin() as connection:
        result = connection.execute(text(statement), params)
        return [tuple(r) for r in result] if result.returns_rows else []


EMPTY = {
    "listeners": 0,
    "feedback": 0,
    "taste_weights": 0,
    "readings": 0,
    "retired_listeners": 0,
    "video_marks": 0,
    "video_reports": 0,
    "youtube_videos": 0,
    "youtube_resolutions": 0,
    "youtube_quota": 0,
    "youtube_tokens": 0,
    "service_keys": 0,
}
"""``Store.counts()`` of an empty database: every table of the schema, none left out."""

"""Checks on what the store is asked to keep, before any of it reaches the database.

Plain functions, no I/O. Each raises a ``UsageError`` subclass (HTTP 422) whose message says what
was expected and what arrived.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from moodtune.emotions import EMOTIONS
from moodtune.errors import InvalidMoodInput, UsageError
from moodtune.store.models import ID_LENGTH

UNPLAYABLE_CODES: tuple[int, ...] = (2, 100, 101, 150)
"""YouTube IFrame player errors that mean the video will not play here: 2 (invalid video id), 100
(removed or private), 101 and 150 (the owner does not allow embedding). Error 5 (an HTML5 player
error) is transient and is not a reason to drop a video."""

VIDEO_STATUSES: tuple[str, ...] = ("unplayable", "playable")

_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")


class InvalidStoreInput(UsageError):
    """Something given to the store (an id, a limit, a time, a setting) is malformed or out of range."""

    code = "invalid_store_input"


class InvalidListenerId(InvalidStoreInput):
    """A listener id is empty, too long, or not a string."""

    code = "invalid_listener_id"


class InvalidVideoMark(InvalidStoreInput):
    """A YouTube id or player error code cannot be a report of an unplayable video."""

    code = "invalid_video_mark"


def check_id(name: str, value: Any, error: type[InvalidStoreInput] = InvalidListenerId) -> str:
    """``value`` if it is a non-blank string of at most ``ID_LENGTH`` characters."""
    if not isinstance(value, str) or not value.strip():
        raise error(f"{name} must be a non-empty string, but got {value!r}")
    if len(value) > ID_LENGTH:
        raise error(f"{name} must be at most {ID_LENGTH} characters, but got {len(value)}: {value[:20]!r}...")
    return value


def check_youtube_id(value: Any) -> str:
    """``value`` if it looks like a YouTube video id (11 characters of ``A-Z a-z 0-9 _ -``)."""
    if not isinstance(value, str) or not _YOUTUBE_ID.fullmatch(value):
        raise InvalidVideoMark(
            f"youtube_id must be 11 characters of A-Z, a-z, 0-9, '_' or '-' (as in watch?v=dQw4w9WgXcQ), "
            f"but got {value!r}"
        )
    return value


def check_code(value: Any) -> int:
    """``value`` if it is one of ``UNPLAYABLE_CODES``."""
    if isinstance(value, bool) or not isinstance(value, int) or value not in UNPLAYABLE_CODES:
        raise InvalidVideoMark(
            f"code must be a YouTube player error that means unplayable, one of "
            f"{', '.join(map(str, UNPLAYABLE_CODES))}, but got {value!r}"
        )
    return value


def check_time(name: str, value: Any, error: type[UsageError] = InvalidStoreInput) -> float:
    """``value`` as a float if it is a finite number of seconds since the epoch."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise error(f"{name} must be a finite time in seconds since the epoch, but got {value!r}")
    return float(value)


def check_limit(name: str, value: Any) -> int:
    """``value`` if it is a positive int."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidStoreInput(f"{name} must be a positive whole number, but got {value!r}")
    return value


def check_probabilities(
    name: str, value: Any, labels: tuple[str, ...] | None = EMOTIONS, normalise: bool = False
) -> dict[str, float]:
    """A plain ``dict`` copy of ``value``: finite values >= 0 that sum to more than 0, keyed by exactly
    ``labels`` (any non-empty string keys when ``labels`` is None); divided by their sum when
    ``normalise``, else each must be at most 1 (with a little room for rounding)."""
    if not isinstance(value, Mapping) or not value:
        raise InvalidMoodInput(
            f"{name} must be a non-empty mapping of label -> probability, but got {value!r}"
        )
    keys = list(value)
    if labels is not None and set(keys) != set(labels):
        missing = [k for k in labels if k not in value]
        extra = [k for k in keys if k not in labels]
        problems = ([f"{missing} are missing"] if missing else []) + (
            [f"{extra} are unknown"] if extra else []
        )
        raise InvalidMoodInput(
            f"{name} must have exactly the keys {', '.join(labels)}, but {' and '.join(problems)}"
        )
    for k in keys:
        if not isinstance(k, str) or not k.strip():
            raise InvalidMoodInput(f"{name} keys must be non-empty strings, but got {k!r}")
    out: dict[str, float] = {}
    for k in keys:
        v = value[k]
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
            raise InvalidMoodInput(f"{name}[{k!r}] must be a finite number >= 0, but got {v!r}")
        if not normalise and v > 1 + 1e-6:
            raise InvalidMoodInput(f"{name}[{k!r}] must be a probability in [0, 1], but got {v!r}")
        out[k] = float(v)
    total = sum(out.values())
    if total <= 0:
        raise InvalidMoodInput(f"{name} must not be all zeros: its values must sum to more than 0")
    if normalise:
        out = {k: v / total for k, v in out.items()}
    return out


def check_point(valence: Any, arousal: Any) -> tuple[float, float]:
    """``(valence, arousal)`` as floats if both are finite and in [-1, 1] (``moodtune.moodspace``)."""
    for name, v in (("valence", valence), ("arousal", arousal)):
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or not -1 <= v <= 1:
            raise InvalidMoodInput(f"{name} must be a finite number in [-1, 1], but got {v!r}")
    return float(valence), float(arousal)

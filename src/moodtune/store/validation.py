"""Checks on what the store is asked to keep, before any of it reaches the database.

Plain functions, no I/O. Each raises a ``UsageError`` subclass (HTTP 422) whose message says what
was expected and what arrived.
"""

from __future__ import annotations

import math
from typing import Any

from moodtune.errors import InvalidMoodInput, UsageError
from moodtune.music.catalog import YOUTUBE_ID
from moodtune.store.models import ID_LENGTH

UNPLAYABLE_CODES: tuple[int, ...] = (2, 100, 101, 150)
"""YouTube IFrame player errors that mean the video will not play here: 2 (invalid video id), 100
(removed or private), 101 and 150 (the owner does not allow embedding). Error 5 (an HTML5 player
error) is transient and is not a reason to drop a video."""

VIDEO_STATUSES: tuple[str, ...] = ("unplayable", "playable")


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
    if not isinstance(value, str) or not YOUTUBE_ID.fullmatch(value):
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


def check_point(valence: Any, arousal: Any) -> tuple[float, float]:
    """``(valence, arousal)`` as floats if both are finite and in [-1, 1] (``moodtune.moodspace``)."""
    for name, v in (("valence", valence), ("arousal", arousal)):
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or not -1 <= v <= 1:
            raise InvalidMoodInput(f"{name} must be a finite number in [-1, 1], but got {v!r}")
    return float(valence), float(arousal)

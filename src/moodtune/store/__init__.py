"""The web service's database: per-listener settings, calibration, feedback and mood history, and
the YouTube videos known not to play, and the YouTube Data API's answers, quota and listeners'
OAuth tokens (``youtube.py``). SQLite or PostgreSQL, migrated with Alembic.

``Store`` (``repository.py``) is the interface the web layer uses; ``models.py`` is the schema,
``migrations/`` its history, ``db.py`` the connection and migration plumbing, ``validation.py``
the checks on what is stored.
"""

from moodtune.store.db import make_engine, mask_url, migrate
from moodtune.store.repository import (
    KeptTaste,
    ListenerState,
    Store,
    StoredReading,
    VideoMark,
    VideoReported,
)
from moodtune.store.validation import (
    UNPLAYABLE_CODES,
    InvalidListenerId,
    InvalidStoreInput,
    InvalidVideoMark,
)
from moodtune.store.youtube import Resolution, StoredToken, VideoCheck

__all__ = [
    "UNPLAYABLE_CODES",
    "InvalidListenerId",
    "InvalidStoreInput",
    "InvalidVideoMark",
    "KeptTaste",
    "ListenerState",
    "Resolution",
    "Store",
    "StoredReading",
    "StoredToken",
    "VideoCheck",
    "VideoMark",
    "VideoReported",
    "make_engine",
    "mask_url",
    "migrate",
]

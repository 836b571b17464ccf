"""The database schema: what the web service keeps about its anonymous listeners, and nothing more.

Twelve tables, declared once here; the Alembic migrations in ``migrations/versions`` must match them
(``tests/store/test_migrations.py`` compares the two):

* ``listeners``: one row per listener id (the random id in the listener's signed cookie), with the
  listener's settings (``history_enabled``, ``calibration_enabled``) and calibration baseline (the
  8 emotion probabilities of their neutral face, normalised to sum to 1).
* ``retired_listeners``: the SHA-256 of each id whose listener asked to forget everything, so that
  the old cookie never stores under it again.
* ``feedback``: like / dislike / skip / complete events on songs (``moodtune.music.taste``).
* ``taste_weights``: what each listener's events on each song add up to (``taste.SongTaste``: the
  latest answer, the summed plays and skips, the net weight), one row per listener and song,
  updated in the transaction that stores each event: a listener's taste is read from their own
  rows, never from the feedback table, whose size does not matter to it.
* ``readings``: mood readings, kept only for listeners who turned history on.
* ``video_marks``: YouTube videos unplayable for everyone (player error 2, 100, 101 or 150), once
  enough distinct listeners reported them or a ``videos.list`` check confirmed it.
* ``video_reports``: which listener reported which video (one row per listener and video) and from
  which client address (hashed): a report hides the video at once for its listener and counts
  toward the mark for everyone.
* ``youtube_videos``, ``youtube_resolutions``: the YouTube Data API's answers, cached
  (``moodtune.youtube.resolve``): each video's status and each song's search result, with reasons.
* ``youtube_quota``: Data API units spent per Pacific day (``moodtune.youtube.quota``).
* ``youtube_tokens``: a listener's encrypted OAuth tokens for saving playlists to their account.
* ``service_keys``: keys every process and host of one service must share (the key that signs the
  listener cookie, unless ``MOODTUNE_SECRET_KEY`` sets it): ``moodtune.store.keys``.

Never an image: a reading keeps the probabilities the model read from a face, not the face.

Times are float seconds since the epoch everywhere, as ``taste.Feedback.at`` and the web API use
them: one representation, no time zones to convert between SQLite (which has no time type) and
PostgreSQL. Types are portable (``JSON``, ``Double``, ``String``), so the same models run on both.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Double, ForeignKey, Index, Integer, MetaData, String, Text, false, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ID_LENGTH = 64
"""The longest listener id or song id the store keeps (a uuid4 hex is 32)."""
REASON_LENGTH = 500
"""The longest reason (why a video was chosen or refused) or OAuth scope list the store keeps."""

# Named constraints and indexes, so that migrations can refer to them by a name that is the same on
# every backend (the Alembic docs' recommended convention).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Listener(Base):
    """One anonymous listener: settings and calibration baseline."""

    __tablename__ = "listeners"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    created_at: Mapped[float] = mapped_column(Double, nullable=False)
    last_seen_at: Mapped[float] = mapped_column(Double, nullable=False)
    history_enabled: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    calibration_enabled: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    # none_as_null: None is SQL NULL ("no baseline"), not the JSON value null.
    calibration: Mapped[dict[str, float] | None] = mapped_column(JSON(none_as_null=True), nullable=True)


class RetiredListener(Base):
    """A listener id whose owner asked to forget everything ("Delete all my data"): kept, alone,
    so that the old cookie replayed later gets a fresh identity instead of storing under it again."""

    __tablename__ = "retired_listeners"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    retired_at: Mapped[float] = mapped_column(Double, nullable=False)


class FeedbackEvent(Base):
    """One feedback event (``taste.Feedback``) by one listener on one song."""

    __tablename__ = "feedback"
    __table_args__ = (Index("ix_feedback_listener_id_at", "listener_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    listener_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("listeners.id", ondelete="CASCADE"), nullable=False
    )
    song_id: Mapped[str] = mapped_column(String(ID_LENGTH), nullable=False)
    event: Mapped[str] = mapped_column(String(16), nullable=False)
    at: Mapped[float] = mapped_column(Double, nullable=False)


class TasteWeight(Base):
    """One listener's events on one song, summed up (``taste.SongTaste``; migration 0005): the
    latest explicit answer (+3 like, -3 dislike, NULL before any) and its time, the summed plays
    (+1) and skips (-1), the number of events, and the net weight they give (``SongTaste.weight``,
    kept so that the collaborative model's fit can select the positive ones). ``updated_at``: when
    the row last changed."""

    __tablename__ = "taste_weights"

    listener_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("listeners.id", ondelete="CASCADE"), primary_key=True
    )
    song_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    answer: Mapped[float | None] = mapped_column(Double, nullable=True)
    answer_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    plays: Mapped[float] = mapped_column(Double, nullable=False)
    events: Mapped[int] = mapped_column(Integer, nullable=False)
    weight: Mapped[float] = mapped_column(Double, nullable=False)
    updated_at: Mapped[float] = mapped_column(Double, nullable=False)


class Reading(Base):
    """One mood reading of a listener who turned history on."""

    __tablename__ = "readings"
    __table_args__ = (Index("ix_readings_listener_id_at", "listener_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    listener_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("listeners.id", ondelete="CASCADE"), nullable=False
    )
    at: Mapped[float] = mapped_column(Double, nullable=False)
    mood: Mapped[str] = mapped_column(String(32), nullable=False)
    probabilities: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    mood_probabilities: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    valence: Mapped[float] = mapped_column(Double, nullable=False)
    arousal: Mapped[float] = mapped_column(Double, nullable=False)


class VideoMarkRow(Base):
    """A YouTube video reported unplayable; ``status`` may go back to ``playable`` after a re-check."""

    __tablename__ = "video_marks"

    youtube_id: Mapped[str] = mapped_column(String(11), primary_key=True)
    song_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), nullable=True)
    code: Mapped[int] = mapped_column(Integer, nullable=False)
    reports: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("1"))
    first_marked_at: Mapped[float] = mapped_column(Double, nullable=False)
    last_marked_at: Mapped[float] = mapped_column(Double, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default=text("'unplayable'"))


class VideoReport(Base):
    """One listener's report that a video would not play in their page (migration 0004), with the
    SHA-256 of the client address it came from: the mark for everyone counts distinct addresses, so
    one client holding many listener cookies counts once."""

    __tablename__ = "video_reports"
    __table_args__ = (Index("ix_video_reports_listener_id", "listener_id"),)

    youtube_id: Mapped[str] = mapped_column(String(11), primary_key=True)
    listener_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("listeners.id", ondelete="CASCADE"), primary_key=True
    )
    client: Mapped[str] = mapped_column(String(64), nullable=False)
    code: Mapped[int] = mapped_column(Integer, nullable=False)
    reported_at: Mapped[float] = mapped_column(Double, nullable=False)


# --- YouTube (moodtune.youtube; migration 0002) ---------------------------------------------------


class YouTubeVideo(Base):
    """What moodtune last learned about one YouTube video from the Data API: ``confirmed`` (plays
    embedded, and is ``song_id``'s video), ``playable`` (plays, chosen for no song) or ``unplayable``;
    why, when, and what ``videos.list`` said (``details``)."""

    __tablename__ = "youtube_videos"
    __table_args__ = (Index("ix_youtube_videos_song_id", "song_id"),)

    youtube_id: Mapped[str] = mapped_column(String(11), primary_key=True)
    song_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    reason: Mapped[str] = mapped_column(String(REASON_LENGTH), nullable=False)
    checked_at: Mapped[float] = mapped_column(Double, nullable=False)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)


class YouTubeResolution(Base):
    """The latest search for a song's video: ``confirmed`` (``youtube_id`` chosen, with the reason
    and score) or ``no_match``, ``details`` keeping the query and every candidate's verdict; or
    ``searched`` (the query and the candidates' ids, kept until their ``videos.list`` check)."""

    __tablename__ = "youtube_resolutions"

    song_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    youtube_id: Mapped[str | None] = mapped_column(String(11), nullable=True)
    reason: Mapped[str] = mapped_column(String(REASON_LENGTH), nullable=False)
    score: Mapped[float | None] = mapped_column(Double, nullable=True)
    checked_at: Mapped[float] = mapped_column(Double, nullable=False)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)


class YouTubeQuota(Base):
    """Data API units spent on one Pacific day (the quota's day) by one use (``bucket``); ``exhausted``
    once Google answered ``quotaExceeded`` that day."""

    __tablename__ = "youtube_quota"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    bucket: Mapped[str] = mapped_column(String(16), primary_key=True)
    units: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    exhausted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    updated_at: Mapped[float] = mapped_column(Double, nullable=False)


class YouTubeToken(Base):
    """A listener's connection to their YouTube account: the OAuth refresh token and the current
    access token, both encrypted (Fernet, ``MOODTUNE_TOKEN_KEY``); deleted with the listener."""

    __tablename__ = "youtube_tokens"

    listener_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("listeners.id", ondelete="CASCADE"), primary_key=True
    )
    refresh_token: Mapped[str] = mapped_column(Text, nullable=False)
    access_token: Mapped[str | None] = mapped_column(Text, nullable=True)
    access_expires_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    scope: Mapped[str] = mapped_column(String(REASON_LENGTH), nullable=False)
    created_at: Mapped[float] = mapped_column(Double, nullable=False)
    updated_at: Mapped[float] = mapped_column(Double, nullable=False)


class ServiceKey(Base):
    """A key every process and host of the service shares, by name (``moodtune.store.keys``): the
    first process to start writes it, every other reads it."""

    __tablename__ = "service_keys"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[float] = mapped_column(Double, nullable=False)

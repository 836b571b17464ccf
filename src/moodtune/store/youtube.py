"""The ``Store``'s YouTube tables (``moodtune.youtube``): the Data API's answers cached per video
and per song, the daily quota's count, and listeners' OAuth tokens.

A mixin of ``Store`` (``repository.py``), so the web layer and the CLI keep one store object; it
uses the store's sessions (one transaction per write, serialised on SQLite) and upserts (safe when
two processes write the same row). Tokens arrive and leave encrypted: the store never sees a
token in the clear, nor the key (``moodtune.youtube.oauth.TokenVault`` holds it).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from moodtune.store import validation as v
from moodtune.store.models import (
    REASON_LENGTH,
    YouTubeQuota,
    YouTubeResolution,
    YouTubeToken,
    YouTubeVideo,
)

__all__ = ["Resolution", "StoredToken", "VideoCheck", "YouTubeTables"]

_VIDEOS = cast(Table, YouTubeVideo.__table__)
_RESOLUTIONS = cast(Table, YouTubeResolution.__table__)
_QUOTA = cast(Table, YouTubeQuota.__table__)
_TOKENS = cast(Table, YouTubeToken.__table__)

VIDEO_CHECK_STATUSES: tuple[str, ...] = ("confirmed", "playable", "unplayable")
"""``confirmed``: plays embedded and is the song's (``song_id``); ``playable``: plays, but was chosen for
no song (a search's other candidate); ``unplayable``: will not play embedded (``reason`` says why)."""
RESOLUTION_STATUSES: tuple[str, ...] = ("confirmed", "no_match", "searched")
"""``confirmed``: ``youtube_id`` is the song's video; ``no_match``: no candidate was accepted;
``searched``: the search was made (``details``: ``query`` and ``candidate_ids``) but its candidates
are not checked yet, so the next try checks them instead of paying for the search again."""


def _reason(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise v.InvalidStoreInput(f"reason must be a non-empty string, but got {value!r}")
    return value if len(value) <= REASON_LENGTH else value[: REASON_LENGTH - 3] + "..."


def _status(value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise v.InvalidStoreInput(f"status must be one of {', '.join(allowed)}, but got {value!r}")
    return str(value)


@dataclass(frozen=True)
class VideoCheck:
    """What the Data API said about one video when last asked (``youtube_videos``)."""

    youtube_id: str
    song_id: str | None
    status: str
    reason: str
    checked_at: float
    details: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        v.check_youtube_id(self.youtube_id)
        if self.song_id is not None:
            v.check_id("song_id", self.song_id, v.InvalidStoreInput)
        _status(self.status, VIDEO_CHECK_STATUSES)
        object.__setattr__(self, "reason", _reason(self.reason))
        object.__setattr__(self, "checked_at", v.check_time("checked_at", self.checked_at))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Resolution:
    """The latest search for a song's video (``youtube_resolutions``)."""

    song_id: str
    status: str
    youtube_id: str | None
    reason: str
    score: float | None
    checked_at: float
    details: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        v.check_id("song_id", self.song_id, v.InvalidStoreInput)
        _status(self.status, RESOLUTION_STATUSES)
        if (self.status == "confirmed") != (self.youtube_id is not None):
            raise v.InvalidStoreInput(
                f"a confirmed resolution names its video and the others name none, but got "
                f"status={self.status!r} with youtube_id={self.youtube_id!r}"
            )
        if self.youtube_id is not None:
            v.check_youtube_id(self.youtube_id)
        object.__setattr__(self, "reason", _reason(self.reason))
        object.__setattr__(self, "checked_at", v.check_time("checked_at", self.checked_at))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class StoredToken:
    """A listener's YouTube connection as stored: tokens still encrypted."""

    listener_id: str
    refresh_token: str
    access_token: str | None
    access_expires_at: float | None
    scope: str
    created_at: float
    updated_at: float


class YouTubeTables:
    """``Store`` methods for the YouTube tables (see the module docstring)."""

    if TYPE_CHECKING:  # provided by Store

        def _read(self) -> contextlib.AbstractContextManager[Session]: ...
        def _write(self) -> contextlib.AbstractContextManager[Session]: ...
        def _touch(self, session: Session, listener_id: str, now: float, **values: Any) -> None: ...

        _insert: Any

    # -- videos -------------------------------------------------------------------------------------

    def video_checks(self, youtube_ids: Iterable[str] | None = None) -> dict[str, VideoCheck]:
        """The cached checks of ``youtube_ids`` (all of them with None), by id; unknown ids are absent."""
        query = select(_VIDEOS)
        if youtube_ids is not None:
            ids = [v.check_youtube_id(i) for i in youtube_ids]
            if not ids:
                return {}
            query = query.where(_VIDEOS.c.youtube_id.in_(ids))
        with self._read() as session:
            rows = session.execute(query).all()
        return {r.youtube_id: VideoCheck(**r._asdict()) for r in rows}

    def save_video_checks(self, checks: Iterable[VideoCheck]) -> int:
        """Keep each check, replacing the one before for that video; returns how many."""
        items = list(checks)
        for c in items:
            if not isinstance(c, VideoCheck):
                raise v.InvalidStoreInput(f"expected VideoCheck objects, but got {type(c).__name__}")
        with self._write() as session:
            for c in items:
                self._upsert(session, _VIDEOS, [_VIDEOS.c.youtube_id], c.to_dict())
        return len(items)

    def confirmed_videos(self) -> dict[str, tuple[str, ...]]:
        """Song id -> its confirmed videos: the one its resolution chose first, then the others, the
        most recently confirmed first. What the web service may play when the catalog has none."""
        with self._read() as session:
            rows = session.execute(
                select(_VIDEOS.c.youtube_id, _VIDEOS.c.song_id, _VIDEOS.c.checked_at).where(
                    _VIDEOS.c.status == "confirmed", _VIDEOS.c.song_id.is_not(None)
                )
            ).all()
            chosen = set(
                session.execute(
                    select(_RESOLUTIONS.c.song_id, _RESOLUTIONS.c.youtube_id).where(
                        _RESOLUTIONS.c.status == "confirmed"
                    )
                ).all()
            )
        by_song: dict[str, list[tuple[bool, float, str]]] = {}
        for r in rows:
            by_song.setdefault(r.song_id, []).append(
                ((r.song_id, r.youtube_id) not in chosen, -r.checked_at, r.youtube_id)
            )
        return {song: tuple(video for *_, video in sorted(items)) for song, items in by_song.items()}

    # -- resolutions ----------------------------------------------------------------------------------

    def resolutions(
        self, song_ids: Iterable[str] | None = None, *, status: str | None = None
    ) -> dict[str, Resolution]:
        """The latest resolution of each of ``song_ids`` (all with None), by song id; with ``status``,
        only those in that status."""
        query = select(_RESOLUTIONS)
        if status is not None:
            query = query.where(_RESOLUTIONS.c.status == _status(status, RESOLUTION_STATUSES))
        if song_ids is not None:
            ids = list(song_ids)
            if not ids:
                return {}
            query = query.where(_RESOLUTIONS.c.song_id.in_(ids))
        with self._read() as session:
            rows = session.execute(query).all()
        return {r.song_id: Resolution(**r._asdict()) for r in rows}

    def save_resolution(self, resolution: Resolution, video: VideoCheck | None = None) -> None:
        """Keep ``resolution`` (replacing the song's last one) and, in the same transaction, the check
        of the video it chose."""
        if not isinstance(resolution, Resolution):
            raise v.InvalidStoreInput(f"expected a Resolution, but got {type(resolution).__name__}")
        with self._write() as session:
            self._upsert(session, _RESOLUTIONS, [_RESOLUTIONS.c.song_id], resolution.to_dict())
            if video is not None:
                self._upsert(session, _VIDEOS, [_VIDEOS.c.youtube_id], video.to_dict())

    # -- quota ----------------------------------------------------------------------------------------

    def quota_units(self, day: str) -> dict[str, int]:
        """Units spent on ``day`` (a Pacific date, ``YYYY-MM-DD``), by bucket."""
        with self._read() as session:
            rows = session.execute(select(_QUOTA.c.bucket, _QUOTA.c.units).where(_QUOTA.c.day == day)).all()
        return {r.bucket: int(r.units) for r in rows}

    def add_quota(self, day: str, bucket: str, units: int) -> None:
        """Add ``units`` to the day's count in ``bucket`` (atomic: several processes may spend)."""
        if isinstance(units, bool) or not isinstance(units, int) or units < 0:
            raise v.InvalidStoreInput(f"units must be a whole number >= 0, but got {units!r}")
        t = _QUOTA.c
        stmt = self._insert(_QUOTA).values(
            day=day, bucket=bucket, units=units, exhausted=False, updated_at=_now()
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.day, t.bucket],
            set_={"units": t.units + stmt.excluded.units, "updated_at": stmt.excluded.updated_at},
        )
        with self._write() as session:
            session.execute(stmt)

    def quota_exhausted(self, day: str) -> bool:
        """Whether Google said ``quotaExceeded`` on ``day``."""
        with self._read() as session:
            found = session.scalar(
                select(_QUOTA.c.day).where(_QUOTA.c.day == day, _QUOTA.c.exhausted.is_(True)).limit(1)
            )
        return found is not None

    def set_quota_exhausted(self, day: str) -> None:
        with self._write() as session:
            self._upsert(
                session,
                _QUOTA,
                [_QUOTA.c.day, _QUOTA.c.bucket],
                {"day": day, "bucket": "resolve", "units": 0, "exhausted": True, "updated_at": _now()},
                keep=("units",),
            )
            session.execute(update(_QUOTA).where(_QUOTA.c.day == day).values(exhausted=True))

    # -- OAuth tokens ---------------------------------------------------------------------------------

    def youtube_token(self, listener_id: str) -> StoredToken | None:
        listener_id = v.check_id("listener_id", listener_id)
        with self._read() as session:
            row = session.get(YouTubeToken, listener_id)
            if row is None:
                return None
            return StoredToken(
                listener_id=row.listener_id,
                refresh_token=row.refresh_token,
                access_token=row.access_token,
                access_expires_at=row.access_expires_at,
                scope=row.scope,
                created_at=row.created_at,
                updated_at=row.updated_at,
            )

    def save_youtube_token(
        self,
        listener_id: str,
        *,
        refresh_token: str | None,
        scope: str,
        access_token: str | None,
        access_expires_at: float | None,
    ) -> StoredToken:
        """Keep the listener's (encrypted) tokens, creating the listener if needed. ``refresh_token``
        None keeps the one stored (Google sends one only with the first consent); there must be one."""
        listener_id = v.check_id("listener_id", listener_id)
        now = _now()
        with self._write() as session:
            self._touch(session, listener_id, now)
            row = session.get(YouTubeToken, listener_id)
            if row is None:
                if not refresh_token:
                    raise v.InvalidStoreInput(
                        "a new YouTube connection needs a refresh token; connect again with prompt=consent"
                    )
                session.add(
                    YouTubeToken(
                        listener_id=listener_id,
                        refresh_token=refresh_token,
                        access_token=access_token,
                        access_expires_at=access_expires_at,
                        scope=_reason(scope),
                        created_at=now,
                        updated_at=now,
                    )
                )
            else:
                if refresh_token:
                    row.refresh_token = refresh_token
                row.access_token = access_token
                row.access_expires_at = access_expires_at
                row.scope = _reason(scope)
                row.updated_at = now
        stored = self.youtube_token(listener_id)
        assert stored is not None
        return stored

    def delete_youtube_token(self, listener_id: str) -> bool:
        """Forget the listener's YouTube connection; whether there was one."""
        listener_id = v.check_id("listener_id", listener_id)
        with self._write() as session:
            return self._delete_tokens(session, listener_id) > 0

    @staticmethod
    def _delete_tokens(session: Session, listener_id: str) -> int:
        """Delete the listener's token row in ``session`` (also part of ``Store.forget``); how many."""
        result = session.execute(delete(_TOKENS).where(_TOKENS.c.listener_id == listener_id))
        return int(getattr(result, "rowcount", 0))

    # -- helpers --------------------------------------------------------------------------------------

    def _upsert(
        self,
        session: Session,
        table: Table,
        keys: list[Any],
        values: dict[str, Any],
        keep: tuple[str, ...] = (),
    ) -> None:
        """Insert ``values``, or replace every other column of the row with the same ``keys``."""
        stmt = self._insert(table).values(**values)
        key_names = {k.name for k in keys}
        changed = {n: stmt.excluded[n] for n in values if n not in key_names and n not in keep}
        session.execute(stmt.on_conflict_do_update(index_elements=keys, set_=changed))


def _now() -> float:
    return time.time()

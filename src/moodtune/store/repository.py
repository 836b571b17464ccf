"""``Store``: everything the web service reads from and writes to its database, one method per need.

The web layer calls a ``Store`` from many threads at once (FastAPI runs sync routes in a thread
pool), so each call opens a short session of its own and each write is one transaction:

* On SQLite, writes are serialised in the process by a lock (as datasette serialises writes on one
  thread) and begin with ``BEGIN IMMEDIATE``; other processes wait on the busy timeout, in WAL mode
  readers never wait (``moodtune.store.db``).
* On PostgreSQL, rows that any request may be first to create (a listener, a video mark) are
  written with ``INSERT ... ON CONFLICT DO UPDATE``, so two concurrent first requests both succeed.
  The same upserts run on SQLite, where they need no lock of their own.

What a listener can ask to be forgotten (``forget``) is everything keyed by their id: their row
(settings, calibration baseline), their feedback (with the taste weights summed from it), their
readings, their reports of videos that would not play and their YouTube connection (encrypted
OAuth tokens). Video marks and the YouTube cache are global and name no listener.

Taste: each feedback event also updates the listener's row for the song in ``taste_weights``
(``taste.SongTaste.add``, the rule that ``taste.song_weights`` applies to a list of events), in
the same transaction, so ``taste_weights(listener)`` reads at most one row per song the listener
has feedback on and never the feedback table. The row is created empty by an insert that does
nothing when it exists, then read with ``SELECT ... FOR UPDATE``, folded and written back: on
PostgreSQL the row lock makes two concurrent events on one song wait for each other instead of
one overwriting the other; on SQLite writes take turns anyway.

The YouTube tables' methods (cache, quota, tokens) live in ``store/youtube.py``, a mixin of ``Store``.

Errors: bad arguments raise ``UsageError`` subclasses (``moodtune.store.validation``), a database
that cannot be used raises ``StoreError`` (HTTP 503).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, Table, case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from moodtune.emotions import EMOTIONS, check_probabilities
from moodtune.errors import InvalidMoodInput, StoreError
from moodtune.music.taste import Event, Feedback, SongTaste
from moodtune.store import db
from moodtune.store import validation as v
from moodtune.store.models import (
    Base,
    FeedbackEvent,
    Listener,
    Reading,
    RetiredListener,
    TasteWeight,
    VideoMarkRow,
    VideoReport,
)
from moodtune.store.youtube import YouTubeTables

__all__ = ["KeptTaste", "ListenerState", "Store", "StoredReading", "VideoMark", "VideoReported"]

_LISTENERS = cast(Table, Listener.__table__)
_FEEDBACK = cast(Table, FeedbackEvent.__table__)
_READINGS = cast(Table, Reading.__table__)
_VIDEO_MARKS = cast(Table, VideoMarkRow.__table__)
_RETIRED = cast(Table, RetiredListener.__table__)
_VIDEO_REPORTS = cast(Table, VideoReport.__table__)
_TASTE = cast(Table, TasteWeight.__table__)


def retired_key(listener_id: str) -> str:
    """What ``retired_listeners`` keeps of a forgotten listener id: its SHA-256, never the id."""
    return hashlib.sha256(listener_id.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class ListenerState:
    """What the store keeps about one listener; the defaults for a listener never seen."""

    id: str
    history_enabled: bool
    calibration_enabled: bool
    calibration: dict[str, float] | None
    feedback_count: int
    readings_count: int

    @classmethod
    def default(cls, listener_id: str) -> ListenerState:
        return cls(listener_id, False, False, None, 0, 0)


@dataclass(frozen=True)
class StoredReading:
    """One mood reading as history keeps it: when, the mood, the 8 emotion probabilities (keys
    ``EMOTIONS``; empty for a mood the listener chose, which no face was read for), the mood
    probabilities (``mood`` is one of their keys), and the point in the mood space (valence and
    arousal in [-1, 1], ``moodtune.moodspace``). Validated on construction."""

    at: float
    mood: str
    probabilities: dict[str, float]
    mood_probabilities: dict[str, float]
    valence: float
    arousal: float

    def __post_init__(self) -> None:
        at = v.check_time("StoredReading.at", self.at, InvalidMoodInput)
        chosen = isinstance(self.probabilities, Mapping) and not self.probabilities
        probabilities = (
            {} if chosen else check_probabilities("StoredReading.probabilities", self.probabilities, EMOTIONS)
        )
        moods = check_probabilities("StoredReading.mood_probabilities", self.mood_probabilities, None)
        if not isinstance(self.mood, str) or self.mood not in moods:
            raise InvalidMoodInput(
                f"StoredReading.mood must be one of the keys of mood_probabilities ({', '.join(moods)}), "
                f"but got {self.mood!r}"
            )
        valence, arousal = v.check_point(self.valence, self.arousal)
        # Plain dicts and floats, whatever mappings and numbers arrived: they go into JSON columns.
        for name, value in (
            ("at", at),
            ("probabilities", probabilities),
            ("mood_probabilities", moods),
            ("valence", valence),
            ("arousal", arousal),
        ):
            object.__setattr__(self, name, value)

    @property
    def chosen(self) -> bool:
        """Whether the listener chose this mood (no face was read: no emotion probabilities)."""
        return not self.probabilities

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StoredReading:
        """The reverse of ``to_dict``; unknown keys are an error."""
        fields = ("at", "mood", "probabilities", "mood_probabilities", "valence", "arousal")
        if not isinstance(data, Mapping) or set(data) != set(fields):
            got = sorted(data) if isinstance(data, Mapping) else type(data).__name__
            raise InvalidMoodInput(
                f"a stored reading needs exactly the keys {', '.join(fields)}, but got {got}"
            )
        return cls(**{k: data[k] for k in fields})


@dataclass(frozen=True)
class KeptTaste:
    """One listener's taste as the store keeps it: the net weight per song (song id -> weight in
    [-3, 3], sorted by song id, as ``taste.song_weights`` gives it) and how many events they sum."""

    weights: dict[str, float]
    events: int


@dataclass(frozen=True)
class VideoMark:
    """A YouTube video reported unplayable: the last player error ``code``, how many ``reports``,
    when first and last reported, and ``status`` (``unplayable``; a re-check may set ``playable``)."""

    youtube_id: str
    song_id: str | None
    code: int
    reports: int
    first_marked_at: float
    last_marked_at: float
    status: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class VideoReported:
    """What one listener's report of a video did: from how many distinct ``clients`` (addresses) it
    has been reported (since a check last found it playable), and whether it is now ``marked``
    unplayable for everyone."""

    youtube_id: str
    clients: int
    marked: bool


def _now() -> float:
    """Seconds since the epoch (one name for tests to replace)."""
    return time.time()


def _upsert(dialect: str) -> Any:
    """The ``insert`` construct with ``on_conflict_do_update`` for the dialect."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


class Store(YouTubeTables):
    """The database of the web service (see the module docstring). ``Store(url)`` connects and, unless
    ``migrate=False``, brings the schema up to date; with ``migrate=False`` a schema that is not up to
    date is a ``StoreError``."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.engine = db.make_engine(url)
        self.url: str = db.mask_url(self.engine.url)
        self.dialect: str = self.engine.dialect.name
        try:
            if migrate:
                db.migrate(self.engine)
            else:
                self._check_schema()
        except BaseException:
            self.engine.dispose()
            raise
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(
            self.engine.execution_options(**{db.WRITE: True}), expire_on_commit=False
        )
        # SQLite allows one writer at a time: threads of this process take turns here rather than
        # in SQLite's busy loop. PostgreSQL locks rows itself.
        self._write_lock: contextlib.AbstractContextManager[Any] = (
            threading.Lock() if self.dialect == "sqlite" else contextlib.nullcontext()
        )
        self._insert = _upsert(self.dialect)

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _check_schema(self) -> None:
        found, head = db.schema_revision(self.engine), db.head_revision()
        if found != head:
            raise StoreError(
                f"the database at {self.url} has schema revision {found or 'none (never migrated)'}, "
                f"but this moodtune needs {head}: open it with Store(url, migrate=True) to upgrade it"
            )

    # -- sessions ---------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _read(self) -> Iterator[Session]:
        with db.translate_errors(self.url), self._sessions() as session:
            yield session

    @contextlib.contextmanager
    def _write(self) -> Iterator[Session]:
        """One transaction, committed when the block ends without an error."""
        with db.translate_errors(self.url), self._write_lock, self._write_sessions.begin() as session:
            yield session

    def _touch(self, session: Session, listener_id: str, now: float, **values: Any) -> None:
        """Create the listener's row if needed, set ``values`` and ``last_seen_at``."""
        row = {
            "id": listener_id,
            "created_at": now,
            "last_seen_at": now,
            "history_enabled": False,
            "calibration_enabled": False,
            "calibration": None,
            **values,
        }
        stmt = self._insert(_LISTENERS).values(**row)
        changed = {name: stmt.excluded[name] for name in ("last_seen_at", *values)}
        session.execute(stmt.on_conflict_do_update(index_elements=[_LISTENERS.c.id], set_=changed))

    def _state(self, session: Session, listener_id: str) -> ListenerState:
        row = session.get(Listener, listener_id)
        if row is None:
            return ListenerState.default(listener_id)
        counts = [
            session.scalar(select(func.count()).select_from(table).where(table.c.listener_id == listener_id))
            for table in (_FEEDBACK, _READINGS)
        ]
        return ListenerState(
            id=row.id,
            history_enabled=bool(row.history_enabled),
            calibration_enabled=bool(row.calibration_enabled),
            calibration=dict(row.calibration) if row.calibration is not None else None,
            feedback_count=int(counts[0] or 0),
            readings_count=int(counts[1] or 0),
        )

    # -- the service's health ---------------------------------------------------------------------

    def close(self) -> None:
        """Close every pooled connection. The store can still be used: it reconnects."""
        self.engine.dispose()

    def ping(self) -> None:
        """Raise ``StoreError`` if the database cannot be reached right now."""
        with db.translate_errors(self.url), self.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def counts(self) -> dict[str, int]:
        """How many rows each table of the schema holds, by table name (``listeners``,
        ``feedback``, ``readings``, ``video_marks`` and the ``youtube_*`` tables)."""
        with self._read() as session:
            return {
                table.name: int(session.scalar(select(func.count()).select_from(table)) or 0)
                for table in Base.metadata.sorted_tables
            }

    # -- listeners --------------------------------------------------------------------------------

    def listener(self, listener_id: str) -> ListenerState:
        """The listener's settings and counts; the defaults for an id never seen. Writes nothing."""
        listener_id = v.check_id("listener_id", listener_id)
        with self._read() as session:
            return self._state(session, listener_id)

    def update_listener(
        self,
        listener_id: str,
        *,
        history_enabled: bool | None = None,
        calibration_enabled: bool | None = None,
    ) -> ListenerState:
        """Change the settings given (None leaves one as it is), creating the listener if needed.
        Turning history off keeps the readings already stored; ``forget`` deletes them."""
        listener_id = v.check_id("listener_id", listener_id)
        values: dict[str, bool] = {}
        for name, value in (
            ("history_enabled", history_enabled),
            ("calibration_enabled", calibration_enabled),
        ):
            if value is None:
                continue
            if not isinstance(value, bool):
                raise v.InvalidStoreInput(f"{name} must be True, False or None, but got {value!r}")
            values[name] = value
        with self._write() as session:
            self._touch(session, listener_id, _now(), **values)
            return self._state(session, listener_id)

    def set_calibration(self, listener_id: str, probabilities: Mapping[str, float]) -> ListenerState:
        """Keep ``probabilities`` (exactly the 8 ``EMOTIONS``, finite, >= 0, not all 0; divided by their
        sum) as the listener's neutral-face baseline, and turn calibration on."""
        listener_id = v.check_id("listener_id", listener_id)
        baseline = check_probabilities("calibration probabilities", probabilities, EMOTIONS, normalise=True)
        with self._write() as session:
            self._touch(session, listener_id, _now(), calibration=baseline, calibration_enabled=True)
            return self._state(session, listener_id)

    def clear_calibration(self, listener_id: str) -> ListenerState:
        """Delete the listener's baseline and turn calibration off. A listener never seen stays unseen
        (nothing is created to hold an absent baseline)."""
        listener_id = v.check_id("listener_id", listener_id)
        with self._write() as session:
            session.execute(
                update(_LISTENERS)
                .where(_LISTENERS.c.id == listener_id)
                .values(calibration=None, calibration_enabled=False, last_seen_at=_now())
            )
            return self._state(session, listener_id)

    def forget(self, listener_id: str) -> dict[str, int]:
        """Delete everything kept about the listener: their row (settings, calibration), feedback
        (and the taste weights summed from it), readings, video reports and YouTube connection, and
        retire the id (only its hash is kept: ``is_retired``). Returns how many rows of each were
        deleted (``listeners`` and ``youtube_tokens`` are 0 or 1; ``feedback`` counts events)."""
        listener_id = v.check_id("listener_id", listener_id)
        with self._write() as session:
            # Children first and explicitly, to count them (ON DELETE CASCADE would also remove them).
            session.execute(delete(_TASTE).where(_TASTE.c.listener_id == listener_id))
            deleted = {
                "feedback": _rowcount(
                    session.execute(delete(_FEEDBACK).where(_FEEDBACK.c.listener_id == listener_id))
                ),
                "readings": _rowcount(
                    session.execute(delete(_READINGS).where(_READINGS.c.listener_id == listener_id))
                ),
                "video_reports": _rowcount(
                    session.execute(delete(_VIDEO_REPORTS).where(_VIDEO_REPORTS.c.listener_id == listener_id))
                ),
                "youtube_tokens": self._delete_tokens(session, listener_id),
                "listeners": _rowcount(
                    session.execute(delete(_LISTENERS).where(_LISTENERS.c.id == listener_id))
                ),
            }
            retire = self._insert(_RETIRED).values(id=retired_key(listener_id), retired_at=time.time())
            session.execute(retire.on_conflict_do_nothing(index_elements=["id"]))
        return {
            k: deleted[k] for k in ("listeners", "feedback", "readings", "video_reports", "youtube_tokens")
        }

    def is_retired(self, listener_id: str) -> bool:
        """Whether the listener asked to forget everything (``forget``): its id is never used again."""
        listener_id = v.check_id("listener_id", listener_id)
        with self._read() as session:
            found = session.scalar(select(_RETIRED.c.id).where(_RETIRED.c.id == retired_key(listener_id)))
        return found is not None

    # -- feedback ---------------------------------------------------------------------------------

    def add_feedback(self, listener_id: str, song_id: str, event: str, at: float | None = None) -> Feedback:
        """Store one event (``like``, ``dislike``, ``skip``, ``complete``) at ``at`` (default: now),
        and fold it into the listener's taste weight for the song (see the module docstring)."""
        listener_id = v.check_id("listener_id", listener_id)
        item = Feedback(listener_id, song_id, cast(Event, event), _now() if at is None else at)
        v.check_id("song_id", item.song_id, v.InvalidStoreInput)
        with self._write() as session:
            now = _now()
            self._touch(session, listener_id, now)
            session.execute(
                _FEEDBACK.insert().values(
                    listener_id=listener_id, song_id=item.song_id, event=item.event, at=float(item.at)
                )
            )
            self._fold_taste(session, item, now)
        return item

    def _fold_taste(self, session: Session, item: Feedback, now: float) -> None:
        """Add the event to its listener's ``taste_weights`` row for the song: create the row empty
        if it is missing, lock and read it, fold the event in (``SongTaste.add``), write it back."""
        t = _TASTE.c
        empty = self._insert(_TASTE).values(
            listener_id=item.listener, song_id=item.song_id, **_taste_row(SongTaste(), now)
        )
        session.execute(empty.on_conflict_do_nothing(index_elements=[t.listener_id, t.song_id]))
        key = (t.listener_id == item.listener, t.song_id == item.song_id)
        kept = session.execute(
            select(t.answer, t.answer_at, t.plays, t.events).where(*key).with_for_update()
        ).one()
        taste = SongTaste(kept.answer, kept.answer_at, kept.plays, kept.events).add(item)
        session.execute(update(_TASTE).where(*key).values(**_taste_row(taste, now)))

    def taste_weights(self, listener_id: str) -> KeptTaste:
        """The listener's kept taste (``KeptTaste``): their rows of ``taste_weights`` only, at most
        one per song, whatever the size of the feedback table. Empty for a listener never seen."""
        listener_id = v.check_id("listener_id", listener_id)
        t = _TASTE.c
        query = select(t.song_id, t.weight, t.events).where(t.listener_id == listener_id).order_by(t.song_id)
        with self._read() as session:
            rows = session.execute(query).all()
        return KeptTaste({r.song_id: r.weight for r in rows}, sum(r.events for r in rows))

    def positive_weights(self) -> list[tuple[str, str, float]]:
        """Every listener's positive net weights as ``(listener_id, song_id, weight)``, in no
        particular order: what the collaborative model is fitted on (``taste.fit_collaborative_weights``)."""
        t = _TASTE.c
        with self._read() as session:
            rows = session.execute(select(t.listener_id, t.song_id, t.weight).where(t.weight > 0)).all()
        return [(r[0], r[1], r[2]) for r in rows]

    def feedback(self, listener_id: str | None = None, limit: int | None = None) -> list[Feedback]:
        """One listener's events, or everyone's (``listener_id=None``, for collaborative taste), oldest
        first; with ``limit``, only the newest ``limit`` of them (still oldest first)."""
        query = select(_FEEDBACK.c.listener_id, _FEEDBACK.c.song_id, _FEEDBACK.c.event, _FEEDBACK.c.at)
        if listener_id is not None:
            query = query.where(_FEEDBACK.c.listener_id == v.check_id("listener_id", listener_id))
        newest_first = limit is not None
        if limit is not None:
            query = query.order_by(_FEEDBACK.c.at.desc(), _FEEDBACK.c.id.desc()).limit(
                v.check_limit("limit", limit)
            )
        else:
            query = query.order_by(_FEEDBACK.c.at, _FEEDBACK.c.id)
        with self._read() as session:
            rows = list(session.execute(query).all())
        if newest_first:
            rows.reverse()
        return [Feedback(r.listener_id, r.song_id, cast(Event, r.event), r.at) for r in rows]

    # -- mood history -----------------------------------------------------------------------------

    def add_reading(self, listener_id: str, reading: StoredReading) -> bool:
        """Keep ``reading`` if the listener turned history on; returns whether it was kept. A listener
        with history off (or never seen) is not written at all."""
        listener_id = v.check_id("listener_id", listener_id)
        if not isinstance(reading, StoredReading):
            raise v.InvalidStoreInput(f"reading must be a StoredReading, but got {type(reading).__name__}")
        with self._write() as session:
            # The UPDATE both checks the setting and (on PostgreSQL) locks the row, so a concurrent
            # "history off" cannot slip between the check and the insert.
            touched = session.execute(
                update(_LISTENERS)
                .where(_LISTENERS.c.id == listener_id, _LISTENERS.c.history_enabled.is_(True))
                .values(last_seen_at=_now())
            )
            if _rowcount(touched) == 0:
                return False
            session.execute(_READINGS.insert().values(listener_id=listener_id, **reading.to_dict()))
        return True

    def history(self, listener_id: str, limit: int = 500) -> list[StoredReading]:
        """The listener's newest ``limit`` readings, oldest first."""
        listener_id = v.check_id("listener_id", listener_id)
        limit = v.check_limit("limit", limit)
        r = _READINGS.c
        query = (
            select(r.at, r.mood, r.probabilities, r.mood_probabilities, r.valence, r.arousal)
            .where(r.listener_id == listener_id)
            .order_by(r.at.desc(), r.id.desc())
            .limit(limit)
        )
        with self._read() as session:
            rows = session.execute(query).all()
        return [StoredReading(**row._asdict()) for row in reversed(rows)]

    # -- unplayable videos ------------------------------------------------------------------------

    def mark_video(
        self, youtube_id: str, code: int, song_id: str | None = None, at: float | None = None
    ) -> VideoMark:
        """Record a report that the video does not play (player error ``code``): the first report
        creates the mark, each later one adds 1 to ``reports``, keeps the latest code, fills in
        ``song_id`` if it was unknown, and sets ``status`` back to ``unplayable``."""
        youtube_id, code, song_id, when = _report_args(youtube_id, code, song_id, at)
        with self._write() as session:
            self._mark(session, youtube_id, code, song_id, when)
            mark = self._video_mark(session, youtube_id)
        assert mark is not None  # just written, in this transaction
        return mark

    def _mark(self, session: Session, youtube_id: str, code: int, song_id: str | None, when: float) -> None:
        t = _VIDEO_MARKS.c
        stmt = self._insert(_VIDEO_MARKS).values(
            youtube_id=youtube_id,
            song_id=song_id,
            code=code,
            reports=1,
            first_marked_at=when,
            last_marked_at=when,
            status="unplayable",
        )
        new = stmt.excluded
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.youtube_id],
            set_={
                "song_id": func.coalesce(new.song_id, t.song_id),
                "code": new.code,
                "reports": t.reports + 1,
                # Reports may arrive out of order (a client's clock, a retried request).
                "first_marked_at": case(
                    (new.first_marked_at < t.first_marked_at, new.first_marked_at), else_=t.first_marked_at
                ),
                "last_marked_at": case(
                    (new.last_marked_at > t.last_marked_at, new.last_marked_at), else_=t.last_marked_at
                ),
                "status": "unplayable",
            },
        )
        session.execute(stmt)

    def report_video(
        self,
        listener_id: str,
        youtube_id: str,
        code: int,
        song_id: str | None = None,
        at: float | None = None,
        *,
        client: str,
        quorum: int,
    ) -> VideoReported:
        """One listener's report that the video does not play (player error ``code``), sent from
        ``client`` (the client's address; only its SHA-256 is kept). The video is hidden from this
        listener at once (``reported_videos``); it is marked unplayable for everyone
        (``mark_video``) once reports from ``quorum`` distinct client addresses are in, so that no
        single client, however many listener cookies it collects, can take videos away from
        everyone. A listener reporting again counts once."""
        listener_id = v.check_id("listener_id", listener_id)
        if not isinstance(client, str) or not client:
            raise v.InvalidVideoMark(f"client must be the client's address, but got {client!r}")
        youtube_id, code, song_id, when = _report_args(youtube_id, code, song_id, at)
        if isinstance(quorum, bool) or not isinstance(quorum, int) or quorum < 1:
            raise v.InvalidVideoMark(f"quorum must be a whole number >= 1, but got {quorum!r}")
        r = _VIDEO_REPORTS.c
        stmt = self._insert(_VIDEO_REPORTS).values(
            youtube_id=youtube_id,
            listener_id=listener_id,
            client=hashlib.sha256(client.encode()).hexdigest(),
            code=code,
            reported_at=when,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[r.youtube_id, r.listener_id],
            set_={
                "client": stmt.excluded.client,
                "code": stmt.excluded.code,
                "reported_at": stmt.excluded.reported_at,
            },
        )
        with self._write() as session:
            self._touch(session, listener_id, _now())
            session.execute(stmt)
            clients = int(
                session.scalar(select(func.count(r.client.distinct())).where(r.youtube_id == youtube_id)) or 0
            )
            if clients >= quorum:
                self._mark(session, youtube_id, code, song_id, when)
            mark = self._video_mark(session, youtube_id)
        return VideoReported(youtube_id, clients, mark is not None and mark.status == "unplayable")

    def reported_videos(self, listener_id: str) -> frozenset[str]:
        """The videos this listener reported unplayable (hidden from them, whatever others see)."""
        listener_id = v.check_id("listener_id", listener_id)
        r = _VIDEO_REPORTS.c
        with self._read() as session:
            return frozenset(session.scalars(select(r.youtube_id).where(r.listener_id == listener_id)))

    def video_mark(self, youtube_id: str) -> VideoMark | None:
        """The mark of one video; None if it was never reported."""
        youtube_id = v.check_youtube_id(youtube_id)
        with self._read() as session:
            return self._video_mark(session, youtube_id)

    def _video_mark(self, session: Session, youtube_id: str) -> VideoMark | None:
        row = session.get(VideoMarkRow, youtube_id)
        return None if row is None else _mark(row)

    def unplayable_videos(self) -> frozenset[str]:
        """The YouTube ids never to serve again (status ``unplayable``)."""
        with self._read() as session:
            return frozenset(
                session.scalars(
                    select(_VIDEO_MARKS.c.youtube_id).where(_VIDEO_MARKS.c.status == "unplayable")
                )
            )

    def video_marks(self, status: str | None = "unplayable") -> list[VideoMark]:
        """Every mark with ``status`` (``unplayable``, ``playable``; None: all), oldest report first."""
        query = select(VideoMarkRow).order_by(_VIDEO_MARKS.c.first_marked_at, _VIDEO_MARKS.c.youtube_id)
        if status is not None:
            if status not in v.VIDEO_STATUSES:
                raise v.InvalidVideoMark(
                    f"status must be one of {', '.join(v.VIDEO_STATUSES)} or None, but got {status!r}"
                )
            query = query.where(_VIDEO_MARKS.c.status == status)
        with self._read() as session:
            return [_mark(row) for row in session.scalars(query).all()]

    def set_video_playable(self, youtube_id: str) -> bool:
        """Clear the unplayable mark of a video that a re-check found playable again (``status``
        back to ``playable``; the report count and times stay). Whether a mark was cleared."""
        youtube_id = v.check_youtube_id(youtube_id)
        with self._write() as session:
            result = session.execute(
                update(_VIDEO_MARKS)
                .where(_VIDEO_MARKS.c.youtube_id == youtube_id, _VIDEO_MARKS.c.status == "unplayable")
                .values(status="playable")
            )
            # The reports that led to the mark are answered: new ones count from zero again.
            session.execute(delete(_VIDEO_REPORTS).where(_VIDEO_REPORTS.c.youtube_id == youtube_id))
        return _rowcount(result) > 0


def _report_args(
    youtube_id: str, code: int, song_id: str | None, at: float | None
) -> tuple[str, int, str | None, float]:
    youtube_id = v.check_youtube_id(youtube_id)
    code = v.check_code(code)
    if song_id is not None:
        v.check_id("song_id", song_id, v.InvalidVideoMark)
    return youtube_id, code, song_id, _now() if at is None else v.check_time("at", at)


def _taste_row(taste: SongTaste, now: float) -> dict[str, Any]:
    """The ``taste_weights`` columns (besides the key) that hold ``taste``."""
    return {
        "answer": taste.answer,
        "answer_at": taste.answer_at,
        "plays": taste.plays,
        "events": taste.events,
        "weight": taste.weight,
        "updated_at": now,
    }


def _mark(row: VideoMarkRow) -> VideoMark:
    return VideoMark(
        youtube_id=row.youtube_id,
        song_id=row.song_id,
        code=row.code,
        reports=row.reports,
        first_marked_at=row.first_marked_at,
        last_marked_at=row.last_marked_at,
        status=row.status,
    )

"""The JSON API under ``/api/v1`` (see docs/api.md for every shape).

Routes are thin: they check input (``schemas``), call the library (``vision``, ``music``,
``store``) and return its ``to_dict()`` shapes. Database work runs in FastAPI's thread pool (sync
``def`` routes); image analysis runs on the bounded ``AnalysisPool``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from moodtune.emotions import MOODS
from moodtune.errors import (
    ForeignOrigin,
    InvalidMoodInput,
    ListenerRequired,
    Overloaded,
    SongNotFound,
    UsageError,
)
from moodtune.moodspace import valence_arousal
from moodtune.music.catalog import YOUTUBE_ID
from moodtune.music.plan import STRATEGIES, Reading
from moodtune.music.rank import Filters
from moodtune.music.taste import similar_songs
from moodtune.store import UNPLAYABLE_CODES, InvalidVideoMark
from moodtune.store.repository import ListenerState, StoredReading
from moodtune.vision.calibration import calibrate, check_distribution
from moodtune.vision.engine import ImageAnalysis
from moodtune.vision.image_io import load_image
from moodtune.vision.room import RoomFace, room_reading
from moodtune.web.analysis import Worker
from moodtune.web.errors import errors
from moodtune.web.schemas import (
    ANY_OBJECT,
    CalibrationIn,
    FeedbackIn,
    MePatch,
    ReadingIn,
    RecommendIn,
    UnplayableIn,
)
from moodtune.web.services import Services
from moodtune.web.uploads import UPLOAD_BODY, UPLOAD_ERRORS, image_bytes, read_body
from moodtune.youtube.play import playable_video

MARKING_CODES = {
    2: "invalid video id",
    100: "video removed or private",
    101: "embedding disallowed",
    150: "embedding disallowed",
}
assert set(MARKING_CODES) == set(UNPLAYABLE_CODES)  # the store refuses any other code
PAGE_CODES = {
    5: "the player could not play this video in this browser (HTML5 error); skipped for you only",
    153: "the page sent no referrer to the player; skipped for you only",
}
STORED = (
    "moodtune keeps: your likes, dislikes, skips and songs played to the end (to learn your taste); "
    "your neutral-face baseline if you set one (to correct your readings); and your mood readings, "
    "and the moods you choose, only while history is on. No image ever leaves the memory of the "
    "request that analysed it. "
    "One button deletes it all."
)


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


Svc = Annotated[Services, Depends(services)]


def client_key(request: Request, svc: Svc) -> str:
    if svc.settings.trust_proxy:
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.client.host if request.client else "unknown"


ROUTE_COSTS: dict[str, float] = {
    "/api/v1/videos/{youtube_id}/unplayable": 5.0,  # a report, a similar-song search, maybe YouTube
    "/api/v1/recommendations": 2.0,  # a ranking over the catalog, with the listener's taste
    "/api/v1/analyze": 2.0,  # an image decoded and read by the model
}
"""What one request of a route counts against the per-client rate limit (others count 1): a
client's share is counted in work, so one client cannot buy the CPU with cheap-looking requests."""


def rate_limit(request: Request, svc: Svc) -> None:
    route = request.scope.get("route")
    cost = ROUTE_COSTS.get(getattr(route, "path", ""), 1.0)
    svc.limiter.check(client_key(request, svc), cost)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def same_origin(request: Request) -> None:
    """A state-changing request that a browser marks with another site's ``Origin`` is refused:
    the listener cookie is sent with it (SameSite=Lax still lets some through), so another page
    could otherwise write in the listener's name. Requests without ``Origin`` (the CLI, scripts)
    and the page's own requests pass."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if origin is None:
        return
    # Hosts, not schemes: behind a proxy that ends TLS the service itself sees plain HTTP.
    own = request.headers.get("host", request.url.netloc).lower()
    if urlsplit(origin).netloc.lower() != own:
        raise ForeignOrigin(
            f"this request came from a page of another site ({origin[:100]}), not from {own}: moodtune "
            "takes changes only from its own page; open the page itself to like, skip or change settings"
        )


@dataclass(frozen=True)
class Listener:
    id: str
    new: bool


def listener(request: Request, response: Response, svc: Svc) -> Listener:
    known = svc.cookie.read(request)
    if known is not None and not svc.store.is_retired(known):
        return Listener(known, new=False)
    # no cookie, a forged one, or the id of a listener who asked to forget everything: a fresh id
    fresh = svc.cookie.new_id()
    svc.cookie.issue(response, fresh, request)
    return Listener(fresh, new=True)


Who = Annotated[Listener, Depends(listener)]


def known_listener(request: Request, svc: Svc) -> str | None:
    """The listener id of a request that carries the cookie, else None; a read-only route uses it
    to show what this listener sees (a video they reported stays hidden) without issuing one."""
    known = svc.cookie.read(request)
    return known if known is not None and not svc.store.is_retired(known) else None


Known = Annotated[str | None, Depends(known_listener)]

router = APIRouter(prefix="/api/v1", dependencies=[Depends(rate_limit), Depends(same_origin)])


# --- analyze --------------------------------------------------------------------------------
def _calibrated(svc: Services, faces: list[dict[str, Any]], baseline: dict[str, float] | None) -> None:
    for face in faces:
        if baseline is None:
            face["calibration"] = {"applied": False}
            continue
        raw = {k: face[k] for k in ("probabilities", "mood_probabilities", "valence", "arousal")}
        p = calibrate(
            check_distribution(face["probabilities"], svc.labels),
            check_distribution(baseline, svc.labels),
            svc.labels,
            reference=svc.classifier.meta.neutral_reading,
        )
        v, a = valence_arousal(p, svc.labels)
        face.update(
            svc.reading(p).to_dict(),
            valence=round(v, 4),
            arousal=round(a, 4),
            calibration={"applied": True, "raw": raw},
        )


@router.post(
    "/analyze",
    summary="Find faces and read their emotion, mood, valence and arousal",
    responses=errors(*UPLOAD_ERRORS, Overloaded),
    openapi_extra={"requestBody": UPLOAD_BODY},
)
async def analyze(
    request: Request,
    svc: Svc,
    who: Who,
    assume_face: Annotated[bool, Query(description="read the whole image as one face crop")] = False,
    source: Annotated[
        Literal["photo", "camera"],
        Query(description="camera: a live frame with a face near the camera (faster detector)"),
    ] = "photo",
) -> dict[str, Any]:
    limit = svc.settings.max_upload_bytes
    svc.analysis.check_room()  # a full queue refuses the upload before its bytes are read
    data = image_bytes(await read_body(request, limit), request.headers.get("content-type"), limit)
    with svc.analysis.admission():
        state = None if who.new else await run_in_threadpool(svc.store.listener, who.id)

        def work(worker: Worker) -> ImageAnalysis:
            rgb = load_image(data, max_pixels=svc.settings.max_pixels, max_bytes=limit).rgb
            detector = worker.camera if source == "camera" else None
            return worker.analyzer.analyze_rgb(rgb, assume_face=assume_face, detector=detector)

        svc.metrics.analysis_in_flight.inc()
        try:
            result = await svc.analysis.execute(work)
        finally:
            svc.metrics.analysis_in_flight.dec()
    out = result.to_dict()
    enabled = bool(state and state.calibration_enabled)
    baseline = state.calibration if state is not None and enabled else None
    _calibrated(svc, out["faces"], baseline)
    if baseline is not None and out["faces"]:  # the room pools the readings the listener is shown
        room = room_reading([RoomFace.from_dict(f) for f in out["faces"]], svc.classifier.meta.input_size)
        out["room"] = None if room is None else room.to_dict()
    for face in out["faces"]:
        svc.metrics.faces.labels(face["mood"]).inc()
    out["calibration"] = {
        "enabled": enabled,
        "has_baseline": bool(state and state.calibration is not None),
    }
    return out


# --- recommendations ------------------------------------------------------------------------
def _reading(svc: Services, body: RecommendIn) -> Reading:
    given = [
        name
        for name, value in (
            ("mood", body.mood),
            ("probabilities", body.probabilities),
            ("valence/arousal", body.valence if body.valence is not None else body.arousal),
        )
        if value is not None
    ]
    if len(given) != 1:
        raise InvalidMoodInput(
            "give the listener's mood in exactly one way: mood, probabilities, or valence with arousal "
            f"(or more_like: a song id){'; got ' + ' and '.join(given) if given else '; got none'}"
        )
    if body.mood is not None:
        return Reading.from_mood(body.mood)
    if body.probabilities is not None:
        p = body.probabilities
        if isinstance(p, dict) and set(p) - set(svc.moods):
            return Reading.from_probabilities(
                svc.reading(check_distribution(p, svc.labels)).mood_probabilities
            )
        return Reading.from_probabilities(p)
    if body.valence is None or body.arousal is None:
        raise InvalidMoodInput("valence and arousal go together; send both, each in [-1, 1]")
    return Reading.from_point(body.valence, body.arousal)


def _more_like(
    svc: Services, body: RecommendIn, taste: dict[str, float], listener_id: str | None
) -> dict[str, Any]:
    """Songs like ``body.more_like``, nearest first, through the same filters as a mood list (a
    song a filter cannot judge is left out), never a song in ``exclude_ids`` or by the same artist."""
    assert body.more_like is not None
    song = svc.catalog.get(body.more_like)
    if song is None:
        raise SongNotFound(f"no song with id {body.more_like!r}; pick one from a playlist")
    exclude = set(body.exclude_ids)
    unplayable = svc.hidden_for(listener_id)
    filters = Filters(**body.filters.model_dump()) if body.filters else Filters()
    exclude |= svc.not_playing_for(filters, unplayable)
    index = svc.recommender.index
    svc.sync_youtube_filter()
    mask, unjudged = index.allowed(filters)
    out = []
    for other, sim in similar_songs(svc.catalog, song.id):
        if other.id in exclude:
            continue
        if mask is not None and ((row := int(index.rows_of([other.id])[0])) < 0 or not mask[row]):
            continue
        reason = f"sounds like {song.title} by {song.artist}"
        out.append(svc.song_out(other, unplayable, reason=reason, score=round(sim, 4)))
        if len(out) == body.n:
            break
    if taste:
        out.sort(key=lambda s: -(s["score"] + 0.1 * taste.get(s["id"], 0.0)))
    return {
        "plan": {"strategy": "more_like", "song": svc.song_out(song, unplayable)},
        "filters": filters.to_dict(),
        "songs": out,
        "unjudged": unjudged,
    }


@router.post(
    "/recommendations",
    summary="Songs for a mood (match, lift, calm, energize) or like a song",
    responses=errors(InvalidMoodInput, UsageError, SongNotFound),
)
def recommendations(body: RecommendIn, svc: Svc, who: Who) -> dict[str, Any]:
    taste = svc.taste(who.id) if body.use_taste and not who.new else {}
    if body.more_like is not None:
        if any(v is not None for v in (body.mood, body.probabilities, body.valence, body.arousal)):
            raise InvalidMoodInput("more_like replaces the mood: send either more_like or a mood, not both")
        return _more_like(svc, body, taste, None if who.new else who.id)
    reading = _reading(svc, body)
    filters = Filters(**body.filters.model_dump()) if body.filters else Filters()
    unplayable = svc.hidden_for(None if who.new else who.id)
    svc.sync_youtube_filter()  # youtube_only, playable_only: the songs whose videos play now
    # and not those whose videos this listener reported
    exclude = set(body.exclude_ids) | svc.not_playing_for(filters, unplayable)
    result = svc.recommender.recommend(
        reading,
        body.strategy,
        body.n,
        filters=filters,
        exclude_ids=exclude,
        seed=body.seed,
        taste=taste or None,
    ).to_dict()
    for song in result["songs"]:
        catalog_song = svc.catalog.get(song["id"])
        assert catalog_song is not None
        song["play"] = svc.play(catalog_song, unplayable)
    return result


# --- feedback, songs, videos ----------------------------------------------------------------
@router.post(
    "/feedback",
    status_code=201,
    summary="Record a like, dislike, skip or complete play",
    responses=errors(SongNotFound),
)
def feedback(body: FeedbackIn, svc: Svc, who: Who) -> dict[str, Any]:
    if body.song_id not in svc.catalog:
        raise SongNotFound(f"no song with id {body.song_id!r}; send the id of a song from a playlist")
    event = svc.store.add_feedback(who.id, body.song_id, body.event, time.time())
    return {"song_id": event.song_id, "event": event.event, "at": event.at}


@router.get(
    "/songs/{song_id}", summary="One song, with how the page plays it", responses=errors(SongNotFound)
)
def song(song_id: str, svc: Svc, listener_id: Known) -> dict[str, Any]:
    found = svc.catalog.get(song_id)
    if found is None:
        raise SongNotFound(f"no song with id {song_id!r}; search with GET /api/v1/songs?query=...")
    return svc.song_out(found, svc.hidden_for(listener_id))


@router.get("/songs", summary="Find songs by title or artist", responses=errors(UsageError))
def songs(
    svc: Svc,
    listener_id: Known,
    query: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    found = svc.catalog.search(query, limit=limit)
    unplayable = svc.hidden_for(listener_id)
    return {"query": query, "count": len(found), "songs": [svc.song_out(s, unplayable) for s in found]}


@router.post(
    "/videos/{youtube_id}/unplayable",
    summary="Report a player error; get a replacement",
    responses=errors(UsageError, InvalidVideoMark, ListenerRequired),
)
def unplayable(youtube_id: str, body: UnplayableIn, request: Request, svc: Svc, who: Who) -> dict[str, Any]:
    if not YOUTUBE_ID.fullmatch(youtube_id):
        raise UsageError(
            f"youtube_id must be 11 characters of A-Z, a-z, 0-9, _ or -, but got {youtube_id[:40]!r}"
        )
    if body.code in PAGE_CODES:
        return {
            "marked": False,
            "code": body.code,
            "youtube_id": youtube_id,
            "replacement": None,
            "reason": PAGE_CODES[body.code],
        }
    if body.code not in MARKING_CODES:
        raise UsageError(
            f"code must be a YouTube player error code (2, 5, 100, 101, 150 or 153), but got {body.code}"
        )
    if who.new:
        raise ListenerRequired(
            "a report that a video will not play counts only from the page that played it: send the "
            "listener cookie the page got with its playlist"
        )
    song = svc.catalog.get(body.song_id) if body.song_id else None
    if song is None:
        song = svc.song_for_video(youtube_id)
    song_id = song.id if song else None
    # Hidden for this listener at once; for everyone once enough clients reported it, or a check
    # of the Data API (when it is configured) says it will not play.
    report = svc.store.report_video(
        who.id,
        youtube_id,
        body.code,
        song_id,
        time.time(),
        client=client_key(request, svc),
        quorum=svc.settings.video_report_quorum,
    )
    marked = report.marked or bool(svc.youtube.check_live(youtube_id, song_id))
    unplayable_ids = svc.hidden_for(who.id, fresh=True)
    confirmed = svc.confirmed(fresh=True)
    replacement: dict[str, Any] | None = None
    if song is not None:
        # Another video of the same song first: the catalog's other uploads, the resolver's
        # confirmations, else (with a key and quota) a search now, bounded by a short timeout.
        if playable_video(song, unplayable_ids, confirmed.get(song.id, ())) is not None:
            reason = "another upload of the same song"
        else:
            found = svc.youtube.find_live(song, unplayable_ids)
            reason = ""
            if found is not None and found.youtube_id and found.youtube_id not in unplayable_ids:
                svc.add_confirmed(song.id, found.youtube_id)
                reason = f"another upload of the same song, found on YouTube: {found.reason}"
        if reason:
            replacement = {"kind": "video", "song": svc.song_out(song, unplayable_ids, reason=reason)}
        else:
            exclude = {*body.exclude_ids, song.id}
            for other, sim in similar_songs(svc.catalog, song.id):
                if other.id in exclude:
                    continue
                if playable_video(other, unplayable_ids, confirmed.get(other.id, ())) is not None:
                    reason = f"in place of {song.title} by {song.artist}, whose video cannot play here"
                    replacement = {
                        "kind": "song",
                        "song": svc.song_out(other, unplayable_ids, reason=reason, score=round(sim, 4)),
                    }
                    break
    return {
        "marked": marked,
        "code": body.code,
        "youtube_id": youtube_id,
        "reason": MARKING_CODES[body.code]
        + ("; not played again for anyone" if marked else "; not played again for you"),
        "replacement": replacement,
    }


# --- the listener's own data ----------------------------------------------------------------
def _me(state: ListenerState) -> dict[str, Any]:
    return {
        "history_enabled": state.history_enabled,
        "calibration_enabled": state.calibration_enabled,
        "calibration": state.calibration,
        "feedback_count": state.feedback_count,
        "readings_count": state.readings_count,
        "stored": STORED,
    }


@router.get("/me", summary="What is stored about you, and your switches")
def me(svc: Svc, who: Who) -> dict[str, Any]:
    return _me(svc.store.listener(who.id))


@router.patch("/me", summary="Turn history or calibration on or off")
def me_patch(body: MePatch, svc: Svc, who: Who) -> dict[str, Any]:
    return _me(
        svc.store.update_listener(
            who.id, history_enabled=body.history_enabled, calibration_enabled=body.calibration_enabled
        )
    )


@router.put(
    "/me/calibration",
    summary="Store your neutral face's reading as your baseline",
    responses=errors(InvalidMoodInput),
)
def calibration_put(body: CalibrationIn, svc: Svc, who: Who) -> dict[str, Any]:
    return _me(svc.store.set_calibration(who.id, body.probabilities))  # checked and normalised there


@router.delete("/me/calibration", status_code=204, summary="Forget your baseline")
def calibration_delete(svc: Svc, who: Who) -> None:
    svc.store.clear_calibration(who.id)


def _face_reading(svc: Services, body: ReadingIn) -> StoredReading:
    """A face's reading: its emotion probabilities, with the page's smoothed point when sent."""
    assert body.probabilities is not None
    if body.mood is not None:
        raise InvalidMoodInput(
            "a reading is either a face's probabilities or a mood the listener chose, not both: "
            "send probabilities, or mood (or valence with arousal) alone"
        )
    vector = check_distribution(body.probabilities, svc.labels)
    read = svc.reading(vector)
    if body.valence is None or body.arousal is None:
        v, a = valence_arousal(vector, svc.labels)
    else:
        v, a = body.valence, body.arousal
    return StoredReading(
        at=time.time(),
        mood=read.mood,
        probabilities=read.probabilities,
        mood_probabilities=read.mood_probabilities,
        valence=round(float(v), 4),
        arousal=round(float(a), 4),
    )


def _chosen_reading(svc: Services, body: ReadingIn) -> StoredReading:
    """A mood the listener chose (no face read, so no emotion probabilities): by name, kept at the
    point a face showing only that mood's emotions, in equal shares, would read; or a point of the
    mood space, kept as it is, its mood as the recommendations read it."""
    point = body.valence if body.valence is not None else body.arousal
    if (body.mood is None) == (point is None):
        raise InvalidMoodInput(
            "send a face's probabilities, or a mood the listener chose: mood (negative, neutral or "
            "positive) or valence with arousal (each in [-1, 1]); "
            + ("got both mood and valence/arousal" if body.mood is not None else "got none")
        )
    if body.mood is not None:
        chosen = Reading.from_mood(body.mood)
        members = svc.mood_groups.get(chosen.mood, ())
        if not members:
            raise InvalidMoodInput(f"the emotion model has no mood {chosen.mood!r}; use one of {svc.moods}")
        v, a = valence_arousal({e: 1.0 for e in members})
    else:
        if body.valence is None or body.arousal is None:
            raise InvalidMoodInput("valence and arousal go together; send both, each in [-1, 1]")
        chosen = Reading.from_point(body.valence, body.arousal)
        v, a = body.valence, body.arousal
    return StoredReading(
        at=time.time(),
        mood=chosen.mood,
        probabilities={},
        mood_probabilities={m: round(p, 4) for m, p in zip(MOODS, chosen.probabilities, strict=True)},
        valence=round(float(v), 4),
        arousal=round(float(a), 4),
    )


@router.post(
    "/me/readings",
    summary="Keep a reading in your history (only while history is on)",
    responses={
        201: {"description": "kept: history is on", "content": ANY_OBJECT},
        **errors(InvalidMoodInput),
    },
)
def reading_post(body: ReadingIn, svc: Svc, who: Who, response: Response) -> dict[str, Any]:
    reading = _face_reading(svc, body) if body.probabilities is not None else _chosen_reading(svc, body)
    stored = svc.store.add_reading(who.id, reading)
    if not stored:
        return {"stored": False, "reason": "history is off; turn it on to keep readings"}
    response.status_code = 201
    return {"stored": True, **reading.to_dict()}


@router.get("/me/history", summary="Your stored readings and feedback, oldest first")
def history(svc: Svc, who: Who, limit: Annotated[int, Query(ge=1, le=10_000)] = 500) -> dict[str, Any]:
    state = svc.store.listener(who.id)
    events = svc.store.feedback(who.id)[-limit:]
    feedback_out = []
    for e in events:
        s = svc.catalog.get(e.song_id)
        feedback_out.append(
            {
                "at": e.at,
                "song_id": e.song_id,
                "event": e.event,
                "title": s.title if s else None,
                "artist": s.artist if s else None,
            }
        )
    return {
        "history_enabled": state.history_enabled,
        "readings": [r.to_dict() for r in svc.store.history(who.id, limit=limit)],
        "feedback": feedback_out,
    }


@router.delete("/me", status_code=204, summary="Forget everything stored about you")
def forget(svc: Svc, who: Who, response: Response) -> None:
    if not who.new and svc.youtube.playlists_configured:
        svc.youtube.account(who.id).disconnect()  # revokes the YouTube grant at Google (best effort)
    svc.store.forget(who.id)
    svc.cookie.clear(response)


@router.get("/config", summary="What the page needs: choices and limits")
def config(svc: Svc) -> dict[str, Any]:
    return {
        "version": svc.model_version,
        "strategies": list(STRATEGIES),
        "moods": list(svc.moods),
        "emotions": list(svc.labels),
        **svc.options,
        "limits": {
            "max_upload_bytes": svc.settings.max_upload_bytes,
            "rate_limit_per_second": svc.settings.rate_limit,
        },
    }

"""The JSON API, route by route, against SQLite and PostgreSQL (see docs/api.md)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from moodtune.emotions import EMOTIONS
from moodtune.music.rank import Filters
from moodtune.settings import Settings
from moodtune.web.app import create_app
from moodtune.web.listener import COOKIE
from tests.web.conftest import png_bytes

NEUTRAL_FACE = {e: (0.9 if e == "neutral" else 0.1 / 7) for e in EMOTIONS}
SAD_REST = {e: {"sadness": 0.6, "neutral": 0.3, "anger": 0.1}.get(e, 0.0) for e in EMOTIONS}


def error_of(response: Any) -> dict[str, str]:
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "request_id"}, body
    assert body["error"]["request_id"] == response.headers["x-request-id"]
    assert body["error"]["message"]
    return body["error"]


# --- the service ------------------------------------------------------------------------------
def test_health_names_the_model_the_catalog_and_the_database(client: TestClient, app: FastAPI) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["catalog_songs"] > 10_000
    assert body["database"] == app.state.services.store.dialect
    assert body["analysis"]["flip_average"] is False  # one pass a face unless MOODTUNE_FLIP_AVERAGE


def test_openapi_docs_list_every_route_and_work_offline(client: TestClient) -> None:
    import re

    page = client.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/") for a in assets), assets  # nothing from a CDN
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    paths = client.get("/openapi.json").json()["paths"]
    for route in (
        "/api/v1/analyze",
        "/api/v1/recommendations",
        "/api/v1/feedback",
        "/api/v1/songs/{song_id}",
        "/api/v1/songs",
        "/api/v1/videos/{youtube_id}/unplayable",
        "/api/v1/me",
        "/api/v1/me/history",
        "/healthz",
    ):
        assert route in paths


def test_metrics_count_requests_by_route_template(client: TestClient) -> None:
    client.get("/api/v1/songs/s_000000000000")
    text = client.get("/metrics").text
    assert 'moodtune_http_requests_total{method="GET",route="/api/v1/songs/{song_id}",status="404"}' in text
    assert "moodtune_http_request_seconds_bucket" in text


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/api/v1/nothing-here", 404, "not_found"),  # unknown route
        ("DELETE", "/api/v1/songs", 405, "method_not_allowed"),  # wrong method
        ("GET", "/api/v1/songs/s_000000000000", 404, "song_not_found"),  # unknown song
        ("GET", "/api/v1/songs", 422, "invalid_field"),  # query missing
        ("GET", "/api/v1/me/history?limit=0", 422, "invalid_field"),  # out of range
    ],
)
def test_every_error_has_one_shape(
    client: TestClient, method: str, path: str, status: int, code: str
) -> None:
    r = client.request(method, path)
    assert r.status_code == status
    assert error_of(r)["code"] == code


# --- analyze ----------------------------------------------------------------------------------
def test_with_flip_average_set_a_mirrored_photo_reads_the_same(tmp_path: Path, smiling_crop: bytes) -> None:
    settings = Settings(data_dir=tmp_path, analyze_threads=1, rate_limit=0, secret_key="k", flip_average=True)
    mirrored = png_bytes(cv2.flip(cv2.imdecode(np.frombuffer(smiling_crop, np.uint8), cv2.IMREAD_COLOR), 1))
    with TestClient(create_app(settings)) as web:
        assert web.get("/healthz").json()["analysis"]["flip_average"] is True
        faces = [
            web.post("/api/v1/analyze?assume_face=true", content=body).json()["faces"][0]
            for body in (smiling_crop, mirrored)
        ]
    assert faces[0]["probabilities"] == pytest.approx(faces[1]["probabilities"], abs=1e-5)
    assert faces[0]["mood"] == faces[1]["mood"] == "positive"


def test_analyze_a_raw_body_reads_a_smile_as_positive(client: TestClient, smiling_crop: bytes) -> None:
    r = client.post("/api/v1/analyze?assume_face=true", content=smiling_crop)
    assert r.status_code == 200, r.text
    body = r.json()
    face = body["faces"][0]
    assert face["mood"] == "positive"
    assert face["emotion"] == "happiness"
    assert set(face["probabilities"]) == set(EMOTIONS)
    assert face["valence"] > 0.3
    assert face["calibration"] == {"applied": False}
    assert body["calibration"] == {"enabled": False, "has_baseline": False}


def test_analyze_takes_a_multipart_image_field_whatever_its_declared_type(
    client: TestClient, smiling_crop: bytes
) -> None:
    # declared as text/plain with a .txt name: the bytes are sniffed, not the label
    files = {"image": ("notes.txt", smiling_crop, "text/plain")}
    r = client.post("/api/v1/analyze?assume_face=true", files=files)
    assert r.status_code == 200, r.text
    assert r.json()["faces"][0]["mood"] == "positive"


def test_a_photo_without_a_face_is_an_answer_not_an_error(client: TestClient, noise_jpeg: bytes) -> None:
    r = client.post("/api/v1/analyze", content=noise_jpeg, headers={"content-type": "image/jpeg"})
    assert r.status_code == 200
    assert r.json()["faces"] == []
    assert r.json()["image"] == {"width": 640, "height": 480}


@pytest.mark.data
def test_analyze_finds_the_face_in_a_real_portrait(client: TestClient) -> None:
    from tests.fixtures import FACES

    path = FACES / "astronaut.png"
    if not path.is_file():
        pytest.skip(f"{path} not found (../shared/data beside the checkout)")
    r = client.post("/api/v1/analyze", files={"image": ("astronaut.png", path.read_bytes(), "image/png")})
    faces = r.json()["faces"]
    assert len(faces) == 1
    assert faces[0]["mood"] == "positive"


def two_faces_jpeg() -> bytes:
    """A 640x480 frame holding the two shipped sample crops (public domain): a smile and a calm face."""
    from moodtune.samples import sample_path

    frame = np.full((480, 640, 3), 120, np.uint8)
    frame[120:320, 60:260] = cv2.resize(cv2.imread(str(sample_path("astronaut"))), (200, 200))
    frame[140:300, 380:540] = cv2.resize(cv2.imread(str(sample_path("grace_hopper"))), (160, 160))
    ok, buf = cv2.imencode(".jpg", frame)
    assert ok
    return buf.tobytes()


def test_analyze_pools_every_face_into_the_room(client: TestClient) -> None:
    body = client.post("/api/v1/analyze", content=two_faces_jpeg()).json()
    faces, room = body["faces"], body["room"]
    assert [f["mood"] for f in faces] == ["positive", "neutral"]
    assert room["faces"] == 2 and room["mood"] in ("negative", "neutral", "positive")
    assert sum(room["weights"]) == pytest.approx(1, abs=1e-3)
    for key in ("valence", "arousal"):
        mean = sum(w * f[key] for w, f in zip(room["weights"], faces, strict=True))
        assert room[key] == pytest.approx(mean, abs=1e-3)
    # the page sends the room's point to play for everyone
    r = client.post("/api/v1/recommendations", json={"valence": room["valence"], "arousal": room["arousal"]})
    assert r.status_code == 200 and r.json()["songs"]


def test_no_face_no_room(client: TestClient, noise_jpeg: bytes) -> None:
    assert client.post("/api/v1/analyze", content=noise_jpeg).json()["room"] is None


def test_the_room_pools_the_calibrated_readings_the_listener_sees(client: TestClient) -> None:
    assert client.put("/api/v1/me/calibration", json={"probabilities": SAD_REST}).status_code == 200
    body = client.post("/api/v1/analyze", content=two_faces_jpeg()).json()
    faces, room = body["faces"], body["room"]
    assert all(f["calibration"]["applied"] for f in faces)
    raw = sum(w * f["calibration"]["raw"]["valence"] for w, f in zip(room["weights"], faces, strict=True))
    calibrated = sum(w * f["valence"] for w, f in zip(room["weights"], faces, strict=True))
    assert room["valence"] == pytest.approx(calibrated, abs=1e-3)
    assert abs(calibrated - raw) > 0.01  # the baseline moved the faces, and the room with them


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        (b"", {}, 400, "empty_image"),  # nothing sent
        (b"hello, this is text, not a photo", {}, 415, "unsupported_image_format"),  # text
        (b"%PDF-1.7\n" + b"0" * 100, {"content-type": "image/png"}, 415, "unsupported_image_format"),  # a PDF
        (b"\xff\xd8\xff\xe0" + b"\x00" * 64, {}, 400, "corrupt_image"),  # a truncated JPEG
        (png_bytes(np.zeros((8, 8), np.uint8)), {}, 400, "image_too_small"),  # 8x8 pixels
        (b"\xff" * (10 * 1024 * 1024 + 70_000), {}, 413, "image_too_large"),  # over the byte limit
        (
            b"--b\r\nContent-Disposition: form-data; name=photo; filename=a.png\r\n\r\nxx\r\n--b--\r\n",
            {"content-type": "multipart/form-data; boundary=b"},
            400,
            "bad_request",
        ),  # a multipart form without the 'image' field
    ],
)
def test_bad_uploads_get_the_status_that_fits(
    client: TestClient, body: bytes, headers: dict[str, str], status: int, code: str
) -> None:
    r = client.post("/api/v1/analyze", content=body, headers=headers)
    assert r.status_code == status, r.text
    assert error_of(r)["code"] == code


def test_a_decompression_bomb_is_refused_before_decoding(client: TestClient) -> None:
    big = np.zeros((6000, 6000), np.uint8)  # 36 Mpx, a few kB as PNG: over the 25 Mpx limit
    r = client.post("/api/v1/analyze", content=png_bytes(big))
    assert r.status_code == 413
    assert error_of(r)["code"] == "image_too_large"


def test_when_the_analysis_queue_is_full_the_answer_is_a_quick_503(
    client: TestClient, app: FastAPI, smiling_crop: bytes
) -> None:
    pool = app.state.services.analysis
    capacity, pool.capacity = pool.capacity, 0
    try:
        r = client.post("/api/v1/analyze?assume_face=true", content=smiling_crop)
    finally:
        pool.capacity = capacity
    assert r.status_code == 503
    assert error_of(r)["code"] == "overloaded"
    assert int(r.headers["retry-after"]) >= 1


def test_a_client_over_the_rate_limit_gets_429_with_retry_after(client: TestClient, app: FastAPI) -> None:
    from moodtune.web.ratelimit import RateLimiter

    services = app.state.services
    limiter, services.limiter = services.limiter, RateLimiter(rate=1, burst=2)
    try:
        codes = [client.get("/api/v1/config").status_code for _ in range(4)]
        r = client.get("/api/v1/config")
    finally:
        services.limiter = limiter
    assert codes[:2] == [200, 200]
    assert r.status_code == 429
    assert error_of(r)["code"] == "rate_limited"
    assert int(r.headers["retry-after"]) >= 1


# --- the listener -----------------------------------------------------------------------------
def test_the_service_sets_a_signed_http_only_cookie(client: TestClient) -> None:
    r = client.get("/api/v1/me")
    header = r.headers["set-cookie"]
    assert header.startswith(f"{COOKIE}=")
    assert "HttpOnly" in header
    assert "samesite=lax" in header.lower()
    assert r.json()["feedback_count"] == 0
    assert "No image" in r.json()["stored"]


def test_a_forged_cookie_gets_a_fresh_listener_not_someone_elses_data(
    client: TestClient, app: FastAPI
) -> None:
    song = next(iter(app.state.services.catalog)).id
    assert client.post("/api/v1/feedback", json={"song_id": song, "event": "like"}).status_code == 201
    real = client.cookies[COOKIE]
    listener_id = real.split(".")[0]
    other = TestClient(app)
    other.cookies.set(COOKIE, listener_id + ".forged-signature")
    r = other.get("/api/v1/me")
    assert r.json()["feedback_count"] == 0
    fresh = r.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    assert fresh != real


def test_the_api_never_takes_a_listener_id_from_the_body(client: TestClient, app: FastAPI) -> None:
    song = next(iter(app.state.services.catalog)).id
    r = client.post("/api/v1/feedback", json={"song_id": song, "event": "like", "listener": "someone"})
    assert r.status_code == 422
    assert "listener" in error_of(r)["message"]


# --- recommendations --------------------------------------------------------------------------
def test_recommendations_for_a_mood_come_with_reasons_and_a_way_to_play(client: TestClient) -> None:
    r = client.post("/api/v1/recommendations", json={"mood": "negative", "strategy": "lift", "n": 12})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["plan"]["strategy"] == "lift"
    assert len(body["songs"]) == 12
    for song in body["songs"]:
        assert song["reason"]
        assert song["play"]["kind"] in ("youtube", "spotify", "search")
    valence = [s["valence"] for s in body["songs"]]
    assert np.mean(valence[-4:]) > np.mean(valence[:4])  # lifted step by step


@pytest.mark.parametrize(
    "reading",
    [
        {"probabilities": {"negative": 0.1, "neutral": 0.2, "positive": 0.7}},  # 3 moods by name
        {"probabilities": [0.1, 0.2, 0.7]},  # 3 moods as a list
        {"probabilities": NEUTRAL_FACE},  # the 8 emotions of a reading
        {"valence": 0.5, "arousal": -0.2},  # a point of the mood space
    ],
)
def test_a_reading_may_be_given_in_any_of_the_documented_ways(client: TestClient, reading: dict) -> None:
    r = client.post("/api/v1/recommendations", json={**reading, "n": 5})
    assert r.status_code == 200, r.text
    assert len(r.json()["songs"]) == 5


@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        ({}, "invalid_mood_input", "exactly one way"),  # no reading
        ({"mood": "positive", "valence": 0.1, "arousal": 0.1}, "invalid_mood_input", "got mood and"),  # two
        ({"mood": "ecstatic"}, "invalid_mood_input", "mood must be one of"),  # unknown mood
        ({"valence": 0.3}, "invalid_mood_input", "go together"),  # half a point
        ({"valence": 3, "arousal": 0}, "invalid_field", "valence"),  # out of range
        ({"mood": "positive", "strategy": "party"}, "invalid_field", "strategy"),  # unknown strategy
        ({"mood": "positive", "n": 0}, "invalid_field", "n"),  # no songs asked
        ({"mood": "positive", "filters": {"language": "korean"}}, "usage_error", "two-letter"),
        ({"probabilities": {"neutral": 1, "joy": 1}}, "invalid_mood_input", "unknown"),  # a stray key
    ],
)
def test_bad_recommendation_requests_say_what_to_fix(
    client: TestClient, body: dict, code: str, words: str
) -> None:
    r = client.post("/api/v1/recommendations", json=body)
    assert r.status_code == 422, r.text
    error = error_of(r)
    assert error["code"] == code
    assert words in error["message"]


def test_a_body_that_is_not_json_is_a_400(client: TestClient) -> None:
    r = client.post(
        "/api/v1/recommendations", content=b"{mood: happy", headers={"content-type": "application/json"}
    )
    assert r.status_code == 400
    assert error_of(r)["code"] == "bad_request"


def test_filters_narrow_the_list(client: TestClient) -> None:
    r = client.post(
        "/api/v1/recommendations",
        json={"mood": "positive", "n": 10, "filters": {"language": "ko", "youtube_only": True}},
    )
    songs = r.json()["songs"]
    assert songs
    assert all(s["language"] == "ko" and s["play"]["kind"] == "youtube" for s in songs)


def test_the_page_default_playlist_draws_from_every_song_either_player_plays(app: FastAPI) -> None:
    """The page asks for playable_only: the pool is every song with a video that plays or a Spotify
    id (16,641 of the shipped 18,347), whatever the mood; YouTube only is a small part of it."""
    services = app.state.services
    services.sync_youtube_filter()
    index = services.recommender.index
    playable, _ = index.allowed(Filters(playable_only=True))
    youtube, _ = index.allowed(Filters(youtube_only=True))
    assert playable is not None and youtube is not None
    assert int(playable.sum()) >= 15_000
    assert not (youtube & ~playable).any() and int(youtube.sum()) < int(playable.sum())


def test_the_playable_filter_keeps_songs_either_player_plays(client: TestClient, app: FastAPI) -> None:
    """What the page asks for by default: a song with a video that plays or a Spotify id."""
    for mood in ("negative", "neutral", "positive"):
        body = client.post(
            "/api/v1/recommendations", json={"mood": mood, "n": 50, "filters": {"playable_only": True}}
        ).json()
        assert len(body["songs"]) == 50 and body["filters"]["playable_only"] is True
        kinds = {s["play"]["kind"] for s in body["songs"]}
        assert kinds <= {"youtube", "spotify"}, kinds
        assert "spotify" in kinds  # most playable songs have no video
    spotify = next(s for s in body["songs"] if s["play"]["kind"] == "spotify")
    assert spotify["play"]["uri"] == f"spotify:track:{spotify['spotify_id']}"
    # a video this listener reported: the song leaves their lists unless Spotify can play it
    services = app.state.services
    bare = next(s for s in services.catalog if s.youtube_id and not s.spotify_id and not s.other_ids)
    both = next(s for s in services.catalog if s.youtube_id and s.spotify_id and not s.other_ids)
    hidden = frozenset({bare.youtube_id, both.youtube_id})
    assert services.not_playing_for(Filters(playable_only=True), hidden) == {bare.id}
    assert services.not_playing_for(Filters(youtube_only=True), hidden) == {bare.id, both.id}
    assert services.not_playing_for(Filters(), hidden) == set()


def test_more_like_this_gives_songs_of_other_artists(client: TestClient, app: FastAPI) -> None:
    seed = app.state.services.catalog.search("BTS", limit=1)[0]
    r = client.post("/api/v1/recommendations", json={"more_like": seed.id, "n": 8})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["plan"]["strategy"] == "more_like"
    assert len(body["songs"]) == 8
    assert all(s["artist"] != seed.artist and s["id"] != seed.id for s in body["songs"])
    missing = client.post("/api/v1/recommendations", json={"more_like": "s_000000000000"})
    assert missing.status_code == 404


def test_dislikes_push_a_song_down_the_listeners_next_list(client: TestClient) -> None:
    request = {"mood": "neutral", "n": 20, "seed": 3}
    first = [s["id"] for s in client.post("/api/v1/recommendations", json=request).json()["songs"]]
    for song in first[:3]:
        assert client.post("/api/v1/feedback", json={"song_id": song, "event": "dislike"}).status_code == 201
    again = [s["id"] for s in client.post("/api/v1/recommendations", json=request).json()["songs"]]
    assert again[:3] != first[:3]
    assert not set(first[:3]) & set(again[:3])


# --- feedback ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"song_id": "s_000000000000", "event": "like"}, 404),  # unknown song
        ({"song_id": "SONG", "event": "love"}, 422),  # unknown event
        ({"event": "like"}, 422),  # no song
    ],
)
def test_bad_feedback_is_refused(client: TestClient, body: dict, status: int) -> None:
    r = client.post("/api/v1/feedback", json=body)
    assert r.status_code == status
    error_of(r)


def test_concurrent_feedback_is_never_lost(client: TestClient, app: FastAPI) -> None:
    songs = [s.id for s in list(app.state.services.catalog)[:40]]
    errors: list[int] = []
    client.get("/api/v1/me")  # the listener's cookie, before the burst

    def post(song: str) -> None:
        r = client.post("/api/v1/feedback", json={"song_id": song, "event": "complete"})
        if r.status_code != 201:
            errors.append(r.status_code)

    threads = [threading.Thread(target=post, args=(s,)) for s in songs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert client.get("/api/v1/me").json()["feedback_count"] == 40


# --- songs ------------------------------------------------------------------------------------
def test_songs_are_found_by_title_or_artist_in_korean_too(client: TestClient) -> None:
    r = client.get("/api/v1/songs", params={"query": "아이유", "limit": 5})
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == len(body["songs"]) > 0
    one = client.get(f"/api/v1/songs/{body['songs'][0]['id']}").json()
    assert one["id"] == body["songs"][0]["id"]
    assert "play" in one


# --- unplayable videos ------------------------------------------------------------------------
def _song_with_video(app: FastAPI, skip: int = 0) -> Any:
    songs = [s for s in app.state.services.catalog if s.youtube_id]
    return songs[skip]


def _listener(app: FastAPI, address: str = "testclient") -> TestClient:
    """A listener the page knows: a client holding the cookie its first request got."""
    c = TestClient(app, client=(address, 50000))
    assert c.get("/api/v1/me").status_code == 200 and c.cookies
    return c


def _videos_served(c: TestClient, song: Any) -> set[str]:
    served = {c.get(f"/api/v1/songs/{song.id}").json()["play"].get("youtube_id")}
    for mood in ("negative", "neutral", "positive"):
        listed = c.post(
            "/api/v1/recommendations",
            json={"mood": mood, "n": 50, "filters": {"youtube_only": True, "language": "ko"}},
        ).json()["songs"]
        assert all(s["play"]["kind"] == "youtube" for s in listed)  # youtube_only: every song plays
        served |= {s["play"]["youtube_id"] for s in listed if s["id"] == song.id}
    return served


def test_a_reported_video_is_hidden_for_its_listener_at_once_and_for_everyone_at_the_quorum(
    app: FastAPI,
) -> None:
    song = _song_with_video(app, 1)
    first, second, third, bystander = (_listener(app, f"192.0.2.{k}") for k in range(1, 5))
    assert app.state.services.settings.video_report_quorum == 3
    r = first.post(f"/api/v1/videos/{song.youtube_id}/unplayable", json={"code": 150, "song_id": song.id})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["marked"] is False and body["reason"].endswith("not played again for you")
    replacement = body["replacement"]
    assert replacement is not None
    assert replacement["song"]["play"].get("youtube_id") != song.youtube_id
    if replacement["kind"] == "song":
        assert replacement["song"]["id"] != song.id
    # the reporter never gets that video again; the others still do
    listed = first.post(
        "/api/v1/recommendations",
        json={"mood": "neutral", "n": 50, "filters": {"youtube_only": True, "language": "ko"}},
    ).json()["songs"]
    assert all(s["play"].get("youtube_id") != song.youtube_id for s in listed)
    assert song.youtube_id in _videos_served(bystander, song)
    # the same listener reporting again counts once
    again = first.post(f"/api/v1/videos/{song.youtube_id}/unplayable", json={"code": 150})
    assert again.json()["marked"] is False
    assert (
        second.post(f"/api/v1/videos/{song.youtube_id}/unplayable", json={"code": 101}).json()["marked"]
        is False
    )
    marked = third.post(f"/api/v1/videos/{song.youtube_id}/unplayable", json={"code": 150}).json()
    assert marked["marked"] is True and marked["reason"].endswith("not played again for anyone")
    assert song.youtube_id not in _videos_served(bystander, song)
    assert song.youtube_id not in _videos_served(TestClient(app), song)  # a new listener too


def test_one_client_collecting_listener_cookies_cannot_reach_the_quorum(app: FastAPI) -> None:
    song = _song_with_video(app, 6)
    for _ in range(5):  # five cookies, one address
        r = _listener(app, "198.51.100.9").post(
            f"/api/v1/videos/{song.youtube_id}/unplayable", json={"code": 150}
        )
        assert r.json()["marked"] is False
    assert song.youtube_id not in app.state.services.unplayable(fresh=True)


def test_a_report_without_the_listener_cookie_is_refused_and_stores_nothing(
    client: TestClient, app: FastAPI
) -> None:
    song = _song_with_video(app, 5)
    before = app.state.services.store.counts()
    r = client.post(f"/api/v1/videos/{song.youtube_id}/unplayable", json={"code": 150})
    assert r.status_code == 403
    assert error_of(r)["code"] == "listener_required"
    assert "cookie" in error_of(r)["message"]
    assert app.state.services.store.counts() == before


def test_one_listener_reporting_every_video_takes_none_away_from_the_others(app: FastAPI) -> None:
    services = app.state.services
    attacker = _listener(app)
    videos = [_song_with_video(app, k).youtube_id for k in range(20, 60)]  # songs no other test reports
    for video in videos:
        r = attacker.post(f"/api/v1/videos/{video}/unplayable", json={"code": 150})
        assert r.status_code == 200
    assert not set(videos) & services.unplayable(fresh=True)
    other = _listener(app)
    listed = other.post(
        "/api/v1/recommendations", json={"mood": "positive", "n": 20, "filters": {"youtube_only": True}}
    ).json()["songs"]
    assert len(listed) == 20


def test_a_replacement_is_not_a_song_already_in_the_queue(app: FastAPI) -> None:
    song = _song_with_video(app, 2)
    client = _listener(app)
    first = client.post(f"/api/v1/videos/{song.youtube_id}/unplayable", json={"code": 100}).json()
    assert first["youtube_id"] == song.youtube_id
    queued = first["replacement"]["song"]["id"] if first["replacement"] else None
    other = _song_with_video(app, 3)
    second = client.post(
        f"/api/v1/videos/{other.youtube_id}/unplayable",
        json={"code": 101, "song_id": other.id, "exclude_ids": [queued] if queued else []},
    ).json()
    if second["replacement"] and second["replacement"]["kind"] == "song":
        assert second["replacement"]["song"]["id"] != queued


@pytest.mark.parametrize("code", [5, 153])
def test_player_and_page_errors_skip_without_marking_the_video(
    client: TestClient, app: FastAPI, code: int
) -> None:
    song = _song_with_video(app, 4)
    r = client.post(f"/api/v1/videos/{song.youtube_id}/unplayable", json={"code": code})
    assert r.status_code == 200
    assert r.json()["marked"] is False
    assert r.json()["replacement"] is None
    assert song.youtube_id not in app.state.services.unplayable(fresh=True)


@pytest.mark.parametrize(
    ("youtube_id", "code"),
    [
        ("xEeFrLSkMm8", 7),  # not a player error code
        ("not-an-id", 150),  # not a YouTube id
        ("xEeFrLSkMm8%0A", 150),  # an id with a trailing newline
    ],
)
def test_bad_reports_are_refused(client: TestClient, youtube_id: str, code: int) -> None:
    r = client.post(f"/api/v1/videos/{youtube_id}/unplayable", json={"code": code})
    assert r.status_code == 422
    assert "\n" not in error_of(r)["message"]


# --- the listener's own data ------------------------------------------------------------------
def test_readings_are_kept_only_while_history_is_on(client: TestClient) -> None:
    reading = {"probabilities": NEUTRAL_FACE}
    off = client.post("/api/v1/me/readings", json=reading)
    assert off.status_code == 200
    assert off.json()["stored"] is False
    assert client.patch("/api/v1/me", json={"history_enabled": True}).json()["history_enabled"] is True
    on = client.post("/api/v1/me/readings", json=reading)
    assert on.status_code == 201
    assert on.json()["mood"] == "neutral"
    history = client.get("/api/v1/me/history").json()
    assert [r["mood"] for r in history["readings"]] == ["neutral"]
    assert history["history_enabled"] is True


def test_a_mood_the_listener_chose_is_kept_like_a_reading_only_while_history_is_on(
    client: TestClient,
) -> None:
    assert client.post("/api/v1/me/readings", json={"mood": "negative"}).json()["stored"] is False
    client.patch("/api/v1/me", json={"history_enabled": True})
    by_name = client.post("/api/v1/me/readings", json={"mood": "negative"})
    assert by_name.status_code == 201, by_name.text
    kept = by_name.json()
    assert kept["mood"] == "negative" and kept["probabilities"] == {}  # no face was read
    assert kept["mood_probabilities"] == {"negative": 1.0, "neutral": 0.0, "positive": 0.0}
    assert kept["valence"] < -0.2  # where a face showing only negative emotions would read
    by_point = client.post("/api/v1/me/readings", json={"valence": 0.6, "arousal": 0.4}).json()
    assert (by_point["mood"], by_point["valence"], by_point["arousal"]) == ("positive", 0.6, 0.4)
    history = client.get("/api/v1/me/history").json()["readings"]
    assert [(r["mood"], r["probabilities"]) for r in history] == [("negative", {}), ("positive", {})]
    assert client.get("/api/v1/me").json()["readings_count"] == 2


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({}, "got none"),  # nothing to keep
        ({"mood": "negative", "valence": 0.1, "arousal": 0.1}, "got both"),  # a mood and a point
        ({"mood": "ecstatic"}, "mood must be one of"),  # not a listener mood
        ({"arousal": 0.3}, "go together"),  # half a point
        ({"probabilities": NEUTRAL_FACE, "mood": "positive"}, "not both"),  # a face and a choice
    ],
)
def test_bad_readings_say_what_to_send(client: TestClient, body: dict, words: str) -> None:
    client.patch("/api/v1/me", json={"history_enabled": True})
    r = client.post("/api/v1/me/readings", json=body)
    assert r.status_code == 422, r.text
    assert error_of(r)["code"] == "invalid_mood_input"
    assert words in error_of(r)["message"]


def test_calibration_corrects_a_listener_whose_rest_face_reads_sad(
    client: TestClient, smiling_crop: bytes
) -> None:
    r = client.put("/api/v1/me/calibration", json={"probabilities": SAD_REST})
    assert r.status_code == 200, r.text
    assert r.json()["calibration_enabled"] is True
    face = client.post("/api/v1/analyze?assume_face=true", content=smiling_crop).json()["faces"][0]
    assert face["calibration"]["applied"] is True
    assert set(face["calibration"]["raw"]) == {"probabilities", "mood_probabilities", "valence", "arousal"}
    assert face["mood"] == "positive"  # a clear smile survives the correction
    # off: readings are raw again, the baseline is kept
    assert client.patch("/api/v1/me", json={"calibration_enabled": False}).status_code == 200
    body = client.post("/api/v1/analyze?assume_face=true", content=smiling_crop).json()
    assert body["faces"][0]["calibration"] == {"applied": False}
    assert body["calibration"] == {"enabled": False, "has_baseline": True}
    # reset: the baseline is gone
    assert client.delete("/api/v1/me/calibration").status_code == 204
    assert client.get("/api/v1/me").json()["calibration"] is None


def test_a_bad_baseline_is_refused(client: TestClient) -> None:
    r = client.put("/api/v1/me/calibration", json={"probabilities": {"neutral": 1.0}})
    assert r.status_code == 422
    assert "missing" in error_of(r)["message"]


def test_delete_me_forgets_everything_and_clears_the_cookie(client: TestClient, app: FastAPI) -> None:
    song = next(iter(app.state.services.catalog)).id
    client.patch("/api/v1/me", json={"history_enabled": True})
    client.post("/api/v1/me/readings", json={"probabilities": NEUTRAL_FACE})
    client.put("/api/v1/me/calibration", json={"probabilities": NEUTRAL_FACE})
    client.post("/api/v1/feedback", json={"song_id": song, "event": "like"})
    old_cookie = client.cookies[COOKIE]
    r = client.delete("/api/v1/me")
    assert r.status_code == 204
    assert f'{COOKIE}=""' in r.headers["set-cookie"] or "Max-Age=0" in r.headers["set-cookie"]
    # even with the old cookie, nothing is left
    again = TestClient(app)
    again.cookies.set(COOKIE, old_cookie)
    me = again.get("/api/v1/me").json()
    assert (me["feedback_count"], me["readings_count"], me["calibration"]) == (0, 0, None)
    assert me["history_enabled"] is False
    assert again.get("/api/v1/me/history").json()["feedback"] == []


def test_the_page_is_served_with_a_content_security_policy(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert "text/html" in r.headers["content-type"]
    policy = {
        name: set(values)
        for name, *values in (d.split() for d in r.headers["content-security-policy"].split(";") if d.strip())
    }
    assert policy["connect-src"] == {"'self'"}
    # the two players' scripts (YouTube's IFrame API, Spotify's iFrame API) and their frames, no more
    assert policy["script-src"] == {
        "'self'",
        "https://www.youtube.com",
        "https://s.ytimg.com",
        "https://open.spotify.com",
    }
    assert {"https://www.youtube.com", "https://open.spotify.com"} <= policy["frame-src"]


def test_config_lists_the_choices_the_page_offers(client: TestClient) -> None:
    body = client.get("/api/v1/config").json()
    assert body["strategies"] == ["match", "lift", "calm", "energize"]
    assert body["moods"] == ["negative", "neutral", "positive"]
    assert "ko" in body["languages"]
    assert "k-pop" in body["genres"]
    assert "1990s" in body["decades"]


def test_camera_frames_are_read_with_the_near_face_detector(client: TestClient, app: FastAPI) -> None:
    import cv2

    from moodtune.samples import sample_path

    crop = cv2.imread(str(sample_path("astronaut")))
    frame = np.full((480, 640, 3), 120, np.uint8)
    frame[120:360, 200:440] = cv2.resize(crop, (240, 240))
    ok, buf = cv2.imencode(".jpg", frame)
    assert ok
    for source in ("camera", "photo"):
        r = client.post(f"/api/v1/analyze?source={source}", content=buf.tobytes())
        assert r.status_code == 200, r.text
        faces = r.json()["faces"]
        assert len(faces) == 1
        assert faces[0]["mood"] == "positive"
    bad = client.post("/api/v1/analyze?source=screen", content=buf.tobytes())
    assert bad.status_code == 422


@pytest.mark.parametrize(
    "filters",
    [
        {"youtube_only": True},  # few songs have a video: the whole catalog is searched
        {"genre": "k-pop", "decade": "2010s"},  # every filter applies, as for a mood list
    ],
)
def test_more_like_this_fills_the_list_through_the_filters(
    client: TestClient, app: FastAPI, filters: dict
) -> None:
    seeds = [s for s in app.state.services.catalog if s.youtube_id][:5]
    for seed in seeds:
        body = client.post(
            "/api/v1/recommendations", json={"more_like": seed.id, "n": 5, "filters": filters}
        ).json()
        assert len(body["songs"]) == 5, seed.title
        for s in body["songs"]:
            if filters.get("youtube_only"):
                assert s["play"]["kind"] == "youtube"
            if "decade" in filters:
                assert s["decade"] == "2010s"
                assert any(g == "k-pop" or g.startswith("k-pop/") for g in s["genres"])

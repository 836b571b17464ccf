"""The web service's YouTube side through its HTTP API (FastAPI's TestClient) with the settings
pointed at the fake: connecting an account, saving playlists, replacing a video that will not play,
serving confirmed videos, and everything still working when YouTube is not configured."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from moodtune.music.catalog import Song
from moodtune.store import Resolution, VideoCheck
from moodtune.web.app import create_app
from moodtune.youtube.service import YouTube
from tests.youtube.conftest import fake_settings
from tests.youtube.fake import FakeGoogle
from tests.youtube.world import World


@pytest.fixture(scope="module")
def app(google_server: FakeGoogle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    settings = fake_settings(google_server, tmp_path_factory.mktemp("web-yt"), youtube_live_timeout=0.5)
    application = create_app(settings)
    with TestClient(application):
        yield application


YOUTUBE_TABLES = ("youtube_quota", "youtube_resolutions", "youtube_videos", "youtube_tokens", "video_marks")


def sql(app: FastAPI, statement: str) -> list[tuple[Any, ...]]:
    with app.state.services.store.engine.begin() as connection:
        result = connection.execute(text(statement))
        return [tuple(r) for r in result] if result.returns_rows else []


@pytest.fixture
def web(app: FastAPI, google: FakeGoogle) -> Iterator[TestClient]:
    """A new listener, the fake reset, and the YouTube tables empty (the app is the module's)."""
    for table in YOUTUBE_TABLES:
        sql(app, f"DELETE FROM {table}")
    app.state.services.unplayable(fresh=True)
    app.state.services.confirmed(fresh=True)
    c = TestClient(app)
    yield c
    c.close()


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "request_id"}
    return body["error"]


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def connect(web: TestClient) -> dict[str, str]:
    """The whole dance: our connect route, Google's consent page (the fake's), our callback."""
    to_google = web.get("/api/v1/youtube/connect", follow_redirects=False)
    assert to_google.status_code == 302, to_google.text
    at_google = httpx.get(to_google.headers["location"], follow_redirects=False)
    assert at_google.status_code == 302
    back = urlsplit(at_google.headers["location"])
    done = web.get(f"{back.path}?{back.query}", follow_redirects=False)
    assert done.status_code == 302
    return {"consent_url": to_google.headers["location"], "page": done.headers["location"]}


def song_in(world: World, scenario: str, skip: int = 0) -> Song:
    return [s for s in world.songs if world.scenario[s.id] == scenario and not s.youtube_id][skip]


# --- connecting ------------------------------------------------------------------------------------


def test_status_tells_the_page_whether_to_offer_the_button(web: TestClient) -> None:
    body = web.get("/api/v1/youtube/status").json()
    assert body["configured"] is True and body["connected"] is False
    assert body["scope"] == "https://www.googleapis.com/auth/youtube"
    assert body["quota"]["limit"] == 10_000 and body["message"] is None


def test_connecting_asks_consent_once_with_pkce_and_comes_back_to_the_page(
    web: TestClient, google: FakeGoogle
) -> None:
    first = connect(web)
    consent = query_of(first["consent_url"])
    assert first["consent_url"].startswith(google.auth_url)
    assert consent["prompt"] == "consent" and consent["access_type"] == "offline"
    assert consent["code_challenge_method"] == "S256" and len(consent["code_challenge"]) == 43
    assert consent["redirect_uri"] == "http://testserver/api/v1/youtube/oauth/callback"
    assert first["page"] == "/?youtube=connected"
    assert web.get("/api/v1/youtube/status").json()["connected"] is True
    second = connect(web)  # connecting again: no second consent screen, the refresh token stays
    assert "prompt" not in query_of(second["consent_url"])
    assert second["page"] == "/?youtube=connected"


def test_a_sign_in_started_by_another_listener_is_refused(app: FastAPI, web: TestClient) -> None:
    to_google = web.get("/api/v1/youtube/connect", follow_redirects=False)
    back = urlsplit(httpx.get(to_google.headers["location"], follow_redirects=False).headers["location"])
    other = TestClient(app)  # not entered: the app's lifespan is the module fixture's
    done = other.get(f"{back.path}?{back.query}", follow_redirects=False)
    assert done.headers["location"] == "/?youtube=error&code=oauth_state_invalid"
    assert other.get("/api/v1/youtube/status").json()["connected"] is False
    other.close()


def test_a_forged_state_and_a_refused_consent_go_back_to_the_page_with_the_reason(
    web: TestClient, google: FakeGoogle
) -> None:
    forged = web.get("/api/v1/youtube/oauth/callback?code=4/x&state=forged", follow_redirects=False)
    assert forged.headers["location"] == "/?youtube=error&code=oauth_state_invalid"
    google.deny_consent = True
    assert connect(web)["page"] == "/?youtube=denied&reason=access_denied"
    assert web.get("/api/v1/youtube/status").json()["connected"] is False


def test_disconnecting_revokes_the_grant_and_delete_me_forgets_it(
    app: FastAPI, web: TestClient, google: FakeGoogle
) -> None:
    connect(web)
    assert web.delete("/api/v1/youtube/connection").status_code == 204
    assert web.get("/api/v1/youtube/status").json()["connected"] is False
    assert all(g.revoked for g in google._grants.values())
    connect(web)
    assert sql(app, "SELECT count(*) FROM youtube_tokens") == [(1,)]
    assert not all(g.revoked for g in google._grants.values())
    assert web.delete("/api/v1/me").status_code == 204
    assert sql(app, "SELECT count(*) FROM youtube_tokens") == [(0,)]
    assert all(g.revoked for g in google._grants.values())  # "delete my data" revokes at Google too


# --- saving playlists ------------------------------------------------------------------------------


def test_a_playlist_is_saved_private_with_every_song_that_has_a_video(
    app: FastAPI, web: TestClient, google: FakeGoogle, world: World
) -> None:
    store = app.state.services.store
    with_catalog_video = next(
        s
        for s in world.songs
        if s.youtube_id and world.videos[s.youtube_id].embeddable and not world.videos[s.youtube_id].deleted
    )
    resolved = song_in(world, "topic_only")
    topic = next(v for v in world.videos.values() if v.song_id == resolved.id and v.kind == "topic")
    now = time.time()
    store.save_resolution(
        Resolution(resolved.id, "confirmed", topic.id, "topic channel", 1.0, now),
        VideoCheck(topic.id, resolved.id, "confirmed", "topic channel", now),
    )
    app.state.services.confirmed(fresh=True)
    without = next(s for s in app.state.services.catalog if not s.youtube_id and s.id not in {resolved.id})
    connect(web)
    r = web.post(
        "/api/v1/playlists/youtube",
        json={
            "title": "My mood",
            "song_ids": [with_catalog_video.id, without.id, resolved.id, "s_ffffffffffff"],
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["added"] == [
        {"song_id": with_catalog_video.id, "youtube_id": with_catalog_video.youtube_id},
        {"song_id": resolved.id, "youtube_id": topic.id},
    ]
    assert [s["song_id"] for s in body["skipped"]] == [without.id, "s_ffffffffffff"]
    assert "Spotify" in body["skipped"][0]["reason"] and "no song" in body["skipped"][1]["reason"]
    assert (
        body["quota_spent"] == 150
        and body["url"] == f"https://www.youtube.com/playlist?list={body['playlist_id']}"
    )
    assert google.playlists[body["playlist_id"]]["privacy"] == "private"
    appended = web.post(
        "/api/v1/playlists/youtube",
        json={
            "title": "x",
            "song_ids": [resolved.id],
            "playlist_id": body["playlist_id"],
            "privacy": "unlisted",
        },
    )
    assert appended.status_code == 200 and appended.json()["created"] is False


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"title": "", "song_ids": ["s_000000000001"]}, "invalid_field"),  # no title
        ({"title": "t", "song_ids": []}, "invalid_field"),  # no songs
        ({"title": "t", "song_ids": ["s_000000000001"], "privacy": "secret"}, "invalid_field"),
        ({"title": "t", "song_ids": ["s_000000000001"], "playlist_id": "bad id!"}, "invalid_field"),
    ],
)
def test_a_bad_playlist_request_names_the_field(web: TestClient, body: dict, code: str) -> None:
    r = web.post("/api/v1/playlists/youtube", json=body)
    assert r.status_code == 422 and error_of(r)["code"] == code


def test_songs_without_any_video_save_nothing_and_spend_nothing(
    app: FastAPI, web: TestClient, google: FakeGoogle
) -> None:
    connect(web)
    without = [s.id for s in app.state.services.catalog if not s.youtube_id][:3]
    r = web.post("/api/v1/playlists/youtube", json={"title": "t", "song_ids": without})
    assert r.status_code == 422 and error_of(r)["code"] == "nothing_to_save"
    assert google.playlists == {} and google.quota_used == 0


def test_saving_without_a_connected_account_says_how_to_connect(web: TestClient) -> None:
    r = web.post("/api/v1/playlists/youtube", json={"title": "t", "song_ids": ["s_000000000001"]})
    assert r.status_code == 401
    assert (
        error_of(r)["code"] == "youtube_not_connected" and "/api/v1/youtube/connect" in error_of(r)["message"]
    )


def test_an_expired_access_token_is_refreshed_while_saving(
    web: TestClient, google: FakeGoogle, world: World
) -> None:
    connect(web)
    google.expire_access_tokens()
    song = next(s for s in world.songs if s.youtube_id and not world.videos[s.youtube_id].deleted)
    r = web.post("/api/v1/playlists/youtube", json={"title": "t", "song_ids": [song.id]})
    assert r.status_code == 201, r.text
    assert len(google.calls("playlists.insert")) == 2  # 401, refresh, retry


# --- without configuration -----------------------------------------------------------------------------


@pytest.fixture
def unconfigured(app: FastAPI, tmp_path: Path) -> Iterator[YouTube]:
    from moodtune.settings import Settings

    svc = app.state.services
    kept = svc.youtube
    svc.youtube = YouTube(Settings(data_dir=tmp_path, secret_key="k"), svc.store)
    yield svc.youtube
    svc.youtube = kept


def test_without_credentials_the_feature_says_which_settings_and_the_rest_works(
    web: TestClient, unconfigured: YouTube, google: FakeGoogle
) -> None:
    status = web.get("/api/v1/youtube/status").json()
    assert status["configured"] is False and status["search_configured"] is False
    for name in ("MOODTUNE_GOOGLE_CLIENT_ID", "MOODTUNE_GOOGLE_CLIENT_SECRET", "MOODTUNE_TOKEN_KEY"):
        assert name in status["message"]
    for r in (
        web.get("/api/v1/youtube/connect", follow_redirects=False),
        web.post("/api/v1/playlists/youtube", json={"title": "t", "song_ids": ["s_000000000001"]}),
    ):
        assert r.status_code == 503
        error = error_of(r)
        assert error["code"] == "youtube_not_configured" and "MOODTUNE_TOKEN_KEY" in error["message"]
    assert web.get("/api/v1/songs", params={"query": "love"}).status_code == 200
    assert web.delete("/api/v1/youtube/connection").status_code == 204
    assert google.requests == []


# --- videos that will not play -------------------------------------------------------------------------


def report(web: TestClient, video: str, song: Song | None, code: int = 150) -> dict[str, Any]:
    if not web.cookies:  # a report counts from a listener the page knows
        web.get("/api/v1/me")
    body: dict[str, Any] = {"code": code}
    if song is not None:
        body["song_id"] = song.id
    r = web.post(f"/api/v1/videos/{video}/unplayable", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_marked_video_is_replaced_by_another_upload_found_live(
    app: FastAPI, web: TestClient, google: FakeGoogle, world: World
) -> None:
    song = song_in(world, "full", 3)
    official = next(v for v in world.videos.values() if v.song_id == song.id and v.kind == "official")
    answer = report(web, official.id, song)
    replacement = answer["replacement"]
    assert replacement["kind"] == "video" and replacement["song"]["id"] == song.id
    chosen = replacement["song"]["play"]["youtube_id"]
    assert chosen != official.id and chosen in world.acceptable(song.id)
    assert "found on YouTube" in replacement["song"]["reason"]
    assert len(google.calls("search.list")) == 1
    svc = app.state.services
    assert svc.youtube.quota.spent("live") >= 101
    # served from now on, and a report of the new video without song_id still finds the song
    assert web.get(f"/api/v1/songs/{song.id}").json()["play"]["youtube_id"] == chosen
    assert svc.song_for_video(chosen) == song


def test_one_report_of_a_video_the_data_api_says_cannot_be_embedded_marks_it_for_everyone(
    app: FastAPI, web: TestClient, google: FakeGoogle, world: World
) -> None:
    song = song_in(world, "blocked")
    blocked = next(v for v in world.videos.values() if v.song_id == song.id and v.kind == "official")
    answer = report(web, blocked.id, song)
    assert answer["marked"] is True  # one listener, but the check confirms it
    assert len(google.calls("videos.list")) >= 1
    assert blocked.id in app.state.services.unplayable(fresh=True)


def test_one_report_of_a_video_that_plays_hides_it_for_that_listener_only(
    app: FastAPI, web: TestClient, google: FakeGoogle, world: World
) -> None:
    song = song_in(world, "full", 7)
    official = next(v for v in world.videos.values() if v.song_id == song.id and v.kind == "official")
    answer = report(web, official.id, song)
    assert answer["marked"] is False  # the Data API says it plays embedded: the listener's page failed
    assert official.id not in app.state.services.unplayable(fresh=True)
    reporters = sql(app, f"SELECT listener_id FROM video_reports WHERE youtube_id = '{official.id}'")
    assert len(reporters) == 1
    assert official.id in app.state.services.hidden_for(reporters[0][0])


def test_a_confirmed_video_in_the_cache_replaces_without_asking_youtube(
    app: FastAPI, web: TestClient, google: FakeGoogle, world: World
) -> None:
    song = song_in(world, "full", 4)
    topic = next(v for v in world.videos.values() if v.song_id == song.id and v.kind == "topic")
    lyrics = next(v for v in world.videos.values() if v.song_id == song.id and v.kind == "lyrics")
    now = time.time()
    store = app.state.services.store
    store.save_video_checks([VideoCheck(topic.id, song.id, "confirmed", "topic", now)])
    store.save_video_checks([VideoCheck(lyrics.id, song.id, "confirmed", "lyrics", now - 10)])
    answer = report(web, topic.id, song)
    assert answer["replacement"]["kind"] == "video"
    assert answer["replacement"]["song"]["play"]["youtube_id"] == lyrics.id
    assert google.requests == []


def test_when_youtube_is_slow_the_page_gets_a_similar_song_within_the_timeout(
    web: TestClient, google: FakeGoogle, world: World
) -> None:
    song = song_in(world, "full", 5)
    google.delay_s = 3.0
    started = time.monotonic()
    answer = report(web, "AAAAAAAAAAA", song)
    elapsed = time.monotonic() - started
    google.delay_s = 0.0
    assert answer["replacement"]["kind"] == "song" and answer["replacement"]["song"]["id"] != song.id
    assert elapsed < 2.5  # one request of at most youtube_live_timeout (0.5 s), no retry


def test_no_live_search_once_the_web_share_of_the_quota_is_spent(
    app: FastAPI, web: TestClient, google: FakeGoogle, world: World
) -> None:
    yt = app.state.services.youtube
    yt.quota.book.add_quota(yt.quota.day(), "live", 2_000)
    answer = report(web, "BBBBBBBBBBB", song_in(world, "full", 6))
    assert answer["replacement"]["kind"] == "song"
    assert google.requests == []


def test_songs_are_served_with_a_confirmed_video_when_the_catalog_has_none(
    app: FastAPI, web: TestClient, world: World
) -> None:
    song = song_in(world, "official_only")
    official = next(v for v in world.videos.values() if v.song_id == song.id and v.kind == "official")
    before = web.get(f"/api/v1/songs/{song.id}").json()["play"]
    assert before["kind"] in ("spotify", "search")
    now = time.time()
    app.state.services.store.save_resolution(
        Resolution(song.id, "confirmed", official.id, "official channel", 0.9, now),
        VideoCheck(official.id, song.id, "confirmed", "official channel", now),
    )
    app.state.services.confirmed(fresh=True)
    assert web.get(f"/api/v1/songs/{song.id}").json()["play"] == {
        "kind": "youtube",
        "youtube_id": official.id,
    }

"""The player: the YouTube IFrame Player (a stand-in here) loaded on the first Play, songs that
end or are skipped teach taste, and a video that fails is reported and skipped at once, without
an error screen. Without the YouTube script the playlist still works through links."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import json_body
from tests.browser.pages import current_video, playlist_from_photo, queue_ids, visible_error

pytestmark = pytest.mark.browser


def history_events(v) -> list[tuple[str, str]]:
    answer = v.api("GET", "/api/v1/me/history")
    return [(e["event"], e["song_id"]) for e in answer["body"]["feedback"]]


def test_play_loads_the_player_and_a_failing_video_is_reported_and_skipped(visit) -> None:
    v = visit()
    playlist_from_photo(v)
    page = v.page
    assert not v.external, "the YouTube script must wait for the first Play"
    page.click("#play")
    page.wait_for_function("() => window.__fakeYT && window.__fakeYT.videoId()")
    assert v.external == [], v.external  # the stand-in was served; nothing else was asked for
    first = current_video(page)
    created = page.evaluate("window.__fakeYT.created[0]")
    assert created["videoId"] == first
    assert created["playerVars"]["playsinline"] == 1
    assert created["playerVars"]["origin"] == v.service.url
    assert page.get_attribute("#queue li[aria-current=true]", "data-youtube-id") == first
    page.wait_for_function("() => document.getElementById('play').textContent !== 'Play'")  # now "Pause"

    # error 150 (the owner forbids embedding): the next song within a second, no error screen
    with page.expect_response(lambda r: "/unplayable" in r.url) as answer_info:
        started = time.monotonic()
        page.evaluate("window.__fakeYT.error(150)")
        page.wait_for_function("v => window.__fakeYT.videoId() !== v", arg=first, timeout=1000)
    assert time.monotonic() - started < 1.0
    second = current_video(page)
    assert visible_error(page) is None
    assert page.get_attribute(f"#queue li[data-youtube-id='{first}']", "data-unplayable") == "true"
    (report,) = v.calls("POST", f"/api/v1/videos/{first}/unplayable")
    body = json_body(report)
    assert body["code"] == 150
    assert body["song_id"] == page.get_attribute(f"#queue li[data-youtube-id='{first}']", "data-song-id")
    assert body["song_id"] in body["exclude_ids"] and len(body["exclude_ids"]) >= 10
    # the service took it: the video is marked for everyone, and a new playlist never serves it
    assert first in v.service.unplayable()
    answer = answer_info.value.json()
    assert answer["marked"] is True
    if answer["replacement"]:
        # the replacement comes right after the song now playing
        replacement = answer["replacement"]["song"]["id"]
        page.wait_for_function(
            """id => {
                const next = document.querySelector('#queue li[aria-current=true] + li');
                return next !== null && next.dataset.songId === id;
            }""",
            arg=replacement,
        )
    again = v.api(
        "POST",
        "/api/v1/recommendations",
        {"mood": "neutral", "n": 100, "filters": {"youtube_only": True}},
    )
    assert first not in {s["play"].get("youtube_id") for s in again["body"]["songs"]}

    # error 5 (the player's own HTML5 error): skipped too, reported but not marked
    with page.expect_response(lambda r: "/unplayable" in r.url) as answer_info:
        page.evaluate("window.__fakeYT.error(5)")
        page.wait_for_function("v => window.__fakeYT.videoId() !== v", arg=second, timeout=1000)
    assert answer_info.value.json()["marked"] is False
    assert second not in v.service.unplayable()
    assert visible_error(page) is None
    assert page.is_hidden("#player-note") or "YouTube" not in page.inner_text("#player-note")


def test_an_ended_song_counts_as_complete_and_next_before_the_end_as_a_skip(visit) -> None:
    v = visit()
    ids = playlist_from_photo(v)
    page = v.page
    page.click("#play")
    page.wait_for_function("() => window.__fakeYT && window.__fakeYT.state() === 1")
    first = current_video(page)
    page.evaluate("window.__fakeYT.end()")
    page.wait_for_function("v => window.__fakeYT.videoId() !== v", arg=first)
    page.wait_for_function("() => window.__fakeYT.state() === 1")
    second_id = page.get_attribute("#queue li[aria-current=true]", "data-song-id")
    page.click("#next")  # before the end: a skip
    page.wait_for_function(
        "id => document.querySelector('#queue li[aria-current=true]').dataset.songId !== id", arg=second_id
    )
    page.click("#like")
    assert page.get_attribute("#like", "aria-pressed") == "true"
    third_id = page.get_attribute("#queue li[aria-current=true]", "data-song-id")
    deadline = time.monotonic() + 5
    while len(history_events(v)) < 3 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert history_events(v) == [("complete", ids[0]), ("skip", second_id), ("like", third_id)]

    # "more like this" puts songs like the current one right after it
    before = queue_ids(page)
    page.click("#more-like")
    page.wait_for_function("n => document.querySelectorAll('#queue li.song').length > n", arg=len(before))
    after = queue_ids(page)
    (more,) = v.calls("POST", "/api/v1/recommendations")[1:]
    assert json_body(more)["more_like"] == third_id
    current = after.index(third_id)
    added = after[current + 1 : current + 1 + len(after) - len(before)]
    assert added and not set(added) & set(before)


def test_without_the_youtube_script_the_playlist_still_shows_links_and_says_why(visit) -> None:
    v = visit(youtube="offline")
    playlist_from_photo(v)
    page = v.page
    page.click("#play")
    page.wait_for_selector("#player-note:visible")
    note = page.inner_text("#player-note")
    assert "YouTube player could not load" in note and "link" in note
    assert visible_error(page) is None
    links = page.eval_on_selector_all("#queue li.song a.song-link", "els => els.map(a => a.href)")
    assert len(links) >= 10
    assert all(h.startswith("https://www.youtube.com/watch?v=") or h.startswith("https://") for h in links)
    # the song in the player spot is a link too
    assert page.get_attribute("#link-host a", "href").startswith("https://")
    assert v.external == ["https://www.youtube.com/iframe_api"]


def test_songs_without_a_youtube_video_play_in_spotifys_embed_or_as_a_link(visit) -> None:
    v = visit()
    playlist_from_photo(v)
    page = v.page
    page.uncheck("#filter-youtube")
    with page.expect_response(lambda r: "/api/v1/recommendations" in r.url) as info:
        page.click("#build")
    songs = info.value.json()["songs"]
    page.wait_for_function(
        "id => document.querySelector('#queue li.song').dataset.songId === id", arg=songs[0]["id"]
    )
    assert json_body(v.calls("POST", "/api/v1/recommendations")[-1])["filters"]["youtube_only"] is False
    kinds = {s["play"]["kind"]: i for i, s in reversed(list(enumerate(songs)))}
    if "spotify" in kinds:
        page.click(f"#queue li.song:nth-child({kinds['spotify'] + 1}) .song-play")
        src = page.get_attribute("#spotify-host iframe", "src")
        assert src == songs[kinds["spotify"]]["play"]["embed_url"]
        assert src.startswith("https://open.spotify.com/embed/")
        assert page.is_hidden("#yt-host")
    if "search" in kinds:
        page.click(f"#queue li.song:nth-child({kinds['search'] + 1}) .song-play")
        assert page.get_attribute("#link-host a", "href") == songs[kinds["search"]]["play"]["url"]
    assert {"spotify", "search"} & set(kinds), "expected a song without a YouTube video"
    assert {urlsplit(u).hostname for u in v.external} <= {"open.spotify.com"}

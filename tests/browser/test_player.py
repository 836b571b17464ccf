"""The players: the YouTube IFrame Player and Spotify's embed (stand-ins here), each loaded when a
song first needs it after the first Play; a mixed queue plays on from one player to the other by
itself; songs that end or are skipped teach taste, and a video that fails is reported and skipped
at once, without an error screen. Without the players' scripts the playlist still works through
links."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import SPOTIFY_API, YT_API, json_body
from tests.browser.pages import (
    current_song,
    current_spotify,
    current_video,
    playlist_from_photo,
    queue_ids,
    visible_error,
)

pytestmark = pytest.mark.browser


def history_events(v) -> list[tuple[str, str]]:
    answer = v.api("GET", "/api/v1/me/history")
    return [(e["event"], e["song_id"]) for e in answer["body"]["feedback"]]


def test_play_loads_the_player_and_a_failing_video_is_reported_and_skipped(visit) -> None:
    v = visit()
    playlist_from_photo(v, youtube_only=True)
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
    ids = playlist_from_photo(v, youtube_only=True)
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


def mixed_queue(v) -> dict[str, list]:
    """Songs of the shipped catalog by how they play: a video, Spotify only, neither."""
    catalog = v.service.services.catalog
    return {
        "youtube": [s for s in catalog if s.youtube_id][:3],
        "spotify": [s for s in catalog if s.spotify_id and not s.youtube_id][:3],
        "search": [s for s in catalog if not s.spotify_id and not s.youtube_id][:1],
    }


def open_shared(v, songs) -> None:
    page = v.open("/#playlist=" + ",".join(s.id for s in songs))
    page.wait_for_function("n => document.querySelectorAll('#queue li.song').length === n", arg=len(songs))


def test_a_mixed_queue_plays_on_by_itself_from_youtube_to_spotify_and_back(visit) -> None:
    """One click on Play; then each song's end starts the next, whichever player it needs."""
    v = visit()
    songs = mixed_queue(v)
    yt, sp = songs["youtube"], songs["spotify"]
    queue = [yt[0], sp[0], yt[1], sp[1], yt[2]]
    open_shared(v, queue)
    page = v.page
    assert page.eval_on_selector_all("#queue li.song", "els => els.map(e => e.dataset.kind)") == [
        "youtube", "spotify", "youtube", "spotify", "youtube",
    ]  # fmt: skip
    assert not v.external, "no player's script before the first Play"
    page.click("#play")  # the only click
    page.wait_for_function("() => window.__fakeYT && window.__fakeYT.state() === 1")
    assert current_video(page) == yt[0].youtube_id
    assert page.is_hidden("#spotify-host") and not page.evaluate("'__fakeSpotify' in window")

    page.evaluate("window.__fakeYT.end()")  # 1 -> 2: Spotify's embed, made and started by the page
    page.wait_for_function("() => window.__fakeSpotify && window.__fakeSpotify.playing()")
    assert current_spotify(page) == f"spotify:track:{sp[0].spotify_id}"
    assert current_song(page) == sp[0].id
    assert page.is_visible("#spotify-host") and page.is_hidden("#yt-host")
    assert page.evaluate("window.__fakeYT.state()") == 0  # the video ended; nothing plays beside
    # the stand-in reports 30-second tracks, as Spotify does for a browser not signed in
    page.wait_for_selector("#spotify-note:visible")
    assert "30-second previews" in page.inner_text("#spotify-note")
    page.wait_for_function("() => document.getElementById('play').textContent === 'Pause'")

    page.evaluate("window.__fakeSpotify.end()")  # 2 -> 3: back to the YouTube player
    page.wait_for_function(
        "v => window.__fakeYT.videoId() === v && window.__fakeYT.state() === 1", arg=yt[1].youtube_id
    )
    assert current_song(page) == yt[1].id
    assert page.is_hidden("#spotify-host") and page.is_visible("#yt-host")
    assert page.is_hidden("#spotify-note")
    assert page.evaluate("window.__fakeYT.created.length") == 1  # one player of each, reused
    assert page.evaluate("window.__fakeSpotify.controllers.length") == 1

    # a video that fails is reported and the Spotify song after it starts at once
    with page.expect_response(lambda r: "/unplayable" in r.url):
        page.evaluate("window.__fakeYT.error(150)")
        page.wait_for_function(
            "u => window.__fakeSpotify.uri() === u && window.__fakeSpotify.playing()",
            arg=f"spotify:track:{sp[1].spotify_id}",
            timeout=1000,
        )
    (report,) = v.calls("POST", f"/api/v1/videos/{yt[1].youtube_id}/unplayable")
    assert json_body(report)["song_id"] == yt[1].id
    page.click("#next")  # a Spotify song skipped after it began: a skip, as for a video
    # the next song plays through YouTube: the report's replacement when it came first, else yt[2]
    page.wait_for_function("v => window.__fakeYT.videoId() !== v", arg=yt[1].youtube_id)
    assert page.is_hidden("#spotify-host") and not page.evaluate("window.__fakeSpotify.playing()")
    deadline = time.monotonic() + 5
    while len(history_events(v)) < 3 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert history_events(v) == [("complete", yt[0].id), ("complete", sp[0].id), ("skip", sp[1].id)]
    assert {urlsplit(u).hostname for u in v.external} == set()  # both scripts were the stand-ins
    assert visible_error(page) is None


def test_signed_in_to_spotify_whole_songs_play_and_no_preview_note(visit) -> None:
    v = visit()
    songs = mixed_queue(v)
    open_shared(v, [songs["spotify"][0], songs["spotify"][1]])
    page = v.page
    page.click("#play")
    page.wait_for_function("() => window.__fakeSpotify && window.__fakeSpotify.playing()")
    page.evaluate("window.__fakeSpotify.trackMs = 215000; window.__fakeSpotify.progress(1000)")
    page.wait_for_timeout(100)
    assert page.is_hidden("#spotify-note")
    # paused from the page and played again: the same track resumes, nothing is skipped
    page.click("#play")
    page.wait_for_function("() => !window.__fakeSpotify.playing()")
    page.wait_for_function("() => document.getElementById('play').textContent === 'Play'")
    page.click("#play")
    page.wait_for_function("() => window.__fakeSpotify.playing()")
    assert current_spotify(page) == f"spotify:track:{songs['spotify'][0].spotify_id}"
    assert page.evaluate("window.__fakeSpotify.loads.length") == 1


def test_without_the_players_scripts_the_playlist_still_shows_links_and_says_why(visit) -> None:
    v = visit(players="offline")
    songs = mixed_queue(v)
    queue = [songs["youtube"][0], songs["spotify"][0], songs["search"][0]]
    open_shared(v, queue)
    page = v.page
    page.click("#play")
    page.wait_for_function("() => document.getElementById('player-note').textContent.includes('YouTube')")
    assert visible_error(page) is None
    links = page.eval_on_selector_all("#queue li.song a.song-link", "els => els.map(a => a.href)")
    assert links[0] == f"https://www.youtube.com/watch?v={songs['youtube'][0].youtube_id}"
    assert links[1] == f"https://open.spotify.com/track/{songs['spotify'][0].spotify_id}"
    assert links[2].startswith("https://www.youtube.com/results?search_query=")
    # the song in the player spot is a link too, and so is each song after it
    page.wait_for_function("h => document.querySelector('#link-host a')?.href === h", arg=links[0])
    page.click("#next")
    page.wait_for_function("h => document.querySelector('#link-host a')?.href === h", arg=links[1])
    note = page.inner_text("#player-note")
    assert "YouTube player could not load" in note and "Spotify player could not load" in note
    assert "link" in note
    page.click("#next")
    page.wait_for_function("h => document.querySelector('#link-host a')?.href === h", arg=links[2])
    assert visible_error(page) is None
    assert sorted(set(v.external)) == sorted({YT_API, SPOTIFY_API})


def test_the_default_playlist_plays_every_song_here_and_youtube_only_narrows_it(visit) -> None:
    v = visit()
    playlist_from_photo(v)
    page = v.page
    (first,) = v.calls("POST", "/api/v1/recommendations")
    assert json_body(first)["filters"] == {"playable_only": True, "youtube_only": False}
    kinds = page.eval_on_selector_all("#queue li.song", "els => els.map(e => e.dataset.kind)")
    assert set(kinds) <= {"youtube", "spotify"} and "spotify" in kinds, kinds
    # a Spotify song of the list, picked by the listener, plays in Spotify's embed
    at = kinds.index("spotify")
    page.click(f"#queue li.song:nth-child({at + 1}) .song-play")
    page.wait_for_function("() => window.__fakeSpotify && window.__fakeSpotify.playing()")
    song_id = queue_ids(page)[at]
    spotify_id = v.service.services.catalog.get(song_id).spotify_id
    assert current_spotify(page) == f"spotify:track:{spotify_id}"
    assert page.is_hidden("#yt-host")

    page.check("#filter-youtube")
    with page.expect_response(lambda r: "/api/v1/recommendations" in r.url) as info:
        page.click("#build")
    assert {s["play"]["kind"] for s in info.value.json()["songs"]} == {"youtube"}
    assert json_body(v.calls("POST", "/api/v1/recommendations")[-1])["filters"]["youtube_only"] is True
    page.wait_for_function("() => window.__fakeYT && window.__fakeYT.state() === 1")  # it plays on
    assert page.is_hidden("#spotify-host")

"""The camera: a live, smoothed reading of the face it shows, its box, and the playlist that
follows once the reading is steady."""

from __future__ import annotations

import itertools

import pytest

from tests.browser.conftest import ALLOWED_HOSTS, SCREENSHOTS, json_body
from tests.browser.pages import mood_values, start_camera, wait_playlist, wait_steady

pytestmark = pytest.mark.browser


def test_the_camera_reads_a_smiling_face_as_positive_and_draws_its_box(visit) -> None:
    v = visit()
    page = v.open()
    start_camera(page)
    wait_steady(page)

    moods = mood_values(page)
    assert max(moods, key=moods.get) == "positive", moods
    assert page.get_attribute("#mood-bars li.top", "data-mood") == "positive"
    assert page.get_attribute("#reading-summary", "data-mood") == "positive"
    assert page.is_visible("#steady-badge")
    # the box: the overlay covers the video and has ink on it
    assert page.get_attribute("#overlay", "data-faces") == "1"
    inked = page.evaluate(
        """() => {
            const c = document.getElementById('overlay');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
            return n;
        }"""
    )
    assert inked > 100
    box = page.locator("#overlay").bounding_box()
    video = page.locator("#video").bounding_box()
    assert box is not None and video is not None
    assert abs(box["width"] - video["width"]) < 2 and abs(box["height"] - video["height"]) < 2
    # frames go as JPEG bodies, one at a time, a few per second
    frames = v.calls("POST", "/api/v1/analyze?source=camera")
    assert len(frames) >= 4
    assert all(f[3] is not None and f[3][:3] == b"\xff\xd8\xff" for f in frames)
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(frames)]
    assert min(gaps) > 0.2, gaps
    page.click("#camera-stop")
    assert page.is_hidden("#video")


def test_the_playlist_is_built_once_the_reading_is_steady(visit) -> None:
    v = visit()
    page = v.open()
    start_camera(page)
    ids = wait_playlist(page)

    assert 10 <= len(ids) <= 20
    first_frame = v.calls("POST", "/api/v1/analyze")[0][0]
    (rec,) = v.calls("POST", "/api/v1/recommendations")
    assert rec[0] - first_frame >= 1.8, "the playlist was asked for before the reading was steady"
    body = json_body(rec)
    assert body["n"] == 20 and body["strategy"] == "match"
    assert max(body["probabilities"], key=body["probabilities"].get) == "positive"
    assert set(body["probabilities"]) == {"negative", "neutral", "positive"}
    for song in page.query_selector_all("#queue li.song"):
        assert song.query_selector(".title").inner_text().strip()
        assert song.query_selector(".artist").inner_text().strip()
        assert song.query_selector(".reason").inner_text().strip()
        assert song.query_selector("a.song-link").get_attribute("href").startswith("https://")
    assert page.is_visible("#player-area")

    page.wait_for_timeout(300)  # let the bar transitions finish
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "page-desktop.png"))
    # nothing but the service was asked for (the player is not loaded before Play)
    assert not v.external, v.external
    assert ALLOWED_HOSTS  # (checked for every test at teardown too)


def _set_visibility(page, state: str | None) -> None:
    page.evaluate(
        """state => {
            if (state === null) delete document.visibilityState;
            else Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => state});
            document.dispatchEvent(new Event('visibilitychange'));
        }""",
        state,
    )


def test_frames_are_sent_only_while_the_tab_is_visible(visit) -> None:
    v = visit()
    page = v.open()
    start_camera(page)
    page.wait_for_selector("#reading-summary[data-empty=false]")
    _set_visibility(page, "hidden")
    page.wait_for_timeout(400)  # a frame already in flight may finish
    hidden_from = len(v.calls("POST", "/api/v1/analyze"))
    page.wait_for_timeout(1200)
    assert len(v.calls("POST", "/api/v1/analyze")) == hidden_from, "frames were sent from a hidden tab"
    _set_visibility(page, None)
    page.wait_for_function("() => document.visibilityState === 'visible'")
    page.wait_for_timeout(1000)
    assert len(v.calls("POST", "/api/v1/analyze")) >= hidden_from + 2


def test_a_refused_camera_points_to_the_upload(visit) -> None:
    v = visit()
    v.context.add_init_script(
        "navigator.mediaDevices.getUserMedia = () =>"
        " Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));"
    )
    page = v.open()
    page.click("#camera-start")
    page.wait_for_selector("#message:visible")
    text = page.inner_text("#message")
    assert "not allowed" in text and "upload a photo" in text
    assert page.evaluate("() => document.activeElement.id") == "photo-input"
    assert page.is_visible("#camera-start") and page.is_hidden("#camera-stop")
    assert not v.calls("POST", "/api/v1/analyze")

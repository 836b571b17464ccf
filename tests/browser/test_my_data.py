"""The listener's own data: calibration to their neutral face, a mood history they switch on, and
one button that deletes it all."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.browser.conftest import json_body
from tests.browser.pages import start_camera, wait_playlist, wait_steady

pytestmark = pytest.mark.browser


def me(v) -> dict:
    answer = v.api("GET", "/api/v1/me")
    assert answer["status"] == 200
    return answer["body"]


def test_calibration_is_stored_used_switched_off_and_reset(visit) -> None:
    v = visit()
    page = v.open()
    assert page.inner_text("#calibration-state") == "No calibration stored."
    start_camera(page)
    wait_steady(page)
    assert page.is_hidden("#calibrated-badge")

    page.click("#calibrate")
    page.wait_for_selector("#calibration-state[data-baseline=true]")
    (put,) = v.calls("PUT", "/api/v1/me/calibration")
    sent = json_body(put)["probabilities"]
    assert len(sent) == 8 and abs(sum(sent.values()) - 1) < 1e-3
    stored = me(v)
    assert stored["calibration_enabled"] is True and stored["calibration"] is not None
    # the service corrects the next frames and says so; the page shows it
    page.wait_for_selector("#calibrated-badge:visible")
    assert page.is_checked("#calibration-enabled")

    page.uncheck("#calibration-enabled")
    page.wait_for_selector("#calibrated-badge", state="hidden")
    assert json_body(v.calls("PATCH", "/api/v1/me")[-1]) == {"calibration_enabled": False}
    assert me(v)["calibration_enabled"] is False
    assert page.inner_text("#calibration-state") == "Your neutral face is stored but not used."

    page.click("#calibration-reset")
    page.wait_for_selector("#calibration-state[data-baseline=false]")
    assert v.calls("DELETE", "/api/v1/me/calibration")
    assert me(v)["calibration"] is None


def test_history_when_switched_on_and_delete_all_my_data(visit) -> None:
    v = visit()
    page = v.open()
    assert "No image ever leaves the memory" in page.inner_text("#stored-statement")
    assert page.get_attribute("#history-chart", "data-points") == "0"
    start_camera(page)
    wait_playlist(page)
    # history is off: nothing is sent to be kept
    assert not v.calls("POST", "/api/v1/me/readings")
    page.check("#history-enabled")
    page.wait_for_function("() => Number(document.getElementById('history-chart').dataset.points) >= 1")
    assert me(v)["history_enabled"] is True
    reading = json_body(v.calls("POST", "/api/v1/me/readings")[0])
    assert set(reading) == {"probabilities", "valence", "arousal"} and len(reading["probabilities"]) == 8
    assert page.locator("#history-chart circle").count() >= 1
    assert "(1 stored)" in page.inner_text("#chart-caption")
    # at most one reading every ~10 s
    page.wait_for_timeout(1500)
    assert len(v.calls("POST", "/api/v1/me/readings")) == 1
    page.click("#play")
    page.wait_for_function(
        "() => (window.__fakeYT && window.__fakeYT.state() === 1)"
        " || (window.__fakeSpotify && window.__fakeSpotify.playing())"
    )
    page.click("#like")
    deadline = time.monotonic() + 5
    while me(v)["feedback_count"] < 1 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    before = me(v)
    assert before["readings_count"] >= 1 and before["feedback_count"] >= 1
    cookie = next(c for c in v.context.cookies() if c["name"] == "moodtune_listener")

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#delete-all")
    page.wait_for_selector("#message:has-text('All your data was deleted')")
    assert v.calls("DELETE", "/api/v1/me")
    # the page forgot too
    assert page.get_attribute("#reading-summary", "data-empty") == "true"
    assert page.locator("#queue li.song").count() == 0
    assert not page.is_checked("#history-enabled")
    assert page.get_attribute("#history-chart", "data-points") == "0"
    assert page.is_visible("#camera-start")
    # and so did the service: even the old cookie finds nothing
    gone = httpx.get(
        v.service.url + "/api/v1/me", cookies={cookie["name"]: cookie["value"]}, timeout=10
    ).json()
    assert gone["readings_count"] == 0 and gone["feedback_count"] == 0 and gone["calibration"] is None


def test_delete_all_asks_first_and_a_no_keeps_everything(visit) -> None:
    v = visit()
    page = v.open()
    page.check("#history-enabled")
    page.wait_for_function("() => document.getElementById('history-enabled').checked")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("#delete-all")
    page.wait_for_timeout(200)
    assert not v.calls("DELETE", "/api/v1/me")
    assert me(v)["history_enabled"] is True

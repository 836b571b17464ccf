"""Choosing a mood: with the camera off (or over its reading) the listener picks a mood, or a point
on the valence/arousal pad, and the strategy; the playlist follows at once, and the choice is kept
like a reading only while history is on. In English and in Korean."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import json_body
from tests.browser.pages import upload, wait_playlist

pytestmark = pytest.mark.browser


def recommended(page: Any, action: Any) -> dict[str, Any]:
    """Do ``action`` and return the body of the playlist request it makes (the answer waited for)."""
    with page.expect_response(lambda r: "/api/v1/recommendations" in r.url) as info:
        action()
    assert info.value.ok, info.value.text()
    return json_body(("", "POST", "", info.value.request.post_data_buffer))


def test_without_a_camera_choosing_a_mood_builds_a_playlist_and_history_keeps_it(visit) -> None:
    v = visit(locale="en-US")
    page = v.open()
    with page.expect_response(lambda r: r.url.endswith("/api/v1/me") and r.request.method == "PATCH"):
        page.check("#history-enabled")
    assert page.is_disabled("#build")  # no face and no choice yet

    body = recommended(page, lambda: page.click("#choose-negative"))
    assert body == {
        "mood": "negative",
        "strategy": "match",
        "filters": {"playable_only": True, "youtube_only": False},
        "n": 20,
    }
    wait_playlist(page, at_least=20)
    kinds = page.eval_on_selector_all("#queue li.song", "els => els.map(e => e.dataset.kind)")
    assert set(kinds) <= {"youtube", "spotify"}, kinds  # every song plays on this page
    assert page.get_attribute("#choose-negative", "aria-pressed") == "true"
    assert page.get_attribute("#choose-positive", "aria-pressed") == "false"
    assert page.inner_text("#choice-state") == "Your choice drives the playlist: Negative."
    assert page.inner_text("#build-hint") == "20 songs for the negative mood you chose: Match my mood."
    assert page.is_visible("#camera-start") and not v.calls("POST", "/api/v1/analyze")
    # kept like a reading (history is on), and drawn on the chart
    page.wait_for_function("() => document.getElementById('history-chart').dataset.points === '1'")
    (kept,) = v.calls("POST", "/api/v1/me/readings")
    assert json_body(kept) == {"mood": "negative"}
    history = v.api("GET", "/api/v1/me/history")["body"]["readings"]
    assert [(r["mood"], r["probabilities"]) for r in history] == [("negative", {})]

    # the strategy: "lift me" rather than "play sad"; the playlist follows
    body = recommended(page, lambda: page.select_option("#strategy", "lift"))
    assert (body["mood"], body["strategy"]) == ("negative", "lift")
    page.wait_for_function("() => document.getElementById('build-hint').textContent.includes('Lift my mood')")

    # a point on the pad: upper right is pleasant and excited
    box = page.locator("#mood-pad").bounding_box()
    body = recommended(
        page, lambda: page.click("#mood-pad", position={"x": box["width"] * 0.9, "y": box["height"] * 0.1})
    )
    assert body["strategy"] == "lift" and "mood" not in body
    assert body["valence"] == pytest.approx(0.8, abs=0.06) and body["arousal"] == pytest.approx(0.8, abs=0.06)
    assert page.is_visible("#pad-dot")
    assert page.get_attribute("#choose-negative", "aria-pressed") == "false"
    assert page.inner_text("#choice-state").startswith(
        "Your choice drives the playlist: Positive (pleasant +0.8"
    )
    assert float(page.input_value("#pad-valence")) == body["valence"]
    # by keyboard: the slider one step left, then the playlist follows once it settles
    page.focus("#pad-valence")
    before = body
    body = recommended(page, lambda: page.keyboard.press("ArrowLeft"))
    assert body["valence"] == pytest.approx(before["valence"] - 0.05)
    assert body["arousal"] == before["arousal"]
    page.wait_for_function("() => document.getElementById('history-chart').dataset.points === '3'")
    points = [json_body(c) for c in v.calls("POST", "/api/v1/me/readings")[1:]]
    assert all(set(p) == {"valence", "arousal"} for p in points), points


def test_in_korean_choosing_a_mood_builds_a_playlist_and_history_off_keeps_nothing(visit) -> None:
    v = visit(locale="ko-KR")
    page = v.open()
    assert page.inner_text("#choose-title") == "또는 기분을 직접 고르기"
    assert page.inner_text("#choose-positive") == "긍정적"
    body = recommended(page, lambda: page.click("#choose-positive"))
    assert body["mood"] == "positive" and body["filters"]["playable_only"] is True
    wait_playlist(page, at_least=20)
    assert page.inner_text("#choice-state") == "직접 고른 기분으로 플레이리스트를 만듭니다: 긍정적."
    assert page.inner_text("#build-hint") == "직접 고른 긍정적 기분을 위한 20곡: 기분에 맞추기."
    assert page.inner_text("#spotify-hint").startswith("영상이 없는 노래는 Spotify로")
    page.click("#ui-lang")  # and the same words in English
    assert page.inner_text("#choice-state") == "Your choice drives the playlist: Positive."
    assert not v.calls("POST", "/api/v1/me/readings")  # history is off: nothing kept
    assert not v.calls("POST", "/api/v1/analyze")


def test_a_chosen_mood_overrides_the_face_until_the_listener_follows_the_face_again(visit) -> None:
    v = visit()
    page = v.open()
    upload(page)  # a photo's reading is steady at once: a playlist from the face
    wait_playlist(page)
    (from_face,) = v.calls("POST", "/api/v1/recommendations")
    assert "probabilities" in json_body(from_face)
    body = recommended(page, lambda: page.click("#choose-neutral"))
    assert body["mood"] == "neutral" and "probabilities" not in body
    assert page.is_visible("#choice-clear")
    body = recommended(page, lambda: page.click("#choice-clear"))
    assert "probabilities" in body and "mood" not in body
    assert page.is_hidden("#choice-clear") and page.is_hidden("#choice-state")
    assert page.get_attribute("#choose-neutral", "aria-pressed") == "false"

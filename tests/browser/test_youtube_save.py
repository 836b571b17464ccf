"""Saving the playlist to the listener's YouTube account from the page.

The service's side (OAuth with Google, playlists.insert) is tested against a fake Google in
tests/youtube/; here the page's part: the button appears only where the server offers it, it
posts the queue, it sends the listener through the consent page once and saves on the way back.
The service's YouTube routes are stubbed with Playwright routes (the test service has no Google
credentials, which is also the first case)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.browser.conftest import json_body
from tests.browser.pages import playlist_from_photo, wait_playlist

pytestmark = pytest.mark.browser

SAVED = {"playlist_id": "PLfake", "url": "https://www.youtube.com/playlist?list=PLfake", "quota_spent": 150}


def _status(configured: bool, connected: bool) -> dict[str, Any]:
    return {"configured": configured, "connected": connected, "search_configured": False, "quota": {}}


def _stub(page: Any, url: str, body: dict[str, Any]) -> None:
    page.route(url, lambda r: r.fulfill(status=200, content_type="application/json", body=json.dumps(body)))


def test_without_credentials_on_the_server_the_page_says_so_and_offers_no_button(visit) -> None:
    v = visit()
    playlist_from_photo(v)
    assert v.page.is_hidden("#youtube-save")
    assert "not set up on this server" in v.page.inner_text("#youtube-note")


def test_a_connected_listener_saves_the_queue_in_one_click(visit) -> None:
    v = visit()
    page = v.page
    _stub(page, "**/api/v1/youtube/status", _status(True, True))
    ids = playlist_from_photo(v)
    page.route(
        "**/api/v1/playlists/youtube",
        lambda r: r.fulfill(
            status=200,
            content_type="application/json",
            body=json.dumps(
                {
                    **SAVED,
                    "added": [{"song_id": i, "youtube_id": "x"} for i in ids[:-2]],
                    "skipped": [{"song_id": i, "reason": "no video"} for i in ids[-2:]],
                }
            ),
        ),
    )
    assert page.inner_text("#youtube-save") == "Save to YouTube"
    page.click("#youtube-save")
    page.wait_for_selector("#youtube-note a")
    sent = json_body(v.calls("POST", "/api/v1/playlists/youtube")[0])
    assert sent["song_ids"] == ids
    assert sent["title"].startswith("moodtune")
    assert f"Saved {len(ids) - 2} songs" in page.inner_text("#youtube-note")
    assert page.get_attribute("#youtube-note a", "href") == SAVED["url"]
    assert "2 songs have no video" in page.inner_text("#message")


def test_a_listener_not_yet_connected_goes_through_consent_once_and_the_playlist_is_saved_on_return(
    visit,
) -> None:
    v = visit()
    page = v.page
    connected = {"now": False}
    page.route(
        "**/api/v1/youtube/status",
        lambda r: r.fulfill(
            status=200, content_type="application/json", body=json.dumps(_status(True, connected["now"]))
        ),
    )

    def consent(route: Any) -> None:  # Google's page and the callback, in one step
        connected["now"] = True
        route.fulfill(status=302, headers={"Location": v.service.url + "/?youtube=connected"})

    page.route("**/api/v1/youtube/connect", consent)
    _stub(page, "**/api/v1/playlists/youtube", {**SAVED, "added": [], "skipped": []})
    ids = playlist_from_photo(v)
    assert page.inner_text("#youtube-save") == "Connect YouTube to save"
    page.click("#youtube-save")
    page.wait_for_url("**/")  # back on the page, the query cleaned away
    assert wait_playlist(page, at_least=len(ids)) == ids  # the same playlist, restored
    page.wait_for_selector("#youtube-note a")
    assert json_body(v.calls("POST", "/api/v1/playlists/youtube")[0])["song_ids"] == ids
    assert "youtube=" not in page.url


def test_a_declined_consent_is_explained(visit) -> None:
    v = visit()
    page = v.open("/?youtube=denied")
    assert "declined" in page.inner_text("#message")
    assert not v.calls("POST", "/api/v1/playlists/youtube")

"""What the browser tests do to the page, named for what a listener does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.browser.conftest import GRACE_HOPPER, Visit

STEADY_TIMEOUT_MS = 20_000


def start_camera(page: Any) -> None:
    page.click("#camera-start")
    page.wait_for_selector("#camera-stop:visible")


def wait_steady(page: Any, timeout: int = STEADY_TIMEOUT_MS) -> None:
    page.wait_for_selector("#steady-badge[data-steady=true]", timeout=timeout)


def wait_playlist(page: Any, at_least: int = 10, timeout: int = STEADY_TIMEOUT_MS) -> list[str]:
    page.wait_for_function(
        "n => document.querySelectorAll('#queue li.song').length >= n", arg=at_least, timeout=timeout
    )
    return queue_ids(page)


def queue_ids(page: Any) -> list[str]:
    return page.eval_on_selector_all("#queue li.song", "els => els.map(e => e.dataset.songId)")


def upload(page: Any, path: Path = GRACE_HOPPER) -> None:
    page.set_input_files("#photo-input", str(path))


def playlist_from_photo(v: Visit, path: Path = GRACE_HOPPER, youtube_only: bool = False) -> list[str]:
    """The quick way to a playlist: a photo is steady at once, and the playlist follows
    (``youtube_only``: of songs with a video only, for what only the YouTube player does)."""
    page = v.open()
    if youtube_only:
        page.check("#filter-youtube")
    upload(page, path)
    return wait_playlist(page)


def current_song(page: Any) -> str | None:
    """The id of the song the player is on."""
    return page.evaluate(
        "() => { const li = document.querySelector('#queue li[aria-current=true]'); "
        "return li ? li.dataset.songId : null; }"
    )


def current_spotify(page: Any) -> str | None:
    return page.evaluate("window.__fakeSpotify ? window.__fakeSpotify.uri() : null")


def mood_values(page: Any) -> dict[str, float]:
    return page.eval_on_selector_all(
        "#mood-bars li", "els => Object.fromEntries(els.map(e => [e.dataset.mood, Number(e.dataset.value)]))"
    )


def current_video(page: Any) -> str | None:
    return page.evaluate("window.__fakeYT ? window.__fakeYT.videoId() : null")


def visible_error(page: Any) -> str | None:
    """The text of an error shown to the listener, if any."""
    return page.evaluate(
        """() => {
            const m = document.getElementById('message');
            return !m.hidden && m.classList.contains('error') ? m.textContent : null;
        }"""
    )

"""A playlist outside the page: CSV and JSON downloads, and a share link that reopens it in
another browser with no account."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.browser.pages import playlist_from_photo, queue_ids, wait_playlist

pytestmark = pytest.mark.browser


def _download(page, button: str) -> tuple[str, bytes]:
    with page.expect_download() as info:
        page.click(button)
    d = info.value
    return d.suggested_filename, Path(d.path()).read_bytes()


def test_download_json_and_csv_and_reopen_the_share_link_elsewhere(visit) -> None:
    v = visit()
    ids = playlist_from_photo(v)
    page = v.page
    titles = page.eval_on_selector_all("#queue li.song .title", "els => els.map(e => e.textContent)")

    name, raw = _download(page, "#download-json")
    assert name.startswith("moodtune-playlist-") and name.endswith(".json")
    saved = json.loads(raw)
    assert [s["id"] for s in saved["songs"]] == ids
    assert all(s["title"] and s["artist"] and s["reason"] and s["play"]["kind"] for s in saved["songs"])

    name, raw = _download(page, "#download-csv")
    assert name.endswith(".csv")
    text = raw.decode("utf-8-sig")  # a BOM, so spreadsheets read Korean as UTF-8
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["id"] for r in rows] == ids
    assert [r["title"] for r in rows] == ["'" + t if t[:1] in "=+-@" else t for t in titles]
    assert [r["position"] for r in rows] == [str(i + 1) for i in range(len(ids))]
    assert all(r["link"].startswith("https://") for r in rows)

    page.click("#share")
    link = page.input_value("#share-url")
    assert link.startswith(v.service.url + "/#playlist=")
    assert link.split("#playlist=")[1].split(",") == ids
    assert page.evaluate("() => location.href") == link  # the address bar is the link too

    # another browser, no cookie, no account: the same songs in the same order
    other = visit()
    other.page.goto(link)
    opened = wait_playlist(other.page, at_least=len(ids))
    assert opened == ids
    assert len(other.calls("GET", "/api/v1/songs/")) == len(ids)
    assert not other.calls("POST", "/api/v1/recommendations")
    assert "shared playlist" in other.page.inner_text("#build-hint").lower()


def test_a_share_link_with_unknown_songs_opens_the_rest_and_says_how_many_are_missing(visit) -> None:
    v = visit()
    ids = playlist_from_photo(v)[:3]
    other = visit()
    other.page.goto(f"{v.service.url}/#playlist={ids[0]},s_000000000000,{ids[1]},<script>,{ids[2]}")
    other.page.wait_for_selector("body[data-ready=true]")
    assert queue_ids(other.page) == ids
    assert "left out: 1 of the shared songs" in other.page.inner_text("#message")


def test_csv_fields_are_quoted_and_formulas_are_defused(visit) -> None:
    v = visit()
    page = v.open()
    rows = page.evaluate(
        """async () => {
            const { playlistCsv } = await import('/static/export.js');
            return playlistCsv([
              {id: 's_1', title: 'Hello, "World"', artist: 'A\\nB', year: 1999, genres: ['pop', 'rock'],
               reason: '=HYPERLINK("x")', play: {kind: 'youtube', youtube_id: 'abcdefghijk'}},
              {id: 's_2', title: '사랑', artist: ' spaced ', genres: [], reason: null,
               play: {kind: 'search', url: 'https://www.youtube.com/results?search_query=x'}},
            ]);
        }"""
    )
    parsed = list(csv.reader(io.StringIO(rows, newline="")))
    assert parsed[0] == ["position", "id", "title", "artist", "year", "genres", "reason", "link"]
    assert parsed[1] == [
        "1", "s_1", 'Hello, "World"', "A\nB", "1999", "pop; rock", "'=HYPERLINK(\"x\")",
        "https://www.youtube.com/watch?v=abcdefghijk",
    ]  # fmt: skip
    assert parsed[2][2:4] == ["사랑", " spaced "]
    assert rows.endswith("\r\n")

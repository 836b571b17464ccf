"""Korean and English, a phone's width, and the keyboard."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE, SCREENSHOTS
from tests.browser.pages import playlist_from_photo, upload, wait_playlist

pytestmark = pytest.mark.browser


def test_a_korean_browser_gets_korean_and_the_switch_gives_english_remembered(visit) -> None:
    v = visit(locale="ko-KR")
    page = v.open()
    assert page.get_attribute("html", "lang") == "ko"
    assert page.inner_text("#face-title") == "내 얼굴"
    assert page.inner_text("#camera-start") == "카메라 켜기"
    assert page.inner_text("#delete-all") == "내 데이터 모두 삭제"
    upload(page)
    wait_playlist(page)
    assert page.inner_text("#mood-bars li[data-mood=positive] .bar-label") == "긍정적"
    assert page.inner_text("#play") == "재생"
    assert "얼굴" in page.get_attribute("#overlay", "aria-label")

    page.click("#ui-lang")
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("#face-title") == "Your face"
    assert page.inner_text("#mood-bars li[data-mood=positive] .bar-label") == "Positive"
    assert page.inner_text("#play") == "Play"
    assert page.inner_text("#ui-lang") == "한국어"
    # remembered: a reload stays English although the browser says Korean
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("#camera-start") == "Start camera"


def test_an_english_browser_gets_english(visit) -> None:
    page = visit(locale="en-US").open()
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("#camera-start") == "Start camera"


def test_at_360_px_one_column_no_sideways_scroll_and_every_control_by_keyboard(visit) -> None:
    v = visit(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    playlist_from_photo(v)
    page = v.page
    page.wait_for_timeout(300)  # let the bar transitions finish
    assert page.evaluate("() => document.scrollingElement.scrollWidth") <= PHONE["width"]
    boxes = [page.locator(f"#{card}").bounding_box() for card in ("face-card", "reading-card", "music-card")]
    assert len({round(b["x"]) for b in boxes}) == 1, "the cards stack in one column"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#music-card").scroll_into_view_if_needed()
    page.evaluate("() => document.getElementById('music-card').scrollIntoView({block: 'start'})")
    page.screenshot(path=str(SCREENSHOTS / "page-phone.png"))
    page.evaluate("() => window.scrollTo(0, 0)")

    # Tab round the page: every main control is reached, and shows where the focus is. Chromium
    # (150 here) starts from the last control used, not from the top, and passes the document
    # itself (BODY: not a control, no ring to show) on its way from the last control to the first.
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    wanted = {
        "ui-lang", "camera-start", "photo-input", "choose-negative", "choose-neutral", "choose-positive",
        "pad-valence", "pad-arousal", "strategy", "filter-language", "filter-genre",
        "filter-decade", "build", "filter-youtube", "play", "next", "like", "dislike", "more-like",
        "download-csv", "download-json", "share", "history-enabled", "delete-all",
    }  # fmt: skip
    seen: set[str] = set()
    no_ring: list[str] = []
    for _ in range(120):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => {
                const el = document.activeElement;
                // the file input is visually hidden: its label shows the ring
                const shown = el.matches('.visually-hidden') ? el.nextElementSibling : el;
                const ring = getComputedStyle(shown);
                if (el === document.body) return ['BODY', true];
                return [el.id || el.className, ring.outlineStyle !== 'none' && ring.outlineWidth !== '0px'];
            }"""
        )
        seen.add(focused[0])
        if not focused[1]:
            no_ring.append(focused[0])
        if wanted <= seen:
            break
    assert wanted <= seen, f"not reached by Tab: {sorted(wanted - seen)}"
    assert not no_ring, f"focused without a visible ring: {no_ring}"
    # a song of the list plays from the keyboard too
    page.focus("#queue li.song:nth-child(2) .song-play")
    page.keyboard.press("Enter")
    page.wait_for_selector("#queue li.song:nth-child(2)[aria-current=true]")
    # the list is redrawn, the focus stays where the listener was
    assert page.evaluate("() => document.activeElement.closest('li.song') !== null")
    assert page.evaluate("() => document.activeElement.closest('li.song').matches(':nth-child(2)')")

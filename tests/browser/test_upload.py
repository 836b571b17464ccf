"""A photo instead of the camera: chosen with the file input or dropped on the drop zone; what the
service cannot read, or a photo without a face, is said in plain words."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest

from tests.browser.conftest import ASTRONAUT, GRACE_HOPPER
from tests.browser.pages import mood_values, upload, visible_error, wait_playlist

pytestmark = pytest.mark.browser


def test_an_uploaded_photo_gives_a_reading_a_box_and_a_playlist(visit) -> None:
    v = visit()
    page = v.open()
    assert page.get_attribute("#photo-input", "accept") == "image/*"
    assert page.get_attribute("#photo-input", "capture") is None  # phones offer camera and gallery
    upload(page, GRACE_HOPPER)
    page.wait_for_selector("#reading-summary[data-empty=false]")
    moods = mood_values(page)
    assert abs(sum(moods.values()) - 1) < 0.01, moods
    assert page.get_attribute("#reading-summary", "data-mood") == max(moods, key=moods.get)
    assert page.get_attribute("#overlay", "data-faces") == "1"
    assert page.is_visible("#photo") and page.is_visible("#overlay")
    (sent,) = v.calls("POST", "/api/v1/analyze")
    # multipart, field "image" (Playwright does not show the file's bytes; the reading proves they came)
    assert b'form-data; name="image"; filename="grace_hopper.jpg"' in sent[3]
    assert len(wait_playlist(page)) >= 10


def _drop(page, data: bytes, name: str, mime: str) -> None:
    page.evaluate(
        """async ([b64, name, mime]) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], name, {type: mime}));
            const zone = document.getElementById('dropzone');
            const init = {dataTransfer: dt, bubbles: true, cancelable: true};
            zone.dispatchEvent(new DragEvent('dragover', init));
            zone.dispatchEvent(new DragEvent('drop', init));
        }""",
        [base64.b64encode(data).decode(), name, mime],
    )


def _two_faces() -> tuple[bytes, int]:
    """Grace Hopper (larger) beside the astronaut; and the astronaut's x offset."""
    from PIL import Image

    hopper = Image.open(GRACE_HOPPER).convert("RGB").resize((307, 360))
    astronaut = Image.open(ASTRONAUT).convert("RGB")
    both = Image.new("RGB", (hopper.width + astronaut.width, astronaut.height), (200, 200, 200))
    both.paste(hopper, (0, 0))
    both.paste(astronaut, (hopper.width, 0))
    out = io.BytesIO()
    both.save(out, format="JPEG", quality=92)
    return out.getvalue(), hopper.width


def test_the_largest_face_drives_until_the_listener_clicks_another(visit) -> None:
    v = visit()
    page = v.open()
    data, _ = _two_faces()
    with page.expect_response(lambda r: "/api/v1/analyze" in r.url) as info:
        _drop(page, data, "two.jpg", "image/jpeg")
    faces = info.value.json()["faces"]
    assert len(faces) == 2
    areas = [f["box"][2] * f["box"][3] for f in faces]
    largest, other = (0, 1) if areas[0] >= areas[1] else (1, 0)
    page.wait_for_selector("#overlay[data-faces='2']")
    assert page.get_attribute("#overlay", "data-driving") == str(largest)
    assert page.get_attribute("#reading-summary", "data-mood") == faces[largest]["mood"]
    assert page.is_visible("#face-next")
    # a click inside the other face's box: that face drives now
    canvas = page.locator("#overlay").bounding_box()
    k = canvas["width"] / info.value.json()["image"]["width"]
    x, y, w, h = faces[other]["box"]
    page.mouse.click(canvas["x"] + (x + w / 2) * k, canvas["y"] + (y + h / 2) * k)
    page.wait_for_selector(f"#overlay[data-driving='{other}']")
    assert page.get_attribute("#reading-summary", "data-mood") == faces[other]["mood"]
    # and the keyboard can switch back
    page.click("#face-next")
    page.wait_for_selector(f"#overlay[data-driving='{largest}']")


def _plain_png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 240), (180, 190, 200)).save(out, format="PNG")
    return out.getvalue()


def test_a_photo_dropped_on_the_drop_zone_is_read(visit) -> None:
    v = visit()
    page = v.open()
    _drop(page, GRACE_HOPPER.read_bytes(), "hopper.jpg", "image/jpeg")
    page.wait_for_selector("#reading-summary[data-empty=false]")
    assert page.get_attribute("#overlay", "data-faces") == "1"


def test_a_photo_without_a_face_says_so_and_how_to_do_better(visit) -> None:
    v = visit()
    page = v.open()
    _drop(page, _plain_png(), "wall.png", "image/png")
    page.wait_for_selector("#face-note:visible")
    note = page.inner_text("#face-note").lower()
    assert "no face" in note and ("brighter" in note or "light" in note) and "closer" in note
    assert page.get_attribute("#reading-summary", "data-empty") == "true"
    assert visible_error(page) is None  # not an error: a 200 with no faces


def test_a_file_the_service_cannot_read_shows_its_error_readably(visit, tmp_path: Path) -> None:
    v = visit()
    page = v.open()
    fake = tmp_path / "notes.png"
    fake.write_bytes(b"these are my notes, not a picture\n" * 20)
    upload(page, fake)
    page.wait_for_function("() => !document.getElementById('message').hidden")
    message = visible_error(page)
    assert message and "image" in message.lower()
    assert "{" not in message  # the words, not the JSON
    (sent,) = v.calls("POST", "/api/v1/analyze")
    assert sent

"""load_image: every accepted format, orientation and colour mode comes out upright RGB uint8;
everything else is refused with a typed error that says what to do."""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import cv2
import numpy as np
import pillow_heif
import pytest
from PIL import Image

from moodtune.errors import (
    CorruptImage,
    EmptyImage,
    ImageNotFound,
    ImageTooLarge,
    ImageTooSmall,
    InvalidImage,
    UnsupportedImageFormat,
    UsageError,
)
from moodtune.vision.image_io import LoadedImage, load_image

pillow_heif.register_heif_opener()  # so the tests can *write* HEIF; load_image registers it for reading


def scene(width: int = 64, height: int = 48) -> np.ndarray:
    """A smooth RGB picture (lossy codecs keep it close) with a distinct value in every channel."""
    y, x = np.mgrid[0:height, 0:width]
    return np.dstack([x * 255 // (width - 1), y * 255 // (height - 1), 255 - x * 255 // (width - 1)]).astype(
        np.uint8
    )


def encode(image: Image.Image | np.ndarray, fmt: str, **params: Any) -> bytes:
    pil = image if isinstance(image, Image.Image) else Image.fromarray(image)
    buf = io.BytesIO()
    pil.save(buf, fmt, **params)
    return buf.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A PNG header that declares ``width x height`` 1-bit pixels and holds none: tens of bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def exif_orientation(value: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = value
    return exif.tobytes()


# --- accepted formats ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "params", "mean_tolerance"),
    [
        ("PNG", {}, 0.0),
        ("BMP", {}, 0.0),
        ("WEBP", {"lossless": True}, 0.0),
        ("JPEG", {"quality": 95}, 3.0),
        ("HEIF", {"quality": 95}, 4.0),
    ],
)
def test_each_format_round_trips_from_bytes_and_path(
    tmp_path: Path, fmt: str, params: dict[str, Any], mean_tolerance: float
) -> None:
    pixels = scene()
    data = encode(pixels, fmt, **params)
    path = tmp_path / "photo.bin"  # the name says nothing: the content decides
    path.write_bytes(data)
    for source in (data, path, str(path)):
        loaded = load_image(source)
        assert loaded.format == fmt
        assert loaded.rgb.shape == (48, 64, 3)
        assert loaded.rgb.dtype == np.uint8
        assert loaded.rgb.flags.c_contiguous
        assert loaded.original_size == (64, 48)
        assert loaded.orientation_applied == 1
        assert loaded.size == (64, 48)
        diff = np.abs(loaded.rgb.astype(int) - pixels.astype(int))
        assert diff.mean() <= mean_tolerance, f"{fmt}: mean difference {diff.mean():.2f}"


def test_extension_is_not_trusted(tmp_path: Path) -> None:
    path = tmp_path / "holiday.jpg"
    path.write_bytes(encode(scene(), "PNG"))
    assert load_image(path).format == "PNG"


# Stored 64x48 with a white marker in its top-left corner; where the marker must be once upright.
@pytest.mark.parametrize(
    ("fmt", "orientation", "corner"),
    [
        ("JPEG", 3, "bottom_right"),  # rotated 180
        ("JPEG", 6, "top_right"),  # the usual phone-held-upright photo: turn 90 clockwise
        ("JPEG", 8, "bottom_left"),  # turn 90 counter-clockwise
        ("PNG", 6, "top_right"),  # PNG's eXIf chunk is honoured too
        ("WEBP", 8, "bottom_left"),
        ("HEIF", 6, "top_right"),  # libheif rotates; the tag it replaced is still reported
    ],
)
def test_exif_orientation_comes_out_upright(fmt: str, orientation: int, corner: str) -> None:
    stored = np.full((48, 64, 3), 60, np.uint8)
    stored[:12, :12] = 255
    loaded = load_image(encode(stored, fmt, exif=exif_orientation(orientation), quality=95))
    quarter_turn = orientation in (6, 8)
    assert loaded.size == ((48, 64) if quarter_turn else (64, 48))
    assert loaded.original_size == (64, 48)
    assert loaded.orientation_applied == orientation
    grey = loaded.rgb.mean(axis=2)
    corners = {
        "top_left": grey[:8, :8],
        "top_right": grey[:8, -8:],
        "bottom_left": grey[-8:, :8],
        "bottom_right": grey[-8:, -8:],
    }
    means = {name: float(block.mean()) for name, block in corners.items()}
    assert means[corner] > 200, means
    assert all(v < 120 for name, v in means.items() if name != corner), means


# --- colour ----------------------------------------------------------------------------------------------


def test_16_bit_grey_png_is_scaled_not_clipped() -> None:
    values = np.linspace(0, 65535, 32 * 32).round().astype(np.uint16).reshape(32, 32)
    data = encode(values, "PNG")
    assert Image.open(io.BytesIO(data)).mode == "I;16"
    loaded = load_image(data)
    expected = np.round(values / 257.0).astype(np.uint8)
    assert np.array_equal(loaded.rgb[:, :, 0], expected)
    assert np.array_equal(loaded.rgb[:, :, 0], loaded.rgb[:, :, 2])
    assert loaded.rgb[16, 0, 0] == expected[16, 0] > 100  # mid-grey stays mid-grey, not 255


def test_16_bit_grey_transparent_key_becomes_white() -> None:
    values = np.full((16, 16), 1000, np.uint16)
    values[0, 0] = 5
    loaded = load_image(encode(values, "PNG", transparency=5))
    assert loaded.rgb[0, 0].tolist() == [255, 255, 255]
    assert loaded.rgb[1, 1].tolist() == [4, 4, 4]


def test_16_bit_rgb_png_keeps_channel_order() -> None:
    rgb16 = np.zeros((16, 16, 3), np.uint16)
    rgb16[..., 0], rgb16[..., 1], rgb16[..., 2] = 65535, 32896, 0
    ok, buf = cv2.imencode(".png", rgb16[:, :, ::-1])  # OpenCV writes BGR
    assert ok
    assert load_image(buf.tobytes()).rgb[0, 0].tolist() == [255, 128, 0]


def test_grey_png_becomes_three_equal_channels() -> None:
    grey = scene()[:, :, 0]
    loaded = load_image(encode(grey, "PNG"))
    assert np.array_equal(loaded.rgb, np.dstack([grey] * 3))


def test_rgba_is_composited_on_white() -> None:
    rgba = np.zeros((16, 16, 4), np.uint8)
    rgba[..., 0] = 200  # red 200 everywhere
    rgba[0, :, 3] = 0  # row 0 transparent -> white
    rgba[1, :, 3] = 255  # row 1 opaque -> the colour
    rgba[2, :, 3] = 128  # row 2 half -> halfway to white
    loaded = load_image(encode(rgba, "PNG"))
    assert loaded.rgb[0, 0].tolist() == [255, 255, 255]
    assert loaded.rgb[1, 0].tolist() == [200, 0, 0]
    assert np.abs(loaded.rgb[2, 0].astype(int) - [228, 127, 127]).max() <= 1


def test_grey_with_alpha_is_composited_on_white() -> None:
    la = Image.new("LA", (16, 16), (0, 0))
    la.putpixel((0, 1), (0, 255))
    loaded = load_image(encode(la, "PNG"))
    assert loaded.rgb[0, 0].tolist() == [255, 255, 255]
    assert loaded.rgb[1, 0].tolist() == [0, 0, 0]


def test_palette_with_and_without_transparency() -> None:
    pal = Image.new("P", (16, 16), 0)
    pal.putpalette([255, 0, 0, 0, 0, 255] + [0] * (3 * 254))
    pal.paste(1, (8, 0, 16, 16))  # right half blue
    plain = load_image(encode(pal, "PNG"))
    assert plain.rgb[0, 0].tolist() == [255, 0, 0]
    assert plain.rgb[0, 15].tolist() == [0, 0, 255]
    keyed = load_image(encode(pal, "PNG", transparency=0))  # index 0 (red) is transparent
    assert keyed.rgb[0, 0].tolist() == [255, 255, 255]
    assert keyed.rgb[0, 15].tolist() == [0, 0, 255]


def test_cmyk_jpeg() -> None:
    cmyk = Image.new("CMYK", (32, 32), (0, 255, 255, 0))  # red
    cmyk.paste((255, 0, 0, 0), (16, 0, 32, 32))  # right half cyan
    loaded = load_image(encode(cmyk, "JPEG", quality=95))
    assert loaded.format == "JPEG"
    assert np.abs(loaded.rgb[16, 4].astype(int) - [255, 0, 0]).max() <= 8
    assert np.abs(loaded.rgb[16, 28].astype(int) - [0, 255, 255]).max() <= 8


# --- numpy and PIL input ---------------------------------------------------------------------------------

RGB = scene(32, 24)
GREY = RGB[:, :, 1].copy()


@pytest.mark.parametrize(
    ("array", "bgr", "expected"),
    [
        (GREY, False, np.dstack([GREY] * 3)),  # (H, W)
        (GREY[:, :, None], False, np.dstack([GREY] * 3)),  # (H, W, 1)
        (RGB, False, RGB),  # (H, W, 3) is RGB
        (RGB[:, :, ::-1], True, RGB),  # OpenCV's BGR
        (np.dstack([RGB, np.full(GREY.shape, 255, np.uint8)]), False, RGB),  # opaque RGBA
        (np.dstack([RGB, np.zeros_like(GREY)]), False, np.full_like(RGB, 255)),  # transparent -> white
        (np.dstack([RGB[:, :, ::-1], np.full(GREY.shape, 255, np.uint8)]), True, RGB),  # BGRA
        (RGB.astype(np.uint16) * 257, False, RGB),  # uint16 scaled back exactly
        (RGB.astype(np.float32) / 255, False, RGB),  # float in [0, 1]
        (RGB.astype(np.float64) / 255, False, RGB),
        (np.asfortranarray(RGB), False, RGB),  # any memory layout in, C-contiguous out
    ],
)
def test_numpy_inputs(array: np.ndarray, bgr: bool, expected: np.ndarray) -> None:
    loaded = load_image(array, bgr=bgr)
    assert loaded.format == "array"
    assert loaded.original_size == (32, 24)
    assert loaded.orientation_applied == 1
    assert loaded.rgb.flags.c_contiguous
    assert np.array_equal(loaded.rgb, expected)


def test_result_does_not_share_the_callers_array() -> None:
    array = RGB.copy()
    loaded = load_image(array)
    array[:] = 0
    assert np.array_equal(loaded.rgb, RGB)


def test_pil_input_is_oriented_and_keeps_its_format() -> None:
    stored = np.full((48, 64, 3), 60, np.uint8)
    stored[:12, :12] = 255
    opened = Image.open(io.BytesIO(encode(stored, "JPEG", exif=exif_orientation(6))))
    loaded = load_image(opened)
    assert (loaded.format, loaded.size, loaded.orientation_applied) == ("JPEG", (48, 64), 6)
    assert loaded.rgb[:8, -8:].mean() > 200
    made = load_image(Image.fromarray(GREY))
    assert made.format == "PIL"
    assert np.array_equal(made.rgb, np.dstack([GREY] * 3))


# --- refusals --------------------------------------------------------------------------------------------


class Bad(NamedTuple):
    make: Callable[[Path], Any]  # builds the source, given a temporary folder
    kwargs: dict[str, Any]
    error: type[Exception]
    hint: str  # part of the message that tells the user what to do


def _file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


_JPEG = encode(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8), "JPEG")
_PNG = encode(np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8), "PNG")
_HEIF = encode(scene(), "HEIF")
_SEND = "send a JPEG, PNG, WebP, BMP or HEIC photo"

BAD_INPUTS = {
    # nothing at all, as bytes and as a file
    "empty-bytes": Bad(lambda _: b"", {}, EmptyImage, _SEND),
    "empty-file": Bad(lambda p: _file(p, "empty.jpg", b""), {}, EmptyImage, _SEND),
    # noise: no format's signature
    "random-bytes": Bad(lambda _: np.random.default_rng(2).bytes(4096), {}, UnsupportedImageFormat, _SEND),
    # a text file dressed as a photo: the extension is not trusted
    "text-file": Bad(
        lambda p: _file(p, "notes.jpg", b"dear diary\n" * 20), {}, UnsupportedImageFormat, "text"
    ),
    # half a JPEG (an interrupted upload)
    "truncated-jpeg": Bad(lambda _: _JPEG[: len(_JPEG) // 2], {}, CorruptImage, "send the complete file"),
    # half a PNG
    "truncated-png": Bad(lambda _: _PNG[: len(_PNG) // 2], {}, CorruptImage, "send the complete file"),
    # a HEIF cut short: its boxes point past the end
    "truncated-heif": Bad(lambda _: _HEIF[: len(_HEIF) // 2], {}, CorruptImage, "send the complete file"),
    # a JPEG signature followed by garbage
    "jpeg-signature-only": Bad(lambda _: b"\xff\xd8\xff" + b"\x00" * 200, {}, CorruptImage, "re-save it"),
    # GIF is rejected by decision (animation, 256 colours): the message says how to convert
    "gif": Bad(lambda _: encode(scene(), "GIF"), {}, UnsupportedImageFormat, "save a still frame as PNG"),
    # TIFF (and RAW files built on it)
    "tiff": Bad(lambda _: encode(scene(), "TIFF"), {}, UnsupportedImageFormat, "export it as JPEG"),
    # SVG is a vector drawing, not a photo
    "svg": Bad(
        lambda _: b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"/>',
        {},
        UnsupportedImageFormat,
        "export it as PNG",
    ),
    # a PDF
    "pdf": Bad(lambda _: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", {}, UnsupportedImageFormat, _SEND),
    # AVIF shares HEIF's container but not its codec
    "avif": Bad(
        lambda _: b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", {}, UnsupportedImageFormat, _SEND
    ),
    # decompression bomb: a header declaring 20000x20000 (400 MP, past Pillow's own guard), no pixel data
    "bomb-pillow-guard": Bad(lambda _: png_declaring(20000, 20000), {}, ImageTooLarge, "resize"),
    # 8000x6000 = 48 MP: under Pillow's guard, over max_pixels; refused from the header alone
    "bomb-max-pixels": Bad(lambda _: png_declaring(8000, 6000), {}, ImageTooLarge, "resize it to"),
    # a valid image, but more bytes than allowed
    "over-max-bytes": Bad(lambda _: _PNG, {"max_bytes": 1000}, ImageTooLarge, "send a smaller file"),
    # the same from a file: refused before it is read
    "over-max-bytes-file": Bad(
        lambda p: _file(p, "big.png", _PNG), {"max_bytes": 1000}, ImageTooLarge, "smaller"
    ),
    # 8x8 pixels cannot hold a face
    "too-small": Bad(lambda _: encode(scene(8, 8), "PNG"), {}, ImageTooSmall, "of at least 16x16"),
    # thin arrays too
    "too-small-array": Bad(lambda _: np.zeros((4, 100), np.uint8), {}, ImageTooSmall, "of at least 16x16"),
    # pixel limit applies to arrays
    "too-large-array": Bad(
        lambda _: np.zeros((100, 100), np.uint8), {"max_pixels": 5000}, ImageTooLarge, "resize"
    ),
    # a path to nothing
    "missing-path": Bad(lambda p: p / "nope.jpg", {}, ImageNotFound, "check the path"),
    # a folder is not an image
    "directory": Bad(lambda p: p, {}, ImageNotFound, "pass the path of a photo"),
    # two channels: neither grey, RGB nor RGBA
    "array-2-channels": Bad(lambda _: np.zeros((32, 32, 2), np.uint8), {}, InvalidImage, "channels last"),
    # a batch is not an image
    "array-4d": Bad(lambda _: np.zeros((2, 32, 32, 3), np.uint8), {}, InvalidImage, "pass one image"),
    # int64 is numpy's default integer: say how to convert
    "array-int64": Bad(lambda _: np.zeros((32, 32), np.int64), {}, InvalidImage, "arr.astype(np.uint8)"),
    # 0-255 values in a float array
    "array-float-0-255": Bad(
        lambda _: np.full((32, 32), 200.0), {}, InvalidImage, "divide 0-255 data by 255"
    ),
    # NaN
    "array-float-nan": Bad(lambda _: np.full((32, 32), np.nan), {}, InvalidImage, "values in [0, 1]"),
    # no pixels
    "array-empty": Bad(lambda _: np.zeros((0, 32, 3), np.uint8), {}, EmptyImage, "pass an image with pixels"),
    # not an image source at all
    "wrong-type": Bad(lambda _: 42, {}, UsageError, "must be a path, bytes, a numpy array or a PIL image"),
    # bgr only means something for OpenCV arrays
    "bgr-on-bytes": Bad(lambda _: _PNG, {"bgr": True}, UsageError, "drop bgr=True"),
}


@pytest.mark.parametrize("case", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_is_refused_with_a_typed_error_that_says_what_to_do(tmp_path: Path, case: Bad) -> None:
    source = case.make(tmp_path)
    with pytest.raises(case.error) as info:
        load_image(source, **case.kwargs)
    assert type(info.value) is case.error  # exactly this class, not just a parent
    assert case.hint in str(info.value)


def test_pillows_bomb_warning_becomes_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # between MAX_IMAGE_PIXELS and twice that Pillow only warns; above max_pixels or not, it is refused
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and nothing leaks out as a warning
        with pytest.raises(ImageTooLarge, match="decoded safely"):
            load_image(png_declaring(40, 40), max_pixels=10**9)  # 1600 pixels: Pillow's warning zone
        with pytest.raises(ImageTooLarge, match="decoded safely"):
            load_image(png_declaring(60, 50), max_pixels=10**9)  # 3000 pixels: Pillow's error zone


@pytest.mark.parametrize(
    ("error", "code", "status"),
    [
        (ImageNotFound, "image_not_found", 404),
        (EmptyImage, "empty_image", 400),
        (UnsupportedImageFormat, "unsupported_image_format", 415),
        (CorruptImage, "corrupt_image", 400),
        (ImageTooLarge, "image_too_large", 413),
        (ImageTooSmall, "image_too_small", 400),
    ],
)
def test_image_errors_carry_their_code_and_status(error: type[InvalidImage], code: str, status: int) -> None:
    assert issubclass(error, InvalidImage)
    assert (error.code, error.status) == (code, status)
    assert error("why and what to do").to_dict() == {"code": code, "message": "why and what to do"}


def test_loaded_image_checks_its_pixels() -> None:
    with pytest.raises(InvalidImage, match=r"shape \(H, W, 3\)"):
        LoadedImage(rgb=np.zeros((4, 4), np.uint8), format="array", original_size=(4, 4))
    with pytest.raises(InvalidImage, match="orientation"):
        LoadedImage(
            rgb=np.zeros((4, 4, 3), np.uint8), format="array", original_size=(4, 4), orientation_applied=9
        )

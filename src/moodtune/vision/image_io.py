"""The one door every image enters moodtune through: decode, check, turn upright, make RGB uint8.

``load_image`` takes a path, raw bytes, a numpy array or a PIL image and returns a ``LoadedImage``
whose ``rgb`` is an upright ``(H, W, 3)`` uint8 C-contiguous array. Everything about pixels that
arrive from outside (format, limits, orientation, colour) is decided here and nowhere else.

Decisions:

- Accepted formats: JPEG, PNG, WebP, BMP and HEIC/HEIF (iPhone photos, through pillow-heif). The
  format is sniffed from the first bytes, never from a file name, and Pillow is only allowed to try
  the sniffed one. GIF is rejected: cameras and phones do not produce it, it is usually an animation
  (which frame holds the face?) and its 256-colour palette dithers faces; TIFF (and the camera RAW
  files built on it), SVG, PDF, AVIF, video, text and anything unrecognised are rejected too. An
  animated WebP or PNG gives its first frame, a multi-image HEIF its primary image.
- Limits: more than ``max_bytes`` of encoded data, or more than ``max_pixels`` pixels as declared by
  the header, is refused before any pixel is decoded (decompression bombs); so is anything Pillow's
  own ``Image.MAX_IMAGE_PIXELS`` guard refuses, whichever limit is lower. Fewer than ``min_side``
  pixels on a side is too small to hold a face. Truncated files are refused
  (``ImageFile.LOAD_TRUNCATED_IMAGES`` stays off).
- Orientation: the EXIF Orientation tag (0x0112, values 1-8; EXIF 2.32, CIPA DC-008) is applied
  with ``ImageOps.exif_transpose``. For HEIF, libheif has already applied the container's rotation
  and mirroring (ISO/IEC 23008-12 ``irot``/``imir``) and pillow-heif resets the EXIF tag; the tag it
  replaced is reported as ``orientation_applied``.
- Colour: grey, 16-bit (scaled by 255/65535 with rounding, not clipped), palette, CMYK and images
  with transparency (alpha or a transparent colour key, composited onto white) all become RGB.
  Embedded ICC profiles are not applied (values are read as sRGB), which is close enough for
  reading faces.
"""

from __future__ import annotations

import functools
import io
import math
import os
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

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

DEFAULT_MAX_PIXELS = 40_000_000
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
MIN_SIDE = 16
SUPPORTED_FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "HEIF")
WHAT_TO_SEND = "send a JPEG, PNG, WebP, BMP or HEIC photo"

ImageSource: TypeAlias = str | os.PathLike[str] | bytes | bytearray | memoryview | np.ndarray | Image.Image

# Major brands of the ISO base media file ('ftyp') that pillow-heif opens; the same list it checks.
_HEIF_BRANDS = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
)
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
# What Pillow raises for data it cannot parse: the image is damaged, not the program.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error)


@dataclass(frozen=True, eq=False)  # eq=False: comparing or hashing pixel arrays field-wise is meaningless
class LoadedImage:
    """A decoded image, upright and in RGB: what the rest of moodtune reads."""

    rgb: np.ndarray
    """``(H, W, 3)`` uint8, C-contiguous, owned (never a view of the caller's array)."""
    format: str
    """Where the pixels came from: ``"JPEG"``, ``"PNG"``, ``"WEBP"``, ``"BMP"``, ``"HEIF"``, ``"array"``,
    or for a PIL image its own ``format`` (``"PIL"`` when it has none)."""
    original_size: tuple[int, int]
    """``(width, height)`` as stored, before the orientation was applied."""
    orientation_applied: int = 1
    """The EXIF orientation (1-8) that was applied to make the image upright; 1 when none was."""

    def __post_init__(self) -> None:
        rgb = self.rgb
        if not (
            isinstance(rgb, np.ndarray)
            and rgb.dtype == np.uint8
            and rgb.ndim == 3
            and rgb.shape[2] == 3
            and rgb.flags.c_contiguous
        ):
            got = (
                f"{rgb.dtype} array of shape {rgb.shape}"
                if isinstance(rgb, np.ndarray)
                else type(rgb).__name__
            )
            raise InvalidImage(f"rgb must be a C-contiguous uint8 array of shape (H, W, 3), but got {got}")
        if not 1 <= self.orientation_applied <= 8:
            raise InvalidImage(
                f"orientation_applied must be an EXIF orientation 1-8, but got {self.orientation_applied}"
            )

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` of ``rgb``."""
        return self.rgb.shape[1], self.rgb.shape[0]


@dataclass(frozen=True)
class _Limits:
    max_pixels: int
    max_bytes: int
    min_side: int


def load_image(
    source: ImageSource,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    min_side: int = MIN_SIDE,
    bgr: bool = False,
) -> LoadedImage:
    """Decode ``source`` into an upright RGB uint8 image, or raise a typed ``InvalidImage``.

    ``source`` is one of:

    - a path (``str`` or ``os.PathLike``) to a JPEG, PNG, WebP, BMP or HEIC/HEIF file;
    - the encoded bytes of such a file (``bytes``, ``bytearray``, ``memoryview``);
    - a numpy array of shape ``(H, W)`` or ``(H, W, 1)`` (grey), ``(H, W, 3)`` (RGB) or ``(H, W, 4)``
      (RGBA), of dtype uint8, uint16 (scaled to 8 bits) or float with values in ``[0, 1]``. Pass
      ``bgr=True`` for arrays in OpenCV's channel order (``(H, W, 3)`` BGR, ``(H, W, 4)`` BGRA, as
      ``cv2.imread`` returns); it applies to arrays only;
    - a PIL image, taken as decoded (any format Pillow opened), then checked and oriented as above.

    ``max_bytes`` limits encoded input (paths and bytes); ``max_pixels`` and ``min_side`` apply to
    every source. Raises ``ImageNotFound``, ``EmptyImage``, ``UnsupportedImageFormat``,
    ``CorruptImage``, ``ImageTooLarge``, ``ImageTooSmall`` or, for an array of the wrong shape or
    dtype, ``InvalidImage``; ``UsageError`` for arguments that cannot work.
    """
    if max_pixels < 1 or max_bytes < 1 or min_side < 1:
        raise UsageError(
            f"max_pixels, max_bytes and min_side must be >= 1, but got max_pixels={max_pixels}, "
            f"max_bytes={max_bytes}, min_side={min_side}"
        )
    limits = _Limits(max_pixels=max_pixels, max_bytes=max_bytes, min_side=min_side)
    if isinstance(source, np.ndarray):
        return _from_array(source, bgr=bgr, limits=limits)
    if bgr:
        raise UsageError(
            f"bgr=True applies to numpy arrays in OpenCV's channel order only, but got a "
            f"{type(source).__name__}: drop bgr=True"
        )
    if isinstance(source, Image.Image):
        fmt = "JPEG" if source.format == "MPO" else (source.format or "PIL")
        return _from_pil(source, label="the PIL image", fmt=fmt, limits=limits)
    if isinstance(source, bytes | bytearray | memoryview):
        return _from_bytes(bytes(source), label="the image data", limits=limits)
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        return _from_bytes(_read_file(path, limits.max_bytes), label=f"the file {path}", limits=limits)
    raise UsageError(
        f"source must be a path, bytes, a numpy array or a PIL image, but got {type(source).__name__}"
    )


def _read_file(path: Path, max_bytes: int) -> bytes:
    try:
        with path.open("rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > max_bytes:
                raise ImageTooLarge(_too_many_bytes(f"the file {path}", size, max_bytes))
            # never more than the limit allows, even from a file that grows or a device with no size
            return f.read(max_bytes + 1)
    except FileNotFoundError as exc:
        raise ImageNotFound(f"image file not found: {path}: check the path and {WHAT_TO_SEND}") from exc
    except IsADirectoryError as exc:
        raise ImageNotFound(f"{path} is a directory, not an image file: pass the path of a photo") from exc
    except OSError as exc:
        raise InvalidImage(f"cannot read {path} ({exc.strerror or exc}): check its permissions") from exc


def _from_bytes(data: bytes, *, label: str, limits: _Limits) -> LoadedImage:
    if not data:
        raise EmptyImage(f"{label} is empty (0 bytes): {WHAT_TO_SEND}")
    if len(data) > limits.max_bytes:
        raise ImageTooLarge(_too_many_bytes(label, len(data), limits.max_bytes))
    fmt = _sniff(data, label)
    if fmt == "HEIF":
        _register_heif_opener()
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that; make it refuse. catch_warnings is
            # process-wide before Python 3.14, so a concurrent call may briefly see this category as an
            # error too, which is the safe direction.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=[fmt])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge(
            f"{label} declares more pixels than can be decoded safely ({exc}): resize the photo and send "
            "it again"
        ) from exc
    except _DECODE_ERRORS as exc:
        reason = "its header is damaged" if isinstance(exc, UnidentifiedImageError) else str(exc)
        raise CorruptImage(_corrupt(label, fmt, reason)) from exc
    with img:
        return _from_pil(img, label=label, fmt=fmt, limits=limits)


def _sniff(data: bytes, label: str) -> str:
    """The accepted format ``data`` starts with, or ``UnsupportedImageFormat`` naming what it is."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data.startswith(b"BM"):
        return "BMP"
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in _HEIF_BRANDS:
            return "HEIF"
        what = "an AVIF image" if brand in _AVIF_BRANDS else "a video or other ISO media file"
        what += f" (brand {brand.decode('latin-1')!r})"
    elif data.startswith((b"GIF87a", b"GIF89a")):
        what = "a GIF (GIFs are not accepted: save a still frame as PNG or JPEG)"
    elif data.startswith((b"II*\x00", b"MM\x00*")):
        what = "a TIFF or camera RAW file (export it as JPEG)"
    elif data.startswith(b"%PDF"):
        what = "a PDF document"
    elif data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        what = "an SVG, XML or HTML document (export it as PNG)"
    elif _looks_like_text(data[:1024]):
        what = "text"
    else:
        what = f"in no recognised image format (it starts with bytes {data[:8].hex(' ')})"
    raise UnsupportedImageFormat(f"{label} is {what}, not a photo moodtune can read: {WHAT_TO_SEND}")


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:  # a multi-byte character cut at the end of the sample is still text
        return exc.start >= len(head) - 3
    return True


@functools.cache
def _register_heif_opener() -> None:
    """Teach Pillow to open HEIC/HEIF, once, on the first HEIF that arrives (importing is slow)."""
    import pillow_heif

    pillow_heif.register_heif_opener()


def _from_pil(img: Image.Image, *, label: str, fmt: str, limits: _Limits) -> LoadedImage:
    width, height = img.size
    _check_size(width, height, label, limits)
    try:
        img.load()  # the pixels are decoded here, after the size checks
    except _DECODE_ERRORS as exc:
        raise CorruptImage(_corrupt(label, fmt, str(exc))) from exc
    original_size = (width, height)
    orientation = _orientation(img)
    if img.format == "HEIF":
        if orientation >= 5:  # libheif turned it a quarter: the stored image was the other way round
            original_size = (height, width)
    elif orientation != 1:
        img = ImageOps.exif_transpose(img)
    return LoadedImage(
        rgb=np.ascontiguousarray(_pil_to_rgb(img)),
        format=fmt,
        original_size=original_size,
        orientation_applied=orientation,
    )


def _orientation(img: Image.Image) -> int:
    if img.format == "HEIF":
        value = img.info.get("original_orientation")  # the EXIF tag pillow-heif reset after libheif rotated
    else:
        value = img.getexif().get(ExifTags.Base.Orientation)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _pil_to_rgb(img: Image.Image) -> np.ndarray:
    if img.mode.startswith("I;16") or img.mode == "I":
        values = np.asarray(img)
        if img.mode == "I":  # 32-bit ints; the formats read here put 16-bit grey in them
            values = np.clip(values, 0, 65535)
        grey = _scale_16_to_8(values)
        key = img.info.get("transparency")
        if isinstance(key, int):  # a transparent grey level (PNG tRNS): composite onto white
            grey[values == key] = 255
        return np.repeat(grey[:, :, None], 3, axis=2)
    if img.has_transparency_data:
        return _composite_on_white(np.asarray(img.convert("RGBA")))
    return np.array(img if img.mode == "RGB" else img.convert("RGB"))


def _from_array(arr: np.ndarray, *, bgr: bool, limits: _Limits) -> LoadedImage:
    if arr.size == 0:
        raise EmptyImage(f"the array is empty (shape {arr.shape}): pass an image with pixels in it")
    image = arr[:, :, 0] if arr.ndim == 3 and arr.shape[2] == 1 else arr
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (3, 4))):
        raise InvalidImage(
            f"an image array must have shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), but got shape "
            f"{arr.shape}: pass one image, channels last"
        )
    height, width = image.shape[:2]
    _check_size(width, height, "the array", limits)
    image = _array_to_uint8(image)
    if image.ndim == 2:
        rgb = np.repeat(image[:, :, None], 3, axis=2)
    else:
        if bgr:
            image = image[:, :, [2, 1, 0, 3][: image.shape[2]]]
        rgb = _composite_on_white(image) if image.shape[2] == 4 else image
    rgb = np.ascontiguousarray(rgb)
    if np.may_share_memory(rgb, arr):
        rgb = rgb.copy()
    return LoadedImage(rgb=rgb, format="array", original_size=(width, height))


def _array_to_uint8(arr: np.ndarray) -> np.ndarray:
    kind, itemsize = arr.dtype.kind, arr.dtype.itemsize
    if kind == "u" and itemsize == 1:
        return arr
    if kind == "u" and itemsize == 2:
        return _scale_16_to_8(arr)
    if kind == "f":
        if not np.isfinite(arr).all():
            raise InvalidImage("the float array holds NaN or infinity: pass values in [0, 1]")
        low, high = float(arr.min()), float(arr.max())
        if low < 0.0 or high > 1.0:
            raise InvalidImage(
                f"a float image array must hold values in [0, 1], but got values in [{low:g}, {high:g}]: "
                "divide 0-255 data by 255, or pass it as uint8"
            )
        return np.rint(arr.astype(np.float32) * 255.0).astype(np.uint8)
    raise InvalidImage(
        f"an image array must be uint8 (0-255), uint16 (0-65535) or float (0-1), but got dtype {arr.dtype}: "
        "convert it, e.g. arr.astype(np.uint8) for 0-255 values"
    )


def _scale_16_to_8(values: np.ndarray) -> np.ndarray:
    """0-65535 -> 0-255 by rounding v / 257 (65535 / 255 = 257 exactly), so 65535 stays white."""
    return ((values.astype(np.uint32) + 128) // 257).astype(np.uint8)


def _composite_on_white(rgba: np.ndarray) -> np.ndarray:
    """uint8 ``(H, W, 4)`` straight alpha -> uint8 ``(H, W, 3)`` over a white background, rounded."""
    rgb = rgba[:, :, :3].astype(np.uint16)
    alpha = rgba[:, :, 3:].astype(np.uint16)
    return ((rgb * alpha + 255 * (255 - alpha) + 127) // 255).astype(np.uint8)


def _check_size(width: int, height: int, label: str, limits: _Limits) -> None:
    pixels = width * height
    if pixels > limits.max_pixels:
        scale = math.sqrt(limits.max_pixels / pixels)
        raise ImageTooLarge(
            f"{label} is {width}x{height} = {pixels:,} pixels, more than the {limits.max_pixels:,} allowed: "
            f"resize it to {max(1, int(width * scale))}x{max(1, int(height * scale))} or smaller and send "
            "it again"
        )
    if min(width, height) < limits.min_side:
        raise ImageTooSmall(
            f"{label} is {width}x{height} pixels, but a face needs at least {limits.min_side} pixels on "
            f"each side: {WHAT_TO_SEND} of at least {limits.min_side}x{limits.min_side}"
        )


def _too_many_bytes(label: str, size: int, max_bytes: int) -> str:
    return (
        f"{label} is {size:,} bytes, more than the {max_bytes:,} allowed: send a smaller file (resize the "
        "photo or save it as JPEG)"
    )


def _corrupt(label: str, fmt: str, reason: str) -> str:
    return (
        f"{label} starts like a {fmt} file but cannot be decoded ({reason}): it is probably truncated or "
        "damaged; send the complete file again, or re-save it as JPEG or PNG"
    )

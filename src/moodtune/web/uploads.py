"""Image uploads read into memory, never onto disk.

The body is read as it streams in and refused (413) as soon as it passes the limit. A
``multipart/form-data`` body is split in memory by ``python-multipart``'s streaming parser
(Starlette's form parser would spool files over 1 MB to a temporary file; the standard library's
email parser took ~3 s a megabyte on hostile bodies and recursed into nested multiparts until it
failed). A form may hold at most ``MAX_PARTS`` parts, each with a few short headers; a part that is
itself multipart is just bytes, never parsed. The declared content type and file name are not
trusted: ``vision.image_io.load_image`` sniffs the bytes.
"""

from __future__ import annotations

from typing import Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from moodtune.errors import (
    EmptyImage,
    ImageNotFound,
    ImageTooLarge,
    InvalidImage,
    MalformedBody,
    MoodtuneError,
)
from moodtune.web.errors import error_classes

FIELD = "image"
MAX_PARTS = 16
"""The most parts a form may hold: the page sends one; a few more leave room for other clients."""

UPLOAD_ERRORS: tuple[type[MoodtuneError], ...] = (
    MalformedBody,
    *(cls for cls in error_classes(InvalidImage) if cls not in (InvalidImage, ImageNotFound)),
)
"""What reading an uploaded image can raise: a form that cannot be read, and every image error of
``vision.image_io.load_image`` but those of paths (``ImageNotFound``) and arrays (``InvalidImage``)."""

UPLOAD_BODY: dict[str, Any] = {
    "required": True,
    "description": f"the photo: the file part {FIELD!r} of a multipart form, or the raw image bytes",
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {FIELD: {"type": "string", "format": "binary"}},
                "required": [FIELD],
            }
        },
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
    },
}
"""The OpenAPI request body of a route that reads an image with ``read_body`` and ``image_bytes``
(the route itself declares none: it reads the body as it streams)."""


MULTIPART_ROOM = 64 * 1024
"""Bytes allowed over the image limit for the multipart headers and boundaries around the image."""


def too_large(limit: int) -> ImageTooLarge:
    return ImageTooLarge(
        f"the upload is larger than {limit / 1e6:.1f} MB (the limit); send a smaller photo, e.g. a "
        "JPEG of at most 1920 px on its long side"
    )


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, at most ``limit`` bytes (``ImageTooLarge`` past it, without reading on)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit + MULTIPART_ROOM:
        raise too_large(limit)
    chunks = bytearray()
    async for chunk in request.stream():
        chunks += chunk
        if len(chunks) > limit + MULTIPART_ROOM:
            raise too_large(limit)
    return bytes(chunks)


def image_bytes(body: bytes, content_type: str | None, limit: int) -> bytes:
    """The image in ``body``: the ``image`` file field of a multipart form, else the body itself."""
    if content_type and content_type.lower().startswith("multipart/form-data"):
        data = _multipart_file(body, content_type)
    else:
        data = body
    if not data:
        raise EmptyImage(
            "the request holds no image: send the photo as the body, or as the multipart field 'image'"
        )
    if len(data) > limit:
        raise too_large(limit)
    return data


def _multipart_file(body: bytes, content_type: str) -> bytes:
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise MalformedBody(
            "the multipart body has no boundary in its Content-Type; send the photo as the file field "
            f"{FIELD!r} of a multipart/form-data form, or as the body itself"
        )
    names: list[str] = []
    image: bytearray | None = None
    state: dict[str, bytearray] = {"field": bytearray(), "value": bytearray()}
    in_image = False

    def part_begin() -> None:
        nonlocal in_image
        in_image = False
        if len(names) >= MAX_PARTS:
            raise MalformedBody(
                f"the multipart form has more than {MAX_PARTS} parts; send the photo as the file field "
                f"{FIELD!r}, alone"
            )
        names.append("")

    def header_end() -> None:
        nonlocal in_image, image
        if bytes(state["field"]).strip().lower() == b"content-disposition":
            _, disposition = parse_options_header(bytes(state["value"]))
            name = disposition.get(b"name", b"").decode("latin-1")
            names[-1] = name
            if name == FIELD and image is None:
                in_image, image = True, bytearray()
        state["field"].clear()
        state["value"].clear()

    def part_data(data: bytes, start: int, end: int) -> None:
        if in_image and image is not None:
            image.extend(data[start:end])

    callbacks = {
        "on_part_begin": part_begin,
        "on_header_field": lambda data, start, end: state["field"].extend(data[start:end]),
        "on_header_value": lambda data, start, end: state["value"].extend(data[start:end]),
        "on_header_end": header_end,
        "on_part_data": part_data,
    }
    try:
        parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
        parser.write(body)
        parser.finalize()
    except MultipartParseError as exc:
        raise MalformedBody(
            f"the multipart body could not be read ({exc}; is its boundary right?); send the photo again"
        ) from None
    if not names:
        raise MalformedBody(
            "the multipart body could not be read (is its boundary right?); send the photo again"
        )
    if image is not None:
        return bytes(image)
    raise MalformedBody(
        f"the multipart form has no part named {FIELD!r} (its parts: {', '.join(n or '?' for n in names)}); "
        f"send the photo as the file part {FIELD!r}, or the raw image as the whole body"
    )

"""Image uploads read into memory, never onto disk.

The body is read as it streams in and refused (413) as soon as it passes the limit. A
``multipart/form-data`` body is split in memory with the standard library's email parser
(Starlette's form parser would spool files over 1 MB to a temporary file). The declared content
type and file name are not trusted: ``vision.image_io.load_image`` sniffs the bytes.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP

from starlette.requests import Request

from moodtune.errors import EmptyImage, ImageTooLarge, UsageError

FIELD = "image"


def _too_large(limit: int) -> ImageTooLarge:
    return ImageTooLarge(
        f"the upload is larger than {limit / 1e6:.1f} MB (the limit); send a smaller photo, e.g. a "
        "JPEG of at most 1920 px on its long side"
    )


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, at most ``limit`` bytes (``ImageTooLarge`` past it, without reading on)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise _too_large(limit)
    chunks = bytearray()
    async for chunk in request.stream():
        chunks += chunk
        if len(chunks) > limit + 64 * 1024:  # room for multipart headers around the image
            raise _too_large(limit)
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
        raise _too_large(limit)
    return data


def _multipart_file(body: bytes, content_type: str) -> bytes:
    message = BytesParser(EmailMessage, policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\nMIME-Version: 1.0\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise UsageError(
            "the multipart body could not be read (is its boundary right?); send the photo again"
        )
    names = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        names.append(str(name))
        if name == FIELD:
            payload = part.get_payload(decode=True)
            return payload if isinstance(payload, bytes) else b""
    raise UsageError(
        f"the multipart form has no field {FIELD!r} (fields: {', '.join(names) or 'none'}); "
        f"send the photo as the file field {FIELD!r}"
    )

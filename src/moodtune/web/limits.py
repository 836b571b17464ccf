"""Limits on what a request may make the service hold, decided before its body is read.

``RequestLimits`` is plain ASGI middleware around the whole app:

* headers (cookies included) over ``max_header_bytes``: 431 ``headers_too_large``, at once;
* a body longer than its route may take: 413 at once when ``Content-Length`` says so, else as soon
  as the bytes received pass the limit (``image_too_large`` for ``/api/v1/analyze``, whose limit
  is ``max_upload_bytes`` plus room for multipart headers; ``body_too_large`` for every other
  route, ``max_json_bytes``);
* a body that has not arrived in full within ``body_timeout`` seconds of the request: 408
  ``body_timeout``; a client that stops sending holds its memory and connection no longer;
* the bytes of all bodies still arriving, together, over ``max_body_memory``: 503 ``overloaded``
  for the request whose bytes would pass it (500 uploads that stall after 64 KB hold 32 MB).

Once it has answered, the middleware tells the app that the client left (``http.disconnect``),
so the route stops reading, and drops whatever the app tries to send after. A full analysis queue
refuses an upload in the route before its body is read (``AnalysisPool.check_room``).
"""

from __future__ import annotations

import asyncio
import time

from moodtune.errors import BodyTimeout, BodyTooLarge, HeadersTooLarge, MoodtuneError, Overloaded
from moodtune.settings import Settings
from moodtune.web.errors import error_response
from moodtune.web.metrics import ASGIApp, Message, Receive, Scope, Send
from moodtune.web.uploads import MULTIPART_ROOM, too_large

__all__ = ["UPLOAD_PATHS", "RequestLimits"]

UPLOAD_PATHS = frozenset({"/api/v1/analyze"})
_DISCONNECT: Message = {"type": "http.disconnect"}


class RequestLimits:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.max_header_bytes = settings.max_header_bytes
        self.max_json_bytes = settings.max_json_bytes
        self.max_upload_bytes = settings.max_upload_bytes
        self.body_timeout = settings.body_timeout
        self.max_body_memory = settings.max_body_memory
        self.body_bytes = 0  # of the requests in progress (one event loop: no lock needed)

    def _body_limit(self, path: str) -> tuple[int, MoodtuneError]:
        if path in UPLOAD_PATHS:
            return self.max_upload_bytes + MULTIPART_ROOM, too_large(self.max_upload_bytes)
        return self.max_json_bytes, BodyTooLarge(
            f"the request body is larger than {self.max_json_bytes // 1024} KB (the limit); send less"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
        size = sum(len(k) + len(v) + 4 for k, v in headers)
        if size > self.max_header_bytes:
            error: MoodtuneError = HeadersTooLarge(
                f"the request headers hold {size // 1024} KB, over the limit of "
                f"{self.max_header_bytes // 1024} KB; clear this site's cookies and send it again"
            )
            await _answer(error, scope, receive, send)
            return
        limit, too_big = self._body_limit(scope.get("path", ""))
        declared = dict(headers).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _answer(too_big, scope, receive, send)
            return

        deadline = time.monotonic() + self.body_timeout
        received = 0
        body_done = False
        answered = False  # by this middleware: what the app sends is dropped
        started = False  # the app's own response has begun: too late to answer in its place

        async def refuse(error: MoodtuneError) -> Message:
            nonlocal answered
            if not started:
                answered = True
                await _answer(error, scope, receive, send)
            return _DISCONNECT

        async def limited_receive() -> Message:
            nonlocal received, body_done
            if answered:
                return _DISCONNECT
            if body_done:  # after the body: a wait for the client to leave, never timed
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                return await refuse(
                    BodyTimeout(
                        f"the request body did not arrive within {self.body_timeout:g} s; send it again "
                        "on a steadier connection, or a smaller photo"
                    )
                )
            if message["type"] == "http.request":
                size = len(message.get("body", b""))
                received += size
                self.body_bytes += size
                if received > limit:
                    return await refuse(too_big)
                if self.body_bytes > self.max_body_memory:
                    return await refuse(
                        Overloaded(
                            "the service is receiving more uploads at once than it holds; retry in a second",
                            retry_after=1.0,
                        )
                    )
                body_done = not message.get("more_body", False)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if answered:
                return
            started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not answered:
                raise  # the app's own failure: its handlers and the server report it
        finally:
            self.body_bytes -= received


async def _answer(error: MoodtuneError, scope: Scope, receive: Receive, send: Send) -> None:
    response = error_response(error.status, error.code, error.message, {"Connection": "close"})
    await response(scope, receive, send)

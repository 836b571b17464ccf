"""One JSON error shape for every error of the service: ``{"error": {"code", "message", "request_id"}}``
(``ErrorOut``; ``request_id`` is ``moodtune.web.logs``'s, on every answer of the service).

``MoodtuneError`` subclasses carry their own status and code (``moodtune.errors``); FastAPI's
validation errors become 422 ``invalid_field`` naming the field; Starlette's HTTP errors (unknown
route, wrong method) keep their status with a code; anything else is a 500 that is logged and
tells the user to report it, never a traceback. ``HANDLER_CODES`` are the codes these handlers
add to the ``MoodtuneError`` ones; ``errors(...)`` declares a route's own errors for the OpenAPI
document (``moodtune.web.openapi``).

Logging: a 5xx that is a real failure (the database, YouTube failing, a bug) is logged at ERROR;
a state the service is meant to run in is not: a full analysis queue is not logged, and a
YouTube feature that is off (503 ``youtube_not_configured``) is logged once per message at
WARNING, then at DEBUG.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from moodtune.errors import MoodtuneError, Overloaded, RetryLater
from moodtune.web.logs import request_id
from moodtune.youtube.errors import YouTubeNotConfigured

log = logging.getLogger("moodtune.web")

HTTP_CODES = {
    400: "bad_request",  # a body FastAPI cannot parse
    404: "not_found",  # no such route or static file
    405: "method_not_allowed",
}
"""The codes of the HTTP errors Starlette and FastAPI raise themselves. Another status (none is
raised today) gets ``bad_request`` (4xx) or ``internal_error`` (5xx)."""

MAX_MESSAGE = 1000
"""The longest error message, in characters: an error never echoes a large input back."""

HANDLER_CODES: dict[str, tuple[int, str]] = {
    "invalid_field": (422, "a field, query parameter or body of the wrong type, out of range, or missing"),
    "bad_request": (400, "a body that is not valid JSON, or that cannot be parsed"),
    "not_found": (404, "no such page or API route"),
    "method_not_allowed": (405, "a method the route does not take"),
    "internal_error": (500, "an unexpected error: a bug in moodtune"),
}
"""The codes the handlers below answer besides the ``MoodtuneError`` ones: code -> (status, when)."""


class ErrorDetail(BaseModel):
    """What went wrong: a stable code for programs and a message for people."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="stable and machine-readable; docs/api.md lists every code")
    message: str = Field(description="what was wrong and what to do", max_length=MAX_MESSAGE)
    request_id: str | None = Field(
        None,
        description="the request's id, also in the X-Request-ID header and on the server's log lines "
        "about it: quote it when reporting a problem",
    )


class ErrorOut(BaseModel):
    """The body of every error the service answers."""

    model_config = ConfigDict(extra="forbid")

    error: ErrorDetail


def error_classes(root: type[MoodtuneError] = MoodtuneError) -> list[type[MoodtuneError]]:
    """``root`` and all its subclasses (of the modules imported so far), bases before subclasses."""
    return [root, *(cls for sub in root.__subclasses__() for cls in error_classes(sub))]


ERROR_CODES = "x-moodtune-codes"
"""The key under which ``errors`` lists a status's codes for ``moodtune.web.openapi``."""


def errors(*raised: type[MoodtuneError]) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: the errors its own code raises, by status, in the one shape.
    The errors every route shares (rate limit, database, request validation, ...) are added from
    its dependencies and parameters by ``moodtune.web.openapi``, which also fills in each
    response's schema with its exact codes."""
    out: dict[int | str, dict[str, Any]] = {}
    for cls in raised:
        entry = out.setdefault(cls.status, {"model": ErrorOut, "description": "", ERROR_CODES: []})
        if cls.code not in entry[ERROR_CODES]:
            entry[ERROR_CODES].append(cls.code)
            entry["description"] = ", ".join(entry[ERROR_CODES])
    return out


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[: max(0, limit - 40)]}... ({len(text) - max(0, limit - 40)} more characters)"


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    error = {"code": code, "message": shorten(message, MAX_MESSAGE)}
    rid = request_id()
    if rid is not None:
        error["request_id"] = rid
    return JSONResponse(
        {"error": error},
        status_code=status,
        headers=headers,
    )


def _field_message(errors: list[Any]) -> str:
    parts = []
    for e in errors[:5]:
        loc = [shorten(str(p), 60) for p in e.get("loc", ()) if p not in ("body", "query", "path")]
        where = ".".join(loc) or "the request body"
        got = e.get("input")
        shown = "" if got is None or isinstance(got, dict) else f" (got {shorten(repr(got), 80)})"
        parts.append(f"{where}: {shorten(str(e.get('msg', 'invalid')), 200)}{shown}")
    return "; ".join(parts) + " - see /docs for the expected fields"


def allowed_methods(request: Request) -> str:
    """The ``Allow`` header of a 405: every method some route takes at the request's path (Starlette
    names only those of the first route there, and /api/v1/me has three)."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        regex, taken = getattr(route, "path_regex", None), getattr(route, "methods", None)
        if regex is not None and taken and regex.match(request.url.path):
            methods |= taken
    return ", ".join(sorted(methods))


MAX_TOLD = 64
"""How many distinct "feature off" messages one app remembers having logged at WARNING."""


def install_error_handlers(app: FastAPI) -> None:
    told: set[str] = set()  # the youtube_not_configured messages logged at WARNING already

    def log_error(request: Request, exc: MoodtuneError) -> None:
        if exc.status < 500:
            return  # the client's to fix
        where = f"{request.method} {shorten(request.url.path, 200)}"
        if isinstance(exc, RetryLater):  # a busy service that Retry-After answers, not a failure
            if not isinstance(exc, Overloaded):  # a full analysis queue is routine
                log.warning("%s: %s", where, exc.message)
            return
        if isinstance(exc, YouTubeNotConfigured):
            # the server runs without these settings on purpose: say so once, not per request
            first = exc.message not in told and len(told) < MAX_TOLD
            if first:
                told.add(exc.message)
            log.log(logging.WARNING if first else logging.DEBUG, "%s: %s", where, exc.message)
            return
        log.error("%s: %s", where, exc.message)

    @app.exception_handler(MoodtuneError)
    async def _moodtune(request: Request, exc: MoodtuneError) -> JSONResponse:
        headers = None
        if isinstance(exc, RetryLater):
            headers = {"Retry-After": str(max(1, round(exc.retry_after + 0.49)))}
        log_error(request, exc)
        return error_response(exc.status, exc.code, exc.message, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return error_response(400, "bad_request", "the body is not valid JSON; send a JSON object")
        return error_response(422, "invalid_field", _field_message(errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = str(exc.detail)
        path = shorten(request.url.path, 200)
        headers = dict(exc.headers or {})
        if exc.status_code == 404:
            message = f"no such page or API route: {path}; the API is listed at /docs"
        elif exc.status_code == 405:
            allow = allowed_methods(request) or headers.get("Allow", "")
            headers["Allow"] = allow
            message = f"{shorten(request.method, 20)} is not allowed on {path}; it takes {allow} (see /docs)"
        fallback = "bad_request" if exc.status_code < 500 else "internal_error"
        return error_response(exc.status_code, HTTP_CODES.get(exc.status_code, fallback), message, headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(
            500,
            "internal_error",
            "moodtune hit an unexpected error; nothing you sent was stored. Please retry, and report it "
            "with the server log if it happens again",
        )

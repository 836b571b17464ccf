"""One JSON error shape for every error of the service: ``{"error": {"code", "message"}}``.

``MoodtuneError`` subclasses carry their own status and code (``moodtune.errors``); FastAPI's
validation errors become 422 ``invalid_field`` naming the field; Starlette's HTTP errors (unknown
route, wrong method) keep their status with a code; anything else is a 500 that is logged and
tells the user to report it, never a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from moodtune.errors import MoodtuneError, RetryLater

log = logging.getLogger("moodtune.web")

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_field",
    429: "rate_limited",
    503: "overloaded",
}


MAX_MESSAGE = 1000
"""The longest error message, in characters: an error never echoes a large input back."""


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[: max(0, limit - 40)]}... ({len(text) - max(0, limit - 40)} more characters)"


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": shorten(message, MAX_MESSAGE)}},
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


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(MoodtuneError)
    async def _moodtune(request: Request, exc: MoodtuneError) -> JSONResponse:
        headers = None
        if isinstance(exc, RetryLater):
            headers = {"Retry-After": str(max(1, round(exc.retry_after + 0.49)))}
        if isinstance(exc, RetryLater):  # a busy service, not a failure
            log.warning("%s %s: %s", request.method, request.url.path, exc.message)
        elif exc.status >= 500:
            log.error("%s %s: %s", request.method, request.url.path, exc.message)
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
        if exc.status_code == 404:
            message = f"no such page or API route: {path}; the API is listed at /docs"
        elif exc.status_code == 405:
            message = f"{shorten(request.method, 20)} is not allowed on {path}; see /docs"
        return error_response(
            exc.status_code, HTTP_CODES.get(exc.status_code, "http_error"), message, dict(exc.headers or {})
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(
            500,
            "internal_error",
            "moodtune hit an unexpected error; nothing you sent was stored. Please retry, and report it "
            "with the server log if it happens again",
        )

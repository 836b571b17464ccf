"""Request ids and the service's log lines.

Every request gets an id: the one its proxy sent in ``X-Request-ID`` (Caddy, an Ingress, a load
balancer; letters, digits, ``.``, ``_`` and ``-``, at most 128), else a new random one. The id is
in the response's ``X-Request-ID`` header, in every error body (``moodtune.web.errors``) and on
every log line written while the request is handled, so one id leads from a listener's report or a
proxy's log to the server's lines about it.

``MOODTUNE_LOG_FORMAT=json`` writes each log line as one JSON object (``time``, ``level``,
``logger``, ``message``, ``request_id``, and ``exception`` with the traceback when there is one),
uvicorn's lines included, and adds one ``moodtune.access`` line per request (method, path,
status, milliseconds; the probes and ``/metrics`` at DEBUG), for a log collector to index.
The default, ``text``, keeps uvicorn's own lines.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from moodtune.web.metrics import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID: ContextVar[str | None] = ContextVar("moodtune_request_id", default=None)
"""The id of the request being handled in this context (None outside a request)."""

HEADER = "x-request-id"
_VALID = re.compile(r"[A-Za-z0-9._-]{1,128}")
QUIET_PATHS = ("/healthz", "/readyz", "/metrics")
"""Polled every few seconds by orchestrators and Prometheus: their access lines are DEBUG."""

access_log = logging.getLogger("moodtune.access")


def request_id() -> str | None:
    """The id of the request being handled, for an error body or a log line."""
    return REQUEST_ID.get()


class RequestIds:
    """Gives each HTTP request its id (see the module docstring) and, when ``access`` is on, writes
    one access line per request. Plain ASGI, the outermost layer: every answer, the request
    limits' included, carries the id."""

    def __init__(self, app: ASGIApp, access: bool = False) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = next((v for k, v in scope.get("headers", ()) if k == HEADER.encode()), b"").decode("latin-1")
        rid = sent if _VALID.fullmatch(sent) else uuid.uuid4().hex
        token = REQUEST_ID.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (HEADER.encode(), rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.access:
                path = str(scope.get("path", ""))
                access_log.log(
                    logging.DEBUG if path in QUIET_PATHS else logging.INFO,
                    "%s %s %d %.1f ms",
                    scope.get("method", ""),
                    path,
                    status,
                    (time.perf_counter() - started) * 1000,
                    extra={
                        "method": scope.get("method", ""),
                        "path": path,
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    },
                )
            REQUEST_ID.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (``record.request_id``; None outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


ACCESS_FIELDS = ("method", "path", "status", "duration_ms")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ``time`` (UTC, ISO 8601, milliseconds), ``level``, ``logger``,
    ``message``, ``request_id``, the access fields when present, ``exception`` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or REQUEST_ID.get(),
        }
        for name in ACCESS_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def log_config(log_format: str, level: str) -> dict[str, Any] | None:
    """uvicorn's ``log_config`` for ``MOODTUNE_LOG_FORMAT``: None (uvicorn's own) for ``text``; for
    ``json``, one JSON handler on stderr for uvicorn's loggers and moodtune's (the root logger)."""
    if log_format != "json":
        return None
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "json",
        "filters": ["request_id"],
        "stream": "ext://sys.stderr",
    }
    upper = level.upper()  # uvicorn names its TRACE level when it is imported
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "moodtune.web.logs.RequestIdFilter"}},
        "formatters": {"json": {"()": "moodtune.web.logs.JsonFormatter"}},
        "handlers": {"json": handler},
        "loggers": {
            "uvicorn": {"handlers": ["json"], "level": upper, "propagate": False},
            "uvicorn.error": {"level": upper},
            "uvicorn.access": {"handlers": ["json"], "level": upper, "propagate": False},
        },
        "root": {"handlers": ["json"], "level": upper},
    }

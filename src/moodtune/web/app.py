"""The FastAPI application: ``create_app(settings)``.

``/`` serves the page (``static/index.html``), ``/static/*`` its files, ``/api/v1`` the JSON API
(``api``), ``/docs`` the OpenAPI docs, ``/healthz`` liveness, ``/readyz`` readiness (``probes``)
and ``/metrics`` Prometheus metrics. Everything the app holds (``Services``) is built once here;
``moodtune serve`` runs it on uvicorn (``create_app`` is also the factory each worker process calls).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from moodtune import __version__
from moodtune.settings import Settings, load_settings
from moodtune.web.api import router
from moodtune.web.errors import install_error_handlers
from moodtune.web.limits import RequestLimits
from moodtune.web.logs import RequestIds
from moodtune.web.metrics import ASGIApp, Message, MetricsMiddleware, Receive, Scope, Send
from moodtune.web.openapi import install_openapi
from moodtune.web.probes import readiness
from moodtune.web.probes import router as probes_router
from moodtune.web.services import Services
from moodtune.web.youtube_routes import router as youtube_router

STATIC = Path(__file__).parent / "static"

# The page may talk to its own origin and embed the YouTube and Spotify players (each loaded by
# its own script: YouTube's IFrame Player API, Spotify's iFrame API), nothing else.
CSP = (
    "default-src 'self'; "
    "script-src 'self' https://www.youtube.com https://s.ytimg.com https://open.spotify.com; "
    "frame-src https://www.youtube.com https://www.youtube-nocookie.com https://open.spotify.com; "
    "img-src 'self' data: blob: https://i.ytimg.com; "
    "media-src 'self' blob: mediastream:; "
    "style-src 'self' 'unsafe-inline'; "
    "connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)


def docs_csp(html: str) -> str:
    """The API docs page's policy: its own files, and exactly the inline scripts it holds (by hash,
    no 'unsafe-inline'); like the page, never framed."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    )
    return (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
        "frame-ancestors 'none'"
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app for ``settings`` (default: read from ``MOODTUNE_*`` variables)."""
    settings = settings or load_settings()
    services = Services(settings)
    ready = readiness(services.store)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        ready.close()
        services.close()

    app = FastAPI(
        title="moodtune",
        version=__version__,
        description="Read a listener's mood from their face and play music that fits it, or lifts it. "
        'Every error has the shape {"error": {"code", "message", "request_id"}} (ErrorOut); each '
        "operation lists the statuses it can answer with their codes, and docs/api.md says what to do "
        "about each.",
        lifespan=lifespan,
        docs_url=None,  # served below from local files: the CDN FastAPI uses is not reachable offline
        redoc_url=None,
    )
    app.state.services = services
    app.state.readiness = ready
    install_error_handlers(app)
    install_openapi(app)
    app.include_router(router)
    app.include_router(youtube_router)
    app.include_router(probes_router)

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")  # its CSP comes from SecurityHeaders

    docs_page = get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="moodtune API",
        swagger_js_url="/docs-static/swagger-ui-bundle.js",
        swagger_css_url="/docs-static/swagger-ui.css",
        swagger_favicon_url="/docs-static/favicon-32x32.png",
    )
    docs_policy = docs_csp(bytes(docs_page.body).decode())

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(docs_page.body, headers={"Content-Security-Policy": docs_policy})

    @app.get("/healthz", summary="Liveness: the process is up with its model and catalog loaded")
    async def healthz() -> Any:
        # Never the database: a database that is away makes the service unready (/readyz), and
        # restarting it would not bring the database back.
        return {
            "status": "ok",
            "version": __version__,
            "model": services.model_version,
            "catalog_songs": len(services.catalog),
            "database": services.store.dialect,
            "analysis": {
                "threads": services.analysis.threads,
                "capacity": services.analysis.capacity,
                "flip_average": services.settings.flip_average,
            },
        }

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        body, content_type = services.metrics.render()
        return Response(body, media_type=content_type)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/docs-static", StaticFiles(directory=swagger_ui_path), name="docs-static")
    app.add_middleware(MetricsMiddleware, metrics=services.metrics)

    app.add_middleware(RequestLimits, settings=settings)  # inside SecurityHeaders: its answers get them too
    app.add_middleware(SecurityHeaders)
    # Outermost: every answer carries the request id, and so does every log line about it.
    app.add_middleware(RequestIds, access=settings.log_format == "json")
    return app


class SecurityHeaders:
    """``nosniff`` and a referrer policy that still gives the YouTube player the page's origin
    (without one the player fails with error 153) on every response, and the page's CSP on every
    HTML response that sets none of its own (``/static/index.html`` is the page too). Plain ASGI:
    no per-request task overhead."""

    HEADERS = (
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), *self.HEADERS]
                names = {k.lower(): v for k, v in headers}
                if names.get(b"content-type", b"").startswith(b"text/html") and (
                    b"content-security-policy" not in names
                ):
                    headers.append((b"content-security-policy", CSP.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_wrapper)

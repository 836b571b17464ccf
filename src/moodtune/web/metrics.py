"""Prometheus metrics: requests by route, method and status; latency by route; the analysis
queue; refusals (429, 503). Each app has its own registry (several apps can live in one test
process); with several server processes, ``PROMETHEUS_MULTIPROC_DIR`` (set by ``moodtune serve``)
makes ``/metrics`` add up every process."""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "moodtune_http_requests",
            "HTTP requests by route template, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "moodtune_http_request_seconds",
            "HTTP request latency by route template",
            ["route"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.analysis_in_flight = Gauge(
            "moodtune_analysis_in_flight",
            "images being analysed or waiting for a thread",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.rejected = Counter(
            "moodtune_rejected_requests",
            "requests refused: rate_limited (429) or overloaded (503)",
            ["reason"],
            registry=self.registry,
        )
        self.faces = Counter("moodtune_faces_read", "faces read by mood", ["mood"], registry=self.registry)

    def render(self) -> tuple[bytes, str]:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class MetricsMiddleware:
    """Times every HTTP request and counts it under its route template (``/api/v1/songs/{song_id}``,
    not the raw path, so the label set stays small)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", None)
            if path is None:
                path = "/static" if str(scope.get("path", "")).startswith("/static/") else "unmatched"
            self.metrics.requests.labels(path, scope.get("method", ""), str(status)).inc()
            self.metrics.latency.labels(path).observe(time.perf_counter() - start)
            if status in (429, 503):
                self.metrics.rejected.labels("rate_limited" if status == 429 else "overloaded").inc()

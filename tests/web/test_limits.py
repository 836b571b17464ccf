"""Request limits decided before the body is read: header size, body size per route, body time,
and admission to the analysis queue (``web/limits.py``, ``AnalysisPool.admission``)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from moodtune.settings import Settings
from moodtune.web import api
from moodtune.web.limits import RequestLimits
from tests.asyncio_run import run as run_to_end
from tests.web.test_api import error_of


def test_a_json_body_over_the_limit_is_refused_from_its_declared_length(client: TestClient) -> None:
    body = json.dumps({"mood": "neutral", "exclude_ids": ["s_" + "0" * 12] * 20_000}).encode()
    assert len(body) > 256 * 1024
    r = client.post("/api/v1/recommendations", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert error_of(r)["code"] == "body_too_large" and "256 KB" in error_of(r)["message"]
    assert len(r.content) < 4096


def test_a_streamed_body_without_a_length_is_cut_off_at_the_limit(client: TestClient) -> None:
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        yield b'{"mood": "neutral", "exclude_ids": ['
        for _ in range(10_000):  # 10 MB, if it were all read
            sent += 1
            yield b'"s_000000000000",' * 64
        yield b'"s_000000000000"]}'

    r = client.post("/api/v1/recommendations", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and error_of(r)["code"] == "body_too_large"


def test_headers_over_the_limit_are_refused_with_what_to_do(client: TestClient) -> None:
    r = client.get("/api/v1/songs", params={"query": "love"}, headers={"cookie": "x=" + "a" * 40_000})
    assert r.status_code == 431
    assert error_of(r)["code"] == "headers_too_large" and "cookies" in error_of(r)["message"]


def test_an_upload_beyond_the_analysis_queue_is_refused_before_its_body_is_read(
    client: TestClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch, smiling_crop: bytes
) -> None:
    pool = app.state.services.analysis

    def never(*args: Any, **kwargs: Any) -> bytes:
        raise AssertionError("the body was read")

    monkeypatch.setattr(api, "read_body", never)
    monkeypatch.setattr(pool, "in_flight", pool.capacity)
    r = client.post("/api/v1/analyze", content=smiling_crop)
    assert r.status_code == 503 and error_of(r)["code"] == "overloaded" and r.headers["retry-after"]


def test_a_body_that_stops_arriving_gets_408_and_the_app_hears_the_client_left(tmp_path: Any) -> None:
    seen: list[dict[str, Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            seen.append(message)
            if message["type"] == "http.disconnect" or not message.get("more_body"):
                break

    middleware = RequestLimits(app, Settings(data_dir=tmp_path, body_timeout=0.2))
    first = True

    async def receive() -> dict[str, Any]:
        nonlocal first
        if first:
            first = False
            return {"type": "http.request", "body": b"x" * 1024, "more_body": True}
        await asyncio.sleep(60)  # the client stalls
        raise AssertionError("not reached")

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/v1/analyze", "headers": [], "query_string": b""}

    async def run() -> None:
        await asyncio.wait_for(middleware(scope, receive, send), 5)

    run_to_end(run())
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 408
    body = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
    assert body["error"]["code"] == "body_timeout"
    assert seen[-1]["type"] == "http.disconnect"


def test_bodies_arriving_at_once_share_one_memory_budget(tmp_path: Any) -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect" or not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    middleware = RequestLimits(app, Settings(data_dir=tmp_path, max_body_memory=1024 * 1024))
    scope = {"type": "http", "method": "POST", "path": "/api/v1/analyze", "headers": [], "query_string": b""}
    gate = asyncio.Event()

    def slow_upload(chunks: int, stall: bool) -> Any:
        sent = 0

        async def receive() -> dict[str, Any]:
            nonlocal sent
            sent += 1
            if stall and sent == 3:
                await gate.wait()  # holds its first two chunks until the other request is done
            return {"type": "http.request", "body": b"x" * 256 * 1024, "more_body": sent < chunks}

        return receive

    async def run() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        first: list[dict[str, Any]] = []
        second: list[dict[str, Any]] = []

        async def collect(into: list[dict[str, Any]]) -> Any:
            async def send(message: dict[str, Any]) -> None:
                into.append(message)

            return send

        waiting = asyncio.create_task(middleware(scope, slow_upload(4, stall=True), await collect(first)))
        await asyncio.sleep(0.05)  # 512 KB held by the first upload
        await middleware(scope, slow_upload(3, stall=False), await collect(second))  # 768 KB more: over 1 MB
        gate.set()
        await waiting
        return first, second

    first, second = run_to_end(run())
    assert second[0]["status"] == 503
    assert json.loads(second[1]["body"])["error"]["code"] == "overloaded"
    assert first[0]["status"] == 200  # the upload already in goes on
    assert middleware.body_bytes == 0  # every byte given back when its request ended


def test_an_upload_still_arriving_holds_no_place_in_the_analysis_queue(
    client: TestClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch, smiling_crop: bytes
) -> None:
    pool = app.state.services.analysis
    read = api.read_body
    places: list[int] = []

    async def reading(request: Any, limit: int) -> bytes:
        places.append(pool.in_flight)  # a slow client would be here for as long as it likes
        return await read(request, limit)

    monkeypatch.setattr(api, "read_body", reading)
    r = client.post("/api/v1/analyze?assume_face=true", content=smiling_crop)
    assert r.status_code == 200, r.text
    assert places == [0]

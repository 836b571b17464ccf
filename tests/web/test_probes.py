"""/healthz is liveness (the process and its model), /readyz readiness (the database and its
schema); several hosts on one database are one service to a listener."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import text

from moodtune.errors import StoreError
from moodtune.settings import Settings
from moodtune.web.app import create_app
from moodtune.web.listener import COOKIE


@pytest.fixture(scope="module")
def sqlite_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    data = tmp_path_factory.mktemp("probes")
    settings = Settings(data_dir=data, analyze_threads=1, rate_limit=0, secret_key="k")
    application = create_app(settings)
    with TestClient(application):
        yield application


def _set_revision(app: FastAPI, revision: str) -> None:
    with app.state.services.store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def _fresh_answer(app: FastAPI) -> None:
    app.state.readiness.max_age = 0.0  # ping again at every check (the service caches for 1 s)


def _readyz(client: TestClient, expect: int, says: str = "") -> Response:
    """/readyz once the health thread's ping has seen the change (each check answers from the
    latest finished ping and starts the next)."""
    for _ in range(100):
        r = client.get("/readyz")
        if r.status_code == expect and says in r.text:
            break
        time.sleep(0.02)
    return r


def test_ready_when_the_database_answers_and_is_migrated(sqlite_app: FastAPI) -> None:
    r = TestClient(sqlite_app).get("/readyz")  # not entered: the lifespan is the fixture's
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "ready", "database": "sqlite", "schema": "0006"}


def test_a_database_that_is_away_makes_the_service_unready_but_still_alive(
    sqlite_app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down() -> None:
        raise StoreError("cannot use the database at sqlite:///x.db: unable to open database file")

    _fresh_answer(sqlite_app)
    monkeypatch.setattr(sqlite_app.state.services.store, "ping", down)
    client = TestClient(sqlite_app)
    ready = _readyz(client, 503, "unable to open")
    alive = client.get("/healthz")
    assert ready.status_code == 503
    assert ready.json()["error"]["code"] == "database_error"
    assert "unable to open" in ready.json()["error"]["message"]
    assert alive.status_code == 200 and alive.json()["status"] == "ok"  # no restart for it


@pytest.mark.parametrize(
    ("revision", "status"),
    [
        ("0005", 503),  # behind this release: the migrations have not finished
        ("9999", 200),  # ahead: a newer release migrated during a rolling upgrade; keep serving
        ("0006", 200),
    ],
)
def test_readiness_follows_the_schema_revision(sqlite_app: FastAPI, revision: str, status: int) -> None:
    _fresh_answer(sqlite_app)
    _set_revision(sqlite_app, revision)
    try:
        r = _readyz(TestClient(sqlite_app), status, revision if status == 503 else "")
    finally:
        _set_revision(sqlite_app, "0006")
    assert r.status_code == status, r.text
    if status == 503:
        assert "0005" in r.json()["error"]["message"] and "migrations" in r.json()["error"]["message"]


def test_a_listener_is_the_same_listener_on_every_host_of_one_database(
    module_database_url: str, tmp_path: Path
) -> None:
    # Two hosts: their own data folders, no MOODTUNE_SECRET_KEY, one database.
    hosts = [
        create_app(Settings(data_dir=tmp_path / name, database_url=module_database_url, analyze_threads=1))
        for name in ("host-a", "host-b")
    ]
    with TestClient(hosts[0]) as a, TestClient(hosts[1]) as b:
        song = a.get("/api/v1/songs", params={"query": "love", "limit": 1}).json()["songs"][0]["id"]
        liked = a.post("/api/v1/feedback", json={"song_id": song, "event": "like"})
        assert liked.status_code == 201, liked.text
        b.cookies.set(COOKIE, a.cookies[COOKIE])
        me = b.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["feedback_count"] == 1  # host B read host A's cookie: the same listener
    assert COOKIE not in me.cookies  # and issued no new one

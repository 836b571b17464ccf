"""Taste in the web service, against SQLite and PostgreSQL: a recommendation reads the listener's
own kept weights only, whatever the feedback table holds; a like counts in the very next request;
the collaborative model is fitted in the background, never in a request; forgetting a listener
forgets their taste."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from moodtune.music.taste import taste_from_weights
from moodtune.store import KeptTaste
from moodtune.web.background import Background
from moodtune.web.listener import COOKIE
from moodtune.web.services import Services


def services(app: FastAPI) -> Services:
    svc: Services = app.state.services
    return svc


def listener(app: FastAPI) -> tuple[str, TestClient]:
    """A new listener id and a client that sends its cookie."""
    who = uuid.uuid4().hex
    client = TestClient(app)
    client.cookies.set(COOKIE, services(app).cookie.signed(who))
    return who, client


def community(svc: Services) -> list[str]:
    """Three listeners who like the same 20 songs (enough for a collaborative model); their songs."""
    songs = list(svc.catalog.ids[:20])
    for _ in range(3):
        other = uuid.uuid4().hex
        for song in songs:
            svc.store.add_feedback(other, song, "like")
    return songs


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK")


@contextmanager
def statements_of_this_thread(svc: Services) -> Iterator[list[tuple[str, str]]]:
    """The SQL statements (and their parameters) that this thread sends while the block runs,
    besides transaction control; a collaborative fit running meanwhile in its own thread is not
    counted."""
    seen: list[tuple[str, str]] = []
    me = threading.get_ident()

    def record(conn: object, cursor: object, statement: str, parameters: object, *_: object) -> None:
        if threading.get_ident() == me and statement.split()[0].upper() not in TRANSACTION_CONTROL:
            seen.append((statement, str(parameters)))

    event.listen(svc.store.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(svc.store.engine, "before_cursor_execute", record)


def test_taste_reads_the_listeners_own_rows_and_never_the_feedback_table(app: FastAPI) -> None:
    svc = services(app)
    songs = community(svc)
    me, _ = listener(app)
    for song in [*songs[:6], *svc.catalog.ids[100:106]]:  # 12 events: collaborative scores join in
        svc.store.add_feedback(me, song, "like")
    svc.taste(me)
    with statements_of_this_thread(svc) as seen:
        taste = svc.taste(me)
    assert taste and all(-1.0 <= v <= 1.0 for v in taste.values())
    assert len(seen) == 1, seen  # one query, whatever the number of other listeners and events
    statement, parameters = seen[0]
    assert "feedback" not in statement, statement
    assert "taste_weights" in statement and me in parameters


def test_a_like_counts_in_the_very_next_taste(app: FastAPI) -> None:
    svc = services(app)
    community(svc)
    me, client = listener(app)
    for song in svc.catalog.ids[200:212]:
        assert client.post("/api/v1/feedback", json={"song_id": song, "event": "complete"}).status_code == 201
    before = svc.taste(me)
    liked = next(s for s in svc.catalog.ids[300:] if s not in before)
    assert client.post("/api/v1/feedback", json={"song_id": liked, "event": "like"}).status_code == 201
    after = svc.taste(me)
    assert after[liked] == 1.0 and after != before
    r = client.post("/api/v1/recommendations", json={"mood": "positive", "n": 10})
    assert r.status_code == 200 and len(r.json()["songs"]) == 10


def test_a_request_never_waits_for_the_collaborative_fit(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = services(app)
    community(svc)
    me, _ = listener(app)
    for song in svc.catalog.ids[5:17]:
        svc.store.add_feedback(me, song, "like")
    release = threading.Event()
    fit: Callable[[], object] = svc._fit_collaborative

    def slow_fit() -> object:
        release.wait(60)
        return fit()

    monkeypatch.setattr(svc, "collaborative", Background(slow_fit, ttl=3600, name="slow fit"))
    kept = svc.store.taste_weights(me)
    content = taste_from_weights(svc.catalog, kept.weights, kept.events, None)
    try:
        start = time.perf_counter()
        assert svc.taste(me) == content  # no model yet: content only, at once
        assert svc.taste(me) == content
        assert time.perf_counter() - start < 5
    finally:
        release.set()
    assert svc.collaborative.wait(60)
    model = svc.collaborative.get()
    assert model is not None
    assert svc.taste(me) == taste_from_weights(svc.catalog, kept.weights, kept.events, model) != content


def test_forgetting_a_listener_forgets_their_taste(app: FastAPI) -> None:
    svc = services(app)
    me, client = listener(app)
    for song in svc.catalog.ids[:3]:
        client.post("/api/v1/feedback", json={"song_id": song, "event": "like"})
    assert svc.store.taste_weights(me).events == 3
    assert client.delete("/api/v1/me").status_code == 204
    assert svc.store.taste_weights(me) == KeptTaste({}, 0)
    assert svc.taste(me) == {}

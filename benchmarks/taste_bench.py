"""Taste at scale: what one recommendation with taste costs when the feedback table is large.

1. Fill a fresh database with ``--rows`` feedback events (default 1,000,000): ``--listeners``
   listeners (default 10,000; events per listener log-normal around rows / listeners, at least 1)
   plus one heavy listener with ``--heavy`` events (default 20,000); songs of the shipped catalog
   drawn by a Zipf-like popularity (weight 1 / (rank + 10)); events 50% played to the end, 25%
   skips, 15% likes, 10% dislikes, at increasing times. The fill writes the feedback rows at schema
   revision 0004 with plain multi-row INSERTs, then opens the store, which upgrades the schema to
   the newest revision: later migrations derive what they keep from the feedback rows (timed).
2. Build the app (``create_app``), ask once for the heavy listener's taste (which starts the
   collaborative model's fit) and wait for that fit, then time, over ``--repeats`` listeners with
   at least 10 events (``MIN_EVENTS_FOR_CF``: collaborative scores included): ``Services.taste``
   alone, and one ``POST /api/v1/recommendations`` (a mood, 20 songs) through the ASGI app with the
   listener's cookie, with taste and, right after, without (what the rest of the request costs);
   p50 and p99 in milliseconds. Then ``Services.taste`` again while the collaborative model is
   fitted anew in the background. The heavy listener is timed apart, and ``Store.add_feedback``
   too (each event also updates the listener's taste).
3. SQLite (a temporary file) always; PostgreSQL too when ``--database-url`` or
   ``MOODTUNE_TEST_DATABASE_URL`` names a server (in a schema of its own, dropped at the end).

    python benchmarks/taste_bench.py [--rows 1000000] [--listeners 10000] [--repeats 200]
                                     [--database-url postgresql://...] [--json]

Timings are of one process on this machine, and are only comparable within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from moodtune.music.catalog import Catalog
from moodtune.music.taste import MIN_EVENTS_FOR_CF
from moodtune.settings import Settings
from moodtune.store import Store, make_engine
from moodtune.store.db import WRITE, alembic_config
from moodtune.web.app import create_app
from moodtune.web.listener import COOKIE
from moodtune.web.services import Services

FILL_REVISION = "0004"
"""The newest schema without derived taste state: the fill writes feedback rows only."""
EVENTS = np.array(["complete", "skip", "like", "dislike"])
EVENT_SHARES = [0.5, 0.25, 0.15, 0.1]
BATCH = 1000
"""Rows per INSERT statement of the fill."""


def ms(seconds: list[float], q: float) -> float:
    return round(1000 * float(np.quantile(seconds, q)), 2)


def summary(seconds: list[float]) -> dict[str, float]:
    return {"p50_ms": ms(seconds, 0.5), "p99_ms": ms(seconds, 0.99), "n": len(seconds)}


# --- 1. the fill --------------------------------------------------------------------------------


def synthetic_log(
    catalog: Catalog, rows: int, listeners: int, heavy: int, seed: int = 0
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Listener ids (32 hex digits, as the cookie's), and per event: listener index, song index and
    event index (into ``EVENTS``); the heavy listener is the last id. About ``rows`` events."""
    rng = np.random.default_rng(seed)
    counts = np.maximum(1, rng.lognormal(0.0, 1.0, listeners))
    counts = np.maximum(1, np.round(counts * (rows - heavy) / counts.sum())).astype(np.int64)
    counts = np.append(counts, heavy)
    who = np.repeat(np.arange(len(counts)), counts)
    popularity = 1.0 / (np.arange(len(catalog)) + 10.0)
    order = rng.permutation(len(catalog))  # which song is how popular
    songs = order[rng.choice(len(catalog), len(who), p=popularity / popularity.sum())]
    events = rng.choice(len(EVENTS), len(who), p=EVENT_SHARES)
    ids = [uuid.UUID(int=int(i) + 1, version=4).hex for i in rng.integers(0, 2**62, len(counts))]
    return ids, who, songs, events


def fill(url: str, catalog: Catalog, args: argparse.Namespace) -> dict[str, Any]:
    """Migrate a fresh database to ``FILL_REVISION``, write the synthetic log, then open the store
    (which upgrades to the newest schema). Returns the listener ids and the times."""
    ids, who, songs, events = synthetic_log(catalog, args.rows, args.listeners, args.heavy)
    engine = make_engine(url)
    try:
        config = alembic_config()
        with engine.execution_options(**{WRITE: True}).begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, FILL_REVISION)
        t0 = time.perf_counter()
        mark = "?" if engine.dialect.name == "sqlite" else "%s"
        song_ids = catalog.ids
        start = 1.7e9
        with engine.begin() as connection:
            listener_rows = [(i, start, start, False, False) for i in ids]
            for lo in range(0, len(listener_rows), BATCH):
                chunk = listener_rows[lo : lo + BATCH]
                values = ",".join([f"({mark},{mark},{mark},{mark},{mark})"] * len(chunk))
                connection.exec_driver_sql(
                    "INSERT INTO listeners (id, created_at, last_seen_at, history_enabled, "
                    f"calibration_enabled) VALUES {values}",
                    tuple(x for row in chunk for x in row),
                )
            names = EVENTS.tolist()
            for lo in range(0, len(who), BATCH):
                hi = min(lo + BATCH, len(who))
                params: list[Any] = []
                for k in range(lo, hi):
                    params += (ids[who[k]], song_ids[songs[k]], names[events[k]], start + 30.0 * k)
                values = ",".join([f"({mark},{mark},{mark},{mark})"] * (hi - lo))
                connection.exec_driver_sql(
                    f"INSERT INTO feedback (listener_id, song_id, event, at) VALUES {values}", tuple(params)
                )
        t1 = time.perf_counter()
    finally:
        engine.dispose()
    with Store(url) as store:  # upgrades to the newest schema
        t2 = time.perf_counter()
        counts = store.counts()
    per_listener = np.bincount(who)
    return {
        "ids": ids,
        "events": per_listener,
        "report": {
            "feedback_rows": counts["feedback"],
            "listeners": counts["listeners"],
            "fill_s": round(t1 - t0, 1),
            "upgrade_s": round(t2 - t1, 1),
            "tables": {k: v for k, v in counts.items() if v},
        },
    }


# --- 2. the timings -----------------------------------------------------------------------------


def wait_for_collaborative(svc: Services, timeout: float = 600.0) -> float | None:
    """Seconds until the collaborative model is ready (None when this version fits it in the
    request, or no model can be fitted)."""
    model = getattr(svc, "collaborative", None)
    if model is None:
        return None
    t0 = time.perf_counter()
    model.wait(timeout)
    return round(time.perf_counter() - t0, 2)


def during_refit(svc: Services, listeners: list[str]) -> dict[str, Any] | None:
    """``Services.taste`` timed while the collaborative model is fitted again in the background
    (it shares the process, and Python's interpreter lock, with the requests)."""
    model = getattr(svc, "collaborative", None)
    if model is None:
        return None
    model.refresh()
    model.get()  # starts the fit
    seconds: list[float] = []
    t0 = time.perf_counter()
    while not model.wait(0) and time.perf_counter() - t0 < 600:
        listener = listeners[len(seconds) % len(listeners)]
        t1 = time.perf_counter()
        svc.taste(listener)
        seconds.append(time.perf_counter() - t1)
    return {**summary(seconds), "fit_s": round(time.perf_counter() - t0, 2)} if seconds else None


def timings(url: str, filled: dict[str, Any], args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    settings = Settings(
        data_dir=folder, database_url=url, analyze_threads=1, rate_limit=0, secret_key="bench-key"
    )
    app = create_app(settings)
    svc: Services = app.state.services
    ids: list[str] = filled["ids"]
    heavy = ids[-1]
    rng = np.random.default_rng(1)
    eligible = [i for i, n in enumerate(filled["events"][:-1]) if n >= MIN_EVENTS_FOR_CF]
    chosen = [ids[i] for i in rng.choice(eligible, min(args.repeats, len(eligible)), replace=False)]
    out: dict[str, Any] = {}
    with TestClient(app) as client:
        t0 = time.perf_counter()
        svc.taste(heavy)
        out["first_taste_s"] = round(time.perf_counter() - t0, 2)
        out["collaborative_wait_s"] = wait_for_collaborative(svc)
        taste_s, recommend_s, plain_s, sizes = [], [], [], []
        body = {"mood": "positive", "strategy": "match", "n": 20}
        for listener in chosen:
            t0 = time.perf_counter()
            sizes.append(len(svc.taste(listener)))
            taste_s.append(time.perf_counter() - t0)
            client.cookies.set(COOKIE, svc.cookie.signed(listener))
            for use_taste, seconds in ((True, recommend_s), (False, plain_s)):
                t0 = time.perf_counter()
                r = client.post("/api/v1/recommendations", json={**body, "use_taste": use_taste})
                seconds.append(time.perf_counter() - t0)
                assert r.status_code == 200, r.text
        out["taste"] = summary(taste_s)
        out["recommendation"] = summary(recommend_s)
        out["recommendation_without_taste"] = summary(plain_s)
        out["taste_scores_per_listener"] = int(statistics.median(sizes))
        out["taste_during_a_refit"] = during_refit(svc, chosen)
        heavy_s = []
        for _ in range(max(3, args.repeats // 20)):
            t0 = time.perf_counter()
            svc.taste(heavy)
            heavy_s.append(time.perf_counter() - t0)
        out["heavy_listener_taste"] = {"events": int(filled["events"][-1]), **summary(heavy_s)}
        add_s = []
        for k, listener in enumerate(chosen[: max(20, args.repeats // 4)]):
            t0 = time.perf_counter()
            svc.store.add_feedback(listener, svc.catalog.ids[k], "like")
            add_s.append(time.perf_counter() - t0)
        out["add_feedback"] = summary(add_s)
    return out


# --- 3. the backends ----------------------------------------------------------------------------


@contextmanager
def postgres_schema(server: str) -> Iterator[str]:
    """A URL whose connections see only a fresh schema of the server's database; dropped at the end."""
    base = make_url(server).set(drivername="postgresql+psycopg")
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        url = base.update_query_dict({"options": f"-csearch_path={schema}", "application_name": schema})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = %(name)s AND pid <> pg_backend_pid()",
                {"name": schema},
            )
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def run(url: str, catalog: Catalog, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    filled = fill(url, catalog, args)
    print(f"  filled: {json.dumps(filled['report'])}", file=sys.stderr)
    return {**filled["report"], **timings(url, filled, args, folder)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="feedback events to fill")
    parser.add_argument("--listeners", type=int, default=10_000, help="listeners besides the heavy one")
    parser.add_argument("--heavy", type=int, default=20_000, help="events of the one heavy listener")
    parser.add_argument("--repeats", type=int, default=200, help="listeners timed")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("MOODTUNE_TEST_DATABASE_URL", ""),
        help="a PostgreSQL server's database to measure too (default: $MOODTUNE_TEST_DATABASE_URL)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.rows <= args.heavy or args.listeners < 1 or args.repeats < 1:
        parser.error("--rows must exceed --heavy, and --listeners and --repeats must be >= 1")

    catalog = Catalog.load()
    report: dict[str, Any] = {"rows": args.rows, "catalog_songs": len(catalog)}
    with tempfile.TemporaryDirectory(prefix="taste-bench-") as tmp:
        folder = Path(tmp)
        print("sqlite ...", file=sys.stderr)
        report["sqlite"] = run(f"sqlite:///{folder / 'bench.db'}", catalog, args, folder / "sqlite")
        if args.database_url:
            print("postgresql ...", file=sys.stderr)
            with postgres_schema(args.database_url) as url:
                report["postgresql"] = run(url, catalog, args, folder / "postgresql")
    print(json.dumps(report) if args.json else json.dumps(report, indent=1))


if __name__ == "__main__":
    main()

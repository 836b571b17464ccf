"""Readiness: ``/readyz`` says whether this process should get traffic now.

An orchestrator (Kubernetes, a load balancer) asks two questions. ``/healthz`` (liveness, in
``app``): is the process alive with its model loaded? No means restart it. ``/readyz`` (readiness,
here): can it serve requests now, its database reachable and the schema migrated? No means send
traffic elsewhere for a while, not restart: a database that is away comes back, and restarting
every replica for it helps nobody.

The database is asked on the health thread (``DatabaseHealth``: at most once a second, answered
from the latest result), so a busy service still answers at once. The schema is ready when it is
at this release's newest migration, or at a revision this release does not know: a newer release
migrated it during a rolling upgrade, and migrations only add, so the older replicas keep serving
until they are replaced.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from alembic.script import ScriptDirectory
from fastapi import APIRouter, Request

from moodtune.errors import StoreError
from moodtune.store import db
from moodtune.store.repository import Store
from moodtune.web.errors import error_response, errors
from moodtune.web.health import DatabaseHealth

router = APIRouter()


@lru_cache(maxsize=1)
def known_revisions() -> frozenset[str]:
    """Every migration this release ships (read once: the script folder is parsed from files)."""
    scripts = ScriptDirectory.from_config(db.alembic_config())
    return frozenset(script.revision for script in scripts.walk_revisions())


@lru_cache(maxsize=1)
def head() -> str:
    """This release's newest migration (read once)."""
    return db.head_revision()


def check_ready(store: Store) -> None:
    """Raise ``StoreError`` unless the database answers and its schema is migrated (see the module
    docstring). Runs on the health thread."""
    store.ping()
    found, needed = db.schema_revision(store.engine), head()
    if found is None:
        raise StoreError(f"the database at {store.url} has no schema yet: the migrations have not run")
    if found != needed and found in known_revisions():
        raise StoreError(
            f"the database at {store.url} is at schema revision {found}, this release needs {needed}: "
            "the migrations have not finished"
        )


def readiness(store: Store) -> DatabaseHealth:
    """The health thread's view of ``check_ready``."""
    return DatabaseHealth(lambda: check_ready(store))


@router.get(
    "/readyz",
    summary="Readiness: the database is reachable and its schema migrated",
    responses=errors(StoreError),
)
async def readyz(request: Request) -> Any:
    services = request.app.state.services
    problem = await request.app.state.readiness.check()
    if problem is not None:
        return error_response(503, problem.code, problem.message)
    return {"status": "ready", "database": services.store.dialect, "schema": head()}

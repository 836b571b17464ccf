from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from tests.fixtures import FERPLUS, make_ferplus_tree


@pytest.fixture(autouse=True)
def user_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets an empty user data folder: nothing a developer imported leaks in, and
    nothing a test imports lands in the developer's home (subprocesses inherit it too)."""
    path = tmp_path_factory.mktemp("user-data")
    monkeypatch.setenv("MOODTUNE_DATA_DIR", str(path))
    return path


@pytest.fixture
def ferplus_tree(tmp_path: Path) -> Path:
    return make_ferplus_tree(tmp_path / "ferplus")


@pytest.fixture
def real_ferplus() -> Path:
    if not (FERPLUS / "FER2013Test" / "label.csv").is_file():
        pytest.skip(f"FER+ data not found at {FERPLUS} (../shared/data beside the checkout)")
    return FERPLUS


POSTGRES_URL_ENV = "MOODTUNE_TEST_DATABASE_URL"


def _postgres_server_url() -> str:
    """The PostgreSQL server the postgres tests use; skip without one, except under CI=true, where a
    missing server is a failure (CI must never skip them silently)."""
    url = os.environ.get(POSTGRES_URL_ENV, "").strip()
    if url:
        return url
    message = (
        f'{POSTGRES_URL_ENV} is not set: run `eval "$(scripts/test-services.sh)"` to start PostgreSQL '
        "and set it (make test does), or point it at a database whose user may create schemas"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL whose connections see only a fresh schema in the database named by
    MOODTUNE_TEST_DATABASE_URL (``options=-csearch_path=...``); the connections are tagged with the
    schema's name (``application_name``) so that the end can close any left open before it drops
    the schema. A schema costs a few milliseconds where a database costs a few hundred."""
    server = make_url(_postgres_server_url()).set(drivername="postgresql+psycopg")
    masked = server.render_as_string(hide_password=True)
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    except SQLAlchemyError as e:
        admin.dispose()
        pytest.fail(f"cannot create a test schema in {masked} ({POSTGRES_URL_ENV}): {e}", pytrace=False)
    url = server.update_query_dict({"options": f"-csearch_path={schema}", "application_name": schema})
    try:
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


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database, once per backend: ``sqlite`` (a file in the test's temp folder,
    not created yet) and ``postgres`` (a schema of its own, see ``postgres_schema``)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'moodtune.db'}"
        return
    with postgres_schema() as url:
        yield url

"""Connecting to the database and bringing its schema up to date.

``make_engine(url)`` accepts two kinds of URL:

* ``sqlite:///path/to/moodtune.db`` (relative to the working folder; ``sqlite:////abs/path`` for an
  absolute one): the parent folder is created, and every connection sets the PRAGMAs a web service
  with several threads and processes needs: write-ahead logging (readers never block the writer),
  a busy timeout (a writer waits for another process's write instead of failing), foreign keys
  (SQLite ignores ``ON DELETE CASCADE`` without it) and ``synchronous=NORMAL`` (safe with WAL).
  Transactions are begun by SQLAlchemy, not by the ``sqlite3`` driver (the recipe of SQLAlchemy's
  SQLite documentation, "Enabling Non-Legacy SQLite Transactional Modes"), so that a write
  transaction can start with ``BEGIN IMMEDIATE``: it takes the write lock at once and waits out
  the busy timeout, where a deferred transaction that reads first and writes later can fail at
  once with "database is locked".
* ``postgresql://user:password@host:5432/dbname`` (also ``postgresql+psycopg://`` and the
  ``postgres://`` of hosting providers), always through the psycopg 3 driver, with connections
  checked before use (``pool_pre_ping``) and a connection timeout.

``migrate(engine)`` runs the Alembic migrations in ``migrations/versions`` up to the newest one.
It is idempotent, and two processes starting at once are safe: the migration holds SQLite's write
lock (``BEGIN IMMEDIATE``) or a PostgreSQL advisory lock, so the second waits and then finds the
schema up to date. ``alembic.ini`` beside this module is for developers writing a new migration
(``alembic -c src/moodtune/store/alembic.ini revision --autogenerate``, with
``MOODTUNE_DATABASE_URL`` set); the service itself configures Alembic from code.

Errors: a malformed URL, a server that cannot be reached or a schema newer than this code raise
``StoreError`` (HTTP 503), naming the URL with its password masked and saying what to do.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry

from moodtune.errors import StoreBusy, StoreError

__all__ = [
    "ALEMBIC_INI",
    "BUSY_TIMEOUT_MS",
    "CONNECT_TIMEOUT_S",
    "POOL_TIMEOUT_S",
    "WRITE",
    "alembic_config",
    "head_revision",
    "make_engine",
    "mask_url",
    "migrate",
    "schema_revision",
    "translate_errors",
]

ALEMBIC_INI = Path(__file__).with_name("alembic.ini")
BUSY_TIMEOUT_MS = 15_000
"""How long an SQLite writer waits for another process's write transaction before giving up."""
POOL_TIMEOUT_S = 3.0
"""How long a request waits for one of the process's pooled connections before it is told the
service is busy (``StoreBusy``, 503 with ``Retry-After``) rather than holding a thread."""
CONNECT_TIMEOUT_S = 10
"""How long a PostgreSQL connection attempt may take (unless the URL sets ``connect_timeout``)."""
WRITE = "moodtune_write"
"""Execution option: on SQLite, begin the transaction with ``BEGIN IMMEDIATE`` (take the write lock)."""
# SQLite pragmas every connection sets (write-ahead logging is set apart: see _use_wal).
SQLITE_PRAGMAS: tuple[str, ...] = (
    f"busy_timeout = {BUSY_TIMEOUT_MS}",
    "foreign_keys = ON",
    "synchronous = NORMAL",
)
MIGRATION_LOCK_ID = 0x6D6F6F64  # "mood": the PostgreSQL advisory lock held while migrating

# Alembic keeps the running migration in module-level state (alembic.context, alembic.op), so two
# threads of one process must not migrate at once, even on different databases.
_ALEMBIC_LOCK = threading.Lock()

_WHAT_TO_DO = (
    "set MOODTUNE_DATABASE_URL to sqlite:///path/to/moodtune.db or "
    "postgresql://user:password@host:5432/dbname"
)
_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")


def mask_url(url: str | URL) -> str:
    """The URL with its password replaced by ``***``, also when it cannot be parsed."""
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (exc.ArgumentError, ValueError, TypeError):
        return _PASSWORD.sub(r"\1***@", str(url))


def _parse(url: str | URL) -> URL:
    """The URL with the driver this service uses, or ``StoreError`` saying what is wrong with it."""
    if isinstance(url, URL):
        parsed = url
    else:
        if not isinstance(url, str) or not url.strip():
            raise StoreError(f"the database URL is empty: {_WHAT_TO_DO}")
        try:
            parsed = make_url(url.strip())
        except (exc.ArgumentError, ValueError) as e:
            raise StoreError(f"{mask_url(url)!r} is not a database URL ({e}): {_WHAT_TO_DO}") from e
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "sqlite" and driver in ("", "pysqlite"):
        if parsed.database in (None, "", ":memory:") or parsed.database.startswith("file:"):
            raise StoreError(
                f"{mask_url(parsed)!r} names no database file: the store needs a file that every thread "
                f"and process shares, such as sqlite:///data/moodtune.db; {_WHAT_TO_DO}"
            )
        return parsed.set(drivername="sqlite+pysqlite")
    if backend in ("postgresql", "postgres") and driver in ("", "psycopg"):
        if not parsed.database:
            raise StoreError(
                f"{mask_url(parsed)!r} names no database (the /dbname at the end): {_WHAT_TO_DO}"
            )
        return parsed.set(drivername="postgresql+psycopg")
    raise StoreError(
        f"{mask_url(parsed)!r} uses {parsed.drivername!r}, but the store supports SQLite (sqlite://) and "
        f"PostgreSQL through psycopg 3 (postgresql:// or postgresql+psycopg://): {_WHAT_TO_DO}"
    )


def make_engine(url: str | URL) -> Engine:
    """A SQLAlchemy engine for ``url`` (see the module docstring). Connects lazily: an unreachable
    server shows up at the first query (``migrate``, ``Store.ping``) as ``StoreError``."""
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
    return create_engine(parsed, pool_pre_ping=True, pool_timeout=POOL_TIMEOUT_S, connect_args=connect_args)


def _sqlite_engine(url: URL) -> Engine:
    assert url.database is not None  # _parse checked it
    path = Path(url.database).expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StoreError(
            f"cannot create the folder {str(path.parent)!r} for the SQLite database {mask_url(url)!r}: "
            f"{e.strerror}; choose a writable place: {_WHAT_TO_DO}"
        ) from e
    engine = create_engine(url.set(database=str(path)), pool_timeout=POOL_TIMEOUT_S)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry) -> None:
        # sqlite3 must not begin transactions itself: _on_begin does (see the module docstring).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in SQLITE_PRAGMAS:
                cursor.execute(f"PRAGMA {pragma}")
            _use_wal(cursor)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _use_wal(cursor: Any) -> None:
    """Switch the database file to write-ahead logging (a setting kept in the file, so only the
    first connection to a new database changes it). The switch needs the exclusive lock, and SQLite
    answers "database is locked" at once, without waiting out the busy timeout, when another
    process holds the write lock (for instance while it migrates the new database): wait and try
    again until the busy timeout has passed."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    pause = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as e:
            if ("locked" not in str(e) and "busy" not in str(e)) or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.2)


def _is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot be used right now (down, unreachable, locked, not
    a database), as opposed to a bug in a query, which is left to propagate."""
    if isinstance(error, exc.OperationalError | exc.InterfaceError):
        return True
    bug = (exc.IntegrityError, exc.ProgrammingError, exc.DataError, exc.NotSupportedError, exc.InternalError)
    return isinstance(error, exc.DatabaseError) and not isinstance(error, bug)


def _reason(error: BaseException) -> str:
    orig = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(orig).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(orig).__name__


@contextmanager
def translate_errors(url: str) -> Iterator[None]:
    """Turn "the database cannot be used" errors into ``StoreError`` naming ``url`` (masked)."""
    try:
        yield
    except exc.TimeoutError as e:  # the pool, not the database: every connection is in use
        raise StoreBusy(
            f"the service is busy: all its database connections are in use (waited {POOL_TIMEOUT_S:g} s); "
            "retry in a second",
            retry_after=1.0,
        ) from e
    except exc.SQLAlchemyError as e:
        if not _is_unavailable(e):
            raise
        check = (
            "Check that the file and its folder exist and are writable"
            if url.startswith("sqlite")
            else "Check that the server is running and accepts this user"
        )
        raise StoreError(f"cannot use the database at {url}: {_reason(e)}. {check}, or {_WHAT_TO_DO}") from e


def alembic_config() -> Config:
    """Alembic's configuration for the migrations shipped in this package."""
    return Config(str(ALEMBIC_INI))


def head_revision() -> str:
    """The newest migration's revision id."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None  # the package ships at least 0001
    return head


def schema_revision(engine: Engine) -> str | None:
    """The revision the database's schema is at; None for a database never migrated."""
    with translate_errors(mask_url(engine.url)), engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine) -> None:
    """Bring the schema up to the newest migration (``alembic upgrade head``); idempotent, and safe
    when several processes start at once (see the module docstring)."""
    config = alembic_config()
    url = mask_url(engine.url)
    try:
        # One transaction, begun here (on SQLite with BEGIN IMMEDIATE: WRITE) and committed at the end
        # of the block; env.py takes PostgreSQL's advisory lock inside it and runs the migrations.
        with (
            _ALEMBIC_LOCK,
            translate_errors(url),
            engine.execution_options(**{WRITE: True}).begin() as connection,
        ):
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except CommandError as e:
        raise StoreError(
            f"cannot bring the database at {url} up to date: {e}. If it was migrated by a newer "
            f"moodtune, upgrade moodtune; otherwise {_WHAT_TO_DO} naming another database"
        ) from e

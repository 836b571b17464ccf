"""Alembic's entry point for moodtune's migrations: runs them on one connection, in one transaction,
holding a lock so that two processes migrating at once take turns.

``moodtune.store.db.migrate`` passes its connection in ``config.attributes["connection"]``; run from
the ``alembic`` command line, the database is the one named by ``MOODTUNE_DATABASE_URL``. Offline
mode (``--sql``) is not supported: the service migrates itself.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection, text

from moodtune.errors import StoreError
from moodtune.store.db import MIGRATION_LOCK_ID, WRITE, make_engine
from moodtune.store.models import Base

config = context.config


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    # The caller began the transaction: on SQLite with BEGIN IMMEDIATE (the option WRITE), which holds
    # the database's write lock; on PostgreSQL an advisory lock, released at commit, does the same.
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        context.run_migrations()


if context.is_offline_mode():
    raise StoreError("moodtune's migrations run online only: leave out --sql")

given = config.attributes.get("connection")
if given is not None:
    run(given)
else:
    url = os.environ.get("MOODTUNE_DATABASE_URL")
    if not url:
        raise StoreError(
            "set MOODTUNE_DATABASE_URL to the database to migrate (sqlite:///path or postgresql://...)"
        )
    engine = make_engine(url)
    try:
        with engine.execution_options(**{WRITE: True}).begin() as connection:
            run(connection)
    finally:
        engine.dispose()

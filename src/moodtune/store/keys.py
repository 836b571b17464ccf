"""Keys that every process and host of one service must share, kept in its database.

Several hosts behind one address serve the same listeners: a cookie signed by one host must be
read by the next. ``shared_key(store, name, seed)`` returns the key called ``name``: the first
process to ask writes it (``seed``, else a new random key) in one ``INSERT ... ON CONFLICT DO
NOTHING``, and every process, then or later, on any host, reads back the one row that won. No
setting has to be copied to each host, and a database restored from a backup brings its key with it.
"""

from __future__ import annotations

import secrets
import time
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite

from moodtune.store import db
from moodtune.store.models import ServiceKey
from moodtune.store.repository import Store

__all__ = ["COOKIE_KEY", "shared_key"]

COOKIE_KEY = "listener_cookie"
"""The key that signs the listener cookie (``moodtune.web.listener``)."""

_KEYS = cast(Table, ServiceKey.__table__)


def shared_key(store: Store, name: str, seed: str | None = None) -> str:
    """The key ``name`` of this database, written first by whichever process asks first: ``seed``
    when given (a host's existing key, so its listeners' cookies stay valid), else a random one."""
    insert = postgresql.insert if store.dialect == "postgresql" else sqlite.insert
    proposal = seed or secrets.token_urlsafe(32)
    statement = (
        insert(_KEYS)
        .values(name=name, value=proposal, created_at=time.time())
        .on_conflict_do_nothing(index_elements=[_KEYS.c.name])
    )
    with db.translate_errors(store.url), store.engine.execution_options(**{db.WRITE: True}).begin() as conn:
        conn.execute(statement)
        value = conn.scalar(select(_KEYS.c.value).where(_KEYS.c.name == name))
    assert value is not None  # inserted above, or there already
    return str(value)

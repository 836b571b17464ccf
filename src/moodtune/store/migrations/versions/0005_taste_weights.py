"""Taste weights (taste_weights): what each listener's events on each song add up to, kept up to
date with every event so that a recommendation reads the listener's own rows instead of the
feedback table. Filled here from the feedback already stored. See moodtune.store.models.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from moodtune.music.taste import Feedback, SongTaste

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LISTENERS_PER_BATCH = 500
"""Listeners whose feedback is read, summed up and written at a time (bounds the memory used)."""

_feedback = sa.table(
    "feedback",
    sa.column("id", sa.Integer()),
    sa.column("listener_id", sa.String()),
    sa.column("song_id", sa.String()),
    sa.column("event", sa.String()),
    sa.column("at", sa.Double()),
)


def upgrade() -> None:
    weights = op.create_table(
        "taste_weights",
        sa.Column("listener_id", sa.String(64), nullable=False),
        sa.Column("song_id", sa.String(64), nullable=False),
        sa.Column("answer", sa.Double(), nullable=True),
        sa.Column("answer_at", sa.Double(), nullable=True),
        sa.Column("plays", sa.Double(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["listener_id"],
            ["listeners.id"],
            name=op.f("fk_taste_weights_listener_id_listeners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("listener_id", "song_id", name=op.f("pk_taste_weights")),
    )
    assert weights is not None
    connection = op.get_bind()
    now = time.time()
    for rows in _summed(connection):
        connection.execute(weights.insert(), [{**row, "updated_at": now} for row in rows])


def _summed(connection: sa.Connection) -> Iterator[list[dict[str, Any]]]:
    """The taste_weights rows of the feedback stored, a batch of listeners at a time: each
    listener's events folded in the order they were recorded, as the store folds new ones."""
    listeners = list(
        connection.scalars(sa.select(_feedback.c.listener_id).distinct().order_by(_feedback.c.listener_id))
    )
    f = _feedback.c
    for start in range(0, len(listeners), LISTENERS_PER_BATCH):
        batch = listeners[start : start + LISTENERS_PER_BATCH]
        query = (
            sa.select(f.listener_id, f.song_id, f.event, f.at)
            .where(f.listener_id.in_(batch))
            .order_by(f.listener_id, f.id)
        )
        tastes: dict[tuple[str, str], SongTaste] = {}
        empty = SongTaste()
        for listener_id, song_id, event, at in connection.execute(query):
            key = (listener_id, song_id)
            tastes[key] = tastes.get(key, empty).add(Feedback(listener_id, song_id, event, at))
        yield [
            {
                "listener_id": listener_id,
                "song_id": song_id,
                "answer": taste.answer,
                "answer_at": taste.answer_at,
                "plays": taste.plays,
                "events": taste.events,
                "weight": taste.weight,
            }
            for (listener_id, song_id), taste in tastes.items()
        ]


def downgrade() -> None:
    op.drop_table("taste_weights")
